"""The README's main job (``bash run.sh``): check the package, then grade example submissions.

    python -m lab                   # about 90 s on 2 cores: checks, then 9 telling examples
    python -m lab --full            # the whole example class, with the pytest runner and nbgrader
    python -m lab --full --nbgrader sample          # nbgrader grades the test suite's sample only

Default: the shipped data match ``data/SHA256SUMS``; ``release/`` and ``source/text/`` are
what nbgrader and jupytext make of ``source/``; the reference outputs are what the source
solutions give (regenerated and compared, never rewritten: ``python -m autograder.assign.build``
does that); then a small, telling part of the example class (the solution, the blank release,
a mistake in each notebook, three hostile submissions) is graded by the batch grader, and each
must score exactly what it should. ``--full`` grades every example with both runners
(``python -m lab.compare``); ``--nbgrader sample`` gives nbgrader only the part of the class
the test suite gives it (:func:`lab.examples.nbgrader_sample`), the others labelled in the
table. Nothing outside ``build/`` is written.

Exit status 0 when everything is as expected, 1 otherwise; the last line says which.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

from autograder import report
from autograder.checks import registry
from autograder.exitcodes import Parser
from autograder.paths import REPO
from autograder.progress import clock
from autograder.report.records import GRADED
from autograder.sandbox import machine

# The default part of the example class: what each shows is in its `why` (lab/examples).
QUICK = [
    "solution",
    "blank",
    "nb1_no_final_relu",
    "nb2_round_not_floor_and_plus_2p",
    "nb3_valid_padding_up_and_pooling_down",
    "nb4_softmax_not_logit",
    "nb2_hostile_liars",
    "nb2_hostile_faults",
    "nb2_hostile_processes",
]
OUT = REPO / "build"


class Step:
    """``[k/n] what ... (12 s)``: one line per step of the main job."""

    def __init__(self, total: int):
        self.k, self.total = 0, total

    def __call__(self, what: str):
        self.k += 1
        print(f"[{self.k}/{self.total}] {what}", flush=True)
        return _Timer()


class _Timer:
    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            print(f"      done in {clock(time.monotonic() - self.started)}", flush=True)


def sources_fingerprint() -> str:
    """A digest of everything the release, the text mirrors and the references depend on: the
    source notebooks, helpers and mirrors, the grader's code, the data, the release, the
    committed references and nbgrader's configuration."""
    import hashlib

    h = hashlib.sha256()
    paths = [REPO / "nbgrader_config.py"]
    for folder in ("source", "autograder", "data", "release/convnets"):
        paths += sorted((REPO / folder).rglob("*"))
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def check_sources(step: Step) -> list[str]:
    """Data, release/, text mirrors and references: one line per problem (nothing is written)."""
    from autograder.assign import build, references

    data_build = build.data_builder()

    with step("the shipped data against data/SHA256SUMS"):
        problems = data_build.check()
        print(f"      {len(data_build.read_sums())} files" + (": OK" if not problems else f": {problems}"))
    # A run that found everything in sync leaves a stamp with the fingerprint of what it checked:
    # the same files need not be checked again (a later `run.sh --full`, say).
    # The machine is part of it: the values that come out of training are compared again on another CPU.
    stamp, print_ = OUT / "main-job" / "references-verified.json", sources_fingerprint() + machine.describe()
    earlier = json.loads(stamp.read_text()) if stamp.exists() else {}
    verified = earlier.get("fingerprint") == print_ and not problems
    with step("release/ and source/text/ against what nbgrader and jupytext make of source/"):
        if verified:
            sync = []
            print(f"      in sync (verified by the run of {earlier['when']}: the same files)")
        else:
            sync = build.check()
            print("      in sync" if not sync else "      " + "\n      ".join(sync))
    with step("the reference outputs against the source solutions (regenerated, compared, not written)"):
        if verified:
            refs = []
            print(f"      verified by the run of {earlier['when']} (the same sources, grader and references):")
            print("      " + "\n      ".join(earlier["report"]))
        else:
            report = []

            def say(line: str) -> None:
                report.extend(line.split("\n"))
                print("      " + line.replace("\n", "\n      "), flush=True)

            refs = references.check(report=say)
            if not refs and not sync and not problems:
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(
                    json.dumps({"fingerprint": print_, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "report": report})
                )
    out = [f"data: {p}" for p in problems] + sync + [f"references: {p}" for p in refs]
    if sync:
        out.append("run `python -m autograder.assign.build` to regenerate release/ and the text mirrors")
    if refs:
        out.append("run `python -m autograder.assign.references` if the source solutions changed on purpose")
    return out


def grade_quick(step: Step) -> list[str]:
    """Grade QUICK with the batch grader; print a table; one line per unexpected score."""
    from autograder import batch
    from lab import examples

    root = OUT / "main-job"
    submitted, out = root / "submitted", root / "grades"
    expect = examples.manifest(QUICK)
    with step(f"grading {len(QUICK)} example submissions with the batch grader (the pytest runner's sandbox)"):
        examples.write_examples(submitted, QUICK)
        for stale in sorted(p.name for p in submitted.iterdir() if p.is_dir() and p.name not in QUICK):
            shutil.rmtree(submitted / stale)
        records = batch.grade_class(submitted, out)
        report.write_outputs(records, out, quiet=True)
    problems, rows = [], []
    for name in QUICK:
        record = records[name]
        wanted = expect[name]
        ids = [c.grade_id for n in wanted["notebooks"] for c in registry()[n].checks]
        tests = {t["name"]: t for t in record["results"]["tests"]}
        failed = sorted(i for i in ids if tests[i]["score"] != tests[i]["max_score"])
        score = sum(tests[i]["score"] for i in ids)
        top = sum(tests[i]["max_score"] for i in ids)
        ok = record["status"] == GRADED and failed == wanted["fails"]
        if not ok:
            problems.append(
                f"{name}: failed {failed or 'nothing'}, expected {wanted['fails'] or 'nothing'}"
                + (f" ({record['status']})" if record["status"] != GRADED else "")
            )
        lost = "-" if not failed else f"all {len(ids)} checks" if len(failed) == len(ids) else ", ".join(failed)
        rows.append((name, score, top, lost, ok, wanted["why"]))
    print(f"\n{'example':34s} {'score':>7s}  {'as expected':11s}  checks failed / what the example is")
    for name, score, top, lost, ok, why in rows:
        print(f"{name:34s} {score:3g}/{top:<3g}  {'yes' if ok else 'NO':11s}  {lost}\n{'':58s}{_short(why)}")
    print(f"\nThe class report (grade distribution, pass rate of each check): {out / 'report.html'}")
    return problems


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


SAMPLE_NOTE = (
    "not in the test suite's nbgrader sample (it repeats a failure the sample shows; "
    "`bash run.sh --full` gives nbgrader every example)"
)


def run_full(step: Step, nbgrader: str = "all") -> list[str]:
    from lab import compare, examples

    root = OUT / "full"
    submitted = root / "submitted"
    with step("the whole example class, graded by the pytest runner and by nbgrader"):
        if submitted.exists():
            shutil.rmtree(submitted)
        names = examples.write_examples(submitted)
        manifest = examples.write_manifest(root, names)
        expect = compare.load_expectations(manifest)
        keep = root / "nbgrader"
        if keep.exists():
            shutil.rmtree(keep)
        rows, problems = compare.compare(
            submitted,
            compare.CompareOptions(
                jobs=os.cpu_count() or 1,
                expect=expect,
                keep=keep,
                cost=examples.grading_cost,
                nbgrader_cost=lambda name: examples.grading_cost(name, nbgrader=True),
                nbgrader_sample=(set(examples.nbgrader_sample()), SAMPLE_NOTE) if nbgrader == "sample" else None,
                earlier=OUT / "main-job" / "grades",  # what `run.sh` graded, if unchanged
            ),
        )
    compare.print_table(rows)
    (root / "scores.json").write_text(json.dumps({"rows": rows, "problems": problems}, indent=2) + "\n")
    print(f"\nThe table as JSON: {root / 'scores.json'}; nbgrader's graded notebooks: {keep}/autograded")
    return problems


def main(argv=None) -> int:
    ap = Parser(prog="python -m lab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--full",
        action="store_true",
        help="grade the whole example class with both runners (longer than --nbgrader sample: docs/benchmarks.md)",
    )
    ap.add_argument(
        "--nbgrader",
        choices=("all", "sample"),
        default="all",
        help="with --full: the examples nbgrader grades: all (default), or the sample the test suite uses "
        "(lab.examples.nbgrader_sample: every check seen passing and failing, every correct answer "
        "written another way, every public-code and hostile answer it can run; about 15 minutes on 2 cores)",
    )
    args = ap.parse_args(argv)
    if args.nbgrader != "all" and not args.full:
        ap.error(f"--nbgrader {args.nbgrader}: expected it with --full, which is when nbgrader grades")
    started = time.monotonic()
    step = Step(4)
    print(f"Checked on: {machine.describe()}", flush=True)
    print(
        "Week 5 ConvNets: checking the package, then grading "
        + ("the whole example class with both runners" if args.full else f"{len(QUICK)} example submissions")
        + f" ({os.cpu_count()} cores).",
        flush=True,
    )
    problems = check_sources(step)
    graded = run_full(step, args.nbgrader) if args.full else grade_quick(step)
    took = clock(time.monotonic() - started)
    if problems or graded:
        first = (problems + graded)[0]
        print(
            f"FAILED ({took}): {first}"
            + (f" (and {len(problems + graded) - 1} more above)" if len(problems + graded) > 1 else "")
        )
        return 1
    if args.full:
        print(
            f"OK ({took}): the data, release/, the text mirrors and the references are in sync with source/; "
            f"every example scored exactly what it should with the pytest runner, and nbgrader agrees on every "
            f"check it was given (the submissions it was not given are labelled above, with why)."
        )
    else:
        print(
            f"OK ({took}): the data, release/, the text mirrors and the references are in sync with source/, "
            f"and each of the {len(QUICK)} examples scored exactly what it should. `bash run.sh --full` grades "
            f"the whole example class with both runners."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

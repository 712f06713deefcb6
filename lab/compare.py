"""Grade a class folder with both runners and print one score table.

    python -m lab.compare SUBMITTED_DIR [--expect MANIFEST] [--jobs N] [--json FILE]
                                 [--keep DIR] [--no-nbgrader]

``SUBMITTED_DIR`` holds ``<student>/convnets/*.ipynb``. Each student is graded by the pytest
runner's grader (the sandboxed children and the judges, in this process as the batch grader
runs them, ``--jobs`` students at once, sharing one zygote; ``--pytest-cli`` runs the command CI
runs instead, ``pytest autograder --submission <student>/convnets``, one process per student),
and the whole folder by nbgrader (:mod:`autograder.nbgrader.runner`), each with a progress line
and an estimate of the time left. Only the notebooks a student handed in are compared.

``--expect`` names a manifest (``examples.json``, written by ``python -m
lab.examples``): then each student must also fail exactly the checks it lists, and
a student it marks as unsafe for nbgrader (nbgrader is not a sandbox: such a submission
exits its kernel or writes the grader's files) is not given to nbgrader; the table says
so. Exit status 0 when everything is as expected (the runners agree, and with
``--expect`` every student fails exactly its checks), 1 otherwise; the last line says why.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder import batch
from autograder.checks import registry
from autograder.exitcodes import ExitCode, Parser, positive, usage_error
from autograder.own_data import GraderDataError
from autograder.paths import ASSIGNMENT, REPO, pytest_runner_env
from autograder.progress import ProgressBar
from autograder.report.records import GRADED, NOT_GRADED


def pytest_runner(folder: Path, results_json: Path) -> tuple[int, dict]:
    """Run the pytest runner on one submission folder; return (exit code, results.json)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "autograder",
            "--submission",
            str(folder),
            "--results-json",
            str(results_json),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        env=pytest_runner_env(),
        capture_output=True,
        text=True,
    )
    data = json.loads(results_json.read_text()) if results_json.exists() else {}
    return proc.returncode, data


def students_in(submitted: Path) -> list[str]:
    return sorted(p.name for p in submitted.iterdir() if (p / ASSIGNMENT).is_dir())


def exit_of(record: dict) -> int:
    """The exit code the pytest runner gives a batch-grader record's submission (a record the
    pytest command made says its own)."""
    if "exit" in record:
        return record["exit"]
    if record["status"] != GRADED:
        return ExitCode.NOT_GRADED
    return 0 if all(t["score"] == t["max_score"] for t in record["results"]["tests"]) else 1


def cli_record(student: str, folder: Path, print_: str) -> dict:
    """A batch-grader record of ``pytest autograder --submission FOLDER`` (one process), with its exit code."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="convnets-results-") as tmp:
        code, results = pytest_runner(folder, Path(tmp) / "results.json")
    return {
        "student": student,
        "fingerprint": "",  # never up to date: the command is run every time
        "status": NOT_GRADED if code == ExitCode.NOT_GRADED else GRADED,
        "results": results,
        "notebook_of": {},
        "seconds": round(time.monotonic() - started, 1),
        "exit": code,
    }


def grade_class_with_pytest(submitted: Path, options: CompareOptions) -> dict[str, dict]:
    """``{student: {"exit": code, "results": results.json}}`` from the batch grader's loop
    (:func:`autograder.batch.grade_class`: ``jobs`` students at once, the costliest first, each
    sandboxed as the batch grader grades it; ``cli``: one ``pytest autograder`` process per
    student instead). ``earlier``: a batch grader's ``--out`` folder; a student whose record there
    was made from the same notebooks by the same grader (its fingerprint) is not graded again,
    as the batch grader's own re-runs do."""
    students = set(students_in(submitted))
    with tempfile.TemporaryDirectory(prefix="convnets-compare-records-") as tmp:  # the loop's records
        out = Path(tmp)
        if options.earlier is not None and not options.cli:
            (out / "students").mkdir(parents=True)
            for path in sorted((options.earlier / "students").glob("*.json")):
                if path.stem in students:
                    shutil.copy2(path, out / "students" / path.name)
        records = batch.grade_class(
            submitted,
            out,
            batch.Options(
                jobs=options.jobs,
                quiet=options.quiet,
                cost=options.cost,
                grade=cli_record if options.cli else None,
            ),
        )
    return {s: {"exit": exit_of(r), "results": r["results"]} for s, r in sorted(records.items())}


def handed_in(submitted: Path, student: str) -> set[str]:
    return {p.stem for p in (submitted / student / ASSIGNMENT).glob("*.ipynb")}


def check_ids(notebooks: set[str]) -> list[str]:
    return [c.grade_id for n, spec in registry().items() if n in notebooks for c in spec.checks]


def load_expectations(path: Path | None) -> dict[str, dict]:
    """The manifest ``examples.json``: ``{student: {"fails": [...], "nbgrader": "" or why not}}``."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise usage_error(
            f"--expect {path}: expected the examples.json that `python -m lab.examples` "
            f"writes, could not read it ({exc})"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "fails" in v for v in data.values()):
        raise usage_error(f'--expect {path}: expected {{student: {{"fails": [...], ...}}}}, received another layout')
    return data


@dataclass
class CompareOptions:
    """What :func:`compare` grades and how."""

    jobs: int = os.cpu_count() or 1  # students (pytest runner) and course folders (nbgrader) at once
    with_nbgrader: bool = True
    expect: dict[str, dict] = field(default_factory=dict)  # the manifest: load_expectations()
    keep: Path | None = None  # keep nbgrader's graded notebooks here
    cost: Callable[[str], float] | None = None  # estimated seconds to grade a student (pytest runner)
    nbgrader_cost: Callable[[str], float] | None = None  # the same for nbgrader
    quiet: bool = False
    cli: bool = False  # one `pytest autograder` process per student instead of the batch grader's loop
    # (the students nbgrader grades, why the others are left out); by default all but those the
    # manifest marks unsafe for it
    nbgrader_sample: tuple[set[str], str] | None = None
    earlier: Path | None = None  # a batch grader's --out folder whose up-to-date records are used


def compare(submitted: Path, options: CompareOptions | None = None) -> tuple[list[dict], list[str]]:
    """One row per student, and the problems (empty when everything is as expected)."""
    o = options or CompareOptions()
    expect, jobs, with_nbgrader, nbgrader_sample = o.expect, o.jobs, o.with_nbgrader, o.nbgrader_sample
    students = students_in(submitted)
    unknown = sorted(set(expect) - set(students))
    problems = [f"{s}: in the manifest but not in {submitted}" for s in unknown]
    stream = sys.stderr if not o.quiet else open(os.devnull, "w")
    print(f"Grading {len(students)} submissions with the pytest runner ({jobs} at a time)...", file=stream)
    by_pytest = grade_class_with_pytest(submitted, o)
    skipped = {s: expect[s]["nbgrader"] for s in students if expect.get(s, {}).get("nbgrader")}
    if nbgrader_sample is not None:
        sample, why = nbgrader_sample
        skipped.update({s: why for s in students if s not in sample and s not in skipped})
    by_nbgrader: dict[str, dict] = {}
    if with_nbgrader:
        from autograder.nbgrader.runner import autograde, scores_by_student

        chosen = Path(tempfile.mkdtemp(prefix="convnets-compare-"))
        for s in students:
            if s not in skipped:
                (chosen / s).symlink_to((submitted / s).resolve(), target_is_directory=True)
        total = sum(len(handed_in(submitted, s)) for s in students if s not in skipped)
        print(
            f"Grading {len(students) - len(skipped)} submissions ({total} notebooks) with nbgrader "
            f"({jobs} course folders at once); {len(skipped)} not given to nbgrader...",
            file=stream,
        )
        bar = ProgressBar(total, stream=stream)
        by_nbgrader = scores_by_student(
            autograde(chosen, keep=o.keep, jobs=jobs, cost=o.nbgrader_cost, progress=bar.step)
        )
    rows = []
    for student, graded in by_pytest.items():
        ids = check_ids(handed_in(submitted, student))
        py = {t["name"]: t["score"] for t in graded["results"].get("tests", [])}
        row = {
            "student": student,
            "max": sum(spec.points_of(ids) for spec in registry().values()),
            "pytest": sum(py.get(i, 0.0) for i in ids),
            "exit": graded["exit"],
            "failed": [i for i in ids if py.get(i, 0.0) == 0.0],
            "results": graded["results"],
        }
        if student in expect:
            want = sorted(expect[student]["fails"])
            if sorted(row["failed"]) != want:
                row["unexpected"] = sorted(set(row["failed"]) ^ set(want))
                problems.append(
                    f"{student}: the pytest runner failed {row['failed'] or 'nothing'}, expected {want or 'nothing'}"
                )
        if with_nbgrader and student in skipped:
            row["nbgrader"] = None
            row["note"] = f"nbgrader is not asked to grade this one: {skipped[student]}"
        elif with_nbgrader:
            nb = by_nbgrader.get(student, {})
            row["nbgrader"] = sum(nb.get(i, 0.0) for i in ids)
            row["nbgrader_scores"] = {i: nb.get(i, 0.0) for i in ids}
            row["disagree"] = [i for i in ids if py.get(i, 0.0) != nb.get(i, 0.0)]
            if row["disagree"]:
                problems.append(f"{student}: the runners disagree on {', '.join(row['disagree'])}")
        rows.append(row)
    return rows, problems


def print_table(rows: list[dict]) -> None:
    nbg = any("nbgrader" in r for r in rows)
    print(f"{'submission':44s} {'pytest':>7s} " + (f"{'nbgrader':>9s} " if nbg else "") + f"{'max':>5s}  failed checks")
    for r in rows:
        marks = []
        if r.get("disagree"):
            marks.append("RUNNERS DISAGREE: " + ", ".join(r["disagree"]))
        if r.get("unexpected"):
            marks.append("UNEXPECTED: " + ", ".join(r["unexpected"]))
        if r.get("note"):
            marks.append(r["note"])
        nb_cell = ("-" if r["nbgrader"] is None else f"{r['nbgrader']:g}") if nbg else ""
        print(
            f"{r['student']:44s} {r['pytest']:7g} "
            + (f"{nb_cell:>9s} " if nbg else "")
            + f"{r['max']:5g}  {', '.join(r['failed']) or '-'}"
            + "".join(f"\n{'':46s}({m})" for m in marks)
        )


def verdict(rows: list[dict], problems: list[str], with_nbgrader: bool, expected: bool) -> str:
    """The last line: what was shown, or why not."""
    if problems:
        return f"FAILED: {len(problems)} problem(s): {problems[0]}" + (" (and more above)" if len(problems) > 1 else "")
    skipped = sum(1 for r in rows if r.get("nbgrader", 0) is None)
    parts = [f"{len(rows)} submissions graded"]
    if expected:
        parts.append("each failed exactly the checks it should")
    if with_nbgrader:
        parts.append(
            "the pytest runner and nbgrader agree on every check"
            + (f" ({skipped} not given to nbgrader, as expected)" if skipped else "")
        )
    return "OK: " + "; ".join(parts) + "."


def main(argv=None) -> int:
    ap = Parser(prog="python -m lab.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submitted", type=Path)
    ap.add_argument("--expect", type=Path, help="examples.json: what each student must fail, and who nbgrader skips")
    ap.add_argument("--jobs", type=positive(int), default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="also write the table as JSON")
    ap.add_argument("--keep", type=Path, help="keep nbgrader's graded notebooks (with outputs) here")
    ap.add_argument("--no-nbgrader", action="store_true")
    ap.add_argument(
        "--pytest-cli",
        action="store_true",
        help="grade each student with the pytest command (one process each) instead of in this process",
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs: expected at least 1, received {args.jobs}")
    if not args.submitted.is_dir():
        ap.error(f"{args.submitted} is not a folder: expected <student>/{ASSIGNMENT}/*.ipynb")
    expect = load_expectations(args.expect)
    options = CompareOptions(
        jobs=args.jobs, with_nbgrader=not args.no_nbgrader, expect=expect, keep=args.keep, cli=args.pytest_cli
    )
    try:
        rows, problems = compare(args.submitted, options)
    except GraderDataError as exc:  # nobody graded, as the batch grader and the pytest runner refuse
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.GRADER_DATA
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "problems": problems}, indent=2) + "\n")
    print(verdict(rows, problems, not args.no_nbgrader, bool(expect)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

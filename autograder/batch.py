"""Grade a whole class: all cores, resumable, shardable; grades CSV, JUnit XML, HTML report.

    python -m autograder.batch grade SUBMITTED --out OUT [--jobs N] [--shard K/N] [--force]
    python -m autograder.batch merge OUT_1 OUT_2 ... --out OUT
    python -m autograder.batch report OUT

``SUBMITTED`` is laid out the nbgrader way: ``SUBMITTED/<student>/convnets/*.ipynb``.
Each student is graded by the pytest runner's sandbox (:func:`autograder.grading.grade_submission`)
in a worker thread; the sandboxed children do the work, so ``--jobs`` children run at once.

What ``OUT`` gets:

* ``students/<student>.json``: the record of one student (score per check, the
  fingerprint of the submission it was made from); a re-run skips a student whose
  notebooks and grader are unchanged (``--force`` regrades everyone);
* ``results/<student>/results.json``: Gradescope's layout, what the student reads;
* ``grades.csv``: the columns of ``nbgrader export`` (``raw_score`` and ``score`` are the
  auto-graded points; ``max_score`` includes the manually graded answers, as nbgrader's does);
* ``junit.xml``: one test suite per student, one test case per check, for CI;
* ``report.html``: the grade distribution, each check's pass rate and the mistakes the judges
  named, and what could not be graded; ``checks.csv``: the same per check, for a spreadsheet;
* ``feedback/<student>.html``: what each student reads (each check's points and message).

Exit code (autograder/exitcodes.py): 0 every submission graded and every check passed, 1
every submission graded (some checks failed), 10 some submission could not be graded (the
others are), 11 ``--require-isolation`` on a machine that cannot confine the children
(nobody graded), 12 wrong arguments or no such folder.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from xml.etree import ElementTree as ET

from autograder.checks import registry
from autograder.confine import EXIT_REFUSED, graded_without, refusal
from autograder.exitcodes import ExitCode, Parser, usage_error
from autograder.grading import SubmissionError, grade_submission, unreadable_result
from autograder.messages import printable
from autograder.paths import ASSIGNMENT, REFERENCES_DIR
from autograder.plain import write_atomic
from autograder.progress import ProgressBar
from autograder.sandbox import Limits, remove_stale_scratch

CSV_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]
GRADED, NOT_GRADED = "graded", "could not grade"


def grader_version() -> str:
    """Changes whenever the checks or the references change: records made by an older
    grader are regraded."""
    h = hashlib.sha256()
    checks = Path(__file__).resolve().parent / "checks"
    for path in sorted(checks.glob("*.py")) + sorted(REFERENCES_DIR.glob("*.npz")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def fingerprint(folder: Path, version: str) -> str:
    h = hashlib.sha256(version.encode())
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def parse_shard(text: str | None) -> tuple[int, int]:
    if not text:
        return 1, 1
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise usage_error(f"--shard: expected K/N such as 2/4, received {text!r}") from None
    if not 1 <= k <= n:
        raise usage_error(f"--shard: expected 1 <= K <= N, received {k}/{n}")
    return k, n


def students_of(submitted: Path, shard: tuple[int, int] = (1, 1)) -> list[str]:
    if not submitted.is_dir():
        raise usage_error(f"{submitted} is not a folder: expected nbgrader's submitted/<student>/{ASSIGNMENT}/")
    names = sorted(p.name for p in submitted.iterdir() if p.is_dir() and not p.name.startswith("."))
    k, n = shard
    return [s for i, s in enumerate(names) if i % n == k - 1]


def max_points() -> tuple[float, float]:
    auto = sum(c.points for spec in registry().values() for c in spec.checks)
    manual = sum(p for spec in registry().values() for p in spec.manual.values())
    return auto, manual


# --------------------------------------------------------------------------- grading
def grade_student(
    student: str, folder: Path, limits: Limits | None, print_: str, require_isolation: bool = False
) -> dict:
    """One student's record (``print_``: the fingerprint of what is graded); never raises
    (a grader error is recorded as 'could not grade'; so is, with ``require_isolation``, a
    notebook whose child could not be fully confined)."""
    started = time.monotonic()
    record = {"student": student, "fingerprint": print_, "status": GRADED}
    timestamp = folder / "timestamp.txt"
    record["timestamp"] = timestamp.read_text().strip() if timestamp.is_file() else ""
    try:
        if not folder.is_dir():
            raise SubmissionError(
                f"no {ASSIGNMENT}/ folder in {folder.parent.name}/: expected submitted/{student}/{ASSIGNMENT}/*.ipynb"
            )
        result = grade_submission(folder, limits)
        if require_isolation and (why := graded_without(result.isolation)):
            raise SubmissionError(why)
    except SubmissionError as exc:
        result, record["status"] = unreadable_result(folder, str(exc)), NOT_GRADED
    except Exception as exc:  # noqa: BLE001 - the grader's own failure: report it, grade the rest
        result, record["status"] = unreadable_result(folder, f"grader error: {type(exc).__name__}: {exc}"), NOT_GRADED
    record["results"] = result.gradescope()
    record["notebook_of"] = {t.name: t.notebook for t in result.tests}
    record["seconds"] = round(time.monotonic() - started, 1)
    return record


def _save(out: Path, record: dict) -> None:
    """The student's results.json, then their record: the record is written last, so a student
    whose record exists has everything (a run stopped in between grades the student again)."""
    student = record["student"]
    (out / "students").mkdir(parents=True, exist_ok=True)
    (out / "results" / student).mkdir(parents=True, exist_ok=True)
    write_atomic(out / "results" / student / "results.json", (json.dumps(record["results"], indent=2) + "\n").encode())
    write_atomic(out / "students" / f"{student}.json", json.dumps(record, indent=1).encode())


def load_records(out: Path) -> dict[str, dict]:
    records = {}
    for path in sorted((out / "students").glob("*.json")):
        try:
            record = json.loads(path.read_text())
            records[record["student"]] = record
        except (OSError, ValueError, KeyError) as exc:
            print(f"skipping {path}: not a student record ({exc})", file=sys.stderr)
    return records


def _unconfined_record(record: dict) -> bool:
    isolation = record["results"].get("extra_data", {}).get("isolation", {})
    return record.get("status") == GRADED and bool(graded_without(isolation))


class OutputError(RuntimeError):
    """The results cannot be written (a read-only folder, a full disk): graded records are kept,
    the rest of the class waits for the same command to be run again."""


RECORD_ROOM = 1 << 20  # bytes a run must be able to write before it grades anyone (a record is 10-50 KB)


def check_writable(out: Path) -> None:
    """Raise :class:`OutputError` unless ``out`` takes a file of RECORD_ROOM bytes (before any work)."""
    probe = out / "students" / f".room.{os.getpid()}.0.tmp"  # named like write_atomic's: see _remove_leftovers
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as f:
            f.write(bytes(RECORD_ROOM))
            f.flush()
            os.fsync(f.fileno())  # a full disk shows here, not later
    except OSError as exc:
        raise OutputError(
            f"cannot write the results under {out}: {exc.strerror or exc}; expected a writable folder "
            f"with room for {RECORD_ROOM >> 10} KiB: nothing was graded"
        ) from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass


def _remove_leftovers(out: Path) -> None:
    """Temporary files of a run that was killed while it wrote a record (the record itself is whole
    or absent: :func:`autograder.plain.write_atomic`)."""
    for tmp in [*out.glob("students/.*.tmp"), *out.glob("results/*/.*.tmp")]:
        pid = tmp.name.rsplit(".", 3)[-3] if tmp.name.count(".") >= 4 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            tmp.unlink(missing_ok=True)


def grade_class(
    submitted: Path,
    out: Path,
    jobs: int | None = None,
    shard: tuple[int, int] = (1, 1),
    force: bool = False,
    limits: Limits | None = None,
    quiet: bool = False,
    require_isolation: bool = False,
) -> dict[str, dict]:
    """Grade every student of the shard who has no up-to-date record in ``out`` (with
    ``require_isolation``, a record graded without full isolation is not up to date);
    return all records. A run killed at any moment and started again gives the same records
    as one that was not: each record is written whole or not at all when its student is done.
    Raises :class:`OutputError` when ``out`` cannot be written, before grading anyone, or as
    soon as a record cannot be saved (the students graded until then are kept)."""
    students = students_of(submitted, shard)
    check_writable(out)
    _remove_leftovers(out)
    stale = remove_stale_scratch()
    version = grader_version()
    records = load_records(out)
    prints = {s: fingerprint(submitted / s / ASSIGNMENT, version) for s in students}
    todo = [
        s
        for s in students
        if force
        or records.get(s, {}).get("fingerprint") != prints[s]
        or (require_isolation and _unconfined_record(records[s]))
    ]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if not quiet:
        print(
            f"{len(students)} submissions in shard {shard[0]}/{shard[1]}: {len(students) - len(todo)} already "
            f"graded and unchanged, {len(todo)} to grade with {jobs} jobs"
            + (f" (removed {stale} scratch folders a stopped grader left)" if stale else ""),
            file=sys.stderr,
        )
    bar = ProgressBar(len(todo), stream=sys.stderr if not quiet else io.StringIO())
    failure, saved = None, 0
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [
            pool.submit(grade_student, s, submitted / s / ASSIGNMENT, limits, prints[s], require_isolation)
            for s in todo
        ]
        for future in as_completed(futures):
            if future.cancelled():
                continue
            record = future.result()
            try:
                _save(out, record)
            except OSError as exc:
                failure = failure or f"could not save {record['student']}'s record: {exc.strerror or exc}"
                for other in futures:
                    other.cancel()  # those not started yet
                continue
            saved += 1
            records[record["student"]] = record
            bar.step(
                f"{record['student']}: {record['results']['score']:g} ({record['status']}, {record['seconds']:g} s)"
            )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if failure:
        left = len(todo) - saved
        raise OutputError(
            f"stopped grading: {failure}. {saved} records were saved under {out / 'students'}; {left} students are "
            f"left. Free some space (or make the folder writable) and run the same command again: it grades only "
            f"those left."
        )
    return {s: records[s] for s in students if s in records}


# --------------------------------------------------------------------------- outputs
def write_csv(records: dict[str, dict], path: Path) -> None:
    auto, manual = max_points()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for student, record in sorted(records.items()):
            score = float(record["results"]["score"])
            writer.writerow(
                [
                    ASSIGNMENT,
                    "",
                    printable(record.get("timestamp", "")),
                    printable(student),  # a folder's name may hold control characters
                    "",
                    "",
                    "",
                    score,
                    0.0,
                    score,
                    auto + manual,
                ]
            )


def write_junit(records: dict[str, dict], path: Path) -> None:
    """One test suite per student; every text through ``printable`` (XML 1.0 has no place for
    control characters, whatever a student's code raised or a folder is called)."""
    suites = ET.Element("testsuites", name=f"{ASSIGNMENT} autograder")
    for raw_student, record in sorted(records.items()):
        student = printable(raw_student)
        tests = record["results"]["tests"]
        failed = [t for t in tests if t["score"] != t["max_score"]]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=student,
            tests=str(len(tests)),
            failures=str(len(failed) if record["status"] == GRADED else 0),
            errors=str(len(tests) if record["status"] != GRADED else 0),
            time=str(record.get("seconds", 0)),
        )
        for t in tests:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{student}.{record['notebook_of'].get(t['name'], '')}",
                name=printable(t["name"]),
            )
            if t["score"] != t["max_score"]:
                tag = "failure" if record["status"] == GRADED else "error"
                output = printable(t["output"])
                node = ET.SubElement(case, tag, message=output.splitlines()[0][:200] if output else tag)
                node.text = output
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _figure_png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def check_statistics(records: dict[str, dict]) -> list[dict]:
    """Per check, hardest first: points, how many graded submissions passed, and how many
    failed with each mistake the judges named ("other" for the rest)."""
    graded = [r for r in records.values() if r["status"] == GRADED]
    out = []
    for spec in registry().values():
        for check in spec.checks:
            passed, mistakes = 0, {}
            for record in graded:
                test = next((t for t in record["results"]["tests"] if t["name"] == check.grade_id), None)
                if test is None:
                    continue
                if test["score"] == test["max_score"]:
                    passed += 1
                    continue
                named = record["results"].get("extra_data", {}).get("mistakes", {}).get(check.grade_id)
                output = test["output"]
                kind = named or (
                    "missing or unreadable notebook"
                    if "missing notebook" in output or "unreadable notebook" in output
                    else "not answered (NotImplementedError)"
                    if "NotImplementedError" in output
                    else "other"
                )
                mistakes[kind] = mistakes.get(kind, 0) + 1
            out.append(
                {
                    "check": check.grade_id,
                    "notebook": spec.name,
                    "points": check.points,
                    "graded": len(graded),
                    "passed": passed,
                    "pass_rate": passed / len(graded) if graded else 0.0,
                    "mistakes": dict(sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))),
                }
            )
    return sorted(out, key=lambda row: (row["pass_rate"], row["check"]))


def write_checks_csv(records: dict[str, dict], path: Path) -> None:
    """One row per check: its pass rate and the named mistakes, for a spreadsheet."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["check", "notebook", "points", "graded", "passed", "pass_rate", "mistakes"])
        for row in check_statistics(records):
            writer.writerow(
                [
                    row["check"],
                    row["notebook"],
                    row["points"],
                    row["graded"],
                    row["passed"],
                    f"{row['pass_rate']:.3f}",
                    "; ".join(f"{k}: {v}" for k, v in row["mistakes"].items()),
                ]
            )


def write_feedback(records: dict[str, dict], folder: Path) -> None:
    """``feedback/<student>.html``: each check's score and message, the problems, the written answers
    awaiting a grader; what nbgrader's generate_feedback gives, without any test's code."""
    folder.mkdir(parents=True, exist_ok=True)
    auto, manual = max_points()
    for student, record in records.items():
        results = record["results"]
        rows = "".join(
            f"<tr class='{'ok' if t['score'] == t['max_score'] else 'lost'}'><td>{_h(t['name'])}</td>"
            f"<td>{t['score']:g} / {t['max_score']:g}</td><td><pre>{_h(t['output'])}</pre></td></tr>"
            for t in results["tests"]
        )
        waiting = "".join(
            f"<li>{_h(m['name'])} ({m['max_score']:g} points)</li>"
            for m in results.get("extra_data", {}).get("awaiting_manual_grading", [])
        )
        problems = "".join(f"<li>{_h(p)}</li>" for p in results.get("extra_data", {}).get("problems", []))
        (folder / f"{_safe_name(student)}.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>{ASSIGNMENT}: feedback for {_h(student)}</title><style>{CSS}</style></head><body>
<h1>{ASSIGNMENT}: feedback for {_h(student)}</h1>
<p class="total">{float(results["score"]):g} of {auto:g} auto-graded points{
            "" if record["status"] == GRADED else " (could not be graded)"
        }.</p>
{f"<h2>Problems</h2><ul>{problems}</ul>" if problems else ""}
<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>what the grader found</th></tr>{rows}</table>
{f"<h2>Written answers, graded by hand</h2><ul>{waiting}</ul>" if waiting else ""}
</body></html>
""")


def _safe_name(student: str) -> str:
    """A file name for a student folder's name (kept readable, nothing that leaves the folder)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", printable(student))[:120] or "_"


CSS = (
    "body{font-family:system-ui,sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;width:100%}td,th{padding:4px 10px;text-align:left;vertical-align:top}"
    "tr:nth-child(even){background:#f6f6f6}th{background:#eaeaea}pre{white-space:pre-wrap;margin:0;"
    "font-size:.9em}tr.lost td:first-child{border-left:4px solid #c44}tr.ok td:first-child{border-left:4px "
    "solid #4a4}.total{font-size:1.2em}.bar{display:inline-block;height:.8em;background:#55a868}"
    "img{max-width:100%}"
)


def _h(text) -> str:
    """Text for the HTML report: printable (no control character, no lone surrogate), escaped."""
    import html

    return html.escape(printable(text))


def write_html(records: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    auto, manual = max_points()
    ids = [c.grade_id for spec in registry().values() for c in spec.checks]
    scores = [float(r["results"]["score"]) for r in records.values()]
    rates = {row["check"]: row["pass_rate"] for row in check_statistics(records)}
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(scores, bins=min(20, max(5, len(scores))), range=(0, auto), color="#4c72b0")
    ax.set_xlabel(f"auto-graded points (of {auto:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Grade distribution ({len(scores)} submissions)")
    hist = _figure_png(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(ids) + 1))
    ax.barh(ids[::-1], [100 * rates[i] for i in ids[::-1]], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions passing")
    ax.set_title("Pass rate of each check (the hardest are the shortest bars)")
    ax.tick_params(axis="y", labelsize=7)
    bars = _figure_png(fig)
    plt.close(fig)
    failed = [(s, r) for s, r in sorted(records.items()) if r["status"] != GRADED]
    rows = "".join(
        f"<tr><td><a href='feedback/{_safe_name(s)}.html'>{_h(s)}</a></td><td>{float(r['results']['score']):g}</td>"
        f"<td>{_h(r['status'])}</td><td>{_h(r['results'].get('output', '')[:300])}</td></tr>"
        for s, r in sorted(records.items())
    )
    hardest = "".join(
        f"<tr><td>{_h(row['check'])}</td><td><span class='bar' style='width:{4 * row['pass_rate']:.2f}em'></span> "
        f"{100 * row['pass_rate']:.0f}% ({row['passed']} of {row['graded']})</td><td>"
        + "<br>".join(f"{_h(kind)}: {count}" for kind, count in row["mistakes"].items())
        + "</td></tr>"
        for row in check_statistics(records)
    )
    partly = [(s, r) for s, r in sorted(records.items()) if r["status"] == GRADED and problems_of(r)]
    could_not = (
        "<p>Every submission was graded.</p>"
        if not failed
        else "<ul>" + "".join(f"<li>{_h(s)}: {_h(r['results'].get('output', ''))}</li>" for s, r in failed) + "</ul>"
    )
    if partly:
        could_not += (
            "<p>Graded, with parts that could not be (their checks score 0):</p><ul>"
            + "".join(f"<li>{_h(s)}: {_h('; '.join(problems_of(r)))}</li>" for s, r in partly)
            + "</ul>"
        )
    mean = sum(scores) / len(scores) if scores else 0.0
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>{ASSIGNMENT}: grades</title>
<style>{CSS}</style></head><body>
<h1>{ASSIGNMENT}: auto-graded results</h1>
<p>{len(records)} submissions; mean {mean:.1f} of {auto:g} auto-graded points ({manual:g} more points are graded by
hand). Could not grade: {len(failed)}.</p>
<img alt="grade distribution" src="data:image/png;base64,{hist}">
<img alt="pass rate of each check" src="data:image/png;base64,{bars}">
<h2>What could not be graded</h2>{could_not}
<h2>Checks, hardest first, and the mistakes the grader named</h2>
<p>What to address in the next lecture: each check's pass rate among the graded submissions, and how many of
its failures were each known mistake ("other": a failure no judge named). The same as a spreadsheet:
<code>checks.csv</code>.</p>
<table><tr><th>check</th><th>passed</th><th>failures, by mistake</th></tr>{hardest}</table>
<h2>Students</h2><p>Each student's feedback page: <code>feedback/&lt;student&gt;.html</code>.</p>
<table><tr><th>student</th><th>auto score</th><th>status</th><th>notes</th></tr>{rows}</table>
</body></html>
""")


def problems_of(record: dict) -> list[str]:
    """The notebook-level problems of a graded record (unreadable or missing notebook, time or
    memory limit, crash): one line each."""
    return list(record["results"].get("extra_data", {}).get("problems", []))


def write_outputs(records: dict[str, dict], out: Path, quiet: bool = False) -> int:
    """Write the class outputs; return the exit code (0, 1 or 10, see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(records, out / "grades.csv")
    write_junit(records, out / "junit.xml")
    write_html(records, out / "report.html")
    write_checks_csv(records, out / "checks.csv")
    write_feedback(records, out / "feedback")
    not_graded = sorted(s for s, r in records.items() if r["status"] != GRADED)
    all_passed = all(t["score"] == t["max_score"] for r in records.values() for t in r["results"]["tests"])
    if not quiet:
        print(
            f"{len(records)} submissions: {len(records) - len(not_graded)} graded, {len(not_graded)} could not be "
            f"graded{': ' + ', '.join(not_graded) if not_graded else ''}. Wrote {out / 'grades.csv'}, "
            f"{out / 'junit.xml'}, {out / 'report.html'} and {out / 'results'}/<student>/results.json"
        )
        for student in sorted(s for s, r in records.items() if r["status"] == GRADED and problems_of(r)):
            print(f"  {student}: graded, but {'; '.join(problems_of(records[student]))}")
    return ExitCode.NOT_GRADED if not_graded else (ExitCode.OK if all_passed and records else ExitCode.CHECKS_FAILED)


def merge(parts: list[Path], out: Path) -> dict[str, dict]:
    """Combine the shards' ``students/`` records into ``out`` (a student in two folders: the later folder's)."""
    records: dict[str, dict] = {}
    for part in parts:
        if not (part / "students").is_dir():
            raise usage_error(f"{part} has no students/ folder: expected the --out folder of a `grade` run")
        for student, record in load_records(part).items():
            records[student] = record
    for record in records.values():
        _save(out, record)
    return records


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade a submitted/ folder (resumable)")
    g.add_argument("submitted", type=Path)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: all cores)")
    g.add_argument("--shard", default=None, help="K/N: grade only the K-th of N slices of the class")
    g.add_argument("--force", action="store_true", help="regrade submissions already graded")
    g.add_argument("--time-limit", type=float, default=None, help="seconds per notebook (default 600)")
    g.add_argument("--memory-limit", type=float, default=None, help="GiB of address space per child (default 4)")
    g.add_argument(
        "--require-isolation",
        action="store_true",
        help="grade nothing (exit 11) unless this machine can confine the children fully (docs/security.md)",
    )
    m = sub.add_parser("merge", help="combine the --out folders of several shards")
    m.add_argument("parts", type=Path, nargs="+")
    m.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report", help="rewrite grades.csv, junit.xml and report.html from OUT/students/")
    r.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    if args.command == "grade":
        if args.require_isolation:
            why = refusal()
            if why:
                print(why, file=sys.stderr)
                return EXIT_REFUSED
        limits = Limits()
        if args.time_limit:
            limits.wall_seconds = args.time_limit
        if args.memory_limit:
            limits.memory_bytes = int(args.memory_limit * 2**30)
    try:
        if args.command == "grade":
            records = grade_class(
                args.submitted,
                args.out,
                args.jobs,
                parse_shard(args.shard),
                args.force,
                limits,
                require_isolation=args.require_isolation,
            )
            return write_outputs(records, args.out)
        if args.command == "merge":
            return write_outputs(merge(args.parts, args.out), args.out)
        return write_outputs(load_records(args.out), args.out)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.NOT_GRADED
    except OSError as exc:  # writing the class's outputs (grades.csv, report.html, ...)
        print(
            f"error: cannot write the class's outputs under {args.out}: {exc}. The students' records are kept; "
            f"`python -m autograder.batch report {args.out}` writes the outputs again once there is room.",
            file=sys.stderr,
        )
        return ExitCode.NOT_GRADED


if __name__ == "__main__":
    sys.exit(main())

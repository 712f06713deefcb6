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
import hashlib
import io
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder.checks import registry
from autograder.exitcodes import ExitCode, Parser, positive, usage_error
from autograder.grading import SubmissionError, grade_submission, unreadable_result
from autograder.own_data import GraderDataError, require_intact
from autograder.paths import ASSIGNMENT, REFERENCES_DIR
from autograder.progress import ProgressBar
from autograder.report import write_outputs
from autograder.report.records import GRADED, NOT_GRADED, load_records
from autograder.sandbox.confine import EXIT_REFUSED, graded_without, refusal
from autograder.sandbox.plain import write_atomic
from autograder.sandbox.run import Limits, remove_stale_scratch, wall_help


def grader_version() -> str:
    """Changes whenever the checks or the references change: records made by an older
    grader are regraded."""
    h = hashlib.sha256()
    checks = Path(__file__).resolve().parent / "checks"
    for path in sorted(checks.rglob("*.py")) + sorted(REFERENCES_DIR.glob("*.npz")):
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


def handed_in_seconds(folder: Path) -> float:
    """The rough cost of grading a folder: its notebooks' ``seconds`` (a notebook by another name: 10)."""
    spec = registry()
    return sum(spec[p.stem].seconds if p.stem in spec else 10.0 for p in folder.glob("*.ipynb"))


def _save(out: Path, record: dict) -> None:
    """The student's results.json, then their record: the record is written last, so a student
    whose record exists has everything (a run stopped in between grades the student again)."""
    student = record["student"]
    (out / "students").mkdir(parents=True, exist_ok=True)
    (out / "results" / student).mkdir(parents=True, exist_ok=True)
    write_atomic(out / "results" / student / "results.json", (json.dumps(record["results"], indent=2) + "\n").encode())
    write_atomic(out / "students" / f"{student}.json", json.dumps(record, indent=1).encode())


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
    or absent: :func:`autograder.sandbox.plain.write_atomic`)."""
    for tmp in [*out.glob("students/.*.tmp"), *out.glob("results/*/.*.tmp")]:
        pid = tmp.name.rsplit(".", 3)[-3] if tmp.name.count(".") >= 4 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            tmp.unlink(missing_ok=True)


@dataclass
class Options:
    """How a class is graded: the batch grader's flags. The runner comparison (lab/compare.py) and
    the main job grade through the same loop with their own ``cost`` and ``grade``."""

    jobs: int | None = None  # submissions graded at once (default: all cores)
    shard: tuple[int, int] = (1, 1)  # (K, N): only the K-th of N slices of the class
    force: bool = False  # regrade students whose record is up to date
    limits: Limits | None = None  # the sandbox's limits (default: Limits())
    quiet: bool = False  # no progress on stderr
    # a record graded without full isolation is not up to date, and such a grading is not recorded
    require_isolation: bool = False
    # the estimated cost of grading a student (default: handed_in_seconds): the costliest start first,
    # so that no worker is left grading alone at the end
    cost: Callable[[str], float] | None = None
    # grades one student: (student, folder, fingerprint) -> record (default: grade_student, sandboxed)
    grade: Callable[[str, Path, str], dict] | None = None


def grade_class(submitted: Path, out: Path, options: Options | None = None) -> dict[str, dict]:
    """Grade every student of the shard who has no up-to-date record in ``out`` (with
    ``require_isolation``, a record graded without full isolation is not up to date);
    return all records. A run killed at any moment and started again gives the same records
    as one that was not: each record is written whole or not at all when its student is done.
    Raises :class:`OutputError` when ``out`` cannot be written, before grading anyone, or as
    soon as a record cannot be saved (the students graded until then are kept), and
    :class:`GraderDataError` before grading anyone when the grader's own data are damaged."""
    o = options or Options()
    shard, force, quiet, require_isolation = o.shard, o.force, o.quiet, o.require_isolation
    cost = o.cost or (lambda s: handed_in_seconds(submitted / s / ASSIGNMENT))

    def grade(student: str, folder: Path, print_: str) -> dict:
        if o.grade is not None:
            return o.grade(student, folder, print_)
        return grade_student(student, folder, o.limits, print_, require_isolation)

    students = students_of(submitted, shard)
    require_intact()  # damaged, the grader's own data would cost every student points: grade nobody
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
    todo.sort(key=lambda s: -cost(s))  # stable: by name among equals
    jobs = max(1, min(o.jobs or os.cpu_count() or 1, len(todo) or 1))
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
        futures = [pool.submit(grade, s, submitted / s / ASSIGNMENT, prints[s]) for s in todo]
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
    g.add_argument("--jobs", type=positive(int), default=None, help="submissions graded at once (default: all cores)")
    g.add_argument("--shard", default=None, help="K/N: grade only the K-th of N slices of the class")
    g.add_argument("--force", action="store_true", help="regrade submissions already graded")
    g.add_argument(
        "--time-limit",
        type=positive(float, "seconds"),
        default=None,
        help=f"seconds per notebook process ({wall_help()})",
    )
    g.add_argument(
        "--memory-limit",
        type=positive(float, "GiB"),
        default=None,
        help=f"GiB of address space per child (default {Limits.memory_bytes / 2**30:g})",
    )
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
                Options(
                    jobs=args.jobs,
                    shard=parse_shard(args.shard),
                    force=args.force,
                    limits=limits,
                    require_isolation=args.require_isolation,
                ),
            )
            return write_outputs(records, args.out)
        if args.command == "merge":
            return write_outputs(merge(args.parts, args.out), args.out)
        return write_outputs(load_records(args.out), args.out)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.NOT_GRADED
    except GraderDataError as exc:  # nothing was graded, no record touched
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.GRADER_DATA
    except OSError as exc:  # writing the class's outputs (grades.csv, report.html, ...)
        print(
            f"error: cannot write the class's outputs under {args.out}: {exc}. The students' records are kept; "
            f"`python -m autograder.batch report {args.out}` writes the outputs again once there is room.",
            file=sys.stderr,
        )
        return ExitCode.NOT_GRADED


if __name__ == "__main__":
    sys.exit(main())

"""Grade submissions the nbgrader way, in a temporary course folder, and read the gradebook.

    python -m autograder.nbgrader.runner SUBMITTED_DIR [--feedback OUT] [--export CSV]

``SUBMITTED_DIR`` is laid out as nbgrader expects: ``<student>/convnets/*.ipynb``.
This runs ``nbgrader generate_assignment`` (to fill the gradebook with the
test cells and their points), ``nbgrader autograde``, and optionally
``generate_feedback`` and ``export``, exactly as an instructor would, and
returns the auto-graded score of every test cell. Those scores come from the
hidden test cells, which call the same checks as the pytest runner.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder.assign.build import nbgrader_command, nbgrader_env
from autograder.exitcodes import ExitCode, Parser, positive
from autograder.own_data import GraderDataError, require_intact
from autograder.paths import ASSIGNMENT, REPO


@dataclass
class CellGrade:
    student: str
    notebook: str
    name: str  # grade_id
    auto_score: float | None
    max_score: float
    manual: bool  # a manually graded answer (a solution cell)


LOG_DIR = Path(tempfile.gettempdir()) / "convnets-nbgrader-logs"


def _nbgrader(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command; its whole output goes to LOG_DIR for reading later.

    With ``check=False`` a non-zero exit is returned, not raised: nbgrader autograde exits 1
    when one student's notebook fails, and the rest of the class is still in the gradebook.
    """
    proc = subprocess.run(nbgrader_command(*args), cwd=root, capture_output=True, text=True, env=nbgrader_env())
    LOG_DIR.mkdir(exist_ok=True)
    log = LOG_DIR / f"{root.name}-{args[0]}.log"
    log.write_text(proc.stdout + "\n" + proc.stderr)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed ({proc.returncode}); full log: {log}\n{proc.stderr[-3000:]}"
        )
    return proc


def make_course(root: Path, submitted: Path, students: list[str]) -> None:
    """A course folder: the repo's source/ and config, and copies of the submissions."""
    (root / "source").symlink_to(REPO / "source")
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    for student in students:
        shutil.copytree(submitted / student, root / "submitted" / student, symlinks=False)


def notebooks_handed_in(submitted: Path) -> Callable[[str], float]:
    """The default grading cost of a student: how many notebooks they handed in."""
    return lambda student: float(len(list((submitted / student / ASSIGNMENT).glob("*.ipynb"))))


def balanced_shards(students: list[str], jobs: int, cost: Callable[[str], float]) -> list[list[str]]:
    """Split ``students`` into ``jobs`` shards of about equal total cost: the costliest
    first, each to the shard with the least so far (longest-processing-time-first). With
    equal costs (a real class) this is a round robin; with one costly submission among
    cheap ones (the test suite's examples) it keeps one shard from grading long after the
    others have finished."""
    shards: list[list[str]] = [[] for _ in range(jobs)]
    totals = [0.0] * jobs
    costs = {s: cost(s) for s in students}
    for student in sorted(students, key=lambda s: (-costs[s], s)):
        k = totals.index(min(totals))
        shards[k].append(student)
        totals[k] += costs[student]
    return [sorted(shard) for shard in shards if shard]


def autograde(
    submitted: Path,
    feedback: Path | None = None,
    export: Path | None = None,
    keep: Path | None = None,
    jobs: int = 1,
    cost: Callable[[str], float] | None = None,
    progress: Callable[..., None] | None = None,
) -> list[CellGrade]:
    """Run nbgrader on every student under ``submitted`` and return every grade cell's score.

    nbgrader autogrades one student at a time; with ``jobs`` > 1 the class is split into
    ``SHARDS_PER_JOB`` shards a job, of about equal ``cost`` (a student's estimated grading
    time; by default the number of notebooks handed in), each graded in its own course folder
    (its own gradebook), ``jobs`` at once. ``progress(what, count=n)`` is called as nbgrader finishes
    notebooks (read from its autograded folder every few seconds).
    """
    require_intact()  # before any course folder: nbgrader_config.py would stop each shard's nbgrader alike
    students = sorted(p.name for p in submitted.iterdir() if p.is_dir())
    jobs = max(1, min(jobs, len(students)))
    if jobs == 1:
        return _autograde_shard(submitted, students, feedback, export, keep, progress)
    from concurrent.futures import ThreadPoolExecutor

    if feedback is not None or export is not None:
        raise ValueError("feedback and export need one gradebook: use jobs=1")
    cost = cost or notebooks_handed_in(submitted)
    # More shards than jobs, the costliest first, each taken by the first free job: a shard whose
    # estimate was low then delays the end by itself alone, not by the rest of a half-class
    # (nbgrader grades a shard's students in name order, whatever their cost). A shard costs
    # about 4 s more (a course folder, generate_assignment, nbgrader's start).
    shards = balanced_shards(students, min(len(students), jobs * SHARDS_PER_JOB), cost)
    shards.sort(key=lambda shard: -sum(cost(s) for s in shard))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(lambda shard: _autograde_shard(submitted, shard, keep=keep, progress=progress), shards))
    return [grade for part in parts for grade in part]


SHARDS_PER_JOB = 3


class _Watch:
    """Calls ``progress(what, count=n)`` as graded notebooks appear under ``folder``."""

    def __init__(self, folder: Path, progress: Callable[..., None] | None):
        self.folder, self.progress, self.seen = folder, progress, set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _poll(self) -> None:
        now = {p for p in self.folder.glob(f"*/{ASSIGNMENT}/*.ipynb")}
        new = now - self.seen
        if new and self.progress is not None:
            self.progress(f"nbgrader: {sorted(new)[-1].parent.parent.name}", count=len(new))
        self.seen |= new

    def _run(self) -> None:
        while not self.stop.wait(2.0):
            self._poll()

    def __enter__(self):
        if self.progress is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.progress is not None:
            self.thread.join()
            self._poll()


def _autograde_shard(
    submitted: Path,
    students: list[str],
    feedback: Path | None = None,
    export: Path | None = None,
    keep: Path | None = None,
    progress: Callable[..., None] | None = None,
) -> list[CellGrade]:
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory(prefix="convnets-nbgrader-") as tmp:
        root = Path(tmp)
        make_course(root, submitted, students)
        _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
        with _Watch(root / "autograded", progress):
            graded = _nbgrader(root, "autograde", ASSIGNMENT, "--create", "--force", check=False)
        if graded.returncode != 0:
            failed = sorted(
                set(
                    re.findall(
                        r"error processing assignment '[^']+' for student '([^']+)'", graded.stdout + graded.stderr
                    )
                )
            )
            print(
                f"nbgrader autograde reported errors for {failed or 'some students'}; the others are graded "
                f"(log: {LOG_DIR / (root.name + '-autograde.log')})",
                file=sys.stderr,
            )
        if feedback is not None:
            _nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
            if feedback.exists():
                shutil.rmtree(feedback)
            shutil.copytree(root / "feedback", feedback)
        if export is not None:
            _nbgrader(root, "export", "--to", str(export.resolve()))
        grades, skipped = [], []
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for student in students:
                try:
                    submission = gb.find_submission(ASSIGNMENT, student)
                except Exception:  # noqa: BLE001 - nbgrader skipped this student entirely
                    skipped.append(student)
                    continue
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        grades.append(
                            CellGrade(
                                student=student,
                                notebook=nb.name,
                                name=grade.name,
                                auto_score=grade.auto_score,
                                max_score=grade.max_score,
                                manual=grade.cell.cell_type == "markdown",
                            )
                        )
        if skipped:
            no_folder = [s for s in skipped if not (submitted / s / ASSIGNMENT).is_dir()]
            print(
                f"nbgrader did not grade {skipped} (not in its gradebook"
                + (
                    f"; no {ASSIGNMENT}/ folder, expected <student>/{ASSIGNMENT}/*.ipynb: {no_folder}"
                    if no_folder
                    else ""
                )
                + f"; log: {LOG_DIR / (root.name + '-autograde.log')})",
                file=sys.stderr,
            )
        if keep is not None:  # the graded notebooks, with their outputs (shards: each its own)
            shutil.copytree(root / "autograded", keep / "autograded", dirs_exist_ok=True)
    return grades


def scores_by_student(grades: list[CellGrade]) -> dict[str, dict[str, float]]:
    """``{student: {grade_id: auto score}}`` for the auto-graded test cells only."""
    out: dict[str, dict[str, float]] = {}
    for g in grades:
        if not g.manual:
            out.setdefault(g.student, {})[g.name] = float(g.auto_score or 0.0)
    return out


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submitted", type=Path, help="folder of <student>/convnets/*.ipynb")
    ap.add_argument("--feedback", type=Path, help="copy nbgrader's feedback folder here")
    ap.add_argument("--export", type=Path, help="write nbgrader export's grades CSV here")
    ap.add_argument("--jobs", type=positive(int), default=1, help="shards graded at once (feedback/export need 1)")
    args = ap.parse_args(argv)
    if args.jobs > 1 and (args.feedback or args.export):
        ap.error("--feedback and --export need --jobs 1 (one gradebook)")
    try:
        grades = autograde(args.submitted, args.feedback, args.export, jobs=args.jobs)
    except GraderDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.GRADER_DATA
    for student, scores in scores_by_student(grades).items():
        print(f"{student:24s} {sum(scores.values()):6g}  " + " ".join(f"{k}={v:g}" for k, v in scores.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

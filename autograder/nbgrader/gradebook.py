"""Put the batch grader's scores into nbgrader's gradebook, where the written answers are graded.

    python -m autograder.nbgrader.gradebook COURSE --records GRADES [--submitted DIR]

``COURSE`` is the nbgrader course folder (``nbgrader_config.py``, ``gradebook.db``, ``submitted/``)
in which ``nbgrader generate_assignment convnets`` has been run; ``GRADES`` is the ``--out`` folder
of ``python -m autograder.batch grade`` run on ``COURSE/submitted`` (or ``--submitted``).

For every student the batch grader graded, through nbgrader's own API (``nbgrader.api.Gradebook``),
as ``nbgrader autograde`` would have: the student and the submission are created (with its
timestamp), each test cell gets the points its check earned as its auto-graded score, the
written answers are left for a grader (``needs_manual_grade``; "No response." when the answer
cell is unchanged), and the submitted notebooks and the files beside them are copied to
``COURSE/autograded/``, as autograde copies them, so that formgrader can show them and
``release_feedback`` can hand the feedback back through the exchange. A manual score a TA
already gave is kept. Then formgrader lists every submission with its auto-graded cells scored
and its written answers waiting, and ``nbgrader export`` and ``nbgrader generate_feedback`` give
the combined grades.

Nothing is written unless the gradebook and the records agree: the same assignment, the same
test cells with the same points, records of this grader's checks, each graded by this version of
the grader from the notebooks ``submitted/`` holds now (not before a student handed in again).
Otherwise it says what differs and exits 10. A student the batch grader could not grade is not entered (listed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from autograder.checks import registry
from autograder.exitcodes import ExitCode, Parser
from autograder.paths import ASSIGNMENT


class Disagreement(RuntimeError):
    """The gradebook and the batch grader's records do not describe the same assignment."""


def _points() -> dict[str, tuple[str, float]]:
    """``{grade_id: (notebook, points)}`` of every auto-graded check."""
    return {c.grade_id: (nb, float(c.points)) for nb, spec in registry().items() for c in spec.checks}


def _copy_other_files(source: Path, dest: Path) -> None:
    """What ``nbgrader autograde`` copies besides the notebooks, and skips the same way
    (``CourseDirectory.ignore``): ``timestamp.txt``, and ``submission_secret.txt``, which
    ``release_feedback`` needs to hand the feedback back through the exchange."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import find_all_files

    if not source.is_dir():
        return
    for name in find_all_files(str(source), list(CourseDirectory().ignore) + ["*.ipynb"]):
        target = dest / Path(name).relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(name, target)


def compare(gb, records: dict[str, dict]) -> list[str]:
    """Every way the gradebook and the records disagree (empty when they agree)."""
    from nbgrader.api import MissingEntry

    try:
        assignment = gb.find_assignment(ASSIGNMENT)
    except MissingEntry:
        return [
            f"the gradebook has no assignment {ASSIGNMENT!r}: run `nbgrader generate_assignment {ASSIGNMENT}` first"
        ]
    checks = _points()
    problems, seen = [], set()
    for nb in assignment.notebooks:
        for cell in nb.grade_cells:
            if cell.cell_type != "code":
                continue  # a written answer: graded by hand
            seen.add(cell.name)
            if cell.name not in checks:
                problems.append(f"{nb.name}: test cell {cell.name} has no check in this grader")
            elif checks[cell.name] != (nb.name, float(cell.max_score)):
                problems.append(
                    f"{nb.name}: test cell {cell.name} is worth {cell.max_score:g} points in the gradebook, "
                    f"{checks[cell.name][1]:g} in this grader ({checks[cell.name][0]})"
                )
    problems += [
        f"check {g} ({nb}) has no test cell in the gradebook" for g, (nb, _) in checks.items() if g not in seen
    ]
    for student, record in sorted(records.items()):
        for test in record["results"]["tests"]:
            if test["name"] not in checks:
                problems.append(f"{student}'s record has a check this grader does not know: {test['name']}")
            elif float(test["max_score"]) != checks[test["name"]][1]:
                problems.append(
                    f"{student}'s record gives {test['name']} {test['max_score']:g} points, this grader "
                    f"{checks[test['name']][1]:g}: regrade the class with this grader"
                )
    return problems


def stale(records: dict[str, dict], submitted: Path) -> list[str]:
    """The students whose record was not graded from the notebooks ``submitted`` holds now, by this
    grader (a notebook handed in again after the batch run, or a grader updated since): their
    record's fingerprint is not what the batch grader would compute today."""
    from autograder.batch import fingerprint, grader_version

    version = grader_version()
    return [
        f"{student}'s record was graded from other notebooks than {submitted / student / ASSIGNMENT} holds now, "
        f"or by another version of this grader: run `python -m autograder.batch grade {submitted} --out GRADES` "
        "again (it regrades only what changed)"
        for student, record in sorted(records.items())
        if record.get("fingerprint") != fingerprint(submitted / student / ASSIGNMENT, version)
    ]


def enter(course: Path, records: dict[str, dict], submitted: Path, db_url: str | None = None) -> dict[str, list]:
    """Write the records into the gradebook (see the module docstring); return
    ``{"entered": [...], "skipped": [...]}``. Raises :class:`Disagreement` before writing anything."""
    from nbgrader import utils
    from nbgrader.api import Gradebook

    from autograder.batch import GRADED

    entered, skipped = [], []
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}") as gb:
        problems = compare(gb, records) + stale(records, submitted)
        if problems:
            raise Disagreement(
                f"the gradebook ({course / 'gradebook.db'}) and the records disagree; nothing was written:\n  "
                + "\n  ".join(problems[:20])
                + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
            )
        import nbformat

        for student, record in sorted(records.items()):
            if record["status"] != GRADED:
                skipped.append(student)
                continue
            scores = {t["name"]: float(t["score"]) for t in record["results"]["tests"]}
            gb.update_or_create_student(student)
            extra = {"timestamp": record["timestamp"]} if record.get("timestamp") else {}
            submission = gb.update_or_create_submission(ASSIGNMENT, student, **extra)
            for nb in submission.notebooks:
                handed_in = submitted / student / ASSIGNMENT / f"{nb.name}.ipynb"
                cells = {}
                if handed_in.is_file():
                    try:
                        cells = {
                            c.metadata["nbgrader"]["grade_id"]: c
                            for c in nbformat.read(str(handed_in), as_version=4).cells
                            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                        }
                    except Exception:  # noqa: BLE001 - the record already says why; the scores stand
                        cells = {}
                for grade in nb.grades:
                    if grade.cell.cell_type == "code" and grade.name in scores:
                        grade.auto_score = min(scores[grade.name], float(grade.max_score))
                        grade.needs_manual_grade = grade.manual_score is not None
                    else:
                        grade.auto_score = None  # a written answer
                        grade.needs_manual_grade = True
                for comment in nb.comments:
                    cell = cells.get(comment.name)
                    unchanged = cell is not None and cell.metadata["nbgrader"].get(
                        "checksum"
                    ) == utils.compute_checksum(cell)
                    comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None
                if handed_in.is_file():
                    target = course / "autograded" / student / ASSIGNMENT / handed_in.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(handed_in, target)
            _copy_other_files(submitted / student / ASSIGNMENT, course / "autograded" / student / ASSIGNMENT)
            gb.db.commit()
            entered.append(student)
    return {"entered": entered, "skipped": skipped}


def main(argv=None) -> int:
    ap = Parser(
        prog="python -m autograder.nbgrader.gradebook",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("course", type=Path, help="the nbgrader course folder (gradebook.db, submitted/)")
    ap.add_argument("--records", type=Path, required=True, help="the batch grader's --out folder")
    ap.add_argument("--submitted", type=Path, default=None, help="the notebooks graded (default COURSE/submitted)")
    args = ap.parse_args(argv)
    from autograder.batch import load_records

    if not (args.course / "gradebook.db").is_file():
        ap.error(
            f"{args.course}: expected an nbgrader course folder with gradebook.db "
            f"(run `nbgrader generate_assignment {ASSIGNMENT}` there first)"
        )
    records = load_records(args.records)
    if not records:
        ap.error(f"--records {args.records}: expected the batch grader's --out folder (students/*.json); found none")
    try:
        done = enter(args.course, records, args.submitted or args.course / "submitted")
    except Disagreement as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.NOT_GRADED
    print(
        f"entered {len(done['entered'])} submissions into {args.course / 'gradebook.db'}"
        + (
            f"; not entered (the batch grader could not grade them): {', '.join(done['skipped'])}"
            if done["skipped"]
            else ""
        )
        + ". Written answers wait in formgrader; `nbgrader export` gives the combined grades."
    )
    return ExitCode.NOT_GRADED if done["skipped"] else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())

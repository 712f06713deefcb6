"""Write the class's grades as a CSV that Canvas's gradebook imports (Grades > Import).

    python -m autograder.report.canvas GRADES [--out canvas-grades.csv] [--column "Week 5 ConvNets (551201)"]
    python -m autograder.report.canvas GRADES --gradebook COURSE      # with the written answers
    python -m autograder.report.canvas GRADES --export EXPORT.csv    # names and column from Canvas's export

``GRADES`` is the ``--out`` folder of ``python -m autograder.batch grade``, run on the
``submitted/`` folder that ``nbgrader zip_collect convnets`` made from Canvas's "Download
Submissions" zip (``nbgrader_config.py`` names each student by their Canvas user id, the number
in the downloaded file names).

The layout is the one Canvas exports and imports: the columns ``Student``, ``ID``, ``SIS User ID``,
``SIS Login ID``, ``Section``, then one column per assignment, named as in Canvas's own export
(``Title (assignment id)``: copy it from an export of the course's gradebook so that Canvas
updates that assignment instead of creating one); a second row ``Points Possible``; then one row
per student. Canvas matches rows on ``ID``; the other identifying columns may stay empty.

With ``--export`` (the CSV of the course's gradebook, *Grades > Export*), the identifying columns
are filled from it (a TA reading the CSV sees each student's name, not a user id), the
assignment's column is checked to be one of its columns (a name Canvas does not know would make a
new assignment; without ``--column``, the export's one column named ``Week 5 ConvNets (<id>)`` is
taken), and a student the export does not list is left out and named (Canvas would refuse the row).

Without ``--gradebook`` the score is the auto-graded points of the batch grader's record and
``Points Possible`` the auto-graded total (unless ``--points`` says otherwise). The written answers
are graded in nbgrader's formgrader, after ``python -m autograder.nbgrader.gradebook COURSE
--records GRADES`` has put these scores into ``COURSE/gradebook.db``; with ``--gradebook COURSE``
the score is the submission's total there (the auto-graded cells and the TA's scores of the
written answers, as ``nbgrader export`` adds them) and ``Points Possible`` the assignment's total
(100). A submission with a written answer still ungraded is written with an empty score and
listed, as is a student the batch grader could not grade: Canvas leaves an empty cell's grade as
it was, so a partial total never reaches the gradebook.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

from autograder.checks import max_points
from autograder.exitcodes import ExitCode, Parser
from autograder.messages import printable
from autograder.report.records import GRADED, load_records
from autograder.sandbox.plain import write_atomic

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
DEFAULT_COLUMN = "Week 5 ConvNets"


def auto_scores(records: dict[str, dict]) -> dict[str, float | None]:
    """``{student: auto-graded score}`` from the batch grader's records (``None``: not graded)."""
    return {
        student: float(record["results"]["score"]) if record.get("status") == GRADED else None
        for student, record in records.items()
    }


def gradebook_scores(course: Path, students) -> tuple[dict[str, float | None], float, dict[str, str]]:
    """Each student's total in ``COURSE/gradebook.db`` (nbgrader's API: the auto-graded cells and
    the manual scores of the written answers), the assignment's total, and why a student has no
    total yet (``{student: reason}``: not in the gradebook, or written answers still to grade)."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.paths import ASSIGNMENT

    scores, why = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            total = float(gb.find_assignment(ASSIGNMENT).max_score)
        except MissingEntry:
            raise ValueError(
                f"{course / 'gradebook.db'} has no assignment {ASSIGNMENT!r}: run "
                f"`python -m autograder.nbgrader.gradebook {course} --records GRADES` first"
            ) from None
        for student in students:
            try:
                submission = gb.find_submission(ASSIGNMENT, student)
            except MissingEntry:
                scores[student], why[student] = None, "not in the gradebook"
                continue
            waiting = [g.name for nb in submission.notebooks for g in nb.grades if g.needs_manual_grade]
            if waiting:
                scores[student] = None
                why[student] = f"{len(waiting)} answer(s) to grade in formgrader ({', '.join(waiting[:3])})"
            else:
                scores[student] = float(submission.score)
    return scores, total, why


ASSIGNMENT_COLUMN = re.compile(r".+ \(\d+\)$")  # "Title (assignment id)", as Canvas's export names them


class ExportError(ValueError):
    """A Canvas export that cannot be used: what was expected and what the file holds."""


def read_export(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Canvas's gradebook export: its columns, and ``{ID: {column: value}}`` for each student row
    (the ``Points Possible`` row and rows without an ID left out)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # Canvas writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path} as UTF-8 text ({exc})") from None
    table = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in table[0]] if table else []
    if not {"Student", "ID"} <= set(header):
        raise ExportError(
            f"{path}: expected Canvas's gradebook export (Grades > Export), whose first row starts "
            f"{', '.join(HEADER[:2])}, ...; its first row is {', '.join(header[:6]) or 'empty'}"
        )
    students = {}
    for row in table[1:]:
        entry = dict(zip(header, (cell.strip() for cell in row)))
        if entry.get("ID") and entry.get("Student") != "Points Possible":
            students[entry["ID"]] = entry
    return header, students


def export_column(header: list[str], column: str | None, path: Path) -> str:
    """The assignment's column: ``column`` if the export has it, else the export's one column
    named after the assignment; an :class:`ExportError` that lists the export's assignments otherwise."""
    assignments = [h for h in header if ASSIGNMENT_COLUMN.match(h)]
    if column is not None and column in header:
        return column
    if column is None:
        ours = [h for h in assignments if h.startswith(f"{DEFAULT_COLUMN} (")]
        if len(ours) == 1:
            return ours[0]
    listed = "; ".join(assignments) or "none"
    asked = (
        f"--column {column!r} is not a column of {path}"
        if column
        else f"{path} has no single {DEFAULT_COLUMN!r} column"
    )

    raise ExportError(
        f"{asked} (Canvas would create a new assignment instead of filling this one): pass --column with "
        f"one of its assignment columns, as written there: {listed}"
    )


def rows(
    scores: dict[str, float | None], column: str, points: float, known: dict[str, dict[str, str]] | None = None
) -> list[list[str]]:
    """The CSV's rows: header, ``Points Possible``, one row a student (sorted by id); an empty
    score where ``scores`` has ``None``. With ``known`` (:func:`read_export`'s students), the
    identifying columns come from there, and a student not in it is left out."""
    out = [HEADER + [column], ["Points Possible", "", "", "", "", f"{points:g}"]]
    for student, score in sorted(scores.items()):
        if known is not None and student not in known:
            continue
        ids = [printable(student), printable(student), "", "", ""]
        if known is not None:
            ids = [printable(known[student].get(h, "")) for h in HEADER]
        out.append(ids + ["" if score is None else f"{score:g}"])
    return out


def write(
    scores: dict[str, float | None],
    path: Path,
    column: str = DEFAULT_COLUMN,
    points: float | None = None,
    known: dict[str, dict[str, str]] | None = None,
) -> Path:
    total = max_points()[0] if points is None else points
    with io.StringIO(newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows(scores, column, total, known))
        write_atomic(path, f.getvalue().encode("utf-8"))  # Canvas never gets half a file
    return path


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("grades", type=Path, help="the batch grader's --out folder")
    ap.add_argument("--out", type=Path, default=None, help="default: GRADES/canvas-grades.csv")
    ap.add_argument(
        "--column",
        default=None,
        help=f"the assignment's column, as Canvas's export names it (default: {DEFAULT_COLUMN!r}, or with --export "
        f"its one {DEFAULT_COLUMN!r} column)",
    )
    ap.add_argument(
        "--export",
        type=Path,
        default=None,
        metavar="EXPORT.csv",
        help="Canvas's gradebook export (Grades > Export): names and sections from it, the column checked against it",
    )
    ap.add_argument("--points", type=float, default=None, help="Points Possible (default: the auto-graded total)")
    ap.add_argument(
        "--gradebook",
        type=Path,
        default=None,
        metavar="COURSE",
        help="the nbgrader course whose gradebook.db has these records and the written answers' grades",
    )
    args = ap.parse_args(argv)
    if not (args.grades / "students").is_dir():
        ap.error(f"{args.grades}: expected the --out folder of `python -m autograder.batch grade` (with students/)")
    records = load_records(args.grades)
    if not records:
        ap.error(f"{args.grades}/students/ holds no record: grade the class first")
    scores = auto_scores(records)
    why = {s: "the batch grader could not grade it" for s, v in scores.items() if v is None}
    points = args.points
    if args.gradebook is not None:
        if not (args.gradebook / "gradebook.db").is_file():
            ap.error(f"--gradebook {args.gradebook}: expected an nbgrader course folder with gradebook.db")
        try:
            scores, total, waiting = gradebook_scores(args.gradebook, sorted(records))
        except ValueError as exc:
            ap.error(f"--gradebook: {exc}")
        why = {**waiting, **why}
        points = total if points is None else points
    column, known = args.column or DEFAULT_COLUMN, None
    if args.export is not None:
        try:
            header, known = read_export(args.export)
            column = export_column(header, args.column, args.export)
        except ExportError as exc:
            ap.error(f"--export: {exc}")
    path = write(scores, args.out or args.grades / "canvas-grades.csv", column, points, known)
    left_out = sorted(s for s in scores if known is not None and s not in known)
    for student in left_out:
        print(
            f"left out: {student} is not in {args.export} (Canvas refuses a row whose ID is not one of the course's "
            f"students: check the student's folder name, Canvas's user id, or export the gradebook again)",
            file=sys.stderr,
        )
    for student in sorted(s for s, v in scores.items() if v is None and s not in left_out):
        print(f"empty score (Canvas keeps what it had) for {student}: {why.get(student, '')}", file=sys.stderr)
    written = len(records) - len(left_out)
    print(
        f"wrote {path}: {written} student{'' if written == 1 else 's'}, column {column!r}"
        + (f" ({len(left_out)} left out, above)" if left_out else "")
        + "; import it in Canvas under Grades > Import"
    )
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())

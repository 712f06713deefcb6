"""Write the class's grades as a CSV that Canvas's gradebook imports (Grades > Import).

    python -m autograder.report.canvas GRADES [--out canvas-grades.csv] [--column "Week 5 ConvNets (551201)"]

``GRADES`` is the ``--out`` folder of ``python -m autograder.batch grade``, run on the
``submitted/`` folder that ``nbgrader zip_collect convnets`` made from Canvas's "Download
Submissions" zip (``nbgrader_config.py`` names each student by their Canvas user id, the number
in the downloaded file names).

The layout is the one Canvas exports and imports: the columns ``Student``, ``ID``, ``SIS User ID``,
``SIS Login ID``, ``Section``, then one column per assignment, named as in Canvas's own export
(``Title (assignment id)``: copy it from an export of the course's gradebook so that Canvas
updates that assignment instead of creating one); a second row ``Points Possible``; then one row
per student. Canvas matches rows on ``ID``; the other identifying columns may stay empty.

The score is the auto-graded points of the batch grader's record; the written answers are graded
in nbgrader's formgrader (``python -m autograder.nbgrader.gradebook``), so ``Points Possible`` is the
auto-graded total unless ``--points`` says otherwise. A student the batch grader could not grade
is written with an empty score (Canvas leaves the grade as it was) and listed on stderr.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from autograder.checks import max_points
from autograder.exitcodes import ExitCode, Parser
from autograder.messages import printable
from autograder.report.records import GRADED, load_records

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
DEFAULT_COLUMN = "Week 5 ConvNets"


def rows(records: dict[str, dict], column: str, points: float | None = None) -> list[list[str]]:
    """The CSV's rows: header, ``Points Possible``, one row a student (sorted by id)."""
    total = max_points()[0] if points is None else points
    out = [HEADER + [column], ["Points Possible", "", "", "", "", f"{total:g}"]]
    for student, record in sorted(records.items()):
        graded = record.get("status") == GRADED
        score = f"{float(record['results']['score']):g}" if graded else ""
        out.append([printable(student), printable(student), "", "", "", score])
    return out


def write(records: dict[str, dict], path: Path, column: str = DEFAULT_COLUMN, points: float | None = None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows(records, column, points))
    return path


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("grades", type=Path, help="the batch grader's --out folder")
    ap.add_argument("--out", type=Path, default=None, help="default: GRADES/canvas-grades.csv")
    ap.add_argument("--column", default=DEFAULT_COLUMN, help="the assignment's column, as Canvas's export names it")
    ap.add_argument("--points", type=float, default=None, help="Points Possible (default: the auto-graded total)")
    args = ap.parse_args(argv)
    if not (args.grades / "students").is_dir():
        ap.error(f"{args.grades}: expected the --out folder of `python -m autograder.batch grade` (with students/)")
    records = load_records(args.grades)
    if not records:
        ap.error(f"{args.grades}/students/ holds no record: grade the class first")
    path = write(records, args.out or args.grades / "canvas-grades.csv", args.column, args.points)
    left = sorted(s for s, r in records.items() if r.get("status") != GRADED)
    if left:
        print(f"not graded (empty score, Canvas keeps what it had): {', '.join(left)}", file=sys.stderr)
    print(f"wrote {path}: {len(records)} students; import it in Canvas under Grades > Import")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())

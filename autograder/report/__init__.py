"""Stage 5, the class's outputs: from the students' records to what a TA, a student and CI read.

* :mod:`.records`: what a record says (graded or not, its problems);
* :mod:`.tables`: ``grades.csv``, ``checks.csv``, ``junit.xml``;
* :mod:`.html`: ``report.html`` and ``feedback/<student>.html``;
* :mod:`.canvas`: a Canvas gradebook CSV from ``grades.csv``.

Each student's ``results.json`` (Gradescope's layout) is written by the grading itself
(:meth:`autograder.grading.SubmissionResult.gradescope`); the batch grader saves it beside the record.
"""

from __future__ import annotations

from pathlib import Path

from autograder.exitcodes import ExitCode
from autograder.report.html import write_feedback, write_html
from autograder.report.records import GRADED, NOT_GRADED, problems_of
from autograder.report.tables import CSV_COLUMNS, write_checks_csv, write_csv, write_junit

__all__ = ["GRADED", "NOT_GRADED", "CSV_COLUMNS", "problems_of", "write_outputs"]


def write_outputs(records: dict[str, dict], out: Path, quiet: bool = False) -> int:
    """Write the class outputs; return the exit code (0, 1 or 10: autograder/batch.py's docstring)."""
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

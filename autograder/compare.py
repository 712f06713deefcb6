"""Grade a class folder with both runners and print one score table.

    python -m autograder.compare SUBMITTED_DIR [--jobs N] [--json FILE] [--no-nbgrader]

``SUBMITTED_DIR`` holds ``<student>/convnets/*.ipynb``. Each student is graded by
``pytest autograder --submission <student>/convnets --results-json ...`` (the
command CI runs; ``--jobs`` of them at once) and the whole folder by nbgrader
(:mod:`autograder.nbgrader_runner`). Only the notebooks a student handed in are
compared. Exit status 1 if the runners disagree on any check of any student.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from autograder.core import ASSIGNMENT, REPO, registry
from autograder.nbgrader_runner import notebooks_handed_in


def pytest_runner(folder: Path, results_json: Path) -> tuple[int, dict]:
    """Run the pytest runner on one submission folder; return (exit code, results.json)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "autograder", "--submission", str(folder),
                           "--results-json", str(results_json), "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, capture_output=True, text=True)
    data = json.loads(results_json.read_text()) if results_json.exists() else {}
    return proc.returncode, data


def grade_class_with_pytest(submitted: Path, jobs: int, cost: Callable[[str], float] | None = None
                            ) -> dict[str, dict]:
    """``{student: {"exit": code, "results": results.json}}``, ``jobs`` students at once,
    the costliest first (``cost``: estimated grading time; by default the number of
    notebooks handed in), so that no worker is left grading alone at the end."""
    students = sorted(p.name for p in submitted.iterdir() if (p / ASSIGNMENT).is_dir())
    cost = cost or notebooks_handed_in(submitted)
    students.sort(key=lambda s: -cost(s))
    out_dir = Path(tempfile.mkdtemp(prefix="convnets-results-"))

    def one(student):
        return student, pytest_runner(submitted / student / ASSIGNMENT, out_dir / f"{student}.json")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        graded = {student: {"exit": code, "results": data} for student, (code, data) in pool.map(one, students)}
    return dict(sorted(graded.items()))


def handed_in(submitted: Path, student: str) -> set[str]:
    return {p.stem for p in (submitted / student / ASSIGNMENT).glob("*.ipynb")}


def check_ids(notebooks: set[str]) -> list[str]:
    return [c.grade_id for n, spec in registry().items() if n in notebooks for c in spec.checks]


def compare(submitted: Path, jobs: int, with_nbgrader: bool = True) -> tuple[list[dict], bool]:
    by_pytest = grade_class_with_pytest(submitted, jobs)
    by_nbgrader = {}
    if with_nbgrader:
        from autograder.nbgrader_runner import autograde, scores_by_student
        by_nbgrader = scores_by_student(autograde(submitted, jobs=jobs))
    rows, agree = [], True
    for student, graded in by_pytest.items():
        ids = check_ids(handed_in(submitted, student))
        py = {t["name"]: t["score"] for t in graded["results"].get("tests", [])}
        row = {"student": student, "max": sum(c.points for n in registry().values() for c in n.checks
                                               if c.grade_id in ids),
               "pytest": sum(py.get(i, 0.0) for i in ids), "exit": graded["exit"],
               "failed": [i for i in ids if py.get(i, 0.0) == 0.0]}
        if with_nbgrader:
            nb = by_nbgrader.get(student, {})
            row["nbgrader"] = sum(nb.get(i, 0.0) for i in ids)
            row["disagree"] = [i for i in ids if py.get(i, 0.0) != nb.get(i, 0.0)]
            agree &= not row["disagree"]
        rows.append(row)
    return rows, agree


def print_table(rows: list[dict]) -> None:
    nbg = "nbgrader" in rows[0] if rows else False
    print(f"{'submission':34s} {'pytest':>8s} " + (f"{'nbgrader':>9s} " if nbg else "") + f"{'max':>5s}  failed checks")
    for r in rows:
        mark = "" if not r.get("disagree") else "  DISAGREE: " + ", ".join(r["disagree"])
        print(f"{r['student']:34s} {r['pytest']:8g} " + (f"{r['nbgrader']:9g} " if nbg else "")
              + f"{r['max']:5g}  {', '.join(r['failed']) or '-'}{mark}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submitted", type=Path)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="also write the table as JSON")
    ap.add_argument("--no-nbgrader", action="store_true")
    args = ap.parse_args(argv)
    rows, agree = compare(args.submitted, args.jobs, not args.no_nbgrader)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if not args.no_nbgrader:
        print("both runners agree on every check" if agree else "THE RUNNERS DISAGREE (see above)")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

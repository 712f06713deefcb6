"""The class's tables: ``grades.csv`` (nbgrader export's columns), ``checks.csv`` (each check's
pass rate and named mistakes) and ``junit.xml`` (one test suite per student, for CI)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree as ET

from autograder.checks import max_points, registry
from autograder.messages import printable
from autograder.paths import ASSIGNMENT
from autograder.report.records import GRADED
from autograder.sandbox.plain import write_atomic

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


def write_csv(records: dict[str, dict], path: Path) -> None:
    auto, manual = max_points()
    with io.StringIO(newline="") as f:
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
        write_atomic(path, f.getvalue().encode("utf-8"))  # a grader stopped midway leaves the last whole file


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
    write_atomic(path, ET.tostring(suites, encoding="utf-8", xml_declaration=True))


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
    with io.StringIO(newline="") as f:
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
        write_atomic(path, f.getvalue().encode("utf-8"))

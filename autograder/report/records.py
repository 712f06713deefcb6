"""What a student's record says (the batch grader writes one per student: ``students/<student>.json``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

GRADED, NOT_GRADED = "graded", "could not grade"


def problems_of(record: dict) -> list[str]:
    """The notebook-level problems of a graded record (unreadable or missing notebook, time or
    memory limit, crash): one line each."""
    return list(record["results"].get("extra_data", {}).get("problems", []))


def load_records(out: Path) -> dict[str, dict]:
    records = {}
    for path in sorted((out / "students").glob("*.json")):
        try:
            record = json.loads(path.read_text())
            records[record["student"]] = record
        except (OSError, ValueError, KeyError) as exc:
            print(f"skipping {path}: not a student record ({exc})", file=sys.stderr)
    return records

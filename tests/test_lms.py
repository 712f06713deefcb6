"""An LMS download graded with no renaming: Canvas's "Download Submissions" zip, collected by
``nbgrader zip_collect`` with the project's ``nbgrader_config.py``, graded by the batch grader,
and the grades written as the CSV Canvas's gradebook imports. The Moodle and Blackboard patterns
the config documents are tried the same way."""

from __future__ import annotations

import csv
import re
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import batch
from autograder.assign.build import bin_path, nbgrader_env
from autograder.checks import max_points, registry
from autograder.paths import ASSIGNMENT, REPO
from autograder.report import canvas
from lab import examples as ex

NB = "2_transpose_convolution"
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails and not e.threat)
NB_POINTS = registry()[NB].points
LOST = registry()[NB].points_of(MISTAKE.fails)

# Canvas: <name>[_LATE]_<user id>_<attachment id>_<uploaded name>, "-1" for a file uploaded again.
CANVAS = {
    f"smithjohn_10234_551201_{NB}.ipynb": ("10234", "solution", NB_POINTS),
    f"doejane_LATE_10377_551388_{NB}-1.ipynb": ("10377", "mistake", NB_POINTS - LOST),
    f"leeann_10400_551399_{NB}.ipynb": ("10400", "blank", 0),
}
OTHERS = {  # the patterns nbgrader_config.py documents for Moodle and Blackboard
    "Moodle": {f"Jane Doe_1234567_assignsubmission_file_{NB}.ipynb": "1234567"},
    "Blackboard": {f"Week5_jdoe_attempt_2026-12-01-09-30-00_{NB}.ipynb": "jdoe"},
}


def _notebook(kind: str):
    if kind == "mistake":
        return ex.apply(MISTAKE)
    return {"solution": ex.solution_notebook, "blank": ex.blank_notebook}[kind](NB)


def _course(root: Path) -> Path:
    root.mkdir()
    (root / "source").symlink_to(REPO / "source")
    (root / "release").symlink_to(REPO / "release")
    (root / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    return root


def _zip_collect(course: Path, files: dict[str, object], *extra: str) -> subprocess.CompletedProcess:
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for name, nb in files.items():
            zf.writestr(name, nbformat.writes(nb))
    return subprocess.run(
        [bin_path("nbgrader"), "zip_collect", ASSIGNMENT, *extra],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_canvas_download_is_collected_graded_and_exported_for_canvas(tmp_path):
    course = _course(tmp_path / "course")
    done = _zip_collect(course, {name: _notebook(kind) for name, (_, kind, _) in CANVAS.items()})
    assert done.returncode == 0, done.stderr[-3000:]
    submitted = course / "submitted"
    for _, (student, _, _) in CANVAS.items():
        assert (submitted / student / ASSIGNMENT / f"{NB}.ipynb").is_file(), (student, done.stderr[-3000:])
    assert sorted(p.name for p in submitted.iterdir()) == sorted(s for s, _, _ in CANVAS.values())

    out = tmp_path / "grades"
    records = batch.grade_class(submitted, out, batch.Options(quiet=True))
    for student, _, points in CANVAS.values():
        nb2 = [
            t for t in records[student]["results"]["tests"] if t["name"] in {c.grade_id for c in registry()[NB].checks}
        ]
        assert sum(t["score"] for t in nb2) == points, (student, [(t["name"], t["score"]) for t in nb2])

    assert canvas.main([str(out), "--column", "Week 5 ConvNets (551201)"]) == 0
    text = (out / "canvas-grades.csv").read_text(encoding="utf-8")
    table = list(csv.reader(text.splitlines()))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 5 ConvNets (551201)"]
    auto = max_points()[0]
    assert table[1][0] == "Points Possible" and float(table[1][-1]) == auto
    scores = {row[1]: float(row[-1]) for row in table[2:]}
    assert scores == {student: float(points) for student, _, points in CANVAS.values()}

    # With the course's gradebook export: names and sections from it, its column found, and the
    # student it does not list (here, one who dropped the course) left out and named.
    export = tmp_path / "export.csv"
    _canvas_export(export, {"10234": "Smith, John", "10377": "Doe, Jane"})
    written = tmp_path / "named.csv"
    assert canvas.main([str(out), "--export", str(export), "--out", str(written)]) == 0
    table = list(csv.reader(written.read_text(encoding="utf-8").splitlines()))
    assert table[0][-1] == "Week 5 ConvNets (551201)" and table[1][-1] == f"{auto:g}"
    assert [row[:5] + [float(row[-1])] for row in table[2:]] == [
        ["Smith, John", "10234", "S10234", "smith10234", "Lab 2", float(NB_POINTS)],
        ["Doe, Jane", "10377", "S10377", "doe10377", "Lab 2", float(NB_POINTS - LOST)],
    ]


def _canvas_export(path: Path, students: dict[str, str]) -> Path:
    """A gradebook export as Canvas writes it (Grades > Export): a byte-order mark, the identifying
    columns, the assignments as "Title (id)", the read-only scores; a Points Possible row; the test
    student."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += ["Week 4 CNNs (551100)", "Week 5 ConvNets (551201)", "Current Score", "Final Score"]
    lines = [header, ["    Points Possible", "", "", "", "", "100.00", "100.00", "(read only)", "(read only)"]]
    for user, name in students.items():
        lines.append([name, user, f"S{user}", f"{name.split(',')[0].lower()}{user}", "Lab 2", "80", "", "80", "40"])
    lines.append(["Student, Test", "10999", "", "", "Lab 2", "", "", "", ""])
    text = "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in row) for row in lines) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def _records(out: Path, scores: dict[str, float]) -> Path:
    (out / "students").mkdir(parents=True)
    for student, score in scores.items():
        record = {"student": student, "status": "graded", "results": {"score": score, "tests": []}}
        (out / "students" / f"{student}.json").write_text(__import__("json").dumps(record))
    return out


def test_an_export_without_the_assignments_column_or_not_an_export_is_refused_with_its_columns(tmp_path, capsys):
    out = _records(tmp_path / "grades", {"10234": 80.0})
    export = _canvas_export(tmp_path / "export.csv", {"10234": "Smith, John"})
    with pytest.raises(SystemExit):
        canvas.main([str(out), "--export", str(export), "--column", "Week 5 ConvNets"])
    err = capsys.readouterr().err
    assert "--column 'Week 5 ConvNets' is not a column of" in err and "Canvas would create a new assignment" in err
    assert "Week 4 CNNs (551100); Week 5 ConvNets (551201)" in err and "Current Score" not in err, err
    assert not (out / "canvas-grades.csv").exists()

    other = tmp_path / "grades.csv"
    other.write_text("student_id,raw_score\n10234,80\n")  # nbgrader's export, not Canvas's
    with pytest.raises(SystemExit):
        canvas.main([str(out), "--export", str(other)])
    err = capsys.readouterr().err
    assert "expected Canvas's gradebook export" in err and "its first row is student_id, raw_score" in err, err


def test_a_student_the_export_does_not_list_is_left_out_and_named(tmp_path, capsys):
    out = _records(tmp_path / "grades", {"10234": 80.0, "10500": 70.0})
    export = _canvas_export(tmp_path / "export.csv", {"10234": "Smith, John"})
    assert canvas.main([str(out), "--export", str(export), "--column", "Week 5 ConvNets (551201)"]) == 0
    captured = capsys.readouterr()
    assert "left out: 10500 is not in" in captured.err, captured.err
    assert "1 student, column 'Week 5 ConvNets (551201)'" in captured.out, captured.out
    table = list(csv.reader((out / "canvas-grades.csv").read_text(encoding="utf-8").splitlines()))
    assert [row[:2] for row in table[2:]] == [["Smith, John", "10234"]]


@pytest.mark.parametrize("lms", sorted(OTHERS))
def test_the_config_documents_one_line_for_moodle_and_blackboard(tmp_path, lms):
    """The pattern in nbgrader_config.py's comment for ``lms``, given to zip_collect in place of
    Canvas's, collects that LMS's file names."""
    config = (REPO / "nbgrader_config.py").read_text()
    pattern = re.search(rf"#\s+{lms} .*\n#\s+(r\"\S+\")", config)
    assert pattern, f"nbgrader_config.py documents no pattern for {lms}"
    regexp = eval(pattern.group(1))  # noqa: S307 - a raw string literal from our own config
    course = _course(tmp_path / "course")
    files = {name: ex.blank_notebook(NB) for name in OTHERS[lms]}
    done = _zip_collect(course, files, f"--FileNameCollectorPlugin.named_regexp={regexp}")
    assert done.returncode == 0, done.stderr[-3000:]
    for student in OTHERS[lms].values():
        assert (course / "submitted" / student / ASSIGNMENT / f"{NB}.ipynb").is_file(), done.stderr[-3000:]

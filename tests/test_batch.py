"""The batch grader: shards and their merge, resuming, and the formats of its outputs."""

from __future__ import annotations

import csv
import json
import shutil
from xml.etree import ElementTree as ET

import pytest

from autograder import batch, checks, report
from autograder.checks import registry
from autograder.exitcodes import ExitCode
from autograder.paths import ASSIGNMENT
from autograder.report.records import GRADED, NOT_GRADED, load_records
from lab import examples as ex

NB = "2_transpose_convolution"  # a quick notebook
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails)
GRADESCOPE_TEST_FIELDS = {"name", "score", "max_score", "output", "visibility"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of one mistake and seven submissions that cannot be graded (not JSON, empty,
    binary, nbformat 3, a wrong file name, an empty folder, no convnets/ folder); graded as
    two shards, then merged."""
    root = tmp_path_factory.mktemp("batch")
    submitted = root / "submitted"
    ex.write_examples(submitted, [MISTAKE.name], notebooks=[NB])
    (submitted / "broken" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "broken" / ASSIGNMENT / f"{NB}.ipynb").write_text("{ this is not JSON")
    (submitted / "nofolder").mkdir()
    broken = {
        "empty": b"",
        "nbformat3": json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(),
        "binary": bytes(range(256)) * 4,
    }
    for student, content in broken.items():
        (submitted / student / ASSIGNMENT).mkdir(parents=True)
        (submitted / student / ASSIGNMENT / f"{NB}.ipynb").write_bytes(content)
    (submitted / "wrongname" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(
        submitted / MISTAKE.name / ASSIGNMENT / f"{NB}.ipynb", submitted / "wrongname" / ASSIGNMENT / "hw2.ipynb"
    )
    (submitted / "nothing" / ASSIGNMENT).mkdir(parents=True)
    parts = [root / "shard1", root / "shard2"]
    codes = [
        batch.main(["grade", str(submitted), "--out", str(part), "--shard", f"{k}/2", "--jobs", "2"])
        for k, part in enumerate(parts, 1)
    ]
    merged = root / "merged"
    code = batch.main(["merge", *map(str, parts), "--out", str(merged)])
    return {"submitted": submitted, "parts": parts, "codes": codes, "merged": merged, "code": code}


@pytest.mark.slow
def test_shards_split_the_class_and_merge_back(graded):
    students = sorted(p.name for p in graded["submitted"].iterdir())
    shards = [sorted(load_records(p)) for p in graded["parts"]]
    assert sorted(shards[0] + shards[1]) == students and not set(shards[0]) & set(shards[1])
    assert sorted(load_records(graded["merged"])) == students
    assert graded["code"] == ExitCode.NOT_GRADED == 10, "a submission that could not be graded gives exit code 10"


@pytest.mark.slow
def test_a_mistake_costs_its_checks_and_a_broken_submission_only_itself(graded):
    records = load_records(graded["merged"])
    mistake = records[MISTAKE.name]
    assert mistake["status"] == GRADED
    failed = {t["name"] for t in mistake["results"]["tests"] if t["score"] != t["max_score"]}
    nb_ids = {c.grade_id for c in registry()[NB].checks}
    assert failed & nb_ids == set(MISTAKE.fails)
    for student, why in (
        ("broken", "unreadable notebook"),
        ("nofolder", "no convnets/ folder"),
        ("empty", "unreadable notebook"),
        ("binary", "unreadable notebook"),
        ("nbformat3", "nbformat 3"),
        ("wrongname", "found hw2.ipynb"),
        ("nothing", "no notebook of this assignment"),
    ):
        assert records[student]["status"] == NOT_GRADED and records[student]["results"]["score"] == 0
        assert why in records[student]["results"]["output"]
    report = (graded["merged"] / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2 and "broken" in report and "nofolder" in report


@pytest.mark.slow
def test_results_json_has_the_gradescope_fields(graded):
    for student in ("broken", MISTAKE.name):
        data = json.loads((graded["merged"] / "results" / student / "results.json").read_text())
        assert isinstance(data["score"], (int, float)) and data["tests"]
        for t in data["tests"]:
            assert set(t) >= GRADESCOPE_TEST_FIELDS and t["visibility"] in {
                "visible",
                "hidden",
                "after_due_date",
                "after_published",
            }
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


@pytest.mark.slow
def test_junit_xml_counts_failures_and_errors(graded):
    root = ET.parse(graded["merged"] / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    n = sum(len(spec.checks) for spec in registry().values())
    assert int(suites[MISTAKE.name].get("tests")) == n
    records = load_records(graded["merged"])
    lost = [t for t in records[MISTAKE.name]["results"]["tests"] if t["score"] != t["max_score"]]
    assert int(suites[MISTAKE.name].get("failures")) == len(lost) > 0
    assert int(suites["broken"].get("errors")) == n and suites["broken"].find("testcase/error") is not None


@pytest.mark.slow
def test_csv_rows_match_the_records(graded):
    rows = list(csv.DictReader((graded["merged"] / "grades.csv").open()))
    assert list(rows[0]) == report.CSV_COLUMNS
    records = load_records(graded["merged"])
    assert {r["student_id"]: float(r["raw_score"]) for r in rows} == {
        s: float(r["results"]["score"]) for s, r in records.items()
    }
    assert {float(r["max_score"]) for r in rows} == {sum(checks.max_points())}


@pytest.mark.slow
def test_a_rerun_grades_only_what_changed(graded, capsys):
    out = graded["merged"]
    before = load_records(out)
    batch.main(["grade", str(graded["submitted"]), "--out", str(out)])
    assert "0 to grade" in capsys.readouterr().err
    shutil.copy(
        graded["submitted"] / MISTAKE.name / ASSIGNMENT / f"{NB}.ipynb",
        graded["submitted"] / "broken" / ASSIGNMENT / f"{NB}.ipynb",
    )
    batch.main(["grade", str(graded["submitted"]), "--out", str(out)])
    assert "1 to grade" in capsys.readouterr().err
    after = load_records(out)
    assert after["broken"]["status"] == GRADED
    # the same notebook graded twice: the same scores and the same messages, word for word
    assert after["broken"]["results"]["tests"] == before[MISTAKE.name]["results"]["tests"]
    assert after[MISTAKE.name] == before[MISTAKE.name]


def test_bad_arguments_say_what_was_expected(tmp_path, capsys):
    """Usage errors exit 12 (not 1, which means some checks failed) with what was expected."""
    for call, text in (
        (lambda: batch.parse_shard("2-4"), "expected K/N"),
        (lambda: batch.parse_shard("5/4"), "1 <= K <= N"),
        (lambda: batch.students_of(tmp_path / "missing"), "not a folder"),
        (lambda: batch.merge([tmp_path], tmp_path / "out"), "no students/ folder"),
        (lambda: batch.main(["grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]), "not a folder"),
        (lambda: batch.main(["grade"]), "the following arguments are required"),
        (lambda: batch.main(["grade", str(tmp_path), "--out", "o", "--jobs", "0"]), "received '0'"),
        (lambda: batch.main(["grade", str(tmp_path), "--out", "o", "--jobs", "2.5"]), "a whole number above 0"),
        (lambda: batch.main(["grade", str(tmp_path), "--out", "o", "--time-limit", "-5"]), "above 0, received '-5'"),
        (lambda: batch.main(["grade", str(tmp_path), "--out", "o", "--memory-limit", "nan"]), "received 'nan'"),
    ):
        with pytest.raises(SystemExit) as raised:
            call()
        assert raised.value.code == ExitCode.USAGE == 12 and text in capsys.readouterr().err


def _record(student: str, result) -> dict:
    """The batch grader's record of one graded student whose checks are notebook 2's first (``result``)."""
    return {
        "student": student,
        "fingerprint": "",
        "status": GRADED,
        "timestamp": "",
        "results": result.gradescope(),
        "notebook_of": {"nb2_conv_output_size": NB},
        "seconds": 1,
    }


def test_every_output_stays_valid_whatever_a_student_raises(tmp_path):
    """Control characters, NUL, an escape sequence, a lone surrogate, ']]>' and HTML in a check's
    message and in a student folder's name: junit.xml parses, results.json and grades.csv read
    back, report.html holds no raw control character."""
    nasty = "\x1b[31m bad\x00 \ud800 ]]> <script>alert(1)</script> \x07"
    from autograder.grading import CheckResult, SubmissionResult

    result = SubmissionResult(
        path="x",
        tests=[CheckResult("nb2_conv_output_size", NB, 0.0, 2.0, f"raised {nasty}")],
        problems=[f"problem {nasty}"],
    )
    from autograder.messages import printable

    result.tests = [CheckResult(t.name, t.notebook, t.score, t.max_score, printable(t.output)) for t in result.tests]
    record = _record("s\x01tudent", result)
    records = {record["student"]: record}
    report.write_outputs(records, tmp_path, quiet=True)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert "\\x1b" in ET.tostring(root, encoding="unicode")
    assert list(csv.DictReader((tmp_path / "grades.csv").open()))[0]["raw_score"] == "0.0"
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in html and "\x00" not in html and "\x1b" not in html
    assert json.loads(json.dumps(record["results"]))["tests"][0]["output"].startswith("raised \\x1b")


@pytest.mark.slow
def test_the_report_counts_the_named_mistakes_and_each_student_gets_a_page(graded):
    """report.html and checks.csv count, per check, the mistakes the judges named; every student has
    a feedback page with each check's points and message, and no test code."""
    out = graded["merged"]
    records = load_records(out)
    named = records[MISTAKE.name]["results"]["extra_data"]["mistakes"]
    assert named and set(named) <= set(MISTAKE.fails), named
    rows = {r["check"]: r for r in csv.DictReader((out / "checks.csv").open())}
    for check, mistake in named.items():
        count = sum(r["results"]["extra_data"].get("mistakes", {}).get(check) == mistake for r in records.values())
        assert f"{mistake}: {count}" in rows[check]["mistakes"], rows[check]
        assert mistake in (out / "report.html").read_text()
    for student in records:
        page = (out / "feedback" / f"{report.html._safe_name(student)}.html").read_text()
        assert (
            f"of {checks.max_points()[0]:g} auto-graded points" in page
            and "run_hidden_check" not in page
            and "def judge" not in page
        )
    page = (out / "feedback" / f"{MISTAKE.name}.html").read_text()
    assert all(check in page for check in MISTAKE.fails)


def test_a_table_whose_writing_stops_midway_keeps_its_last_whole_version(tmp_path, monkeypatch):
    """grades.csv, junit.xml and Canvas's CSV are written whole or not at all: when writing stops
    halfway (here an error at the second student; a grader killed, a full disk), the file a TA or
    Canvas reads is the last whole one, and no temporary file is left beside it."""
    from autograder.grading import CheckResult, SubmissionResult
    from autograder.report import canvas, tables

    def record(student: str, score: float) -> dict:
        tests = [CheckResult("nb2_conv_output_size", NB, score, 2.0, "")]
        return _record(student, SubmissionResult(path="x", tests=tests))

    before = {s: record(s, 2.0) for s in ("ada", "bo")}
    writers = {
        "grades.csv": (tables, lambda records, path: tables.write_csv(records, path)),
        "junit.xml": (tables, lambda records, path: tables.write_junit(records, path)),
        "canvas.csv": (canvas, lambda records, path: canvas.write(canvas.auto_scores(records), path)),
    }
    whole = {}
    for name, (_, write) in writers.items():
        write(before, tmp_path / name)
        whole[name] = (tmp_path / name).read_bytes()
        assert b"bo" in whole[name], name
    after = {s: record(s, 0.0) for s in ("ada", "bo")}
    real = tables.printable

    def stops_at_the_second(text):
        if text == "bo":
            raise OSError(28, "No space left on device")
        return real(text)

    for name, (module, write) in writers.items():
        monkeypatch.setattr(module, "printable", stops_at_the_second)
        with pytest.raises(OSError):
            write(after, tmp_path / name)
        monkeypatch.undo()
        assert (tmp_path / name).read_bytes() == whole[name], f"{name}: half a new file replaced the whole old one"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(writers), "a temporary file was left behind"

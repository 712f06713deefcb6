"""The batch grader's scores in nbgrader's real gradebook: entered through nbgrader's API, read
back by ``nbgrader export`` and by formgrader's own HTTP API served on localhost; a gradebook
that disagrees with the records is refused with nothing written."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil

import pytest

from autograder import batch
from autograder.assign.build import nbgrader_env
from autograder.checks import max_points, registry
from autograder.exitcodes import ExitCode
from autograder.nbgrader import gradebook
from autograder.nbgrader.runner import _nbgrader
from autograder.paths import ASSIGNMENT, REPO
from autograder.report.records import GRADED, load_records
from lab import examples as ex
from tests.helpers import formgrader

# nbgrader's own update_or_create_submission warns about its autoflush; nothing of ours
pytestmark = pytest.mark.filterwarnings("ignore:Object of type:Warning")
NB = "2_transpose_convolution"
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails and not e.threat)
WRITTEN = sum(
    float(cell.metadata["nbgrader"]["points"])
    for name in registry()
    for cell in __import__("nbformat").read(str(REPO / "source" / ASSIGNMENT / f"{name}.ipynb"), as_version=4).cells
    if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade")
)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """A course folder after `nbgrader generate_assignment`, three students (the solution, a
    mistake, an unreadable notebook; notebook 2 only) graded by the batch grader."""
    root = tmp_path_factory.mktemp("course")
    (root / "source").symlink_to(REPO / "source")
    shutil.copy(REPO / "nbgrader_config.py", root)
    ex.write_examples(root / "submitted", ["solution", MISTAKE.name], notebooks=[NB])
    (root / "submitted" / "broken" / ASSIGNMENT).mkdir(parents=True)
    (root / "submitted" / "broken" / ASSIGNMENT / f"{NB}.ipynb").write_text("{ not JSON")
    _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    shutil.copy(root / "gradebook.db", root / "fresh.db")
    out = root / "grades"
    assert batch.main(["grade", str(root / "submitted"), "--out", str(out), "--jobs", "2"]) == ExitCode.NOT_GRADED
    return {"root": root, "out": out, "records": load_records(out)}


@pytest.mark.slow
def test_a_gradebook_that_disagrees_is_refused_and_left_as_it_was(course, tmp_path):
    from nbgrader.api import Gradebook, SubmittedAssignment

    db = tmp_path / "gradebook.db"
    shutil.copy(course["root"] / "fresh.db", db)
    with Gradebook(f"sqlite:///{db}") as gb:
        cell = gb.find_grade_cell("nb2_conv_output_size", NB, ASSIGNMENT)
        cell.max_score = 99
        gb.db.commit()
    with pytest.raises(gradebook.Disagreement) as refused:
        gradebook.enter(course["root"], course["records"], course["root"] / "submitted", f"sqlite:///{db}")
    points = registry()[NB].points_of(["nb2_conv_output_size"])
    assert f"nb2_conv_output_size is worth 99 points in the gradebook, {points:g} in this grader" in str(refused.value)
    assert "nothing was written" in str(refused.value)
    with Gradebook(f"sqlite:///{db}") as gb:
        assert gb.db.query(SubmittedAssignment).count() == 0, "a refused gradebook is left as it was"
    other = {s: json.loads(json.dumps(r)) for s, r in course["records"].items()}
    next(iter(other.values()))["results"]["tests"][0]["name"] = "hw4_something_else"
    shutil.copy(course["root"] / "fresh.db", db)
    with pytest.raises(gradebook.Disagreement, match="a check this grader does not know: hw4_something_else"):
        gradebook.enter(course["root"], other, course["root"] / "submitted", f"sqlite:///{db}")
    # the solution hands in again after the batch run: its record no longer describes its notebook
    again = tmp_path / "submitted"
    shutil.copytree(course["root"] / "submitted", again)
    handed_in = again / "solution" / ASSIGNMENT / f"{NB}.ipynb"
    nb = json.loads(handed_in.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "handed-in-again", "metadata": {}, "source": "later"})
    handed_in.write_text(json.dumps(nb))
    with pytest.raises(gradebook.Disagreement) as refused:
        gradebook.enter(course["root"], course["records"], again, f"sqlite:///{db}")
    lines = [line for line in str(refused.value).splitlines() if "graded from other notebooks" in line]
    assert len(lines) == 1 and "solution's record" in lines[0] and "autograder.batch grade" in lines[0], refused.value
    with Gradebook(f"sqlite:///{db}") as gb:
        assert gb.db.query(SubmittedAssignment).count() == 0, "a refused gradebook is left as it was"


def _canvas_with_the_written_answers(root, out, records) -> None:
    """Canvas's import CSV from the gradebook: a student whose written answers are all graded gets
    the total (auto-graded + manual) out of the assignment's 100 points; one with answers still
    waiting, and one the batch grader could not grade, get an empty score and are listed."""
    from nbgrader.api import Gradebook

    from autograder.report import canvas

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        written = 0.0
        for nb in gb.find_submission(ASSIGNMENT, "solution").notebooks:
            for grade in nb.grades:
                if grade.cell.cell_type == "markdown":
                    grade.manual_score = float(grade.max_score) / 2  # as formgrader saves a TA's score
                    grade.needs_manual_grade = False
                    written += grade.manual_score
        gb.db.commit()
    csv_path = root / "canvas.csv"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert canvas.main([str(out), "--gradebook", str(root), "--out", str(csv_path)]) == ExitCode.OK
    table = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert table[1][0] == "Points Possible" and float(table[1][-1]) == max_points()[0] + WRITTEN
    assert max_points()[0] + WRITTEN == 100
    scores = {row[1]: row[-1] for row in table[2:]}
    assert float(scores["solution"]) == pytest.approx(records["solution"]["results"]["score"] + written)
    assert scores[MISTAKE.name] == "" and scores["broken"] == "", scores
    assert f"{MISTAKE.name}: " in err.getvalue() and "to grade in formgrader" in err.getvalue(), err.getvalue()
    assert "broken: the batch grader could not grade it" in err.getvalue(), err.getvalue()


@pytest.mark.slow
def test_batch_scores_reach_formgrader_and_nbgrader_export_with_the_written_answers_waiting(course):
    from nbgrader.api import Gradebook

    root, records = course["root"], course["records"]
    code = gradebook.main([str(root), "--records", str(course["out"])])
    assert code == ExitCode.NOT_GRADED, "the unreadable submission is listed, not entered"
    graded = sorted(s for s, r in records.items() if r["status"] == GRADED)
    assert graded == sorted(["solution", MISTAKE.name])
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in graded:
            scores = {t["name"]: t["score"] for t in records[student]["results"]["tests"]}
            submission = gb.find_submission(ASSIGNMENT, student)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    if grade.cell.cell_type == "code":
                        assert grade.auto_score == scores[grade.name] and not grade.needs_manual_grade
                    else:
                        assert grade.auto_score is None and grade.needs_manual_grade, grade.name
        with pytest.raises(Exception):
            gb.find_submission(ASSIGNMENT, "broken")
        # a TA grades one written answer in formgrader; entering the records again keeps it
        answer = next(
            g for g in gb.find_submission(ASSIGNMENT, "solution").notebooks[1].grades if g.cell.cell_type == "markdown"
        )
        answer.manual_score = float(answer.max_score)
        gb.db.commit()
        manual, manual_nb = float(answer.max_score), answer.notebook.name
    assert gradebook.main([str(root), "--records", str(course["out"])]) == ExitCode.NOT_GRADED
    export = root / "export.csv"
    _nbgrader(root, "export", "--to", str(export))
    rows = {r["student_id"]: r for r in csv.DictReader(export.open())}
    auto_total = max_points()[0]
    for student in graded:
        expected = records[student]["results"]["score"] + (manual if student == "solution" else 0.0)
        assert float(rows[student]["raw_score"]) == pytest.approx(expected), rows[student]
        assert float(rows[student]["max_score"]) == pytest.approx(auto_total + WRITTEN)

    _nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    for student in graded:
        page = (root / "feedback" / student / ASSIGNMENT / f"{NB}.html").read_text()
        got = records[student]["results"]["tests"]
        earned = sum(t["score"] for t in got if t["name"] in {c.grade_id for c in registry()[NB].checks})
        expected = earned + (manual if student == "solution" and manual_nb == NB else 0.0)
        assert f"Score: {expected:.1f} / " in page, (student, expected)  # the notebook's total, at the top

    with formgrader(root, nbgrader_env()) as api:
        listing = api(f"submissions/{ASSIGNMENT}")
    shown = {s["student"]: s for s in listing}
    for student in graded:
        entry = shown[student]
        assert entry["autograded"] and entry["needs_manual_grade"], entry
        expected = records[student]["results"]["score"] + (manual if student == "solution" else 0.0)
        assert entry["score"] == pytest.approx(expected) and entry["max_score"] == pytest.approx(auto_total + WRITTEN)
    _canvas_with_the_written_answers(root, course["out"], records)

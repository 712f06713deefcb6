"""The instructor's nbgrader flow on our notebooks: autograde, generate_feedback, export."""

from __future__ import annotations

import csv

import pytest

from autograder.checks import registry
from lab import examples as ex


@pytest.mark.slow
def test_autograde_feedback_and_export(tmp_path):
    name = list(registry())[1] if len(registry()) > 1 else list(registry())[0]  # a quick notebook
    submitted = tmp_path / "submitted"
    ex.write_examples(submitted, ["solution", "blank"], notebooks=[name])
    from autograder.nbgrader.runner import autograde, scores_by_student

    feedback, export = tmp_path / "feedback", tmp_path / "grades.csv"
    grades = autograde(submitted, feedback=feedback, export=export)
    scores = scores_by_student(grades)
    full = registry()[name].points
    assert sum(scores["solution"].values()) == full and sum(scores["blank"].values()) == 0
    manual = [g for g in grades if g.manual and g.student == "solution" and g.notebook == name]
    assert manual and all(g.auto_score is None for g in manual), "a written answer awaits a grader"
    blank_manual = [g for g in grades if g.manual and g.student == "blank" and g.notebook == name]
    assert blank_manual and all(g.auto_score == 0 for g in blank_manual), "an untouched answer cell scores 0"
    for student in ("solution", "blank"):
        html = feedback / student / "convnets" / f"{name}.html"
        assert html.is_file(), f"no feedback for {student}"
        text = html.read_text()
        assert "references.npz" not in text and "autograder/references" not in text
        # the hidden half of the test cells: neither in the cells nor in the tracebacks' context lines
        assert "run_hidden_check" not in text and "HIDDEN TESTS" not in text
        if student == "blank":
            assert "NotImplementedError" in text, "the feedback shows why the checks failed"
    rows = {r["student_id"]: r for r in csv.DictReader(export.open())}
    assert set(rows) == {"solution", "blank"}
    assert float(rows["blank"]["raw_score"]) == 0
    assert float(rows["solution"]["raw_score"]) == full  # the written answer is not graded yet
    # The batch grader's grades.csv has nbgrader export's columns and the same scores.
    from autograder import batch

    batch.main(["grade", str(submitted), "--out", str(tmp_path / "batch")])
    ours = list(csv.DictReader((tmp_path / "batch" / "grades.csv").open()))
    assert list(ours[0]) == list(next(iter(rows.values()))), "the columns of nbgrader export, in its order"
    for row in ours:
        theirs = rows[row["student_id"]]
        for key in ("assignment", "raw_score", "score", "max_score", "late_submission_penalty"):
            assert _same(row[key], theirs[key]), f"{row['student_id']}/{key}: ours {row[key]}, nbgrader {theirs[key]}"


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def test_shards_balance_their_cost():
    """Every student in exactly one shard; equal costs share out evenly (a real class), and one
    costly submission gets a shard to itself (a round robin would give it three more: 13 against 3)."""
    from autograder.nbgrader.runner import balanced_shards

    students = [f"s{k}" for k in range(7)]
    even = balanced_shards(students, 3, lambda s: 1.0)
    assert sorted(s for shard in even for s in shard) == students and sorted(map(len, even)) == [2, 2, 3]
    cost = {"s0": 10.0, **{s: 1.0 for s in students[1:]}}
    shards = balanced_shards(students, 2, cost.get)
    assert sorted(s for shard in shards for s in shard) == students
    assert sorted(sum(cost[s] for s in shard) for shard in shards) == [6.0, 10.0], shards


def test_damaged_metadata_is_repaired_or_dropped_not_fatal():
    """nbgrader 0.9 stops the whole class on a cell whose metadata's schema version is missing
    or too new (SchemaTooOldError/SchemaTooNewError). DropDamagedMetadata puts the version back
    when that is all that is wrong (the tampered example's two cells keep their ids), and
    drops metadata that is still invalid (points that are not a number)."""
    from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError

    from autograder.nbgrader.preprocessors import DropDamagedMetadata
    from lab.examples import hostile as hs

    example = next(e for e in hs.EXAMPLES if e.name == "nb2_hostile_tampered_tests")
    nb = ex.apply(example)
    garbled = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == hs.KERAS)
    garbled.metadata["nbgrader"]["points"] = "lots"
    damaged = []
    for cell in nb.cells:
        try:
            MetadataValidator().validate_cell(cell)
        except (SchemaTooOldError, SchemaTooNewError) as exc:
            damaged.append((cell.metadata["nbgrader"]["grade_id"], type(exc).__name__))
        except Exception:  # noqa: BLE001 - jsonschema's error for the garbled points
            damaged.append((cell.metadata["nbgrader"]["grade_id"], "invalid"))
    assert sorted(damaged) == sorted(
        [("conv_transpose2d_solution", "SchemaTooNewError"), (hs.ARRAY, "SchemaTooOldError"), (hs.KERAS, "invalid")]
    ), damaged
    nb, _ = DropDamagedMetadata().preprocess(nb, {})
    for cell in nb.cells:
        MetadataValidator().validate_cell(cell)
    ids = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata}
    assert {"conv_transpose2d_solution", hs.ARRAY} <= ids and hs.KERAS not in ids

"""The grader itself: bad input, faults in student code, the process boundary, the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import example_submissions as ex
from autograder.core import REPO, decode, encode, to_plain
from autograder.grading import SubmissionError, SubmissionGrader, find_notebooks, grade_submission
from autograder.sandbox import Limits

NB1 = "1_residual_connections"


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "pytest", "autograder", "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True)


# ----------------------------------------------------------------------------- plain data
def test_only_plain_data_crosses_the_boundary():
    class Liar:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError, match="Liar"):
        encode({"x": Liar()})
    with pytest.raises(TypeError):
        encode({"x": np.array([Liar()], dtype=object)})

    class SneakyInt(int):
        def __eq__(self, other):
            return True

    value = to_plain(SneakyInt(3))
    assert type(value) is int and value == 3 and not value == 4
    roundtrip = decode(encode({"a": np.arange(3.0), "b": True, "c": 7, "d": "text", "e": [1, 2]}))
    assert roundtrip["b"] is True and roundtrip["c"] == 7 and roundtrip["d"] == "text"
    assert roundtrip["a"].dtype == np.float64 and list(roundtrip["e"]) == [1, 2]


def test_decode_refuses_pickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        decode(path)


# ----------------------------------------------------------------------------- reading submissions
def test_unreadable_submissions_are_refused_with_a_reason(tmp_path):
    with pytest.raises(SubmissionError, match="does not exist"):
        find_notebooks(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(SubmissionError, match="not a notebook"):
        find_notebooks(tmp_path / "notes.txt")
    (tmp_path / "homework.ipynb").write_text("{}")
    with pytest.raises(SubmissionError, match="not a notebook of this assignment"):
        find_notebooks(tmp_path / "homework.ipynb")
    broken = tmp_path / f"{NB1}.ipynb"
    broken.write_text("{ this is not json")
    with pytest.raises(SubmissionError, match="unreadable notebook"):
        SubmissionGrader(broken)
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    broken.write_text(json.dumps(v3))
    with pytest.raises(SubmissionError, match="nbformat 3"):
        SubmissionGrader(broken)


def test_cli_exit_codes_and_results_json_for_unreadable(tmp_path):
    results = tmp_path / "results.json"
    proc = run_cli("--submission", str(tmp_path / "missing"), "--results-json", str(results))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot grade this submission" in proc.stdout + proc.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 0 and all(t["score"] == 0 for t in data["tests"]) and data["tests"]
    proc = run_cli()
    assert proc.returncode == 4 and "--submission" in proc.stderr   # pytest's usage error


# ----------------------------------------------------------------------------- faults
def notebook_with(tmp_path: Path, cell: str, old: str, new: str) -> Path:
    example = ex.Example(name="fault", notebook=NB1, cell=cell, edits=((old, new),))
    path = tmp_path / f"{NB1}.ipynb"
    nbformat.write(ex.apply(example), str(path))
    return path


GRAD_CELL = "layer_gradient_norms_solution"
# The grader's check calls layer_gradient_norms with a batch of 16; the notebook's own
# cells use 256 and 32 images, so only the check meets the fault.
ONLY_IN_CHECK = "    if len(x) == 16:\n        {}\n"


@pytest.mark.slow
@pytest.mark.parametrize("fault, expect", [
    ("while True: pass", "time limit"),
    ("import os; os._exit(3)", "exited with code 3"),
    ("import sys; sys.exit(0)", "SystemExit"),
    ("import sys; print('debugging', file=sys.stderr)", "stderr"),
    ("print('x' * (1 << 20) * 80)", "OSError"),
    ("x = bytearray(8 << 30)", "MemoryError"),
])
def test_a_fault_costs_only_the_check_that_meets_it(tmp_path, fault, expect):
    path = notebook_with(tmp_path, GRAD_CELL, "    kernels = [", ONLY_IN_CHECK.format(fault) + "    kernels = [")
    result = grade_submission(path, Limits(check_timeout=10, wall_seconds=240))
    scores = {t.name: t for t in result.tests}
    assert scores["nb1_gradient_norms"].score == 0
    assert expect in scores["nb1_gradient_norms"].output, scores["nb1_gradient_norms"].output
    others = [t for t in result.tests if t.name != "nb1_gradient_norms"]
    assert all(t.score == t.max_score for t in others), [(t.name, t.output) for t in others if t.output]


@pytest.mark.slow
def test_a_hang_in_the_notebook_body_is_stopped_and_reported(tmp_path):
    path = notebook_with(tmp_path, GRAD_CELL, "    kernels = [", "    while True: pass\n    kernels = [")
    result = grade_submission(path, Limits(cell_timeout=5, check_timeout=5, wall_seconds=120))
    scores = {t.name: t for t in result.tests}
    assert scores["nb1_gradient_norms"].score == 0 and "time limit" in scores["nb1_gradient_norms"].output
    assert scores["nb1_needs_projection"].score == scores["nb1_needs_projection"].max_score


@pytest.mark.slow
def test_a_folder_with_one_broken_notebook_grades_the_rest(tmp_path):
    """A broken notebook is reported and scores 0; the others are graded as usual."""
    from autograder.core import registry

    names = list(registry())
    ex.write_examples(tmp_path, ["solution"], notebooks=names[:1])
    folder = tmp_path / "solution" / "convnets"
    if len(names) > 1:
        (folder / f"{names[1]}.ipynb").write_text("not json")
    result = grade_submission(folder)
    by_nb = {}
    for t in result.tests:
        by_nb.setdefault(t.notebook, []).append(t)
    assert all(t.score == t.max_score for t in by_nb[names[0]])
    for name in names[1:]:
        assert all(t.score == 0 for t in by_nb[name])
    if len(names) > 1:
        assert any("unreadable notebook" in p for p in result.problems)


def test_results_json_lists_manual_answers_as_awaiting(tmp_path):
    from autograder.grading import CheckResult, SubmissionResult

    result = SubmissionResult(path="x", tests=[CheckResult("nb1_deep_net", NB1, 5.0, 5.0, "")],
                              manual=[{"name": "nb1_why_shortcut", "notebook": NB1, "max_score": 3}])
    data = result.gradescope()
    assert data["score"] == 5.0 and [t["name"] for t in data["tests"]] == ["nb1_deep_net"]
    assert set(data["tests"][0]) == {"name", "score", "max_score", "output", "visibility"}
    assert "Awaiting a grader" in data["output"] and "nb1_why_shortcut" in data["output"]

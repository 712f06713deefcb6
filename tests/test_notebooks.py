"""The notebooks agree with the grader (ids, points), read well, and run top to bottom."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from autograder.checks import registry
from autograder.paths import RELEASE_DIR, SOURCE_DIR

NAMES = list(registry())


def cells(name, folder=SOURCE_DIR):
    return nbformat.read(str(folder / f"{name}.ipynb"), as_version=4).cells


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("name", NAMES)
def test_test_cells_are_the_checks_with_the_same_points(name):
    spec = registry()[name]
    tests = {
        nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
        for c in cells(name)
        if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    }
    assert tests == {c.grade_id: c.points for c in spec.checks}
    manual = {
        nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
        for c in cells(name)
        if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")
    }
    assert manual == spec.manual


@pytest.mark.parametrize("name", NAMES)
def test_each_test_cell_runs_its_own_hidden_check(name):
    for cell in cells(name):
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            first = cell.source.strip().splitlines()[0]
            assert first.startswith('"""'), (
                f"{meta['grade_id']}: the first line should be a docstring saying what it checks"
            )
            assert f'run_hidden_check("{meta["grade_id"]}", globals())' in cell.source
            assert cell.source.index("### BEGIN HIDDEN TESTS") > 0


@pytest.mark.parametrize("name", NAMES)
def test_part_headings_state_the_points_in_their_cells(name):
    """'## Part X (N points)' equals the points of the graded cells until the next part."""
    parts, current = {}, None
    for cell in cells(name):
        if cell.cell_type == "markdown":
            m = re.search(r"^## (Part \w+) \((\d+) points?\)", cell.source, re.M)
            if m:
                current = m.group(1)
                parts[current] = [int(m.group(2)), 0]
            elif re.search(r"^## Part ", cell.source, re.M):
                current = None
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            assert current is not None, f"{meta['grade_id']} is graded but under no '(N points)' heading"
            parts[current][1] += meta["points"]
    assert parts, f"{name}: no '## Part X (N points)' headings"
    for part, (stated, counted) in parts.items():
        assert stated == counted, f"{name} {part}: heading says {stated} points, its cells carry {counted}"


@pytest.mark.parametrize("name", NAMES)
def test_graded_functions_state_a_shape_contract(name):
    for cell in cells(name):
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    doc = ast.get_docstring(node) or ""
                    assert "Parameters" in doc and "Returns" in doc, f"{name}.{node.name}: docstring without a contract"
                    assert re.search(r"shape|\(N|NHWC|int\b|bool", doc), f"{name}.{node.name}: no shapes or types"


@pytest.mark.parametrize("name", NAMES)
def test_release_stubs_raise_not_implemented(name):
    for cell in cells(name, RELEASE_DIR):
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source


def assert_ran_cleanly(name, nb):
    """No error anywhere, and no stderr in a test cell (nbgrader gives 0 points to a test
    cell that writes to stderr)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{name}: {out.get('ename')}: {out.get('evalue')}"
            if nbgrader_meta(cell).get("grade"):
                assert not (out.output_type == "stream" and out.name == "stderr"), (
                    f"{name}/{nbgrader_meta(cell)['grade_id']} writes to stderr: {out.text[:300]}"
                )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_runs_top_to_bottom_with_silent_test_cells(name, autograded_by_nbgrader):
    """nbgrader's own run of the solution example (a real Jupyter kernel, every cell, the
    hidden tests included), read from the suite's nbgrader grading of the examples."""
    nb = nbformat.read(str(autograded_by_nbgrader / "solution" / "convnets" / f"{name}.ipynb"), as_version=4)
    assert_ran_cleanly(name, nb)


def test_notebooks_avoid_magics_and_downloads():
    """The sandboxed runner executes cells without a kernel; nothing may need the network."""
    for name in NAMES:
        for cell in cells(name):
            if cell.cell_type == "code":
                assert not re.search(r"^\s*[%!]", cell.source, re.M), f"{name}: magic or shell escape"
                assert not re.search(r"get_file|urlopen|requests\.|load_data\(\)", cell.source), f"{name}: download"

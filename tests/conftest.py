"""Shared fixtures: the example class, graded once per session by each runner."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

import example_submissions  # noqa: E402


@pytest.fixture(scope="session")
def example_class(tmp_path_factory) -> Path:
    """Every example submission in nbgrader's layout: <example>/convnets/*.ipynb."""
    out = tmp_path_factory.mktemp("submitted")
    example_submissions.write_examples(out)
    return out


@pytest.fixture(scope="session")
def graded_by_pytest(example_class) -> dict:
    """``{example: {"exit": code, "results": results.json}}`` from `pytest autograder`."""
    from autograder.compare import grade_class_with_pytest

    return grade_class_with_pytest(example_class, jobs=os.cpu_count() or 1)


@pytest.fixture(scope="session")
def graded_by_nbgrader(example_class) -> dict:
    """``{example: {grade_id: auto score}}`` from nbgrader autograde on the same class."""
    from autograder.nbgrader_runner import autograde, scores_by_student

    return scores_by_student(autograde(example_class, jobs=os.cpu_count() or 1))


_SOLUTIONS: dict[str, dict] = {}


def solution_namespace(name: str) -> dict:
    """The namespace of a source notebook after running its code cells (not its test
    cells) in this process, from the release folder so that its imports and data resolve."""
    if name not in _SOLUTIONS:
        import matplotlib

        matplotlib.use("Agg")
        import nbformat

        from autograder.child import is_test_cell
        from autograder.core import RELEASE_DIR, SOURCE_DIR, registry

        spec = registry()[name]
        test_ids = {c.grade_id for c in spec.checks}
        nb = nbformat.read(str(SOURCE_DIR / spec.filename), as_version=4)
        ns: dict = {"__name__": f"solution_{name}"}
        cwd = os.getcwd()
        sys.path.insert(0, str(RELEASE_DIR))
        os.chdir(RELEASE_DIR)
        try:
            for cell in nb.cells:
                if cell.cell_type == "code" and not is_test_cell(cell, test_ids):
                    exec(compile(cell.source, f"<{name}>", "exec"), ns)
        finally:
            os.chdir(cwd)
            sys.path.remove(str(RELEASE_DIR))
        _SOLUTIONS[name] = ns
    return _SOLUTIONS[name]

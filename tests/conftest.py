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

    return grade_class_with_pytest(example_class, jobs=os.cpu_count() or 1,
                                   cost=example_submissions.grading_cost)


def nbgrader_examples() -> list[str]:
    """The examples nbgrader grades in the suite: all but those marked ``nbgrader=False``."""
    return ["solution", "blank"] + [e.name for e in example_submissions.all_examples() if e.nbgrader]


@pytest.fixture(scope="session")
def graded_by_nbgrader(example_class, tmp_path_factory) -> dict:
    """``{example: {grade_id: auto score}}`` from nbgrader autograde on the same
    submissions (those of :func:`nbgrader_examples`)."""
    from autograder.nbgrader_runner import autograde, scores_by_student

    chosen = tmp_path_factory.mktemp("submitted_nbgrader")
    for name in nbgrader_examples():
        (chosen / name).symlink_to(example_class / name, target_is_directory=True)
    keep = tmp_path_factory.getbasetemp() / "nbgrader_course"
    return scores_by_student(autograde(chosen, keep=keep, jobs=os.cpu_count() or 1,
                                       cost=lambda name: example_submissions.grading_cost(name, nbgrader=True)))


@pytest.fixture(scope="session")
def autograded_by_nbgrader(graded_by_nbgrader, tmp_path_factory) -> Path:
    """nbgrader's graded notebooks, with their outputs: ``<example>/convnets/*.ipynb``."""
    return tmp_path_factory.getbasetemp() / "nbgrader_course" / "autograded"


_SOLUTIONS: dict[str, dict] = {}


def solution_namespace(name: str) -> dict:
    """The namespace of a source notebook after running its code cells (not its test
    cells, nor the demo cells that only train and plot) in this process, from the release folder so that its imports and data resolve."""
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
                demo = cell.metadata.get("nbgrader", {}).get("grade_id") in spec.demo_cells
                if cell.cell_type == "code" and not is_test_cell(cell, test_ids) and not demo:
                    exec(compile(cell.source, f"<{name}>", "exec"), ns)
        finally:
            os.chdir(cwd)
            sys.path.remove(str(RELEASE_DIR))
        _SOLUTIONS[name] = ns
    return _SOLUTIONS[name]

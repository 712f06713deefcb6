"""Helpers the tests share (imported as ``tests.helpers``)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import nbformat

from lab import examples


def nbgrader_examples() -> list[str]:
    """The examples nbgrader grades in ``run.sh --full``: all but those it must not be asked to
    grade (``unsafe_for_nbgrader``: nbgrader is not a sandbox)."""
    return ["solution", "blank"] + [e.name for e in examples.all_examples() if not e.unsafe_for_nbgrader]


def write_example(folder: Path, example) -> Path:
    """One example's notebook, written as ``folder/<notebook>.ipynb``."""
    path = Path(folder) / f"{example.notebook}.ipynb"
    nbformat.write(examples.apply(example), str(path))
    return path


def release_utils():
    """The release's ``convnets_utils``, imported under its own name (the notebooks'
    ``from convnets_utils import *``), without putting the release folder on sys.path."""
    if "convnets_utils" not in sys.modules:
        from autograder.paths import RELEASE_DIR

        spec = importlib.util.spec_from_file_location("convnets_utils", RELEASE_DIR / "convnets_utils.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["convnets_utils"] = module
        spec.loader.exec_module(module)
    return sys.modules["convnets_utils"]


_SOLUTIONS: dict[str, dict] = {}


def solution_namespace(name: str) -> dict:
    """The namespace of a source notebook after running its code cells (not its test
    cells, nor the demo cells that only train and plot) in this process, from the release folder so that
    its imports and data resolve."""
    if name not in _SOLUTIONS:
        import matplotlib

        matplotlib.use("Agg")
        import nbformat

        from autograder.checks import registry
        from autograder.paths import RELEASE_DIR, SOURCE_DIR
        from autograder.sandbox.child import is_test_cell

        spec = registry()[name]
        test_ids = {c.grade_id for c in spec.checks}
        nb = nbformat.read(str(SOURCE_DIR / spec.filename), as_version=4)
        ns: dict = {"__name__": f"solution_{name}"}
        release_utils()
        cwd = os.getcwd()
        os.chdir(RELEASE_DIR)
        try:
            for cell in nb.cells:
                demo = cell.metadata.get("nbgrader", {}).get("grade_id") in spec.demo_cells
                if cell.cell_type == "code" and not is_test_cell(cell, test_ids) and not demo:
                    exec(compile(cell.source, f"<{name}>", "exec"), ns)
        finally:
            os.chdir(cwd)
        _SOLUTIONS[name] = ns
    return _SOLUTIONS[name]


def index_reachable() -> bool:
    """Whether the package index (PyPI) answers: the tests that install or resolve need it."""
    import urllib.request

    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).close()
        return True
    except OSError:
        return False

"""release/ is what nbgrader makes of source/, and nothing in it gives an answer away."""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder import build
from autograder.core import REPO, RELEASE_DIR, SOURCE_DIR, registry

LEAK_MARKERS = ["### BEGIN SOLUTION", "### END SOLUTION", "BEGIN HIDDEN TESTS", "run_hidden_check",
                "import autograder", "from autograder", "Model answer"]


@pytest.mark.slow
def test_release_and_text_mirrors_are_regenerated_from_source():
    problems = build.check()
    assert not problems, "run `python -m autograder.build`:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", list(registry()))
def test_release_has_no_solution_or_hidden_test(name):
    text = (RELEASE_DIR / f"{name}.ipynb").read_text()
    for marker in LEAK_MARKERS:
        assert marker not in text, f"release/{name}.ipynb contains {marker!r}"
    source = nbformat.read(str(SOURCE_DIR / f"{name}.ipynb"), as_version=4)
    release_sources = "\n".join(c.source for c in nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4).cells)
    for cell in source.cells:
        lines = cell.source.split("\n")
        for marker_begin, marker_end in (("### BEGIN SOLUTION", "### END SOLUTION"),
                                         ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
            inside = False
            for line in lines:
                if marker_begin in line:
                    inside = True
                elif marker_end in line:
                    inside = False
                elif inside and len(line.strip()) > 12:
                    assert line.strip() not in release_sources, (
                        f"release/{name}.ipynb contains a solution or hidden-test line: {line.strip()!r}")


def test_release_ships_no_reference_outputs_or_grader():
    shipped = {p.relative_to(RELEASE_DIR).as_posix() for p in RELEASE_DIR.rglob("*") if p.is_file()}
    sums = {line.split()[1] for line in (REPO / "data" / "SHA256SUMS").read_text().splitlines()}
    allowed = {f"{n}.ipynb" for n in registry()} | {"convnets_utils.py"} | {f"data/{n}" for n in sums}
    assert shipped <= allowed, f"unexpected files in release/convnets: {sorted(shipped - allowed)}"
    assert not any("references" in s or s.endswith(".py") and s != "convnets_utils.py" for s in shipped)


def test_release_cells_are_clean():
    """No outputs, and nbgrader's checksums on every graded or locked cell."""
    for name in registry():
        nb = json.loads((RELEASE_DIR / f"{name}.ipynb").read_text())
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{name}: a released cell has outputs"
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") or meta.get("locked"):
                assert "checksum" in meta, f"{name}/{meta.get('grade_id')}: no nbgrader checksum"

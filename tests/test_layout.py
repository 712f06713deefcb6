"""The layout: what grades students is one package, the maintainers' lab stays beside it.

The Gradescope bundle and the wheel hold the grader and its references, never the example class,
the hostile submissions, the benchmark or the runner comparison; the grader never imports the
lab; no module is long; the points the README states are the registry's."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile

import pytest

from autograder import gradescope as gs
from autograder.checks import max_points, registry
from autograder.paths import REPO

# What only the lab holds: a module of it (under any name), or code that imports it.
LAB_IMPORT = re.compile(r"^\s*(from lab\b|import lab\b)", re.M)


def _tracked(folder: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def _lab_texts() -> set[str]:
    return {(REPO / rel).read_text() for rel in _tracked("lab") if rel.endswith(".py")}


def _fixtures_in(names_and_texts) -> list[str]:
    lab = _lab_texts()
    return [name for name, text in names_and_texts if name.startswith("lab/") or text in lab or LAB_IMPORT.search(text)]


def test_the_grader_never_imports_the_lab_or_the_tests():
    for rel in _tracked("autograder"):
        if not rel.endswith(".py"):
            continue
        tree = ast.parse((REPO / rel).read_text(), rel)
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            bad = [n for n in names if n.split(".")[0] in ("lab", "tests")]
            assert not bad, f"{rel}:{node.lineno} imports {bad}: the grader must not need the lab or the tests"


def test_the_gradescope_bundle_holds_no_fixture_or_tool():
    members = gs.bundle_members()
    names = [name for _, name in members]
    assert not [n for n in names if n.startswith(("lab/", "tests/"))], "the bundle ships the lab or the tests"
    texts = [(name, path.read_text(errors="replace")) for path, name in members if name.endswith(".py")]
    assert not _fixtures_in(texts), f"fixtures or tools in the bundle: {_fixtures_in(texts)}"
    # Every module of the grader is in it, and the references it compares with.
    grader = {rel for rel in _tracked("autograder") if "__pycache__" not in rel}
    assert grader <= set(names), f"missing from the bundle: {sorted(grader - set(names))}"
    assert {f"autograder/references/{n}.npz" for n in registry()} <= set(names)


def test_the_check_shows_it_would_fail_on_a_fixture():
    """The search finds a lab module moved into the grader, and a grader module that imports the lab
    (so the two tests of the bundle and the wheel can fail)."""
    moved = [("autograder/examples/hostile.py", (REPO / "lab" / "examples" / "hostile.py").read_text())]
    importing = [("autograder/helper.py", "import os\nfrom lab import examples\n")]
    clean = [("autograder/spec.py", (REPO / "autograder" / "spec.py").read_text())]
    assert _fixtures_in(moved + importing + clean) == ["autograder/examples/hostile.py", "autograder/helper.py"]


@pytest.mark.slow
def test_the_wheel_holds_the_grader_and_its_references_and_nothing_of_the_lab(tmp_path):
    """``pip wheel .`` (offline, with the build tools of .venv): the packages pyproject.toml lists."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if ".dist-info/" not in n]
        texts = [(n, zf.read(n).decode("utf-8", "replace")) for n in names if n.endswith(".py")]
    assert names and all(n.startswith("autograder/") for n in names), sorted(set(names))[:20]
    assert not _fixtures_in(texts), f"fixtures or tools in the wheel: {_fixtures_in(texts)}"
    grader = {rel for rel in _tracked("autograder") if rel.endswith((".py", ".npz"))}
    assert grader <= set(names), f"missing from the wheel: {sorted(grader - set(names))}"


def test_no_module_is_over_500_lines():
    long = {
        rel: n
        for rel in _tracked("autograder") + _tracked("lab")
        if rel.endswith(".py") and (n := len((REPO / rel).read_text().splitlines())) > 500
    }
    assert not long, f"modules over 500 lines (split them by stage or part): {long}"


def test_the_folders_of_the_grader_are_its_stages_each_described():
    """Every subpackage has a docstring; the package's docstring names each of them."""
    doc = (REPO / "autograder" / "__init__.py").read_text()
    folders = sorted(p.name for p in (REPO / "autograder").iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == ["assign", "checks", "nbgrader", "references", "report", "sandbox"], folders
    for name in folders:
        assert f"{name}/" in doc, f"autograder/__init__.py does not draw {name}/"
        text = (REPO / "autograder" / name / "__init__.py").read_text()
        assert ast.get_docstring(ast.parse(text)), f"autograder/{name}/__init__.py has no docstring"


def test_the_points_the_readme_and_the_guide_state_are_the_registrys():
    auto, manual = max_points()
    readme = (REPO / "README.md").read_text()
    m = re.search(r"\((\d+) points: (\d+) auto-graded, (\d+) written\)", readme)
    assert m, "README.md: expected '(T points: A auto-graded, W written)'"
    assert (float(m[1]), float(m[2]), float(m[3])) == (auto + manual, auto, manual), (m.group(0), auto, manual)
    guide = (REPO / "source" / "convnets" / "README.md").read_text()
    m = re.search(r"(\d+) points are graded automatically and (\d+) by the course staff: (\d+) in all", guide)
    assert m, "the students' guide: expected 'A points are graded automatically and W by the course staff: T in all'"
    assert (float(m[1]), float(m[2]), float(m[3])) == (auto, manual, auto + manual), (m.group(0), auto, manual)


def test_a_check_is_declared_once_beside_its_collect_and_judge():
    """Each check's declaration comes after its collect and judge in its module, and the modules of a
    notebook declare its checks in the notebook's order (the registry's)."""
    for path in sorted((REPO / "autograder" / "checks").glob("nb[0-9]*_*.py")):
        tree = ast.parse(path.read_text())
        defined: dict[str, int] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = node.lineno
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                call = node.value
                if getattr(call.func, "id", "") != "check":
                    continue
                collect, judge = call.args[3], call.args[4]
                for fn in (collect, judge):
                    assert isinstance(fn, ast.Name) and fn.id in defined, (
                        f"{path.name}:{node.lineno}: {ast.unparse(call.args[0])} is declared before "
                        f"{ast.unparse(fn)} is written"
                    )
        assert "CHECKS = [" not in path.read_text(), f"{path.name}: a CHECKS table instead of declarations"

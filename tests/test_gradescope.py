"""The Gradescope bundle: its layout, what it leaves out, and ``run_autograder`` graded end to end
from the unpacked bundle (not this checkout) on submissions laid out the ways students hand
them in."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import examples as ex
from autograder import gradescope as gs
from autograder.checks import registry
from autograder.paths import REPO

NB = "2_transpose_convolution"
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails and not e.threat)
ALL_CHECKS = [c.grade_id for spec in registry().values() for c in spec.checks]
NB2_CHECKS = [c.grade_id for c in registry()[NB].checks]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gs.build(tmp_path_factory.mktemp("gradescope"))


def test_the_bundle_has_gradescope_layout_and_no_solution(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        scripts = {n: zf.read(n).decode() for n in ("setup.sh", "run_autograder")}
    for script in ("setup.sh", "run_autograder"):
        assert script in names and modes[script] & stat.S_IXUSR, f"{script} must be at the top, executable"
    assert {f"autograder/references/{n}.npz" for n in registry()} <= names
    assert "release/convnets/data/digits.npz" in names and "requirements.txt" in names
    leaks = sorted(n for n in names if n.startswith(("source/", "tests/")) and not n.endswith("convnets_utils.py"))
    assert leaks == [], f"the bundle holds solutions or this repository's tests: {leaks}"
    assert not [n for n in names if "__pycache__" in n]
    for name, text in scripts.items():
        check = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
        assert check.returncode == 0, (name, check.stderr)


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("2_transpose_convolution.ipynb", NB),
        ("2_transpose_convolution (1).ipynb", NB),
        ("2_transpose_convolution (12).ipynb", NB),
        ("Copy of 2_Transpose_Convolution.ipynb", NB),
        ("2_transpose_convolution-2.ipynb", NB),
        ("2 transpose convolution.ipynb", NB),
        ("2_transpose_convolution.py", None),
        ("homework.ipynb", None),
        ("3_transpose_convolution.ipynb", None),
    ],
)
def test_file_names_students_hand_in_are_recognised(filename, expected):
    assert gs.canonical(filename) == expected


def _submission(root: Path, layout: str) -> None:
    sub = root / "submission"
    sub.mkdir(parents=True)
    if layout == "solution zipped, renamed, in folders":
        inner = root / "zipme" / "hw5" / "convnets"
        inner.mkdir(parents=True)
        nbformat.write(ex.solution_notebook(NB), str(inner / f"{NB} (1).ipynb"))
        (inner / ".ipynb_checkpoints").mkdir()
        (inner / ".ipynb_checkpoints" / f"{NB}-checkpoint.ipynb").write_text("{}")
        shutil.make_archive(str(sub / "submission"), "zip", root / "zipme")
    elif layout == "blank":
        nbformat.write(ex.blank_notebook(NB), str(sub / f"{NB}.ipynb"))
    elif layout == "mistake":
        nbformat.write(ex.apply(MISTAKE), str(sub / f"{NB}.ipynb"))
    elif layout == "misnamed":
        nbformat.write(ex.solution_notebook(NB), str(sub / "homework.ipynb"))
    elif layout == "unreadable":
        (sub / f"{NB}.ipynb").write_text("{ this is not JSON")
    elif layout == "empty":
        pass


LAYOUTS = {  # layout: (nb2 checks lost, words in the output)
    "solution zipped, renamed, in folders": (set(), [f"as {NB}.ipynb"]),
    "blank": (set(NB2_CHECKS), []),
    "mistake": (set(MISTAKE.fails), []),
    "misnamed": (set(NB2_CHECKS), ["no notebook of this assignment", "homework.ipynb"]),
    "unreadable": (set(NB2_CHECKS), ["unreadable"]),
    "empty": (set(NB2_CHECKS), ["no notebook of this assignment"]),
}


@pytest.mark.slow
def test_run_autograder_from_the_unpacked_bundle_always_writes_results(bundle, tmp_path):
    """Each layout graded by the bundle's own ``run_autograder`` (Gradescope's root given by
    GRADESCOPE_ROOT), from the unpacked bundle with this checkout's .venv: exit 0, a
    results.json with Gradescope's fields, every check of the assignment listed, and the points
    the submission earns."""
    source = tmp_path / "source"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(source)
    # setup.sh would make .venv/ from the pins (it needs the network); this checkout's is made from them
    (source / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    where = subprocess.run(
        [str(source / ".venv" / "bin" / "python"), "-c", "import autograder; print(autograder.__file__)"],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(source)), f"the grader must come from the bundle: {where.stdout}"
    for k, (layout, (lost, words)) in enumerate(LAYOUTS.items()):
        root = tmp_path / f"root{k}"
        _submission(root, layout)
        done = subprocess.run(
            ["bash", str(source / "run_autograder")],
            cwd=tmp_path,
            env={**os.environ, "GRADESCOPE_ROOT": str(root)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (layout, done.stdout[-2000:], done.stderr[-2000:])
        results = json.loads((root / "results" / "results.json").read_text())
        for key in ("score", "tests", "output", "output_format", "visibility", "stdout_visibility", "execution_time"):
            assert key in results, (layout, key)
        assert [t["name"] for t in results["tests"]] == ALL_CHECKS, layout
        assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9
        failed = {t["name"] for t in results["tests"] if t["name"] in NB2_CHECKS and t["status"] == "failed"}
        assert failed == lost, (layout, failed, results["output"])
        for word in words:
            assert word in results["output"], (layout, word, results["output"])

"""The grader's own data are checked before anyone is graded (autograder/own_data.py).

A shipped file that is not the one the grader was built with (a Git LFS pointer where the clone
did not fetch the file, a file cut short) fails the locked cells that read it: graded anyway, the
solution of notebook 1 with digits.npz a pointer scored 17 of 26, its two lost checks blamed on its
own code (``name 'x_digits' is not defined``). Every command that grades or ships refuses instead,
says which file and what was expected, and writes nothing; Gradescope tells the student it is not
their fault. A reference output that is not there or does not read whole is refused alike."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import own_data
from autograder.exitcodes import ExitCode
from autograder.nbgrader.preprocessors import RequireIntactData
from autograder.paths import REPO
from lab import examples as ex
from tests.helpers import formgrader

NB = "1_residual_connections"
POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:466dcb52c808\nsize 68573\n"


def test_the_shipped_data_are_the_files_the_grader_was_built_with():
    assert own_data.damaged() == [], own_data.damaged()


def test_a_pointer_a_cut_file_and_a_missing_one_are_named_with_what_was_expected(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    files = {"a.npz": b"A" * 100, "b.npz": b"B" * 100, "c.npz": b"C" * 100}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()))
    assert own_data.damaged((folder,), sums) == []
    (folder / "a.npz").write_bytes(POINTER)
    (folder / "b.npz").write_bytes(b"B" * 99)
    (folder / "c.npz").unlink()
    problems = own_data.damaged((folder,), sums)
    assert len(problems) == 3, problems
    a, b, c = problems
    want = {n: hashlib.sha256(d).hexdigest()[:12] for n, d in files.items()}
    assert f"expected sha256 {want['a.npz']}" in a and f"a Git LFS pointer of {len(POINTER)} bytes" in a, a
    assert "git lfs pull" in a, a
    assert f"expected sha256 {want['b.npz']}" in b and "a file of 99 bytes (sha256 " in b, b
    assert "c.npz: missing" in c and want["c.npz"] in c, c
    with pytest.raises(own_data.GraderDataError, match="Nobody was graded.*python -m autograder.own_data"):
        own_data.require_intact(folders=(folder,), sums=sums)


def test_a_reference_file_that_is_a_pointer_cut_short_or_missing_is_named(tmp_path):
    for name in (
        "1_residual_connections.npz",
        "2_transpose_convolution.npz",
        "3_image_to_image.npz",
        "4_visualizing_convnets.npz",
    ):
        shutil.copy2(REPO / "autograder" / "references" / name, tmp_path / name)
    assert own_data.unreadable_references(tmp_path) == []
    (tmp_path / "1_residual_connections.npz").write_bytes(POINTER)
    whole = (tmp_path / "2_transpose_convolution.npz").read_bytes()
    (tmp_path / "2_transpose_convolution.npz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "4_visualizing_convnets.npz").unlink()
    first, second, fourth = own_data.unreadable_references(tmp_path)
    assert "1_residual_connections.npz: cannot be read whole" in first and "Git LFS pointer" in first, first
    assert "2_transpose_convolution.npz: cannot be read whole" in second, second
    assert f"a file of {len(whole) // 2} bytes" in second, second
    assert "4_visualizing_convnets.npz: missing" in fourth, fourth


def _grader_copy(root: Path, damaged: str) -> dict:
    """A copy of the grader whose file ``damaged`` (a path in it) is a Git LFS pointer, with the
    solution of notebook 1 handed in."""
    grader = root / "grader"
    for tree in ("autograder", "data", "release", "source"):
        shutil.copytree(REPO / tree, grader / tree, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", "pyproject.toml", "requirements.txt"):
        shutil.copy2(REPO / name, grader / name)
    (grader / damaged).write_bytes(POINTER)
    submitted = root / "submitted" / "amy" / "convnets"
    submitted.mkdir(parents=True)
    nbformat.write(ex.solution_notebook(NB), str(submitted / f"{NB}.ipynb"))
    env = dict(os.environ, PYTHONPATH=str(grader))  # this copy's grader, not the installed checkout's
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return {"root": root, "grader": grader, "submitted": root / "submitted", "env": env}


@pytest.fixture(scope="module")
def damaged_grader(tmp_path_factory) -> dict:
    """The grader with its release/ copy of digits.npz a Git LFS pointer."""
    return _grader_copy(tmp_path_factory.mktemp("damaged"), "release/convnets/data/digits.npz")


def _run(d: dict, *cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), cwd=cwd or d["grader"], env=d["env"], capture_output=True, text=True, timeout=600)


def _pytest_runner(d: dict, results: Path) -> subprocess.CompletedProcess:
    """``pytest autograder --submission amy/convnets --results-json RESULTS`` with the copy's grader."""
    submission = str(d["submitted"] / "amy" / "convnets")
    pytest_args = [
        "autograder",
        "--submission",
        submission,
        "--results-json",
        str(results),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    return _run(d, sys.executable, "-m", "pytest", *pytest_args)


@pytest.mark.slow
def test_every_command_that_grades_or_ships_refuses_damaged_data_and_writes_nothing(damaged_grader):
    d = damaged_grader
    named = "release/convnets/data/digits.npz: expected sha256 466dcb52c808"

    results = d["root"] / "results.json"
    runner = _pytest_runner(d, results)
    assert runner.returncode == ExitCode.GRADER_DATA == 13, runner.stdout[-2000:] + runner.stderr[-2000:]
    assert named in runner.stdout + runner.stderr and not results.exists()

    out = d["root"] / "grades"
    batch = _run(d, sys.executable, "-m", "autograder.batch", "grade", str(d["submitted"]), "--out", str(out))
    assert batch.returncode == ExitCode.GRADER_DATA, batch.stdout + batch.stderr
    assert named in batch.stderr and "Nobody was graded" in batch.stderr and not out.exists()

    for nbgrader in (["nbgrader"], [sys.executable, "-m", "nbgrader"]):
        course = _run(d, *nbgrader, "autograde", "convnets", "--create", "--force")
        assert course.returncode == ExitCode.GRADER_DATA, course.stdout[-2000:] + course.stderr[-2000:]
        assert named in course.stderr and not (d["grader"] / "autograded").exists(), nbgrader

    bundle = _run(d, sys.executable, "-m", "autograder.gradescope", "build", "--out", str(d["root"] / "gs"))
    assert bundle.returncode == ExitCode.GRADER_DATA and named in bundle.stderr, bundle.stdout + bundle.stderr
    assert not (d["root"] / "gs").exists()

    checked = _run(d, sys.executable, "-m", "autograder.own_data")
    assert checked.returncode == ExitCode.GRADER_DATA and named in checked.stdout, checked.stdout


@pytest.mark.slow
def test_gradescope_tells_the_student_it_is_not_their_fault(damaged_grader):
    d = damaged_grader
    gs = d["root"] / "autograder"
    (gs / "submission").mkdir(parents=True)
    shutil.copy2(d["submitted"] / "amy" / "convnets" / f"{NB}.ipynb", gs / "submission")
    done = _run(d, sys.executable, "-m", "autograder.gradescope", "run", "--root", str(gs))
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((gs / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"], results
    assert "not your submission's fault" in results["output"] and "digits.npz" in results["output"], results["output"]


@pytest.mark.slow
def test_a_damaged_reference_grades_nobody_either(tmp_path):
    d = _grader_copy(tmp_path, "autograder/references/1_residual_connections.npz")
    results = tmp_path / "results.json"
    runner = _pytest_runner(d, results)
    assert runner.returncode == ExitCode.GRADER_DATA, runner.stdout[-2000:] + runner.stderr[-2000:]
    assert "autograder/references/1_residual_connections.npz: cannot be read whole" in runner.stdout + runner.stderr
    assert not results.exists()


@pytest.mark.slow
def test_formgraders_autograde_button_refuses_damaged_data_and_grades_nothing(tmp_path):
    """formgrader runs autograde inside the Jupyter server, which read nbgrader_config.py when it
    started (and a server must start with damaged data, or nobody could restore them): the data
    are checked again before each notebook (RequireIntactData), and the submission is refused."""
    from nbgrader.api import Gradebook

    d = _grader_copy(tmp_path, "data/digits.npz")
    grader, damaged = d["grader"], d["grader"] / "data" / "digits.npz"
    shutil.copy2(REPO / "data" / "digits.npz", damaged)  # intact while the assignment is released
    shutil.move(d["submitted"], grader / "submitted")
    released = _run(d, "nbgrader", "generate_assignment", "convnets", "--force")
    assert released.returncode == 0, released.stderr[-2000:]
    damaged.write_bytes(POINTER)  # then a pointer, as a clone without `git lfs pull` leaves it

    with formgrader(grader, d["env"]) as api:
        reply = api("submission/convnets/amy/autograde", post=True)
        listing = {s["student"]: s for s in api("submissions/convnets")}
    told = reply.get("log", "") + reply.get("error", "")
    assert reply["success"] is False, reply
    assert "data/digits.npz: expected sha256 466dcb52c808" in told, told[-3000:]
    assert RequireIntactData.REFUSED in told, told[-3000:]
    assert not (grader / "autograded" / "amy" / "convnets").exists()  # nbgrader removes a failed submission
    assert not listing.get("amy", {}).get("autograded"), listing.get("amy")
    with Gradebook(f"sqlite:///{grader / 'gradebook.db'}") as gb:
        handed_in = gb.find_submission_notebook(NB, "convnets", "amy")  # the others score 0: not handed in
        scores = {g.name: g.auto_score for g in handed_in.grades}
    assert scores and all(score is None for score in scores.values()), scores

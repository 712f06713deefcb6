"""Shared fixtures: a fresh clone of the repository, the README's main job run in it (quick,
then ``--full``), and the example class as both runners graded it there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.paths import REPO


def _git(*args, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory) -> Path:
    """This checkout as a new clone would have it: every file git tracks or would track (the
    working tree's changes included), in a new repository with one commit. It shares this
    checkout's ``.venv/`` (made from the same pins by ``scripts/venv.sh``), whose stamp says it
    is up to date, so ``run.sh`` goes straight to its work."""
    clone = tmp_path_factory.mktemp("clone") / "repo"
    files = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree
        dst = clone / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    _git("init", "-q", cwd=clone)
    _git("add", "-A", cwd=clone)
    _git("-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-q", "-m", "snapshot", cwd=clone)
    (clone / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    return clone


def run_main_job(clone: Path, *args: str) -> dict:
    """``bash run.sh ARGS`` in ``clone``: exit code, output, last line and ``git status`` after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    proc = subprocess.run(["bash", "run.sh", *args], cwd=clone, capture_output=True, text=True, env=env)
    lines = proc.stdout.strip().splitlines()
    return {
        "args": args,
        "code": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "last": lines[-1] if lines else "",
        "status": _git("status", "--porcelain", cwd=clone),
    }


@pytest.fixture(scope="session")
def main_job(fresh_clone) -> dict:
    """The README's main job on a fresh clone, as written: ``bash run.sh``, then ``bash run.sh
    --full --nbgrader sample`` (the whole example class with the pytest runner, and nbgrader's
    sample of it, read by the tests of the examples below). nbgrader is given the sample, not
    every example, to keep the suite within 15 minutes on 2 cores: see
    ``autograder.examples.nbgrader_sample`` for what it holds and docs/grading.md for why."""
    return {
        "clone": fresh_clone,
        "quick": run_main_job(fresh_clone),
        "full": run_main_job(fresh_clone, "--full", "--nbgrader", "sample"),
    }


@pytest.fixture(scope="session")
def full_scores(main_job) -> dict[str, dict]:
    """``{example: row}`` of ``run.sh --full``'s table (autograder.compare), with each example's
    results.json from the pytest runner and nbgrader's score of each check."""
    path = main_job["clone"] / "build" / "full" / "scores.json"
    assert path.is_file(), f"run.sh --full wrote no {path}:\n{main_job['full']['stdout'][-3000:]}"
    return {row["student"]: row for row in json.loads(path.read_text())["rows"]}


@pytest.fixture(scope="session")
def graded_by_pytest(full_scores) -> dict:
    """``{example: {"exit": code, "results": results.json}}`` from `pytest autograder`."""
    return {name: {"exit": row["exit"], "results": row["results"]} for name, row in full_scores.items()}


@pytest.fixture(scope="session")
def graded_by_nbgrader(full_scores) -> dict:
    """``{example: {grade_id: auto score}}`` from nbgrader autograde on the same submissions
    (the sample: ``autograder.examples.nbgrader_sample``)."""
    return {name: row["nbgrader_scores"] for name, row in full_scores.items() if row.get("nbgrader") is not None}


@pytest.fixture(scope="session")
def autograded_by_nbgrader(main_job, full_scores) -> Path:
    """nbgrader's graded notebooks, with their outputs: ``<example>/convnets/*.ipynb``."""
    return main_job["clone"] / "build" / "full" / "nbgrader" / "autograded"

"""Shared fixtures: a fresh clone of the repository, the README's main job run in it (quick,
then ``--full``), and the example class as both runners graded it there.

The main job is what the slow tests of the example class read, and the suite's longest path
(about 19 minutes alone on 2 cores, 2026-12-06: docs/benchmarks.md). When the collected tests
need it, it starts in the background as soon as they are collected, at a lower priority
(``nice``), and the tests that need it run last: the other tests, many of which leave a core
idle (a process asleep until its time limit, a single kernel, a network lookup), run
meanwhile, and take the CPU first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from autograder.paths import REPO

NEEDS_MAIN_JOB = {"main_job", "fresh_clone"}
_background: dict = {}  # "future": the main job's Future, "procs": what it runs, "root": the clone's folder


def _git(*args, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def make_fresh_clone(root: Path) -> Path:
    """This checkout as a new clone would have it: every file git tracks or would track (the
    working tree's changes included), in a new repository with one commit. It shares this
    checkout's ``.venv/`` (made from the same pins by ``scripts/venv.sh``), whose stamp says it
    is up to date, so ``run.sh`` goes straight to its work."""
    clone = root / "repo"
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


def run_main_job(clone: Path, *args: str, nice: bool = False) -> dict:
    """``bash run.sh ARGS`` in ``clone``: exit code, output, last line and ``git status`` after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    cmd = ["bash", "run.sh", *args]
    if nice and shutil.which("nice"):
        cmd = ["nice", "-n", "10", *cmd]
    proc = subprocess.Popen(
        cmd, cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, process_group=0
    )  # its own process group (to stop it), in pytest's session: with autogroup scheduling, nice counts there
    _background.setdefault("procs", []).append(proc)
    stdout, stderr = proc.communicate()
    lines = stdout.strip().splitlines()
    return {
        "args": args,
        "code": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
        "last": lines[-1] if lines else "",
        "status": _git("status", "--porcelain", cwd=clone),
    }


def the_main_job(clone: Path, nice: bool = False) -> dict:
    """The README's main job on a fresh clone, as written: ``bash run.sh``, then ``bash run.sh
    --full --nbgrader sample`` (the whole example class with the pytest runner, and nbgrader's
    sample of it, read by the tests of the examples below). nbgrader is given the sample, not
    every example, to keep the suite's time down (nbgrader runs every cell of every notebook): see
    ``lab.examples.nbgrader_sample`` for what it holds and docs/grading.md for why."""
    return {
        "clone": clone,
        "quick": run_main_job(clone, nice=nice),
        "full": run_main_job(clone, "--full", "--nbgrader", "sample", nice=nice),
    }


def _start_in_background() -> None:
    root = Path(tempfile.mkdtemp(prefix="convnets-main-job-"))
    clone = make_fresh_clone(root)
    future: Future = Future()
    _background.update(future=future, root=root, clone=clone)

    def run() -> None:
        try:
            future.set_result(the_main_job(clone, nice=True))
        except BaseException as exc:  # noqa: BLE001 - handed to the fixture that waits for it
            future.set_exception(exc)

    threading.Thread(target=run, name="main-job", daemon=True).start()


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect have taken their items out
def pytest_collection_modifyitems(session, config, items):
    needs = [item for item in items if NEEDS_MAIN_JOB & set(getattr(item, "fixturenames", ()))]
    if not needs or config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    _start_in_background()
    waiting = set(map(id, needs))
    items[:] = [item for item in items if id(item) not in waiting] + needs


def pytest_sessionfinish(session, exitstatus):
    """A run stopped early (``-x``, Ctrl-C) stops the main job too, and removes its clone."""
    for proc in _background.get("procs", []):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
    future = _background.get("future")
    if future is not None and future.done():
        shutil.rmtree(_background["root"], ignore_errors=True)


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory) -> Path:
    """The clone the main job runs in (see :func:`make_fresh_clone`)."""
    if "clone" in _background:
        return _background["clone"]
    return make_fresh_clone(tmp_path_factory.mktemp("clone"))


@pytest.fixture(scope="session")
def main_job(fresh_clone) -> dict:
    """The main job's two runs (see :func:`the_main_job`): the background's, waited for."""
    if "future" in _background:
        return _background["future"].result()
    return the_main_job(fresh_clone)


@pytest.fixture(scope="session")
def full_scores(main_job) -> dict[str, dict]:
    """``{example: row}`` of ``run.sh --full``'s table (lab.compare), with each example's
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
    (the sample: ``lab.examples.nbgrader_sample``)."""
    return {name: row["nbgrader_scores"] for name, row in full_scores.items() if row.get("nbgrader") is not None}


@pytest.fixture(scope="session")
def autograded_by_nbgrader(main_job, full_scores) -> Path:
    """nbgrader's graded notebooks, with their outputs: ``<example>/convnets/*.ipynb``."""
    return main_job["clone"] / "build" / "full" / "nbgrader" / "autograded"

"""Helpers the tests share (imported as ``tests.helpers``)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

from lab import examples


def nbgrader_examples() -> list[str]:
    """The examples nbgrader grades in ``run.sh --full``: all but those it must not be asked to
    grade (``unsafe_for_nbgrader``: nbgrader is not a sandbox)."""
    return ["solution", "blank"] + [e.name for e in examples.all_examples() if not e.unsafe_for_nbgrader]


@contextlib.contextmanager
def formgrader(root: Path, env: dict):
    """nbgrader's formgrader as an instructor starts it: ``jupyter server`` in the course folder
    ``root`` (with ``env``), on a free port of localhost. Yields ``api(path, post=False)``, which
    calls formgrader's HTTP API (``/formgrader/api/...``, with the server's token) and returns the
    parsed JSON; the first call waits up to 90 s for the server to answer."""
    from autograder.assign.build import bin_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "convnets-test"
    log = open(root / "formgrader.log", "w")  # a file, not a pipe nobody reads (it would fill and block)
    server = subprocess.Popen(
        [bin_path("jupyter"), "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1"]
        + [f"--IdentityProvider.token={token}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    answered = False

    def api(path: str, post: bool = False):
        nonlocal answered
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/formgrader/api/{path}",
            data=b"" if post else None,
            headers={"Authorization": f"token {token}"},
        )
        deadline = time.monotonic() + (0 if answered else 90)
        while True:
            try:
                reply = json.loads(urllib.request.urlopen(request, timeout=600).read())
                answered = True
                return reply
            except urllib.error.HTTPError:  # the server answered (an OSError too, but not one to wait out)
                raise
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(
                        f"formgrader did not answer: {(root / 'formgrader.log').read_text()[-3000:]}"
                    ) from None
                time.sleep(0.5)

    try:
        yield api
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


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

"""A student's install and run, as the students' guide (release/convnets/README.md) tells it: a
copy of release/convnets/ alone, a fresh virtual environment made by ``python -m venv``,
``pip install -r requirements.txt`` and nothing else (not this repository, not the grader's
venv), then every notebook run top to bottom in a Jupyter kernel of that venv, with the
guide's limit for one cell (``jupyter nbconvert --execute``: what *Restart Kernel and Run All
Cells* does, without a browser). The notebooks are the release's with the solutions written
into the answer cells, so every visible test must pass as well.

It runs twice: with the versions pip picks on this machine (Linux), and with the versions it
picks on a Mac with an Intel processor (TensorFlow 2.16.2 and NumPy 1.26.4, the guide says the
notebooks run the same there): the requirements' markers evaluated as on that Mac, installed here,
since both versions have Linux wheels. What that cannot imitate is the Mac itself (its builds of
TensorFlow and NumPy, macOS's file system and multiprocessing start method); no Mac,
Windows or Colab runtime is reachable from here (Colab's is imitated by
tests/test_student_colab.py). Linux on ARM is run by ``scripts/arm64.sh`` (emulated, the same
steps in a Debian arm64 root file system; not in the suite: about 30 times slower).

The notebooks run with their own demos turned down in their settings cells (``lab.examples.in_a_hurry``), as
their comments allow a slow laptop to; every cell still runs, the visible tests' trainings too.

Slow (each install and its four notebooks: about 80 s alone on 2 cores, 2026-12-06, the install
about 40 s of it); skips, with the reason, where the package index cannot be reached (pip's cache
serves what an earlier install downloaded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.checks import registry
from autograder.paths import RELEASE_DIR
from lab import examples as ex
from tests.helpers import index_reachable
from tests.test_student_install import marker_environment, pins_for

CELL_LIMIT = 300  # the guide's "one cell"
NOTEBOOK_LIMIT = 600  # the guide's "one notebook and its checks together"
# The notebooks' own demos are turned down in their settings cells, as their comments allow a slow
# laptop to and as the example class does (lab.examples.in_a_hurry: nothing graded uses them). Every
# cell still runs, the visible tests' trainings included; the demos at the notebooks' own settings are
# run by the main job, where nbgrader runs the solution's notebooks top to bottom on this machine's versions.


def _guide_steps() -> list[str]:
    """The Linux and macOS commands of the guide's install block, in order."""
    guide = (RELEASE_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*Linux and macOS\*\*.*?```bash\n(.*?)```", guide, re.S)
    assert block, "the students' guide has no Linux and macOS install block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def _clean_env(home: Path, venv: Path) -> dict:
    """A student's shell with the venv activated: no PYTHONPATH, no grader settings, their own
    home (so no kernel or config of this machine's user is found)."""
    keep = {"PATH", "LANG", "LC_ALL", "TZ", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_INDEX_URL"}
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith(("http_", "https_", "HTTP", "no_proxy"))}
    env.update(
        HOME=str(home),
        VIRTUAL_ENV=str(venv),
        PATH=os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        MPLBACKEND="Agg",
    )
    return env


WINDOWS_MAX_PATH = 259  # MAX_PATH, 260, counts the terminating NUL
WINDOWS_SITE = "\\.venv\\Lib\\site-packages\\"  # where a Windows venv puts what pip installs


def _windows_paths_fit(venv: Path) -> None:
    """The guide's Windows path budget, from the files this install holds: a folder path under the
    guide's limit, plus Windows' site-packages, plus the longest installed file's path, fits in
    MAX_PATH. (The file names are Linux's wheels': the longest is a CUDA header of Linux's
    tensorflow, 2026-12-07, which Windows' wheel, built without CUDA, may not hold; so the budget
    errs on the safe side.)"""
    site = next(venv.glob("lib/python3*/site-packages"))
    longest = max((p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()), key=len)
    inside = len(WINDOWS_SITE) + len(longest)
    guide = " ".join((RELEASE_DIR / "README.md").read_text(encoding="utf-8").split())
    said = re.search(r"longest file lies about (\d+) characters inside the folder.*?under (\d+) characters", guide)
    assert said, "the students' guide no longer gives the Windows path budget"
    about, folder = int(said.group(1)), int(said.group(2))
    assert abs(about - inside) <= 10, f"the guide says about {about} characters inside the folder, measured {inside}"
    assert folder + inside <= WINDOWS_MAX_PATH, (
        f"a folder of {folder} characters + {inside} inside it (the longest: {longest}) = {folder + inside}, "
        f"over Windows' {WINDOWS_MAX_PATH}"
    )
    print(f"Windows: the longest path lies {inside} characters inside the folder ({longest})")


# whose versions the install takes: this machine's, or an Intel Mac's (its markers' pins, installed here)
VERSIONS = {"this machine": None, "an Intel Mac": "macOS x86_64"}


def expected_pins(versions: str) -> list[str]:
    """The ``name==version`` lines pip installs from release/convnets/requirements.txt on ``versions``'
    platform (this machine's: the markers as they evaluate here)."""
    target = VERSIONS[versions]
    if target is None:
        from packaging.markers import default_environment

        environment = default_environment()
    else:
        environment = marker_environment(target, ".".join(map(str, sys.version_info[:3])))
    return pins_for(RELEASE_DIR / "requirements.txt", environment)


@pytest.fixture(scope="module", params=list(VERSIONS))
def student(request, tmp_path_factory) -> dict:
    """The release folder copied as a student downloads it, installed by the guide's steps (for an
    Intel Mac's versions, its requirements.txt holds the pins pip takes on that Mac)."""
    root = tmp_path_factory.mktemp("student")
    folder = root / "convnets"
    shutil.copytree(RELEASE_DIR, folder)
    if VERSIONS[request.param] is not None:
        (folder / "requirements.txt").write_text("\n".join(expected_pins(request.param)) + "\n")
    venv, home = folder / ".venv", root / "home"
    home.mkdir()
    env = _clean_env(home, venv)
    steps = _guide_steps()
    assert steps[:4] == [
        "python3 -m venv .venv",
        "source .venv/bin/activate",
        "python -m pip install --upgrade pip",
        "pip install -r requirements.txt",
    ], steps
    started = time.monotonic()
    # python3 is this machine's interpreter the grader runs on (the supported version), by path
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, cwd=folder, timeout=300)
    for cmd in (["python", "-m", "pip", "install", "--upgrade", "pip"], ["pip", "install", "-r", "requirements.txt"]):
        done = subprocess.run(
            [str(venv / "bin" / cmd[0]), *cmd[1:], "--quiet", "--disable-pip-version-check"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, (cmd, done.stderr[-3000:])
    installed = time.monotonic() - started
    return {"folder": folder, "venv": venv, "env": env, "install_s": installed, "versions": request.param}


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="a fresh install needs the package index (PyPI)")
def test_the_release_installs_alone_and_every_notebook_runs_top_to_bottom(student):
    folder, venv, env = student["folder"], student["venv"], student["env"]
    check = subprocess.run([str(venv / "bin" / "pip"), "check"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import json, sys, tensorflow as tf, keras, numpy; "
            "print(json.dumps([sys.prefix, tf.__version__, keras.__version__, numpy.__version__, tf.__file__]))",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert where.returncode == 0, where.stderr[-2000:]
    prefix, tf_version, keras_version, np_version, tf_file = json.loads(where.stdout.strip().splitlines()[-1])
    assert Path(prefix) == venv and Path(tf_file).is_relative_to(venv), (prefix, tf_file)
    pins = expected_pins(student["versions"])
    for name, version in (("tensorflow", tf_version), ("keras", keras_version), ("numpy", np_version)):
        assert f"{name}=={version}" in pins, f"{name} {version} installed, not what requirements.txt pins ({pins})"

    if student["versions"] == "this machine":  # Windows installs these versions too
        _windows_paths_fit(venv)

    names = list(registry())
    for name in names:
        # as a slow laptop may: the training settings cells invite it
        nbformat.write(ex.in_a_hurry(ex.solution_notebook(name), name, strict=True), str(folder / f"{name}.ipynb"))

    run_top_to_bottom(venv, env, folder, names)
    versions = f"{student['versions']}'s versions (TensorFlow {tf_version}, NumPy {np_version})"
    print(f"{versions}: install {student['install_s']:.0f} s")


def execute(venv: Path, env: dict, cwd: Path, path: Path, kernel: str | None = None) -> subprocess.CompletedProcess:
    """``jupyter nbconvert --execute`` of that venv on one notebook, in place, with the guide's limit
    for one cell: what *Restart Kernel and Run All Cells* does, without a browser. ``kernel``
    names a kernel spec other than the notebook's own."""
    command = [str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--inplace"]
    command.append(f"--ExecutePreprocessor.timeout={CELL_LIMIT}")
    if kernel:
        command.append(f"--ExecutePreprocessor.kernel_name={kernel}")

    def once() -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=NOTEBOOK_LIMIT * 2
        )

    done = once()
    if done.returncode != 0 and KERNEL_DIED_AT_START in done.stderr:
        # Two kernels started at the same moment in a fresh home (ports picked, profile and runtime
        # folders made) once lost one of them before it ran a cell, in CI; a student's Jupyter starts
        # one kernel at a time. One more start tells that race from a kernel that cannot start at
        # all, and the first attempt's output (the kernel's own error comes first in it) stays.
        print(f"{path.name}: the kernel died at start; started once more")
        first = done.stderr
        done = once()
        done.stderr = f"{first}\n--- the kernel died at start; the second start printed: ---\n{done.stderr}"
    return done


KERNEL_DIED_AT_START = "Kernel died before replying to kernel_info"


def _shown(stderr: str, room: int = 6000) -> str:
    """A long stderr's head and tail: the kernel's own error comes first, nbconvert's traceback last."""
    if len(stderr) <= room:
        return stderr
    return f"{stderr[: room // 2]}\n[... {len(stderr) - room} characters ...]\n{stderr[-room // 2 :]}"


def errors(nb) -> list[tuple[str, str]]:
    """The errors a run left in a notebook's outputs, as (name, value)."""
    return [
        (o["ename"], o["evalue"])
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def run_top_to_bottom(venv: Path, env: dict, folder: Path, names: list[str], kernel: str | None = None) -> dict:
    """Runs ``folder/<name>.ipynb`` for each name, two at a time (the machine's two cores), each in a
    kernel started in ``folder``; asserts that each ran to its end, every cell, with no error.
    Returns each executed notebook by name."""

    def run(name: str) -> tuple[str, subprocess.CompletedProcess, float]:
        started = time.monotonic()
        done = execute(venv, env, folder, folder / f"{name}.ipynb", kernel)
        return name, done, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, names))
    executed = {}
    for name, done, seconds in results:
        assert done.returncode == 0, (name, _shown(done.stderr))
        nb = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.get("execution_count") for c in code if c.source.strip()), f"{name}: a cell did not run"
        assert not errors(nb), (name, errors(nb))
        print(f"{name}: top to bottom in {seconds:.0f} s (two notebooks at a time on this machine)")
        executed[name] = nb
    return executed

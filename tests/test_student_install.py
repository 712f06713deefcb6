"""Students install from release/convnets/requirements.txt, which ships with the notebooks (the
course repository, with the solutions, stays with the staff). Each platform a student may have
must resolve it, for every Python the README names: pip's dry run with that platform's wheel
tags, only wheels (no build on a laptop), the markers evaluated as on that platform."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from packaging.requirements import Requirement

from autograder.paths import RELEASE_DIR, REPO
from tests.helpers import index_reachable

PYTHONS = ["3.11.9", "3.12.8"]  # what the README names, and tests.yml runs
TARGETS = {
    "Linux x86_64": (
        {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux", "os_name": "posix"},
        ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    ),
    "Linux aarch64": (  # Docker on an Apple Silicon Mac, Windows on ARM's WSL, a Raspberry Pi, ARM servers
        {"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux", "os_name": "posix"},
        ["manylinux_2_28_aarch64", "manylinux_2_27_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    ),
    "macOS arm64": (
        {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin", "os_name": "posix"},
        ["macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"],
    ),
    "macOS x86_64": (
        {"sys_platform": "darwin", "platform_machine": "x86_64", "platform_system": "Darwin", "os_name": "posix"},
        ["macosx_14_0_x86_64", "macosx_12_0_x86_64", "macosx_10_15_x86_64", "macosx_10_9_x86_64"],
    ),
    "Windows x86_64": (
        {"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows", "os_name": "nt"},
        ["win_amd64"],
    ),
}


def pins_for(path, environment: dict) -> list[str]:
    """The requirements of ``path`` whose markers hold in ``environment``."""
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                out.append(f"{requirement.name}{requirement.specifier}")
    return out


def marker_environment(target: str, python: str) -> dict:
    """The values requirement markers are evaluated with on ``target`` under CPython ``python``."""
    return dict(
        TARGETS[target][0],
        python_version=python.rsplit(".", 1)[0],
        python_full_version=python,
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )


def resolve(target: str, python: str, tmp, pins: list[str] | None = None) -> tuple[int, str, dict]:
    """pip's dry run of ``pins`` (the requirements' own where None) for ``target`` and ``python``:
    its exit code, its errors and its report (what it would install)."""
    environment, tags = marker_environment(target, python), TARGETS[target][1]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--target",
        str(tmp / f"{target}-{python}-{'own' if pins is None else len(pins)}"),
        "--report",
        "-",
        *[a for t in tags for a in ("--platform", t)],
        *(pins if pins is not None else pins_for(RELEASE_DIR / "requirements.txt", environment)),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else {}
    return proc.returncode, proc.stderr, report


def test_the_release_ships_its_requirements_with_the_graders_versions():
    """The students' pins are the grader's, where the platform has them."""

    def name(requirement):  # the grader pins TensorFlow's CPU build, the same code as the students'
        return requirement.name.lower().replace("_", "-").replace("tensorflow-cpu", "tensorflow")

    grader = {
        name(Requirement(line)): str(Requirement(line).specifier)
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    students = pins_for(RELEASE_DIR / "requirements.txt", marker_environment("Linux x86_64", "3.11.9"))
    assert students, "release/convnets/requirements.txt is empty"
    for pin in students:
        requirement = Requirement(pin)
        assert grader.get(name(requirement)) == str(requirement.specifier), (pin, grader.get(name(requirement)))


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="resolving for other platforms needs the package index (PyPI)")
def test_students_requirements_resolve_on_every_platform_and_python(tmp_path):
    cases = [(target, python) for target in TARGETS for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(cases, pool.map(lambda case: resolve(*case, tmp_path), cases)))
    failed = {case: err.strip().splitlines()[-1:] for case, (code, err, _) in results.items() if code}
    assert not failed, failed
    for (target, python), (_, _, report) in results.items():
        installed = {i["metadata"]["name"].lower() for i in report["install"]}
        assert {"tensorflow", "keras", "numpy", "matplotlib", "notebook"} <= installed, (target, python, installed)


GRADER_TARGETS = ["Linux x86_64", "Linux aarch64"]  # the grader needs Linux (its sandbox)


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="resolving for other platforms needs the package index (PyPI)")
def test_the_graders_requirements_resolve_on_x86_64_and_arm_linux(tmp_path):
    """The grader's requirements.txt installs from wheels alone on Linux x86_64 and aarch64 (an ARM
    server, Docker on an Apple Silicon Mac: tensorflow-cpu has no ARM wheels, the marker takes
    tensorflow there), for both Pythons, and pins everything it installs; with the data builders'
    requirements-data.txt beside it (installed apart, with its pins' dependencies in requirements.txt)."""
    files = [REPO / "requirements.txt", REPO / "requirements-data.txt"]
    cases = [(target, python) for target in GRADER_TARGETS for python in PYTHONS]

    def run(case):
        target, python = case
        return resolve(target, python, tmp_path, [p for f in files for p in pins_for(f, marker_environment(*case))])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(cases, pool.map(run, cases)))
    failed = {case: err.strip().splitlines()[-1:] for case, (code, err, _) in results.items() if code}
    assert not failed, failed
    for case, (_, _, report) in results.items():
        pinned = {
            Requirement(p).name.lower().replace("_", "-") for f in files for p in pins_for(f, marker_environment(*case))
        }
        installed = {i["metadata"]["name"].lower().replace("_", "-") for i in report["install"]}
        assert installed <= pinned, f"{case}: installs what the requirements do not pin: {sorted(installed - pinned)}"
        tensorflow = "tensorflow" if case[0].endswith("aarch64") else "tensorflow-cpu"
        assert tensorflow in installed, (case, sorted(installed))


# What Colab's runtime warns must not be upgraded under it ("Upgrading ipython, ipykernel, tornado,
# prompt-toolkit or pyzmq can cause your runtime to repeatedly crash"), and the Jupyter around them.
COLAB_RUNTIME = {"ipython", "ipykernel", "tornado", "prompt-toolkit", "pyzmq", "jupyter-client", "jupyter-server"}
COLAB_PYTHONS = ["3.11.9", "3.12.8", "3.13.1"]  # Colab's Python changes with its runtime; TensorFlow 2.21 has all three


def colab_pins() -> list[str]:
    """The pins of the guide's Colab cell (``!pip install -q ...``)."""
    import re

    guide = (RELEASE_DIR / "README.md").read_text(encoding="utf-8")
    cell = re.findall(r"^!pip install -q (.+)$", guide, re.M)
    assert len(cell) == 1, f"the guide should have one Colab install line, not {len(cell)}"
    return cell[0].split()


def test_the_colab_cell_installs_the_requirements_but_jupyter():
    """The guide's Colab cell pins what requirements.txt pins on Linux (Colab's machines), without
    the Jupyter a laptop needs and Colab has of its own."""
    linux = pins_for(RELEASE_DIR / "requirements.txt", marker_environment("Linux x86_64", "3.12.8"))
    jupyter = {"notebook", "ipykernel"}
    expected = [p for p in linux if Requirement(p).name not in jupyter]
    assert colab_pins() == expected, f"the guide's Colab cell: expected {expected}, received {colab_pins()}"
    assert {Requirement(p).name for p in linux} >= jupyter, "requirements.txt no longer pins Jupyter: update this"


@pytest.mark.slow
@pytest.mark.skipif(not index_reachable(), reason="resolving for Colab's Pythons needs the package index (PyPI)")
def test_the_colab_cell_leaves_colabs_own_jupyter_alone(tmp_path):
    """Whatever Colab has installed, its cell cannot replace Colab's kernel: what it installs on a
    clean Linux x86_64 machine (every dependency, ``--ignore-installed``) holds none of them."""
    pins = colab_pins()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(
            zip(COLAB_PYTHONS, pool.map(lambda py: resolve("Linux x86_64", py, tmp_path, pins), COLAB_PYTHONS))
        )
    failed = {python: err.strip().splitlines()[-1:] for python, (code, err, _) in results.items() if code}
    assert not failed, failed
    for python, (_, _, report) in results.items():
        installed = {i["metadata"]["name"].lower().replace("_", "-") for i in report["install"]}
        assert {"tensorflow", "keras", "numpy", "matplotlib"} <= installed, (python, installed)
        assert not installed & COLAB_RUNTIME, f"Python {python}: the cell would replace {installed & COLAB_RUNTIME}"


def test_only_an_intel_mac_gets_other_versions_than_linux():
    """What tests/test_student_run.py runs covers every platform's versions: Linux's (which Apple
    Silicon Macs and Windows share) and an Intel Mac's."""
    by_target = {
        target: pins_for(RELEASE_DIR / "requirements.txt", marker_environment(target, "3.12.8")) for target in TARGETS
    }
    linux = by_target["Linux x86_64"]
    others = {target: pins for target, pins in by_target.items() if pins != linux}
    assert list(others) == ["macOS x86_64"], {target: sorted(set(p) ^ set(linux)) for target, p in others.items()}

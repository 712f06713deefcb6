"""The README's two commands are the ones the scripts and CI run, and every step works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from autograder.paths import REPO


def test_readme_commands_are_the_scripts_and_ci_runs_the_test_command():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Two commands\s+```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash run.sh", "bash test.sh"]
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "exec bash test.sh"


def test_the_main_job_is_python_m_lab_and_every_command_answers_help():
    """run.sh sets up .venv/ and runs `python -m lab` (the main job is a maintainer's tool); it
    and the commands the README names answer --help."""
    script = (REPO / "run.sh").read_text()
    assert "bash scripts/venv.sh" in script and 'exec .venv/bin/python -m lab "$@"' in script
    for module in (
        "lab",
        "lab.cpu_spread",
        "lab.compare",
        "lab.examples",
        "autograder.batch",
        "autograder.assign.references",
        "autograder.assign.build",
        "autograder.nbgrader.runner",
        "lab.bench",
    ):
        proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0 and "usage" in proc.stdout.lower(), f"{module} --help: {proc.stderr[-500:]}"


def test_venv_setup_installs_from_the_pins():
    script = (REPO / "scripts" / "venv.sh").read_text()
    assert "pip install --quiet -r requirements.txt" in script and "-e ." in script
    pins = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins), "every requirement is pinned"
    for name in ("tensorflow-cpu", "keras", "nbgrader", "pytest", "numpy", "matplotlib"):
        assert any(line.lower().replace("_", "-").startswith(name + "==") for line in pins), name
    assert "--no-deps --target .venv/data-sources -r requirements-data.txt" in script
    data = [line for line in (REPO / "requirements-data.txt").read_text().splitlines() if line and line[0] != "#"]
    assert any(line.startswith("scikit-learn==") for line in data) and all("==" in line for line in data)
    assert not {line.split("==")[0] for line in data} & {line.split("==")[0] for line in pins}, "pinned twice"


def test_the_venv_holds_what_the_pins_list_and_keras_finds_no_scikit_learn():
    """scripts/venv.sh leaves in .venv/ only what requirements.txt pins (an older .venv/ had
    scikit-learn there), and keeps the data builders' scikit-learn apart: Keras imports
    scikit-learn whenever it finds it (1.6 s of CPU in every process that imports TensorFlow).
    The data builders still import it (data/builders/__init__.py), and sys.path is as before."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "venv_extras.py")], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.split() == [], f"installed, not pinned: {proc.stdout.split()}"
    probe = (
        "import sys, keras\n"
        "assert 'sklearn' not in sys.modules, 'keras imported scikit-learn'\n"
        "before = list(sys.path)\n"
        "from data.builders import data_source\n"
        "assert data_source('sklearn.datasets').load_digits().images.shape == (1797, 8, 8)\n"
        "assert sys.path == before, sys.path\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr[-1500:]


def test_console_scripts_answer_help():
    """`pip install -e .` (scripts/venv.sh) gives the commands names; each answers --help."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert {"convnets-grade-class", "convnets-build", "convnets-gradescope", "convnets-gradebook"} <= set(scripts)
    assert not [s for s, target in scripts.items() if target.startswith("lab")], "lab/ is not installed"
    for name in scripts:
        path = Path(sys.executable).parent / name
        assert path.exists(), f"{name} is not installed: run bash scripts/venv.sh"
        proc = subprocess.run([str(path), "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage" in proc.stdout.lower(), f"{name} --help: {proc.stderr[-300:]}"

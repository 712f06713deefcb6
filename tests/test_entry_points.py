"""The README's two commands are the ones the scripts and CI run, and every step works."""
from __future__ import annotations

import re
import subprocess
import sys

from autograder.core import REPO


def test_readme_commands_are_the_scripts_and_ci_runs_the_test_command():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Two commands\s+```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash run.sh", "bash test.sh"]
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "exec bash test.sh"


def test_every_step_of_the_main_job_exists():
    """Each `$PY -m module` / `$PY script` line of run.sh answers --help."""
    steps = re.findall(r"^\$PY (-m [\w.]+|[\w/]+\.py)", (REPO / "run.sh").read_text(), re.M)
    assert len(steps) >= 4
    for step in steps:
        proc = subprocess.run([sys.executable, *step.split(), "--help"], cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0, f"{step} --help failed: {proc.stderr[-500:]}"


def test_venv_setup_installs_from_the_pins():
    script = (REPO / "scripts" / "venv.sh").read_text()
    assert "pip install --quiet -r requirements.txt" in script and "-e ." in script
    pins = [l for l in (REPO / "requirements.txt").read_text().splitlines() if l and not l.startswith("#")]
    assert pins and all("==" in l for l in pins), "every requirement is pinned"
    for name in ("tensorflow-cpu", "keras", "nbgrader", "pytest", "numpy", "matplotlib"):
        assert any(l.lower().replace("_", "-").startswith(name + "==") for l in pins), name

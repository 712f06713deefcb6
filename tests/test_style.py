"""The style holds without review: ruff's linter and formatter, configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograder.paths import REPO

RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_finds_nothing_to_lint():
    proc = subprocess.run(
        [str(RUFF), "check", "--output-format", "concise", "."], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_ruff_finds_nothing_to_format():
    proc = subprocess.run([str(RUFF), "format", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_each_notebook_goes_by_one_name():
    """A notebook ``N_topic`` is ``nbN_topic`` in every module of its own (its checks, its
    examples, its solution's tests) and its grade ids start with ``nbN_``: nothing else names it.
    Its checks may continue in ``nbN_topic_<part>.py`` modules, each declaring that notebook."""
    import importlib

    from autograder.checks import registry

    notebooks = list(registry())
    for folder, pattern in (
        ("autograder/checks", "nb{}.py"),
        ("lab/examples", "nb{}.py"),
        ("tests", "test_solution_nb{}.py"),
    ):
        own = sorted(p.name for p in (REPO / folder).glob(pattern.format("[0-9]*")))
        firsts = [
            n for n in own if folder != "autograder/checks" or not any(n.startswith(f"nb{m}_") for m in notebooks)
        ]
        assert firsts == sorted(pattern.format(name) for name in notebooks), (
            f"{folder}: expected one module per notebook named {pattern.format('<notebook>')}, found {own}"
        )
    for path in sorted((REPO / "autograder" / "checks").glob("nb[0-9]*_*.py")):
        module = importlib.import_module(f"autograder.checks.{path.stem}")
        assert path.stem.startswith(f"nb{module.NOTEBOOK}"), f"{path.name} declares checks of {module.NOTEBOOK}"
    for name, spec in registry().items():
        prefix = f"nb{name.split('_')[0]}_"
        assert all(c.grade_id.startswith(prefix) for c in spec.checks), (name, [c.grade_id for c in spec.checks])
        assert all(grade_id.startswith(prefix) for grade_id in spec.manual), (name, list(spec.manual))

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

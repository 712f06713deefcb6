"""The assignment's notebooks, in order, with their auto-graded checks and manual answers.

Every module ``nb<k>_<topic>.py`` in this folder is one notebook: it defines
``NOTEBOOK`` (the file stem), ``CHECKS`` and ``MANUAL`` (grade_id -> points), and
optionally ``DEMO_CELLS`` (locked training/plotting cells the pytest runner skips).
A new notebook adds its module here; nothing else in the grader changes.
"""

import importlib
from pathlib import Path

from autograder.spec import Check, NotebookSpec

_MODULES = [
    importlib.import_module(f"autograder.checks.{p.stem}") for p in sorted(Path(__file__).parent.glob("nb[0-9]*_*.py"))
]

# What a check module reads before the child confines itself (``preload()``), and whether it may
# reuse a stored result for a submission provably equal to the solution (``REUSE``).
PRELOADS = [m.preload for m in _MODULES if hasattr(m, "preload")]


def allow_reuse(allowed: bool) -> None:
    """Reference generation must compute everything: it turns reuse off."""
    for module in _MODULES:
        if hasattr(module, "REUSE"):
            module.REUSE = allowed


NOTEBOOKS = {
    m.NOTEBOOK: NotebookSpec(
        name=m.NOTEBOOK,
        checks=list(m.CHECKS),
        manual=dict(m.MANUAL),
        demo_cells=frozenset(getattr(m, "DEMO_CELLS", ())),
    )
    for m in sorted(_MODULES, key=lambda m: m.NOTEBOOK)
}


def registry() -> dict[str, NotebookSpec]:
    """Every notebook of the assignment with its checks, in assignment order."""
    return NOTEBOOKS


def all_checks() -> dict[str, Check]:
    return {c.grade_id: c for spec in NOTEBOOKS.values() for c in spec.checks}

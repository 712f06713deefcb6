"""The assignment's notebooks, in order, with their auto-graded checks and manual answers.

Every module ``nb<k>_<topic>.py`` in this folder holds checks of one notebook: it defines
``NOTEBOOK`` (the file stem) and ``CHECKS`` (each declared beside its collect and judge:
:func:`autograder.spec.declare`), and, once per notebook, ``GRADING_SECONDS`` (a rough cost, to start the costliest
first), ``MANUAL`` (grade_id -> points) and
optionally ``DEMO_CELLS`` (locked training/plotting cells the pytest runner skips). A notebook
whose checks outgrow one module continues in ``nb<k>_<topic>_<part>.py``: its checks follow
the first module's, in file-name order. A new notebook adds its module here; nothing else in the
grader changes.
"""

import importlib
from pathlib import Path

from autograder.spec import Check, NotebookSpec

_MODULES = [
    importlib.import_module(f"autograder.checks.{p.stem}") for p in sorted(Path(__file__).parent.glob("nb[0-9]*_*.py"))
]

# What a check module reads before the child confines itself (``preload()``).
PRELOADS = [m.preload for m in _MODULES if hasattr(m, "preload")]


def _notebook(modules) -> NotebookSpec:
    """One notebook from its modules, in file-name order: their checks one after the other."""
    return NotebookSpec(
        name=modules[0].NOTEBOOK,
        checks=[c for m in modules for c in m.CHECKS],
        manual={k: v for m in modules for k, v in getattr(m, "MANUAL", {}).items()},
        demo_cells=frozenset(cell for m in modules for cell in getattr(m, "DEMO_CELLS", ())),
        seconds=modules[0].GRADING_SECONDS,
    )


NOTEBOOKS = {
    name: _notebook([m for m in _MODULES if m.NOTEBOOK == name]) for name in sorted({m.NOTEBOOK for m in _MODULES})
}


def registry() -> dict[str, NotebookSpec]:
    """Every notebook of the assignment with its checks, in assignment order."""
    return NOTEBOOKS


def all_checks() -> dict[str, Check]:
    return {c.grade_id: c for spec in NOTEBOOKS.values() for c in spec.checks}


def max_points() -> tuple[float, float]:
    """(auto-graded, graded by hand) points of the whole assignment, summed from the registry."""
    auto = sum(c.points for spec in NOTEBOOKS.values() for c in spec.checks)
    manual = sum(p for spec in NOTEBOOKS.values() for p in spec.manual.values())
    return auto, manual

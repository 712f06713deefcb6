"""The one definition of a graded check (its spec; every notebook's checks: :mod:`autograder.checks`).

A check is written once and run by both runners:

* ``collect(ns) -> dict`` calls the student's functions (found in the notebook's
  namespace ``ns``) on seeded inputs and returns *plain data*: bools, ints,
  floats, strings and numeric arrays. It runs where student code runs: in the
  sandboxed child process (pytest runner) or in the notebook's kernel (nbgrader).
* ``judge(received, expected)`` compares that data with the reference outputs,
  which ``collect`` produced from the source solutions, and raises
  :class:`CheckFailed` with a message that names the mistake. In the pytest
  runner it runs in the grader's own process, which student code never touches.
* ``mistakes()`` (optional) computes, with the grader's own code, the answers
  that typical mistakes give on the same inputs; they are stored with the
  references so that a judge can say *which* mistake it sees.

A check's ``grade_id`` is the nbgrader ``grade_id`` of its test cell, and its
``points`` are that cell's points (``tests/test_notebooks.py`` proves both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


class CheckFailed(AssertionError):
    """A check found a mistake; the message is what the student reads, and ``mistake`` names it
    when the judge recognised a known one (counted across a class in the batch grader's report)."""

    def __init__(self, message: str = "", mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake


class MissingFunction(CheckFailed):
    """The notebook does not define a function the check needs."""


class MissingSetting(CheckFailed):
    """The notebook does not define a setting (a constant) the check needs."""


@dataclass(frozen=True)
class Check:
    grade_id: str
    notebook: str
    points: float
    description: str
    collect: Callable[[dict], dict]
    judge: Callable[[dict, dict], None]
    mistakes: Callable[[], dict] | None = None
    # Seconds the child may spend in collect() before the check is failed.
    time_limit: float = 120.0
    # How many models its collect() may train, each with ``time_limit`` seconds: it asks for each
    # one after the first (autograder.sandbox.clock.another_training). The notebook's process and
    # nbgrader's cell get the extra time too (Limits.wall_for, autograder.nbgrader.cell.timeout).
    trainings: int = 1
    # (rtol, atol) of its value comparisons (a checks.common.Tol), stated in its messages; the
    # visible test of its cell compares with the same (tests/test_checks.py).
    tol: tuple | None = None
    # Runs where the judge runs (never where student code runs): turns what collect()
    # returned (e.g. a retrained model's predictions) into what is judged and stored as
    # references (e.g. its mean IoU), so that a metric is never computed by a process a
    # submission could have patched.
    summary: Callable[[dict], dict] | None = None
    # The reference values that come out of training (``{key: tolerance}``): they differ from CPU
    # to CPU by more than float rounding, so the references are compared on them within the
    # tolerance (measured across CPU settings and seeds: docs/grading.md), and the solution
    # retrained on the machine must pass its own judge (autograder/assign/references.py).
    trained: tuple[tuple[str, float], ...] = ()
    # The keyword options its collect takes (``("reuse",)``: whether a retraining may be skipped for
    # the solution's own choices); the caller passes them to :meth:`collect_with`.
    options: tuple[str, ...] = ()

    def collect_with(self, ns: dict, **options) -> dict:
        """``collect(ns)`` with those of ``options`` this check takes (the others are not its business)."""
        return self.collect(ns, **{k: v for k, v in options.items() if k in self.options})

    def judged(self, values: dict) -> dict:
        return self.summary(values) if self.summary is not None else values


def declare(checks: list[Check], notebook: str) -> Callable[..., Check]:
    """The declarer of a notebook module's checks: ``check = declare(CHECKS, NOTEBOOK)``, then below
    each check's collect and judge, one line with its id, points and options::

        check("nb3_psnr", 2, "psnr", collect_psnr, judge_psnr, tol=PSNR_TOL)

    appends ``Check("nb3_psnr", NOTEBOOK, 2, "psnr", collect_psnr, judge_psnr, tol=PSNR_TOL)`` to
    ``CHECKS`` (so the order of the declarations is the order of the notebook's test cells) and
    returns it."""

    def check(grade_id: str, points: float, description: str, collect, judge, **options) -> Check:
        if any(c.grade_id == grade_id for c in checks):
            raise ValueError(f"{grade_id} is declared twice in {notebook}'s checks")
        made = Check(grade_id, notebook, points, description, collect, judge, **options)
        checks.append(made)
        return made

    return check


@dataclass
class NotebookSpec:
    name: str  # file stem, e.g. "1_residual_connections"
    checks: list[Check] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)  # grade_id -> points
    # grade_ids of locked cells that only train or plot for the student: nothing graded
    # uses them, so the pytest runner does not run them (nbgrader runs every cell).
    demo_cells: frozenset[str] = frozenset()
    # Rough seconds the pytest runner spends grading it on the 2-core CI machine: only to start the
    # costliest first (a wrong figure costs time, never a grade). Notebook 3 retrains two models.
    seconds: float = 10.0

    @property
    def filename(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def points(self) -> float:
        """The notebook's auto-graded points (its checks')."""
        return sum(c.points for c in self.checks)

    def extra_trainings_seconds(self, check_cap: float = float("inf")) -> float:
        """The seconds its checks' trainings after the first may take (Check.trainings), each
        check's time limit capped at ``check_cap``."""
        return sum((c.trainings - 1) * min(c.time_limit, check_cap) for c in self.checks)

    def points_of(self, grade_ids) -> float:
        """The points of those of its checks named in ``grade_ids``."""
        return sum(c.points for c in self.checks if c.grade_id in grade_ids)


def student_function(ns: dict, name: str):
    """The callable ``name`` from a notebook namespace, or a clear MissingFunction."""
    if name not in ns:
        raise MissingFunction(
            f"the notebook does not define `{name}`: run the cell that defines it, "
            f"and keep its name and signature as given."
        )
    obj = ns[name]
    if not callable(obj):
        raise MissingFunction(f"`{name}` should be a function, received a {type(obj).__name__}.")
    return obj


def student_value(ns: dict, name: str):
    """The setting ``name`` (a constant such as an activation) from a notebook namespace."""
    if name not in ns:
        raise MissingSetting(f"the notebook does not define `{name}`: run the cell that sets it.")
    return ns[name]

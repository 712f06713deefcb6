"""The hidden half of each nbgrader test cell: one call that runs the shared check.

    ### BEGIN HIDDEN TESTS
    from autograder.nbgrader.cell import run_hidden_check
    run_hidden_check("nb1_needs_projection", globals())
    ### END HIDDEN TESTS

It runs the check's ``collect`` on the notebook's namespace, passes the result
through the same plain-data encoding as the sandboxed runner, and judges it
against the same references: nbgrader and the pytest runner give a submission
the same points. (Inside nbgrader the student's code and the grader share one
kernel: see the SECURITY section of the README for what that allows.)
"""

from __future__ import annotations

from autograder.checks import all_checks
from autograder.messages import describe_error
from autograder.references import load_references
from autograder.sandbox.plain import decode, encode
from autograder.spec import CheckFailed

CELL_SECONDS = 300  # nbgrader's c.Execute.timeout (nbgrader_config.py), the pytest runner's Limits.cell_timeout


class HiddenCheckFailed(CheckFailed):
    """What a failed hidden test shows: its message, without a traceback into the grader's
    code (IPython renders an exception with ``_render_traceback_`` as the lines it returns)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def run_hidden_check(grade_id: str, namespace: dict) -> None:
    import keras

    check = all_checks()[grade_id]
    keras.utils.set_random_seed(1234)
    try:
        values = decode(encode(check.collect(namespace)))
    except CheckFailed as exc:
        raise HiddenCheckFailed(f"{check.description}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - reported the way the pytest runner reports it
        raise HiddenCheckFailed(f"{check.description}: {describe_error(exc)}") from None
    expected = load_references(check.notebook)[grade_id]
    try:
        check.judge(check.judged(values), expected)
    except AssertionError as exc:
        raise HiddenCheckFailed(f"{check.description}: {exc}") from None


def timeout(cell) -> int:
    """nbgrader's time limit for one cell (``c.Execute.timeout_func`` in nbgrader_config.py): a
    cell's 300 s, or for a hidden test cell whose check may take longer (notebook 3's retrainings),
    the check's own limit for each of its trainings, as the pytest runner allows it."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    check = all_checks().get(grade_id) if cell.get("cell_type") == "code" else None
    if check is None:
        return CELL_SECONDS
    return int(max(CELL_SECONDS, check.time_limit * check.trainings))

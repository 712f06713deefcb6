"""A check's time limit, counted per training.

The child arms one timer for each check (``arm``): its ``time_limit``. A check whose collect()
may train several models (notebook 3's super-resolution retraining trains again from other seeds
when the first stalls) is declared with ``trainings=n`` and calls :func:`another_training` before
each training after the first: the timer then gets ``time_limit`` more seconds, at most ``n - 1``
times. So a hang costs one training's limit, and a slower CPU gets the same allowance for each
training. Outside the child (nbgrader's kernel, reference generation in-process) no timer is armed
and :func:`another_training` does nothing: there nbgrader's per-cell timeout applies
(:func:`autograder.nbgrader.cell.timeout`), which allows every training.
"""

from __future__ import annotations

import signal

_state = {"limit": 0.0, "left": 0, "granted": 0.0}


def arm(limit: float, trainings: int = 1) -> None:
    """Start a check's clock: ``limit`` seconds now, and as many more for each of ``trainings - 1``
    further trainings it asks for."""
    _state.update(limit=float(limit), left=max(int(trainings), 1) - 1, granted=float(limit))
    signal.setitimer(signal.ITIMER_REAL, limit)


def another_training() -> bool:
    """Give the running check another ``limit`` seconds for one more training; False (and nothing
    changed) when no clock is running or its trainings are used up."""
    remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    if remaining <= 0 or _state["left"] <= 0:
        return False
    _state["left"] -= 1
    _state["granted"] += _state["limit"]
    signal.setitimer(signal.ITIMER_REAL, remaining + _state["limit"])
    return True


def granted() -> str:
    """The limit the running check was given, for its time-limit message: ``360 s``, or
    ``1080 s (360 s for each of its 3 trainings)``."""
    limit, total = _state["limit"], _state["granted"]
    if total <= limit:
        return f"{limit:g} s"
    return f"{total:g} s ({limit:g} s for each of its {round(total / limit)} trainings)"


def disarm() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    _state.update(limit=0.0, left=0, granted=0.0)

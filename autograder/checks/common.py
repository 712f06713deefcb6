"""Pieces the checks of every notebook share: seeded inputs, fixed weights, and the one judging
loop ("shape, values, known mistakes") that most checks declare as data.

A check that calls a student's function on a list of cases writes::

    def collect(ns):
        f = student_function(ns, "psnr")
        return collect_cases(lambda case: f(*inputs(case)), CASES)

    def judge(received, expected):
        judge_cases(received, expected, CASES, describe=lambda case: f"psnr(... {case} ...)", tol=TOL,
                    mistakes={"natural_log": "the values are 10 ln(...) instead of 10 log10(...)"})

``collect_cases`` records, for case ``i``, the result as a float array (``case{i}``), its type
(``case{i}_type``) or the exception it raised (``case{i}_error``); ``judge_cases`` fails on the
first case that raised, has the wrong type or shape, or differs from the reference beyond the
check's tolerance, and names the mistake when the received values are those a known mistake
gives (``mistake_case{i}_<name>`` in the references, computed by the check's ``mistakes()``).

``collect`` helpers import TensorFlow lazily: the grader's own process only judges plain data.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from autograder.messages import describe_error, utils
from autograder.paths import REPO, SHIPPED_DATA
from autograder.spec import CheckFailed


def shipped(name: str) -> Path:
    """A shipped data file, from the grader's copy (``release/convnets/data``, then ``data/``):
    never the ``./data`` next to a submission, which its code could have changed."""
    for folder in (SHIPPED_DATA, REPO / "data"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} not found in {SHIPPED_DATA} or {REPO / 'data'}")


def rng(*key) -> np.random.Generator:
    """A generator seeded by ``key`` (stable across runs, machines and Python versions)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def fill_weights_by_shape(model, zero=lambda shape: False) -> None:
    """Give every weight of ``model`` a value that depends only on its shape.

    Two weights of the same shape get the same values, so the result does not
    depend on the order in which a student's code created its layers (a block
    written as a class or as a function gives the same numbers). ``zero(shape)``
    says which weights to set to 0 instead.
    """
    for w in model.weights:
        shape = tuple(int(d) for d in w.shape)
        if zero(shape):
            value = np.zeros(shape)
        elif len(shape) == 1:
            value = rng("bias", shape).normal(0.0, 0.1, shape)
        else:
            fan_in = int(np.prod(shape[:-1]))
            value = rng("kernel", shape).normal(0.0, np.sqrt(2.0 / fan_in), shape)
        w.assign(value.astype(np.float32))


def call_recording(fn, values: dict, key: str):
    """Call ``fn()``; on an exception record ``<key>_error`` in ``values`` and return None."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the student's exception is the finding
        values[f"{key}_error"] = describe_error(exc)
        return None


def fail(message: str, mistake: str | None = None):
    """Fail the check with ``message``; ``mistake`` names a known mistake (a short phrase)."""
    raise CheckFailed(message, mistake)


class Tol(NamedTuple):
    """A check's tolerance, as ``numpy.isclose`` reads it; stated in its messages."""

    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"

    def close(self, received, expected) -> bool:
        return close(received, expected, self.rtol, self.atol)


def close(received, expected, rtol: float, atol: float) -> bool:
    received = np.asarray(received, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return received.shape == expected.shape and bool(np.allclose(received, expected, rtol=rtol, atol=atol))


def expect_close(received, expected, what, rtol, atol, why=""):
    try:
        utils().expect_close(received, expected, what, rtol=rtol, atol=atol, why=why)
    except AssertionError as exc:
        raise CheckFailed(str(exc)) from None


def expect_shape(received, expected, what, why=""):
    try:
        utils().expect_shape(received, expected, what, why)
    except AssertionError as exc:
        raise CheckFailed(str(exc)) from None


# --------------------------------------------------------------------------- cases as data
NUMERIC_KINDS = "biuf"


def numeric_array(value):
    """A student's result as a float64 array, or None when it is not numbers (a string, a dict,
    a list of tensors of different shapes...). Tensors, NumPy scalars and Python numbers count."""
    if isinstance(value, (str, bytes, dict)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - a ragged list, an object whose __array__ fails
        return None
    if array.dtype.kind not in NUMERIC_KINDS:
        return None
    return np.array(array, dtype=np.float64)


def collect_cases(call: Callable, cases, convert: Callable = numeric_array) -> dict:
    """``call(case)`` for every case: ``case{i}`` the converted result, ``case{i}_type`` its type's
    name, or ``case{i}_error`` the exception it raised. One case's error does not stop the others."""
    out = {}
    for i, case in enumerate(cases):
        try:
            value = call(case)
        except Exception as exc:  # noqa: BLE001 - the student's exception is the finding
            out[f"case{i}_error"] = describe_error(exc)
            continue
        out[f"case{i}_type"] = type(value).__name__
        converted = convert(value)
        if converted is not None:
            out[f"case{i}"] = converted
    return out


def received_case(received: dict, i: int, call: str, what: str = "an array of numbers"):
    """The value ``collect_cases`` recorded for case ``i``, or a failure that says why there is none."""
    if f"case{i}_error" in received:
        fail(f"{call} raised {received[f'case{i}_error']}")
    if f"case{i}" not in received:
        fail(f"{call}: expected {what}, received a {received.get(f'case{i}_type', 'nothing')}.")
    return received[f"case{i}"]


def differing(received, expected, tol: Tol) -> str:
    """``N of M values differ (rtol=..., atol=...); at (i, j) expected X, received Y``."""
    got, want = np.asarray(received, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    bad = ~np.isclose(got, want, rtol=tol.rtol, atol=tol.atol)
    if not bad.any():
        return ""
    where = np.unravel_index(np.argmax(np.where(bad, np.abs(np.nan_to_num(got - want, nan=np.inf)), -1.0)), want.shape)
    return (
        f"{int(bad.sum())} of {want.size} values differ ({tol}); at {tuple(int(i) for i in where)} expected "
        f"{want[where]:.6g}, received {got[where]:.6g}"
    )


def judge_values(
    got,
    want,
    call: str,
    tol: Tol,
    expected: dict | None = None,
    mistakes: dict | None = None,
    prefix: str = "",
    shape_rule: str = "",
    why: str = "",
) -> None:
    """Shape, then values within ``tol``, then a known mistake's values, then the first difference.
    ``mistakes``: ``{name: explanation}`` for the stored ``mistake_<prefix><name>`` arrays."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        fail(f"{call}: expected shape {want.shape}{f' ({shape_rule})' if shape_rule else ''}, received {got.shape}.")
    if tol.close(got, want):
        return
    for name, explanation in (mistakes or {}).items():
        alternative = (expected or {}).get(f"mistake_{prefix}{name}")
        if alternative is not None and tol.close(got, alternative):
            fail(f"{call}: {explanation}", mistake=name.replace("_", " "))
    if np.isnan(got).any() and not np.isnan(want).any():
        fail(
            f"{call}: the result contains NaN at {tuple(int(i) for i in np.argwhere(np.isnan(got))[0])} "
            f"(a division by zero?); expected finite values.",
            mistake="NaN",
        )
    fail(f"{call}: {differing(got, want, tol)}." + (f" {why}" if why else ""))


def judge_cases(
    received: dict,
    expected: dict,
    cases,
    describe: Callable,
    tol: Tol,
    mistakes: dict | None = None,
    shape_rule: Callable | None = None,
    why: str = "",
    what: str = "an array of numbers",
) -> None:
    """The common judging loop: for each case, the error it raised, or its type, shape and values
    (see :func:`judge_values`); ``mistakes`` are looked up as ``mistake_case{i}_<name>``."""
    for i, case in enumerate(cases):
        call = describe(case)
        got = received_case(received, i, call, what)
        judge_values(
            got,
            expected[f"case{i}"],
            call,
            tol,
            expected,
            mistakes,
            prefix=f"case{i}_",
            shape_rule=shape_rule(case) if shape_rule else "",
            why=why,
        )

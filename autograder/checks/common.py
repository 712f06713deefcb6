"""Pieces the checks of every notebook share: seeded inputs, fixed weights, judging helpers.

``collect`` helpers import TensorFlow lazily: the grader's own process only
judges plain data and never needs it.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from autograder.core import REPO, SHIPPED_DATA, CheckFailed, describe_error, utils


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


def error_of(values: dict, key: str) -> str | None:
    return values.get(f"{key}_error")


def call_recording(fn, values: dict, key: str):
    """Call ``fn()``; on an exception record ``<key>_error`` in ``values`` and return None."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the student's exception is the finding
        values[f"{key}_error"] = describe_error(exc)
        return None


def fail(message: str):
    raise CheckFailed(message)


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

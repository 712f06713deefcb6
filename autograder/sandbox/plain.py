"""The plain data that crosses process borders (bools, ints, floats, strings, numeric arrays),
its encoding as ``.npz`` bytes, and files written whole or not at all."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import numpy as np

PLAIN_SCALARS = (bool, int, float, str, np.bool_, np.integer, np.floating)


def to_plain(value, where: str = "value"):
    """Convert ``value`` to plain data, or raise TypeError naming what it was.

    Only exact built-in types and numeric NumPy arrays pass: a subclass of
    ``int`` or ``ndarray`` from student code is converted to the base type, so
    whatever methods it overrides are not called again outside this process.
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (bool, np.bool_)) for v in value):
            return np.array([bool(v) for v in value], dtype=bool)
        if all(isinstance(v, PLAIN_SCALARS) and not isinstance(v, str) for v in value):
            return (
                np.array([float(v) for v in value], dtype=np.float64)
                if any(isinstance(v, (float, np.floating)) for v in value)
                else np.array([int(v) for v in value], dtype=np.int64)
            )
        if all(isinstance(v, str) for v in value):
            return np.array([str(v) for v in value], dtype=np.str_)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufU":
        return np.array(value, copy=True, subok=False)
    raise TypeError(
        f"{where}: cannot send a {type(value).__name__} across the grader's process "
        f"boundary (plain numbers, strings and numeric arrays only)"
    )


def encode(values: dict) -> bytes:
    """Plain data -> ``.npz`` bytes (every value becomes an array; None is omitted)."""
    arrays = {}
    for key, value in values.items():
        value = to_plain(value, key)
        if value is None:
            continue
        arrays[key] = np.asarray(value)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def decode(data: bytes | Path) -> dict:
    """``.npz`` bytes or file -> dict of plain values; never unpickles anything."""
    source = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    out = {}
    with np.load(source, allow_pickle=False) as f:
        for key in f.files:
            a = f[key]
            if a.dtype.kind not in "biufU":
                raise ValueError(f"{key}: unexpected dtype {a.dtype} in grader data")
            out[key] = a.item() if a.ndim == 0 else a
    return out


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``path`` whole or not at all: a reader (or a grader killed halfway) sees the old file
    or the new one, never half of one. A failed write (a full disk) leaves no temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(payload)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

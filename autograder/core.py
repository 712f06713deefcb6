"""The one definition of a graded check, and the plain data that crosses process borders.

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

import importlib.util
import io
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "source" / "convnets"
RELEASE_DIR = REPO / "release" / "convnets"
SHIPPED_DATA = RELEASE_DIR / "data"  # the grader's own copy of the data students get (committed)
REFERENCES_DIR = Path(__file__).resolve().parent / "references"
ASSIGNMENT = "convnets"


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
    # (rtol, atol) of its value comparisons (a checks.common.Tol), stated in its messages; the
    # visible test of its cell compares with the same (tests/test_checks.py).
    tol: tuple | None = None
    # Runs where the judge runs (never where student code runs): turns what collect()
    # returned (e.g. a retrained model's predictions) into what is judged and stored as
    # references (e.g. its mean IoU), so that a metric is never computed by a process a
    # submission could have patched.
    summary: Callable[[dict], dict] | None = None

    def judged(self, values: dict) -> dict:
        return self.summary(values) if self.summary is not None else values


@dataclass
class NotebookSpec:
    name: str  # file stem, e.g. "1_residual_connections"
    checks: list[Check] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)  # grade_id -> points
    # grade_ids of locked cells that only train or plot for the student: nothing graded
    # uses them, so the pytest runner does not run them (nbgrader runs every cell).
    demo_cells: frozenset[str] = frozenset()

    @property
    def filename(self) -> str:
        return f"{self.name}.ipynb"


def registry() -> dict[str, NotebookSpec]:
    """Every notebook of the assignment with its checks, in assignment order."""
    from autograder import checks

    return checks.NOTEBOOKS


def all_checks() -> dict[str, Check]:
    return {c.grade_id: c for spec in registry().values() for c in spec.checks}


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


# --------------------------------------------------------------------------- messages
_UTILS = None


def utils():
    """The student helper module (``source/convnets/convnets_utils.py``): its
    ``expect_*`` functions write the messages of both the visible and the hidden checks."""
    global _UTILS
    if _UTILS is None:
        spec = importlib.util.spec_from_file_location("_convnets_utils_for_grader", SOURCE_DIR / "convnets_utils.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _UTILS = module
    return _UTILS


_UNPRINTABLE = {
    c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)]
}


def printable(text: str) -> str:
    """Text from a student's code made safe for every output (JUnit XML, JSON, CSV, HTML, a
    terminal): control characters (an escape sequence, NUL) spelled out as ``\\x1b``, lone
    surrogates and invalid UTF-8 as U+FFFD; newlines and tabs kept."""
    text = str(text).translate(_UNPRINTABLE)
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def describe_error(exc: BaseException, length: int = 300) -> str:
    """``Type: first line of the message``, and the grader's limit behind it if there is one
    (memory, output size, the sandbox's refusals): what a student reads about an exception."""
    import errno
    import resource

    text = str(exc).splitlines()[0][:length] if str(exc).strip() else ""
    line = f"{type(exc).__name__}: {text}".rstrip(": ") if text else type(exc).__name__
    limit = None
    if isinstance(exc, MemoryError):
        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        limit = "memory limit: your code asked for more memory than the grader's limit" + (
            f" of {cap / (1 << 30):g} GiB" if cap > 0 else ""
        )
    elif isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        cap = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        limit = "output limit: your code wrote more than the grader allows to one file or to its output" + (
            f" ({cap >> 20} MiB)" if cap > 0 else ""
        )
    elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        limit = (
            "not allowed while grading: the grader's sandbox has no network, starts no process, "
            "and opens no file outside the notebook's folder"
        )
    return f"{limit} ({line})" if limit else line


# --------------------------------------------------------------------------- plain data
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


# --------------------------------------------------------------------------- references
def reference_path(notebook: str) -> Path:
    return REFERENCES_DIR / f"{notebook}.npz"


def load_references(notebook: str) -> dict[str, dict]:
    """``{grade_id: {name: value}}`` for one notebook (keys stored as ``grade_id/name``)."""
    path = reference_path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"no reference outputs at {path}: run `python -m autograder.references`")
    flat = decode(path)
    out: dict[str, dict] = {}
    for key, value in flat.items():
        grade_id, _, name = key.partition("/")
        out.setdefault(grade_id, {})[name] = value
    return out


def save_references(notebook: str, by_check: dict[str, dict]) -> Path:
    flat = {
        f"{gid}/{name}": value for gid, values in sorted(by_check.items()) for name, value in sorted(values.items())
    }
    path = reference_path(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    # np.savez stamps zip entries with a fixed date, so equal data gives equal bytes.
    write_atomic(path, encode(flat))
    return path


def json_dump(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")

"""The reference outputs on disk: one ``.npz`` per notebook under ``autograder/references/``,
written by ``python -m autograder.assign.references`` and read by the judges."""

from __future__ import annotations

from pathlib import Path

from autograder.paths import REFERENCES_DIR
from autograder.sandbox.plain import decode, encode, write_atomic


def reference_path(notebook: str) -> Path:
    return REFERENCES_DIR / f"{notebook}.npz"


def load_references(notebook: str) -> dict[str, dict]:
    """``{grade_id: {name: value}}`` for one notebook (keys stored as ``grade_id/name``)."""
    path = reference_path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"no reference outputs at {path}: run `python -m autograder.assign.references`")
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

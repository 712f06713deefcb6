"""Evaluation data whose answers the student's process never sees.

Notebook 3's retraining checks train the student's model in the sandboxed child and
judge its predictions where the judge runs (``Check.summary``). If the predictions were
for the shipped test set, a submission could forge them from the shipped labels (by
patching the grader's code in its own process, or planting a result file). So they are
for scenes and patches drawn with the grader's own seeds, stored in
``autograder/references/hidden_eval.npz`` (never shipped): the child reads only the
inputs (``seg_x``, ``sr_lr``), before it is confined; the labels (``seg_y``, ``sr_hr``)
are read only by the judge.

    python -m autograder.assign.references     # also rebuilds this file (seconds)
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import sys

import numpy as np

from autograder.paths import REFERENCES_DIR, REPO
from autograder.sandbox.plain import decode, write_atomic

PATH = REFERENCES_DIR / "hidden_eval.npz"
SEG_N, SEG_SEED = 500, 7117  # the shipped test split has 500 scenes (seed in data/builders)
SR_SEED = 8118  # the shipped test photographs, other crops
INPUT_KEYS = ("seg_x", "sr_lr")
_INPUTS: dict | None = None
_TRUTH: dict = {}


def _builder(name: str):
    """A data builder module (``data/builders/<name>.py``), loaded from its folder as a package of
    its own (``data`` need not be importable where the grader is installed; the builders import
    their package's ``data_source``)."""
    package, folder = "_convnets_data_builders", REPO / "data" / "builders"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            package, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)
    return importlib.import_module(f"{package}.{name}")


def build() -> dict[str, np.ndarray]:
    """The hidden arrays, from the data builders with the grader's seeds (deterministic)."""
    shapes_segmentation, superres_patches = _builder("shapes_segmentation"), _builder("superres_patches")
    seg_x, seg_y = shapes_segmentation.make_split(SEG_N, SEG_SEED)
    sr_hr, sr_lr, _ = superres_patches.make_split(superres_patches.TEST_PHOTOS, SR_SEED)
    return {"seg_x": seg_x, "seg_y": seg_y, "sr_lr": sr_lr, "sr_hr": sr_hr}


def write() -> None:
    global _INPUTS
    buf = io.BytesIO()
    np.savez_compressed(buf, **build())  # numpy stamps a fixed date: equal data, equal bytes
    write_atomic(PATH, buf.getvalue())
    _INPUTS = None
    _TRUTH.clear()


def inputs() -> dict[str, np.ndarray]:
    """The inputs only (what the child may hold); loaded once."""
    global _INPUTS
    if _INPUTS is None:
        with np.load(PATH, allow_pickle=False) as f:
            _INPUTS = {k: f[k] for k in INPUT_KEYS}
    return _INPUTS


def truth(key: str) -> np.ndarray:
    """A label array (``seg_y`` or ``sr_hr``): for the judge only; loaded once."""
    if not _TRUTH:
        for k, v in decode(PATH).items():
            if k not in INPUT_KEYS:
                v.setflags(write=False)  # shared by every judge of a batch run
                _TRUTH[k] = v
    return _TRUTH[key]

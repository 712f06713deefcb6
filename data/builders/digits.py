"""The 8x8 handwritten digits that ship inside scikit-learn (no download).

Writes ``digits.npz``: ``x`` float32 (1797, 8, 8, 1) scaled to [0, 1], ``y`` int64 (1797,).
Used by notebook 1 to measure per-layer gradient norms.
"""

import numpy as np

from . import data_source


def build(out_dir):
    digits = data_source("sklearn.datasets").load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    np.savez_compressed(out_dir / "digits.npz", x=x, y=y)
    return ["digits.npz"]

"""Checks of notebook 2, Part I: an upsampler designed to give the size and no checkerboard.

``design_upsampler(i, factor)`` returns the settings of one ``Conv2DTranspose`` (``kernel_size``,
``strides``, ``padding``, ``output_padding``). The check builds that layer for every case, in the
child, with a kernel of ones, and applies it to an image of ones: each output pixel then holds
the number of input pixels that reach it (its *coverage*). It passes when every output is
``factor * i`` on both axes, the kernel is at most ``4 * factor`` and, in each case whose output
is more than two kernels wide, the coverage is the same everywhere away from the border (``k``
pixels on each side): no holes
(coverage 0, a kernel smaller than the stride) and no checkerboard (coverage alternating with the
stride, a kernel that the stride does not divide; Odena, Dumoulin and Olah, "Deconvolution and
Checkerboard Artifacts", 2016). Any design with those properties passes (``k = s`` with
"valid", ``k = 2s`` with "same", ...); the judge needs no reference value, so the references hold
only what the solution's design gives, compared exactly.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.common import fail
from autograder.checks.nb2_transpose_convolution import NOTEBOOK
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function

CHECKS: list[Check] = []  # after those of nb2_transpose_convolution_matrix.py, in the notebook's order
check = declare(CHECKS, NOTEBOOK)
DEMO_CELLS = frozenset({"partI_demo"})

UPSAMPLE_CASES = [(7, 4), (7, 2), (5, 3), (16, 2), (16, 3), (16, 4), (1, 2), (13, 3), (8, 5)]
KEYS = ("kernel_size", "strides", "padding", "output_padding")


def _as_int(value):
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == value[1]:
        value = value[0]  # (k, k) is Keras's own spelling of k
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"expected an int, received {value!r}")


def collect_upsampler(ns):
    import keras

    f = student_function(ns, "design_upsampler")
    out = {}
    for n, (i, factor) in enumerate(UPSAMPLE_CASES):
        key = f"case{n}"
        try:
            design = f(i, factor)
            if not isinstance(design, dict) or not set(KEYS) <= set(design):
                raise TypeError(
                    f"expected a dict with the keys {list(KEYS)}, received "
                    + (f"the keys {sorted(design)}" if isinstance(design, dict) else f"a {type(design).__name__}")
                )
            k, s = _as_int(design["kernel_size"]), _as_int(design["strides"])
            padding = design["padding"]
            a = None if design["output_padding"] is None else _as_int(design["output_padding"])
            out[f"{key}_design"] = f"kernel_size={k}, strides={s}, padding={padding!r}, output_padding={a}"
            out[f"{key}_k"], out[f"{key}_s"] = k, s
        except Exception as exc:  # noqa: BLE001
            out[f"{key}_error"] = f"design_upsampler({i}, {factor}) raised {describe_error(exc)}"
            continue
        try:
            layer = keras.layers.Conv2DTranspose(
                1, k, strides=s, padding=padding, output_padding=a, use_bias=False, kernel_initializer="ones"
            )
            coverage = np.asarray(layer(np.ones((1, i, i, 1), dtype="float32")))[0, :, :, 0]
        except Exception as exc:  # noqa: BLE001
            out[f"{key}_error"] = (
                f"Conv2DTranspose(1, {k}, strides={s}, padding={padding!r}, output_padding={a}), the layer "
                f"design_upsampler({i}, {factor}) describes, raised {describe_error(exc)}"
            )
            continue
        out[f"{key}_coverage"] = np.rint(coverage).astype(np.int64)
    return out


def judge_upsampler(received, expected):
    for n, (i, factor) in enumerate(UPSAMPLE_CASES):
        key = f"case{n}"
        if f"{key}_error" in received:
            fail(received[f"{key}_error"])
        design, coverage = received[f"{key}_design"], np.asarray(received[f"{key}_coverage"])
        k, s = int(received[f"{key}_k"]), int(received[f"{key}_s"])
        call = f"design_upsampler({i}, {factor}) = {{{design}}}"
        if coverage.shape != (i * factor, i * factor):
            fail(
                f"{call}: the layer maps {i}x{i} to {coverage.shape[0]}x{coverage.shape[1]}, expected "
                f"{factor} * {i} = {i * factor} on both axes (Part E's rule gives the size).",
                mistake="wrong size",
            )
        if k > 4 * factor:
            fail(
                f"{call}: a kernel of {k} for a factor of {factor}: expected at most 4 * factor = {4 * factor} "
                f"(a kernel that grows with the image is not an upsampler: its output is all border).",
                mistake="kernel larger than 4 * factor",
            )
        o = i * factor
        if o <= 2 * k:
            continue  # no pixel is k or more from both borders: the larger cases test the inside
        inside = coverage[k : o - k, k : o - k]
        if inside.min() == 0:
            fail(
                f"{call}: holes: some output pixels away from the border get no input pixel at all "
                f"(coverage 0; the coverage of one row inside: {inside[0][: 2 * s].tolist()}...). The "
                f"stride {s} puts s - 1 = {s - 1} zeros between input pixels (z = s - 1) and a kernel of "
                f"{k} < {s} cannot bridge them.",
                mistake="holes: kernel smaller than the stride",
            )
        if inside.min() != inside.max():
            fail(
                f"{call}: a checkerboard: away from the border the number of input pixels that reach an "
                f"output pixel is not the same everywhere: it goes {inside[0][: 2 * s].tolist()}... along "
                f"a row (from {inside.min()} to {inside.max()}). With z = s - 1 = {s - 1} zeros between "
                f"input pixels, a kernel of {k} covers ceil({k}/{s}) or floor({k}/{s}) of them depending "
                f"on where it sits: the same number everywhere only when the stride divides the kernel.",
                mistake="checkerboard: the stride does not divide the kernel",
            )


check("nb2_upsampler", 4, "design_upsampler: the size, no holes, no checkerboard", collect_upsampler, judge_upsampler)

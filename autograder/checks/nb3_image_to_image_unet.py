"""Checks of notebook 3, Part F: debugging a classmate's U-Net.

The classmate's U-Net (three stride-2 "same" convolutions down, three stride-2 "same"
transposed convolutions up, each followed by a ``Concatenate`` with the encoder's map of that
level) builds only when the height is divisible by 8: a stride-2 "same" convolution maps ``i``
to ``ceil(i / 2)``, the transposed one maps ``i`` back to ``2i``, and an odd height never comes
back. ``first_clash(size)`` predicts where it breaks: graded on many sizes against the
solution's pairs (the tests check those against Keras building the classmate's network).
``fixed_unet`` is graded on what it builds: the output shape on inputs whose height and width
are not multiples of 8 (and differ), per-pixel probabilities, the classmate's number of
weights (stored from the solution; the tests check it against the classmate's network built on
32x32) and no pooling or ``UpSampling2D``. Any fix with those properties passes: an
``output_padding`` chosen per level, cropping the upsampled map, padding the input to a
multiple of 8 and cropping the output.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.common import fail, rng
from autograder.checks.nb3_image_to_image import NOTEBOOK
from autograder.messages import describe_error, utils
from autograder.spec import Check, declare, student_function

CHECKS: list[Check] = []  # after those of nb3_image_to_image_training.py, in the notebook's order
check = declare(CHECKS, NOTEBOOK)
DEMO_CELLS = frozenset({"partF_check"})

CLASH_SIZES = [32, 28, 64, 30, 27, 20, 24, 36, 9, 17, 100, 33, 8, 1, 48, 44]
LEVELS = 3


def _sizes_down(size: int) -> list[int]:
    """The heights on the way down, as a message shows them (ceil(i / 2) per level)."""
    sizes = [size]
    for _ in range(LEVELS):
        sizes.append(-(-sizes[-1] // 2))
    return sizes


def collect_first_clash(ns):
    f = student_function(ns, "first_clash")
    out = {}
    for n, size in enumerate(CLASH_SIZES):
        try:
            got = f(size)
        except Exception as exc:  # noqa: BLE001
            out[f"case{n}_error"] = f"first_clash({size}) raised {describe_error(exc)}"
            continue
        if got is None:
            out[f"case{n}"] = np.array([-1, -1])
            continue
        try:
            pair = [int(v) for v in got]
            if len(pair) != 2 or any(p != v for p, v in zip(pair, got)):
                raise ValueError
        except (TypeError, ValueError):
            out[f"case{n}_error"] = (
                f"first_clash({size}) should return None or a pair of two ints (upsampled, skip), received {got!r}"
            )
            continue
        out[f"case{n}"] = np.array(pair)
    return out


def judge_first_clash(received, expected):
    for n, size in enumerate(CLASH_SIZES):
        if f"case{n}_error" in received:
            fail(received[f"case{n}_error"])
        got, want = [int(v) for v in received[f"case{n}"]], [int(v) for v in expected[f"case{n}"]]
        if got == want:
            continue
        shown = [None if v == [-1, -1] else tuple(v) for v in (got, want)]
        down = _sizes_down(size)
        fail(
            f"first_clash({size}): expected {shown[1]}, received {shown[0]}. Down the three levels, a stride-2 "
            f'"same" convolution gives ceil(i / 2): {" -> ".join(map(str, down))}; up, a stride-2 "same" '
            f"transposed convolution gives 2i, and each Concatenate joins it with the skip of that level: "
            + ", ".join(f"2 * {low} = {2 * low} with {skip}" for skip, low in zip(down[-2::-1], down[:0:-1]))
            + ".",
            mistake="floor instead of ceil" if want != [-1, -1] and got == _floor_clash(size) else None,
        )


def _floor_clash(size: int):
    """What first_clash gives with floor(i / 2) on the way down (the example's mistake)."""
    sizes = [size]
    for _ in range(LEVELS):
        sizes.append(sizes[-1] // 2)
    for skip, low in zip(reversed(sizes[:-1]), reversed(sizes[1:])):
        if 2 * low != skip:
            return [2 * low, skip]
    return [-1, -1]


check("nb3_first_clash", 1, "first_clash: where the classmate's U-Net breaks", collect_first_clash, judge_first_clash)


UNET_CASES = [
    ((28, 28, 1), 4, (16, 32, 64)),
    ((30, 30, 3), 3, (8, 16, 32)),
    ((27, 20, 1), 5, (8, 8, 8)),
    ((9, 13, 2), 2, (4, 8, 16)),
    ((32, 32, 1), 4, (16, 32, 64)),
    ((45, 64, 1), 2, (4, 8, 8)),
]


def collect_fixed_unet(ns):
    f = student_function(ns, "fixed_unet")
    out = {}
    for n, (shape, classes, filters) in enumerate(UNET_CASES):
        try:
            model = f(shape, classes, filters=filters)
            x = rng("unet", n).uniform(size=(2, *shape)).astype("float32")
            probs = np.asarray(model(x), dtype=np.float64)
            out[f"case{n}_shape"] = np.array(probs.shape[1:])
            if probs.shape[1:] == (shape[0], shape[1], classes):
                out[f"case{n}_sum_error"] = float(np.max(np.abs(probs.sum(axis=-1) - 1.0)))
                out[f"case{n}_min"] = float(probs.min())
            out[f"case{n}_params"] = int(model.count_params())
            out[f"case{n}_layers"] = ",".join(type(layer).__name__ for layer in utils().model_layers(model))
        except Exception as exc:  # noqa: BLE001
            out[f"case{n}_error"] = describe_error(exc)
    return out


def judge_fixed_unet(received, expected):
    for n, (shape, classes, filters) in enumerate(UNET_CASES):
        call = f"fixed_unet({shape}, {classes}, filters={filters})"
        h, w = shape[0], shape[1]
        if f"case{n}_error" in received:
            fail(f"{call} raised {received[f'case{n}_error']}", mistake="does not build for every size")
        got = tuple(int(v) for v in received[f"case{n}_shape"])
        if got != (h, w, classes):
            fail(
                f"{call}: output shape (N, {', '.join(map(str, got))}), expected (N, {h}, {w}, {classes}). Heights "
                f"down the three levels: {' -> '.join(map(str, _sizes_down(h)))}, widths: "
                f"{' -> '.join(map(str, _sizes_down(w)))}; on the way up each level must come back to the "
                f"size of its skip, and the last one to the input's.",
                mistake="does not build for every size",
            )
        if not (received[f"case{n}_sum_error"] <= 1e-4 and received[f"case{n}_min"] >= 0):
            fail(
                f"{call}: the outputs are not per-pixel probabilities (their sums over the classes are off from 1 "
                f"by up to {received[f'case{n}_sum_error']:.2g}, the smallest output is "
                f"{received[f'case{n}_min']:.3g}): keep the classmate's softmax head."
            )
        kinds = received[f"case{n}_layers"].split(",")
        banned = [k for k in kinds if "Pool" in k or "UpSampling" in k]
        if banned:
            fail(
                f"{call}: it uses {banned[0]}; the classmate's network downsamples with stride-2 convolutions and "
                f"upsamples with transposed ones: fix the sizes without changing how it resamples."
            )
        params, want = int(received[f"case{n}_params"]), int(expected[f"case{n}_params"])
        if params != want:
            fail(
                f"{call}: {params} weights, the classmate's network has {want} (built on a size it accepts): "
                f"{params - want:+d}. Fix the sizes, not the network: a level removed, a layer added with "
                f"weights, a skip connection dropped or a kernel changed changes the count (cropping, padding "
                f"and output_padding do not).",
                mistake="not the classmate's weights",
            )


check(
    "nb3_fixed_unet",
    3,
    "fixed_unet: builds for every size, with the classmate's weights",
    collect_fixed_unet,
    judge_fixed_unet,
)

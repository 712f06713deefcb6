"""Checks of notebook 4, continued: using a map (``overlay_heatmap``, ``cam_peak``) and the pointing game
(does the map's peak fall inside the object's box?)."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    Tol,
    collect_cases,
    fail,
    judge_cases,
    received_case,
    rng,
)
from autograder.checks.nb4_visualizing_convnets import NOTEBOOK, POINTING_IMAGES, model_and_data
from autograder.spec import Check, declare, student_function

CHECKS: list[Check] = []  # after those of nb4_visualizing_convnets.py, in the notebook's order
check = declare(CHECKS, NOTEBOOK)


# --------------------------------------------------------------------------- overlay and peak
OVERLAY_CASES = [((8, 8), (4, 4), 0.4), ((12, 10), (3, 5), 0.7), ((6, 6), (6, 6), 0.0)]
# An overlay is a picture: it is compared to 0.02 in [0, 1] (5 of 255 levels). keras.io's Grad-CAM
# colours with a 256-colour table indexed by uint8(255 * heatmap), which rounds each value down by
# up to 1/255; jet's channels rise by at most 4.5 per unit, so that overlay differs by up to alpha
# times 4.5/255 (0.0125 in these cases, 0.018 at alpha 1). The mistakes differ by 0.18 and more
# (the weights swapped, the colour added, nearest or bicubic resizing, colouring before resizing).
OVERLAY_TOL = Tol(rtol=0.0, atol=0.02)


def _overlay_inputs(i, image_hw, heat_hw):
    g = rng("overlay", i)
    return g.uniform(size=(*image_hw, 3)), g.uniform(size=heat_hw)


def collect_overlay(ns):
    f = student_function(ns, "overlay_heatmap")
    return collect_cases(
        lambda indexed: f(*_overlay_inputs(indexed[0], *indexed[1][:2]), alpha=indexed[1][2]),
        list(enumerate(OVERLAY_CASES)),
    )


def mistakes_overlay():
    import matplotlib
    import tensorflow as tf

    out = {}
    for i, (image_hw, heat_hw, alpha) in enumerate(OVERLAY_CASES):
        image, heat = _overlay_inputs(i, image_hw, heat_hw)
        resized = tf.image.resize(heat[..., None].astype("float32"), image_hw, method="bilinear").numpy()[..., 0]
        colour = matplotlib.colormaps["jet"](np.clip(resized, 0, 1))[..., :3]
        out[f"case{i}_swapped"] = np.clip(alpha * image + (1 - alpha) * colour, 0, 1)
    return out


def judge_overlay(received, expected):
    def describe(indexed):
        _, (image_hw, heat_hw, alpha) = indexed
        return (
            f"overlay_heatmap(image of shape ({image_hw[0]}, {image_hw[1]}, 3), heatmap of shape {heat_hw}, "
            f"alpha={alpha})"
        )

    judge_cases(
        received,
        expected,
        list(enumerate(OVERLAY_CASES)),
        describe,
        OVERLAY_TOL,
        mistakes={
            "swapped": "alpha weighs the image and 1 - alpha the colour; the blend is "
            "(1 - alpha) * image + alpha * colour."
        },
        shape_rule=lambda indexed: "the image's",
        why="Resize the heatmap bilinearly (tf.image.resize) first, then colour it with "
        "matplotlib.colormaps['jet'](values) (or a 256-colour table of it) and keep its first three channels "
        "(RGB, not the colormap's own alpha channel).",
    )


check("nb4_overlay", 1, "overlay_heatmap", collect_overlay, judge_overlay, mistakes=mistakes_overlay, tol=OVERLAY_TOL)


PEAK_CASES = [((4, 4), (16, 16, 3)), ((12, 12), (48, 48, 3)), ((3, 5), (20, 30, 3)), ((6, 4), (7, 9))]


def _peak_heat(i, shape):
    heat = rng("peak", i).uniform(0, 0.5, shape)
    heat[rng("peak-at", i).integers(0, shape[0]), rng("peak-at2", i).integers(0, shape[1])] = 1.0
    return heat


def collect_cam_peak(ns):
    f = student_function(ns, "cam_peak")
    out = {}
    for i, (shape, image_shape) in enumerate(PEAK_CASES):
        peak = f(_peak_heat(i, shape), image_shape)
        out[f"case{i}_type"] = type(peak).__name__ + ":" + ",".join(type(v).__name__ for v in peak)
        out[f"case{i}"] = [int(v) if isinstance(v, (int, np.integer)) else -1 for v in peak]
    return out


def judge_cam_peak(received, expected):
    for i, (shape, image_shape) in enumerate(PEAK_CASES):
        call = f"cam_peak(heatmap of shape {shape}, image_shape={image_shape})"
        kind = received[f"case{i}_type"]
        container, _, items = kind.partition(":")
        if container != "tuple" or any(t not in ("int", "int64", "int32", "intc") for t in items.split(",")):
            fail(f"{call}: expected a tuple of two ints (row, col), received types {kind}.")
        got, want = tuple(int(v) for v in received[f"case{i}"]), tuple(int(v) for v in expected[f"case{i}"])
        if got != want:
            hint = " (row and col swapped?)" if got == want[::-1] else ""
            fail(
                f"{call}: expected {want}, the argmax of the heatmap resized bilinearly to {image_shape[:2]}, "
                f"received {got}{hint}."
            )


check("nb4_cam_peak", 2, "cam_peak", collect_cam_peak, judge_cam_peak)


# --------------------------------------------------------------------------- pointing game
EDGE_IMAGES = 12  # images whose peak is clear (no near tie), each with a box drawn around it


def _reference_peaks(model, x, y, layer: str):
    """The grader's own Grad-CAM peaks (row, col) for the classes ``y``, and whether each is clear
    (the resized map's top value beats every other pixel by 1e-3, so that no float detail of a
    correct answer can move it), one image after another (a generator: the caller stops when it
    has enough)."""
    import keras
    import tensorflow as tf

    sub = keras.Model(model.input, [model.get_layer(layer).output, model.output])
    for image, label in zip(x, y):
        with tf.GradientTape() as tape:
            maps, logits = sub(image[None])
            score = logits[0, int(label)]
        g = tape.gradient(score, maps)[0].numpy()
        cam = np.maximum((maps[0].numpy() * g.mean(axis=(0, 1))).sum(-1), 0)
        cam = cam / cam.max() if cam.max() > 0 else np.zeros_like(cam)
        big = tf.image.resize(cam[..., None].astype("float32"), image.shape[:2], method="bilinear").numpy()[..., 0]
        flat = np.sort(big.ravel())
        yield np.unravel_index(np.argmax(big), big.shape), bool(flat[-1] - flat[-2] > 1e-3)


def edge_boxes(model, x, y, layer: str = "conv5"):
    """Images and boxes drawn around each clear peak: the peak on the box's exclusive bottom
    edge (a miss), one column left of the box (a miss), or inside with a margin (a hit); and
    those peaks."""
    H, W = x.shape[1:3]
    chosen, boxes, peaks = [], [], []
    for i, ((r, c), ok) in enumerate(_reference_peaks(model, x, y, layer)):
        if len(chosen) == EDGE_IMAGES:
            break
        if not ok or not (1 <= r < H - 1 and 1 <= c < W - 1):
            continue
        kind = len(chosen) % 3
        if kind == 0:
            box = (max(0, r - 8), max(0, c - 8), r, min(W, c + 9))  # peak on row1: outside
        elif kind == 1:
            box = (max(0, r - 8), c + 1, min(H, r + 9), min(W, c + 10))  # peak one column left: outside
        else:
            box = (max(0, r - 3), max(0, c - 3), min(H, r + 4), min(W, c + 4))  # inside
        chosen.append(i)
        boxes.append(box)
        peaks.append((r, c))
    return np.array(chosen), np.array(boxes, dtype=np.int64), peaks


def _own_peaks_differ(ns, model, x, y, layer: str, want) -> int:
    """On how many of these images the student's own ``cam_peak(grad_cam(...))`` misses the grader's
    peak (-1: it raised). Graded in their own checks; here only to say where a wrong score comes from."""
    try:
        grad_cam, cam_peak = ns["grad_cam"], ns["cam_peak"]
        peaks = [tuple(int(v) for v in cam_peak(grad_cam(model, im, layer, int(c)), im.shape)) for im, c in zip(x, y)]
    except Exception:  # noqa: BLE001 - a finding of the other checks
        return -1
    return sum(tuple(int(v) for v in got) != tuple(int(v) for v in w) for got, w in zip(peaks, want))


def collect_pointing(ns):
    f = student_function(ns, "pointing_game")
    model, x, y, box = model_and_data()
    classes = int(model.output.shape[-1])
    wrong = (y + 1) % classes  # another class for every image: its map points elsewhere
    predicted = np.argmax(model.predict(x, verbose=0), axis=-1)
    out = {}
    calls = [lambda: f(model, x, box, "conv5", labels=y)]
    for labels, passed in ((y, True), (wrong, True), (predicted, False)):  # boxes around those classes' peaks
        chosen, boxes, peaks = edge_boxes(model, x, labels)
        calls.append(
            lambda c=chosen, b=boxes, lab=labels, p=passed: f(model, x[c], b, "conv5", labels=lab[c] if p else None)
        )
        i = len(calls) - 1
        out[f"edge_images{i}"] = len(chosen)
        out[f"own_peaks_differ{i}"] = _own_peaks_differ(ns, model, x[chosen], labels[chosen], "conv5", peaks)
    for i, call in enumerate(calls):
        out.update({k.replace("case0", f"case{i}"): v for k, v in collect_cases(lambda case: call(), [None]).items()})
    return out


_EDGES = (
    "(a third with the peak inside, a third with it on the box's exclusive bottom edge row1, a third one "
    "column left of col0)"
)
POINTING_CASES = [  # (the images and boxes, the labels passed)
    (f"the first {POINTING_IMAGES} test images and their boxes", "labels=y_test"),
    (f"{EDGE_IMAGES} test images with boxes drawn around their true class's Grad-CAM peaks {_EDGES}", "labels=y_test"),
    (
        f"{EDGE_IMAGES} test images with boxes drawn around the Grad-CAM peaks of another class, (y + 1) % 4 {_EDGES}",
        "labels=(y_test + 1) % 4",
    ),
    (
        f"{EDGE_IMAGES} test images with boxes drawn around their predicted class's Grad-CAM peaks {_EDGES}",
        "labels=None",
    ),
]


def judge_pointing(received, expected):
    for i, (what, labels) in enumerate(POINTING_CASES):
        call = f"pointing_game(model, {what}, 'conv5', {labels})"
        got = received_case(received, i, call, "a float")
        if received.get(f"case{i}_type") not in ("float", "float64", "float32"):
            fail(f"{call}: expected a float, received a {received.get(f'case{i}_type')}.")
        n = POINTING_IMAGES if i == 0 else int(expected[f"edge_images{i}"])
        want = float(expected[f"case{i}"])
        if abs(float(got) - want) > 0.5 / n:
            whose = "the predicted class's map (labels=None)" if labels == "labels=None" else "the map of labels[i]"
            own = int(received.get(f"own_peaks_differ{i}", 0))
            blame = (
                f" Your own cam_peak(grad_cam(...)) misses the grader's peak on {own} of these {n} images: "
                f"nb4_grad_cam and nb4_cam_peak say why; fix those first."
                if own > 0
                else " Your own grad_cam or cam_peak raised on these images (see their checks)."
                if own < 0
                else ""
            )
            fail(
                f"{call}: expected {want:.3f} (hits / {n}), received {float(got):.3f}. A hit is row0 <= row < row1 "
                f"and col0 <= col < col1 (row1 and col1 exclusive, no tolerance) for cam_peak of {whose}.{blame}"
            )


check("nb4_pointing_game", 2, "pointing_game", collect_pointing, judge_pointing)

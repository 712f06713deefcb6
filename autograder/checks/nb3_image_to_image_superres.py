"""Checks of notebook 3, continued: the pieces of super-resolution (``SUPERRES_ACTIVATION`` on the final
image, ``worst_case_loss`` and its gradient, the ``bicubic_upscale`` baseline)."""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.common import (
    Tol,
    collect_cases,
    expect_close,
    fail,
    judge_values,
    numeric_array,
    received_case,
    rng,
)
from autograder.checks.nb3_image_to_image import NOTEBOOK, shown
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function, student_value

CHECKS: list[Check] = []  # after those of nb3_image_to_image.py, in the notebook's order
check = declare(CHECKS, NOTEBOOK)


# --------------------------------------------------------------------------- super-resolution pieces
ACT_PROBE = np.array([-6.0, -2.0, -0.5, -0.01, 0.0, 0.01, 0.25, 0.5, 0.75, 1.0, 2.0, 6.0], dtype="float32")
INTENSITIES = (ACT_PROBE >= 0) & (ACT_PROBE <= 1)


def collect_superres_activation(ns):
    import keras

    act = student_value(ns, "SUPERRES_ACTIVATION")
    return {"name": shown(act), "values": np.asarray(keras.activations.get(act)(ACT_PROBE), dtype=np.float64)}


def judge_superres_activation(received, expected):
    """Applied to the final image x + core(x): never negative, and a valid intensity (in [0, 1])
    unchanged (relu, relu6, or a clip to [0, 1])."""
    values, name = np.asarray(received["values"], dtype=np.float64), received["name"]
    if values.shape != ACT_PROBE.shape:
        fail(
            f"SUPERRES_ACTIVATION = {name} should act on each value on its own; for {len(ACT_PROBE)} values it "
            f"returned shape {values.shape}."
        )
    if values.min() < 0:
        fail(
            f"SUPERRES_ACTIVATION = {name} gives {values.min():.3f} for an input of "
            f"{ACT_PROBE[np.argmin(values)]:g}: it is applied to the final image, and intensities are never "
            f"negative (relu is not).",
            mistake="negative values",
        )
    changed = INTENSITIES & ~np.isclose(values, ACT_PROBE, rtol=0, atol=1e-6)
    if changed.any():
        v = float(ACT_PROBE[changed][0])
        fail(
            f"SUPERRES_ACTIVATION = {name} turns the intensity {v:g} into {values[changed][0]:.3f}: it is applied "
            f"to the final image x + core(x), so a valid intensity (0 to 1) must come out unchanged, and only "
            f"impossible negative values be removed (relu does that; a sigmoid would squash the whole image "
            f"into [0.5, 0.73]).",
            mistake="changes valid intensities",
        )


check("nb3_superres_activation", 1, "SUPERRES_ACTIVATION", collect_superres_activation, judge_superres_activation)


# (shape, q); ceil(q * n) is computed exactly in floating point for each (0.07 * 100 would not be).
# The last case is mostly exact predictions: zeros among each image's worst errors.
WORST_CASES = [
    ((2, 4, 4, 3), 0.1),
    ((3, 5, 5, 1), 0.25),
    ((2, 3, 3, 2), 1.0),
    ((1, 6, 6, 3), 0.05),
    ((3, 4, 5, 1), 0.3),
]
WORST_TOL = Tol(rtol=1e-4, atol=1e-7)


def _worst_pair(i, shape):
    g = rng("worst", i)
    y, p = g.uniform(size=shape).astype("float32"), g.uniform(size=shape).astype("float32")
    if i == 4:  # two wrong values per image, the rest exact: the worst 30% hold zeros
        exact = np.ones(shape, dtype=bool)
        exact.reshape(shape[0], -1)[:, :2] = False
        p = np.where(exact, y, p)
    return y, p


def collect_worst_case(ns):
    import tensorflow as tf

    f = student_function(ns, "worst_case_loss")
    out = {}
    for i, (shape, q) in enumerate(WORST_CASES):
        y, p = _worst_pair(i, shape)
        pred = tf.Variable(p)
        with tf.GradientTape() as tape:
            loss = f(tf.constant(y), pred, q=q)
        out[f"case{i}_shape"] = str(tuple(int(d) for d in np.shape(loss)))
        value = numeric_array(loss)
        out[f"case{i}"] = float(value.ravel()[0]) if value is not None and value.size else float("nan")
        try:
            grad = tape.gradient(loss, pred)
        except Exception as exc:  # noqa: BLE001
            grad, out[f"case{i}_grad_error"] = None, describe_error(exc, 200)
        if grad is None:
            out.setdefault(f"case{i}_grad_error", "the gradient is None")
        else:
            out[f"case{i}_grad"] = np.asarray(grad, dtype=np.float64)
    return out


def mistakes_worst_case():
    out = {}
    for i, (shape, q) in enumerate(WORST_CASES):
        y, p = _worst_pair(i, shape)
        err = np.abs(y - p).reshape(shape[0], -1).astype(np.float64)
        k = math.ceil(q * err.shape[1])
        out[f"case{i}_mean"] = float(err.mean())
        out[f"case{i}_max_batch"] = float(np.sort(err.ravel())[-k * shape[0] :].mean())
        out[f"case{i}_max"] = float(err.max())
        top = np.sort(err, axis=1)[:, -k:]
        nonzero = np.maximum((top > 0).sum(axis=1), 1)
        out[f"case{i}_nonzero"] = float(np.mean(top.sum(axis=1) / nonzero))
    return out


def judge_worst_case(received, expected):
    for i, (shape, q) in enumerate(WORST_CASES):
        n = int(np.prod(shape[1:]))
        call = f"worst_case_loss(y_true, y_pred of shape {shape}, q={q})"
        if received[f"case{i}_shape"] != "()":
            fail(
                f"{call}: expected a scalar (shape ()), received shape {received[f'case{i}_shape']}: "
                f"average over the batch too."
            )
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if not np.isclose(got, want, rtol=WORST_TOL.rtol, atol=WORST_TOL.atol):
            for key, why in (
                ("mean", "the mean of all errors (that is MAE, not the worst ones)"),
                ("max_batch", "the worst errors of the whole batch, not of each image"),
                ("max", "the single largest error"),
                (
                    "nonzero",
                    "each image's worst errors divided by how many of them are not zero "
                    "(as DeepLab's top-k loss does); the contract divides by ceil(q * n)",
                ),
            ):
                if np.isclose(got, expected[f"mistake_case{i}_{key}"], rtol=1e-5) and not np.isclose(
                    expected[f"mistake_case{i}_{key}"], want, rtol=1e-5
                ):
                    fail(
                        f"{call}: expected {want:.5f}, received {got:.5f}: this is {why}; take each image's "
                        f"ceil({q} * {n}) = {math.ceil(q * n)} largest |errors|, their mean, then the batch mean.",
                        mistake={
                            "mean": "the mean of all errors",
                            "max_batch": "the worst of the whole batch",
                            "max": "the single largest error",
                            "nonzero": "divided by the non-zero count",
                        }[key],
                    )
            fail(
                f"{call}: expected {want:.5f}, received {got:.5f} ({WORST_TOL}; each image's ceil({q} * {n}) = "
                f"{math.ceil(q * n)} largest |errors|, their mean, then the mean over the batch)."
            )
        if f"case{i}_grad_error" in received:
            fail(
                f"{call}: TensorFlow cannot differentiate it ({received[f'case{i}_grad_error']}): compute it with "
                f"TensorFlow operations on the tensors (tf.math.top_k), not NumPy."
            )
        expect_close(
            received[f"case{i}_grad"],
            expected[f"case{i}_grad"],
            f"the gradient of {call}",
            WORST_TOL.rtol,
            WORST_TOL.atol,
        )


check(
    "nb3_worst_case_loss",
    2,
    "worst_case_loss",
    collect_worst_case,
    judge_worst_case,
    mistakes=mistakes_worst_case,
    tol=WORST_TOL,
)


BICUBIC_CASES = [((2, 8, 8, 3), 2), ((1, 5, 7, 3), 3), ((3, 4, 6, 1), 2)]


BICUBIC_TOL = Tol(rtol=1e-4, atol=1e-5)


def collect_bicubic(ns):
    f = student_function(ns, "bicubic_upscale")
    return collect_cases(
        lambda indexed: f(rng("bicubic", indexed[0]).uniform(size=indexed[1][0]).astype("float32"), indexed[1][1]),
        list(enumerate(BICUBIC_CASES)),
    )


def judge_bicubic(received, expected):
    for i, (shape, scale) in enumerate(BICUBIC_CASES):
        call = f"bicubic_upscale(images of shape {shape}, {scale})"
        got, want = received_case(received, i, call), expected[f"case{i}"]
        if got.shape == want.shape and (got.min() < 0 or got.max() > 1):
            fail(
                f"{call}: values must be clipped to [0, 1] (bicubic overshoots near edges); received "
                f"[{got.min():.3f}, {got.max():.3f}].",
                mistake="not clipped",
            )
        judge_values(
            got,
            want,
            call,
            BICUBIC_TOL,
            shape_rule=f"{scale} times the height and width",
            why="tf.image.resize(images, size, method='bicubic'), then clip.",
        )


check("nb3_bicubic", 1, "bicubic_upscale", collect_bicubic, judge_bicubic, tol=BICUBIC_TOL)

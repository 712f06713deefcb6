"""Checks of notebook 3: image-to-image prediction (24 auto-graded points).

Structure: the encoder-decoder's layers (no pooling, no UpSampling2D, stride-2
Conv2D down and Conv2DTranspose up, the head's activation) and output shapes
for several inputs and depths. Values: losses, PSNR, IoU and the bicubic
baseline on seeded tensors, ``rtol=1e-4``. Training: the grader trains the
student's own choices again with the notebook's settings and fewer epochs
(``RETRAIN_*``), seeded, and requires a stated fraction of the notebook's targets:
mean IoU >= 0.5 x 0.85 = 0.43 and a PSNR gain over bicubic >= 0.5 x 0.5 = 0.25 dB.
Super-resolution's activation acts on the final image ``x + core(x)``: relu, relu6 and a clip
to [0, 1] pass the retraining by +0.72 to +0.85 dB over three seeds (0.47 dB above the
threshold at least); sigmoid, softplus and tanh, which distort valid intensities, stay at or
below bicubic (-2.7 to +0.02 dB), and a linear output trains but predicts negative values.

The notebook's own training and plotting cells (``DEMO_CELLS``, locked) are not run by
the pytest runner: nothing graded uses them, and the retraining replaces them.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from autograder import hidden_eval
from autograder.checks.common import (
    Tol,
    close,
    collect_cases,
    expect_close,
    fail,
    judge_values,
    numeric_array,
    received_case,
    rng,
    shipped,
)
from autograder.messages import describe_error, utils
from autograder.spec import Check, student_function, student_value

NOTEBOOK = "3_image_to_image"
SEG_TARGET, SR_TARGET = 0.85, 0.5
SEG_FRACTION, SR_FRACTION = 0.5, 0.5
# The grader's training budget: the notebook's settings with fewer epochs (a number of
# epochs, not seconds, so that it repeats). The notebook trains 4 and 2 epochs.
RETRAIN_SEG = dict(epochs=3, batch=16, lr=3e-3, filters=(32, 64, 128))
RETRAIN_SR = dict(epochs=1, batch=16, lr=2e-3, filters=(32, 64))
# Locked cells that only train and plot for the student: the pytest runner skips them.
DEMO_CELLS = frozenset(
    {"partE_seg", "partE_seg_plot", "partE_sr", "partE_sr_plot", "partE_mse", "partE_compare", "partE_err"}
)


def load(name: str) -> dict:
    with np.load(shipped(name), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def class_count() -> int:
    """How many classes the segmentation data has (reads only its class names)."""
    with np.load(shipped("segmentation.npz"), allow_pickle=False) as f:
        return len(f["class_names"])


def _shown(value) -> str:
    """How a student's setting reads in a message: 'softmax', None, or a function's name."""
    if value is None or isinstance(value, str):
        return repr(value)
    return getattr(value, "__name__", None) or getattr(value, "name", None) or type(value).__name__


# --------------------------------------------------------------------------- encoder-decoder
SHAPE_CASES = [
    ((32, 32, 1), 4, "softmax", (32, 64)),
    ((16, 24, 3), 3, "sigmoid", (8,)),
    ((64, 32, 2), 2, None, (8, 16, 32)),
    ((8, 8, 3), 5, "relu", (4, 4)),
]


def _layer_summary(model) -> list[str]:
    """One ``Kind|filters|stride|activation`` row per layer, nested models opened up (a
    Sequential, a subclassed model, an encoder and a decoder as sub-models all count)."""
    out = []
    for layer in utils().model_layers(model):
        config = layer.get_config()
        strides = config.get("strides", ("-",))
        out.append(f"{type(layer).__name__}|{config.get('filters', '-')}|{strides[0]}|{config.get('activation', '-')}")
    return out


def _each_case(ns, describe) -> dict:
    """``describe(model)`` of the student's model for every case, or the error it raised."""
    f = student_function(ns, "build_encoder_decoder")
    out = {}
    for i, (shape, n, act, filters) in enumerate(SHAPE_CASES):
        try:
            out[f"case{i}"] = describe(f(shape, n, act, filters=filters))
        except Exception as exc:  # noqa: BLE001
            out[f"case{i}_error"] = describe_error(exc)
    return out


def collect_shapes(ns):
    """The output shape for a batch of one, as the model computes it (any kind of keras.Model)."""
    shapes = {i: case[0] for i, case in enumerate(SHAPE_CASES)}
    out = {}
    f = student_function(ns, "build_encoder_decoder")
    for i, (shape, n, act, filters) in enumerate(SHAPE_CASES):
        try:
            out[f"case{i}"] = list(utils().output_shape(f(shape, n, act, filters=filters), shapes[i])[1:])
        except Exception as exc:  # noqa: BLE001
            out[f"case{i}_error"] = describe_error(exc)
    return out


def judge_shapes(received, expected):
    for i, (shape, n, act, filters) in enumerate(SHAPE_CASES):
        call = f"build_encoder_decoder({shape}, {n}, {act!r}, filters={filters})"
        got, want = tuple(received_case(received, i, call, "a model")), tuple(expected[f"case{i}"])
        if got != want:
            steps = " -> ".join(str(shape[0] // 2**k) for k in range(len(filters) + 1))
            fail(
                f"{call}: expected output shape (None, {', '.join(map(str, want))}), received (None, "
                f"{', '.join(map(str, got))}). Height: {steps} and back up; use padding='same' on every "
                f"convolution and transposed convolution, and {n} channels in the head."
            )


def collect_layers(ns):
    return _each_case(ns, _layer_summary)


def judge_layers(received, expected):
    for i, (shape, n, act, filters) in enumerate(SHAPE_CASES):
        call = f"build_encoder_decoder({shape}, {n}, {act!r}, filters={filters})"
        if f"case{i}_error" in received:
            fail(f"{call} raised {received[f'case{i}_error']}")
        rows = [r.split("|") for r in received[f"case{i}"]]
        kinds = [r[0] for r in rows]
        pools = [k for k in kinds if "Pool" in k]
        if pools:
            fail(
                f"{call}: it uses {pools[0]}; downsample with stride-2 convolutions instead (they learn how to "
                f"summarise each patch and keep where each feature was; pooling keeps the strongest response and "
                f"throws its position away).",
                mistake="pooling",
            )
        ups = [k for k in kinds if "UpSampling" in k]
        if ups:
            fail(
                f"{call}: it uses {ups[0]}; upsample with stride-2 Conv2DTranspose layers, which learn how to.",
                mistake="UpSampling2D",
            )
        down = [int(r[1]) for r in rows if r[0] == "Conv2D" and r[2] == "2"]
        up = [int(r[1]) for r in rows if r[0] == "Conv2DTranspose" and r[2] == "2"]
        if down != list(filters):
            fail(f"{call}: expected stride-2 Conv2D layers with filters {list(filters)}, found {down}.")
        if up != list(reversed(filters)):
            fail(
                f"{call}: expected stride-2 Conv2DTranspose layers with filters {list(reversed(filters))} "
                f"(the mirror of the way down), found {up}."
            )
        want_head = expected[f"case{i}"][-1].split("|")
        if rows[-1][0] != "Conv2D" or rows[-1][1] != want_head[1] or rows[-1][3] != want_head[3]:
            fail(
                f"{call}: the last layer should be Conv2D({n}, ..., activation={act!r}), found "
                f"{rows[-1][0]} with filters={rows[-1][1]}, activation={rows[-1][3]}."
            )


# --------------------------------------------------------------------------- segmentation choice
def _probe_logits():
    return rng("seg-logits").normal(0, 2, (2, 3, 3, 4)).astype("float32")


def _probe_masks():
    return rng("seg-masks").integers(0, 4, (2, 3, 3))


def collect_segmentation_choice(ns):
    import keras
    import tensorflow as tf

    act, loss = student_value(ns, "SEGMENTATION_ACTIVATION"), student_value(ns, "SEGMENTATION_LOSS")
    out = {"activation_name": _shown(act), "loss_name": _shown(loss)}
    try:
        probs = np.asarray(keras.activations.get(act)(tf.constant(_probe_logits())), dtype=np.float64)
        out["probs"] = probs
    except Exception as exc:  # noqa: BLE001
        out["activation_error"] = describe_error(exc, 200)
        probs = tf.nn.softmax(_probe_logits()).numpy()
    try:
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        out["loss"] = float(np.mean(fn(_probe_masks(), tf.nn.softmax(_probe_logits()))))
    except Exception as exc:  # noqa: BLE001
        out["loss_error"] = describe_error(exc, 200)
    return out


def judge_segmentation_choice(received, expected):
    act, loss = received["activation_name"], received["loss_name"]
    if "activation_error" in received:
        fail(f"SEGMENTATION_ACTIVATION = {act} is not an activation Keras knows: {received['activation_error']}")
    sums = np.asarray(received["probs"]).sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-4) or not close(received["probs"], expected["probs"], 1e-4, 1e-6):
        fail(
            f"SEGMENTATION_ACTIVATION = {act}: every pixel needs a probability distribution over the 4 classes "
            f"(non-negative, summing to 1 over the channels); its outputs sum to {sums.ravel()[0]:.3f} for "
            f"one pixel. A sigmoid scores each class on its own, a linear head gives no probabilities.",
            mistake="no per-pixel softmax",
        )
    if "loss_error" in received:
        fail(
            f"SEGMENTATION_LOSS = {loss} fails on integer masks of shape (2, 3, 3) and predictions of shape "
            f"(2, 3, 3, 4): {received['loss_error']}. With integer masks, use the *sparse* categorical "
            f"cross-entropy (categorical_crossentropy expects one-hot masks).",
            mistake="a loss for one-hot masks",
        )
    if not np.isclose(received["loss"], expected["loss"], rtol=1e-4):
        fail(
            f"SEGMENTATION_LOSS = {loss}: on a probe it gives {received['loss']:.4f} where the per-pixel "
            f"cross-entropy -mean(log p[true class]) gives {expected['loss']:.4f}. MSE or another loss treats "
            f"class indices as numbers.",
            mistake="not the cross-entropy",
        )


# --------------------------------------------------------------------------- metrics
IOU_CASES = [((4, 6, 6), 3, 0.6), ((2, 8, 8), 5, 0.8), ((3, 5, 5), 4, 0.3), ((1, 4, 4), 6, 0.9)]


def _iou_masks(i, shape, classes, agree):
    g = rng("iou", i)
    high = classes - 1 if i == 1 else classes  # case 1: the last class absent from both
    t = g.integers(0, high, shape)
    p = np.where(g.uniform(size=shape) < agree, t, g.integers(0, high, shape))
    return t, p


IOU_TOL = Tol(rtol=1e-4, atol=1e-6)


def collect_mean_iou(ns):
    f = student_function(ns, "mean_iou")
    return collect_cases(
        lambda indexed: f(*_iou_masks(indexed[0], *indexed[1])[:2], indexed[1][1]), list(enumerate(IOU_CASES))
    )


def mistakes_mean_iou():
    out = {}
    for i, (shape, classes, agree) in enumerate(IOU_CASES):
        t, p = _iou_masks(i, shape, classes, agree)
        out[f"case{i}_pixel_accuracy"] = float(np.mean(t == p))
        ious = [np.sum((t == c) & (p == c)) / max(np.sum((t == c) | (p == c)), 1) for c in range(classes)]
        out[f"case{i}_absent_as_zero"] = float(np.mean(ious))
        per_image = []
        for j in range(shape[0]):
            tj, pj = t[j], p[j]
            scores = [
                np.sum((tj == c) & (pj == c)) / np.sum((tj == c) | (pj == c))
                for c in range(classes)
                if np.sum((tj == c) | (pj == c))
            ]
            per_image.append(np.mean(scores))
        out[f"case{i}_per_image"] = float(np.mean(per_image))
    return out


IOU_MISTAKES = {
    "pixel_accuracy": "this is the fraction of pixels that agree: IoU is averaged over classes (per class "
    "|T and P| / |T or P|), not over pixels.",
    "absent_as_zero": "a class absent from both masks counts as 0 in your mean; leave it out, as "
    "keras.metrics.MeanIoU does.",
    "per_image": "this is the mean of each image's own mean IoU; the contract counts the pixels of the whole set "
    "of masks first (one intersection and one union per class), then averages over classes.",
}


def judge_mean_iou(received, expected):
    for i, (shape, classes, agree) in enumerate(IOU_CASES):
        call = f"mean_iou(masks of shape {shape}, ..., num_classes={classes})"
        got = received_case(received, i, call, "a number")
        if np.shape(got) != ():
            fail(
                f"{call}: expected one number (the mean over the classes), received an array of shape {np.shape(got)}."
            )
        judge_values(got, expected[f"case{i}"], call, IOU_TOL, expected, IOU_MISTAKES, prefix=f"case{i}_")


PSNR_CASES = [((3, 8, 8, 3), 1.0, 0.05), ((2, 5, 7, 1), 255.0, 10.0), ((4, 4, 4, 3), 1.0, 0.2)]


def _psnr_pair(i, shape, max_val, noise):
    g = rng("psnr", i)
    a = g.uniform(0, max_val, shape)
    return a, np.clip(a + g.normal(0, noise, shape), 0, max_val)


PSNR_TOL = Tol(rtol=1e-4, atol=1e-6)


def collect_psnr(ns):
    f = student_function(ns, "psnr")
    return collect_cases(
        lambda indexed: f(*_psnr_pair(indexed[0], *indexed[1]), max_val=indexed[1][1]), list(enumerate(PSNR_CASES))
    )


def judge_psnr(received, expected):
    for i, (shape, max_val, noise) in enumerate(PSNR_CASES):
        call = f"psnr(images of shape {shape}, ..., max_val={max_val})"
        got, want = received_case(received, i, call, "one number per image"), expected[f"case{i}"]
        if np.shape(got) != np.shape(want):
            fail(
                f"{call}: expected one value per image, an array of shape {np.shape(want)}; received "
                + ("one number for the whole batch" if np.shape(got) == () else f"shape {np.shape(got)}")
                + ": take the mean squared error over each image's pixels (axes 1, 2, 3), not over the batch."
            )
        if PSNR_TOL.close(got, want):
            continue
        if PSNR_TOL.close(got / np.log(10), want):
            fail(
                f"{call}: the values are 10 ln(...) instead of 10 log10(...): use log base 10 for decibels.",
                mistake="natural log",
            )
        if max_val != 1.0 and PSNR_TOL.close(got, want - 20 * np.log10(max_val)):
            fail(
                f"{call}: max_val is ignored (the values are those for max_val=1): 10 log10(max_val**2 / MSE).",
                mistake="max_val ignored",
            )
        judge_values(got, want, call, PSNR_TOL, why="10 * log10(max_val**2 / mean((y_true - y_pred)**2)) per image.")


# --------------------------------------------------------------------------- super-resolution pieces
ACT_PROBE = np.array([-6.0, -2.0, -0.5, -0.01, 0.0, 0.01, 0.25, 0.5, 0.75, 1.0, 2.0, 6.0], dtype="float32")
INTENSITIES = (ACT_PROBE >= 0) & (ACT_PROBE <= 1)


def collect_superres_activation(ns):
    import keras

    act = student_value(ns, "SUPERRES_ACTIVATION")
    return {"name": _shown(act), "values": np.asarray(keras.activations.get(act)(ACT_PROBE), dtype=np.float64)}


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


# --------------------------------------------------------------------------- retraining
# A retraining is skipped, and the solution's stored result used, when the student's choices
# are provably the solution's: the same layers (configurations, in order), the same initial
# weights (seeded), the same outputs on a probe batch, and a loss that is Keras's own sparse
# cross-entropy (segmentation) or a worst-case loss equal to the grader's in values and
# gradients on probe batches drawn like the training batches (super-resolution). Such a
# retraining would repeat the solution's exactly; a fingerprint the student's process forged
# gains nothing it could not compute there (train the solution's model itself). Any other
# submission is retrained. The solution's fingerprints are in references/retrain.json (not
# secret: hashes of public choices); reference generation always retrains (REUSE False).
REUSE = True
RETRAIN_FILE = Path(__file__).resolve().parents[1] / "references" / "retrain.npz"
PROBE_TOL = Tol(rtol=1e-4, atol=1e-6)
_KNOWN: dict | None = None


def known_fingerprints() -> dict:
    """The solution's retraining fingerprints and probe outputs (read once, before the child
    confines itself): ``{grade_id: digest, grade_id + "/probe": outputs}``."""
    global _KNOWN
    if _KNOWN is None:
        try:
            with np.load(RETRAIN_FILE, allow_pickle=False) as f:
                _KNOWN = {k: (f[k].item() if f[k].ndim == 0 else f[k]) for k in f.files}
        except (OSError, ValueError):
            _KNOWN = {}
    return _KNOWN


def preload() -> None:
    known_fingerprints()


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def _model_fingerprint(model, input_shape):
    """``(digest, probe outputs)``: the digest of the layers' configurations (names left out) in
    order and of the initial weights, and the model's outputs for a fixed probe batch (compared
    within PROBE_TOL, not hashed: float sums differ in the last digits between CPUs). Equal for
    models that compute the same function from the same start. None when a layer cannot
    describe itself."""
    import keras

    try:
        layers = [
            (type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in utils().model_layers(model)
        ]
        probe = rng("fingerprint-probe", tuple(input_shape)).uniform(size=(2, *input_shape)).astype("float32")
        out = np.asarray(model(probe), dtype=np.float32)
    except Exception:  # noqa: BLE001 - a model that cannot be described is simply retrained
        return None
    weights = b"".join(np.asarray(w, dtype=np.float32).tobytes() for w in model.weights)
    return _digest(
        layers, weights, keras.__version__, keras.config.floatx(), keras.mixed_precision.global_policy().name
    ), out


def _is_keras_sparse_ce(loss) -> bool:
    import keras

    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except Exception:  # noqa: BLE001
            return False
    if loss is keras.losses.sparse_categorical_crossentropy:
        return True
    return (
        type(loss) is keras.losses.SparseCategoricalCrossentropy
        and loss.get_config() == keras.losses.SparseCategoricalCrossentropy().get_config()
    )


def _reference_worst(y_true, y_pred, q=0.1):
    """The grader's own worst-case loss (the notebook's contract)."""
    import tensorflow as tf

    y_pred = tf.convert_to_tensor(y_pred)
    err = tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred)
    n = math.prod(err.shape[1:])
    return tf.reduce_mean(tf.math.top_k(tf.reshape(err, (-1, n)), k=math.ceil(q * n)).values)


def _worst_is_the_reference(worst, hr, x) -> bool:
    """The student's worst_case_loss equals the grader's, in values and gradients, on batches shaped
    like the training batches: patches and their bicubic images, noisy ones, and exact ones."""
    import tensorflow as tf

    g = rng("worst-probe")
    probes = []
    for k in range(4):
        y = hr[16 * k : 16 * (k + 1)].astype("float32")
        p = np.clip(x[16 * k : 16 * (k + 1)] + g.normal(0, 0.02 * k, y.shape), 0, 1).astype("float32")
        if k == 3:
            p = np.where(g.uniform(size=y.shape) < 0.9, y, p).astype("float32")  # mostly exact: zeros
        probes.append((y, p))
    try:
        for y, p in probes:
            values = []
            for fn in (worst, _reference_worst):
                var = tf.Variable(p)
                with tf.GradientTape() as tape:
                    loss = fn(tf.constant(y), var)
                grad = tape.gradient(loss, var)
                if grad is None or np.shape(loss) != ():
                    return False
                values.append((float(loss), np.asarray(grad, dtype=np.float64)))
            (a, ga), (b, gb) = values
            if not (np.isclose(a, b, rtol=1e-5, atol=1e-8) and np.allclose(ga, gb, rtol=1e-4, atol=1e-9)):
                return False
    except Exception:  # noqa: BLE001 - a loss that fails here is simply retrained
        return False
    return True


def _reused(grade_id: str, fingerprint) -> bool:
    """Whether this fingerprint is the solution's: the same digest, the same probe outputs."""
    if not REUSE or fingerprint is None or fingerprint[0] != known_fingerprints().get(grade_id):
        return False
    known = known_fingerprints().get(f"{grade_id}/probe")
    return known is not None and PROBE_TOL.close(fingerprint[1], known)


def _fingerprint_values(fingerprint) -> dict:
    return {} if fingerprint is None else {"fingerprint": fingerprint[0], "probe": fingerprint[1]}


def collect_trained_segmentation(ns):
    import keras

    f = student_function(ns, "build_encoder_decoder")
    act, loss = student_value(ns, "SEGMENTATION_ACTIVATION"), student_value(ns, "SEGMENTATION_LOSS")
    data, cfg = load("segmentation.npz"), RETRAIN_SEG
    keras.utils.set_random_seed(0)
    model = f(data["x_train"].shape[1:], len(data["class_names"]), act, filters=cfg["filters"])
    fingerprint = None
    if _is_keras_sparse_ce(loss) and (model_print := _model_fingerprint(model, data["x_train"].shape[1:])):
        fingerprint = (_digest("seg", model_print[0], cfg, "sparse_categorical_crossentropy"), model_print[1])
    if _reused("nb3_trained_segmentation", fingerprint):
        return {"reused": True, **_fingerprint_values(fingerprint)}
    model.compile(keras.optimizers.Adam(cfg["lr"]), loss)
    model.fit(data["x_train"], data["y_train"], batch_size=cfg["batch"], epochs=cfg["epochs"], verbose=0)
    pred = np.argmax(np.asarray(model.predict(hidden_eval.inputs()["seg_x"], verbose=0)), axis=-1)
    return {"pred": pred.astype(np.uint8), **_fingerprint_values(fingerprint)}


def summary_trained_segmentation(values):
    """Mean IoU of the retrained model's predictions on the grader's hidden scenes
    (autograder/hidden_eval.py), computed by the judge; or, for a retraining skipped because the
    choices are the solution's, only the fingerprint (the judge uses the solution's result)."""
    kept = {k: values[k] for k in ("fingerprint", "probe", "reused") if k in values}
    if "pred" not in values:
        return kept
    truth, classes = hidden_eval.truth("seg_y"), class_count()
    t = truth.astype(np.int64).ravel()
    pred = np.asarray(values["pred"])
    if pred.shape != truth.shape:
        fail(f"the retrained model's predictions have shape {pred.shape}; expected {truth.shape}")
    pred = np.clip(pred.astype(np.int64), 0, classes - 1).ravel()
    confusion = np.bincount(classes * t + pred, minlength=classes**2).reshape(classes, classes)
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    return {"iou": float(np.mean(inter[union > 0] / union[union > 0])), **kept}


def _result(received: dict, expected: dict, key: str) -> float:
    """The retrained figure, or the solution's when the retraining was skipped because the choices
    are the solution's (its fingerprint and probe outputs: checked again here, where the judge runs)."""
    if key in received:
        return float(received[key])
    if (
        received.get("reused")
        and received.get("fingerprint") == expected.get("fingerprint")
        and "probe" in received
        and PROBE_TOL.close(received["probe"], expected["probe"])
    ):
        return float(expected[key])
    fail("the retraining was skipped, but the model is not the solution's: the grader cannot judge it")


def judge_trained_segmentation(received, expected):
    need = SEG_FRACTION * SEG_TARGET
    iou = _result(received, expected, "iou")
    if iou < need:
        fail(
            f"retrained for {RETRAIN_SEG['epochs']} epochs with your "
            f"build_encoder_decoder, SEGMENTATION_ACTIVATION and SEGMENTATION_LOSS, the model reaches a test mean "
            f"IoU of {iou:.3f} on the grader's own scenes; at least {SEG_FRACTION} x {SEG_TARGET} = {need:.2f} "
            f"is needed (the "
            f"solution reaches {expected['iou']:.3f})."
        )


def collect_trained_superres(ns):
    import keras
    import tensorflow as tf

    f = student_function(ns, "build_encoder_decoder")
    act, worst = student_value(ns, "SUPERRES_ACTIVATION"), student_function(ns, "worst_case_loss")
    data, cfg = load("superres.npz"), RETRAIN_SR

    def upscale(images):  # the grader's own bicubic baseline, not the student's
        images = tf.convert_to_tensor(images, tf.float32)
        return tf.clip_by_value(
            tf.image.resize(images, (images.shape[1] * 2, images.shape[2] * 2), method="bicubic"), 0.0, 1.0
        ).numpy()

    def loss(y_true, y_pred):  # the notebook's superres_loss, with the student's worst_case_loss
        return keras.ops.mean(keras.ops.square(y_true - y_pred)) + worst(y_true, y_pred)

    keras.utils.set_random_seed(0)
    shape = data["hr_train"].shape[1:]
    model = utils().superres_model(f(shape, shape[-1], None, filters=cfg["filters"]), act, shape)
    x = upscale(data["lr_train"])
    fingerprint = None
    if _worst_is_the_reference(worst, data["hr_train"], x) and (model_print := _model_fingerprint(model, shape)):
        fingerprint = (_digest("sr", model_print[0], cfg, "mse + the contract's worst-case loss"), model_print[1])
    if _reused("nb3_trained_superres", fingerprint):
        return {"reused": True, **_fingerprint_values(fingerprint)}
    model.compile(keras.optimizers.Adam(cfg["lr"]), loss=loss)
    model.fit(
        utils().dihedral(x),
        utils().dihedral(data["hr_train"]),
        batch_size=cfg["batch"],
        epochs=cfg["epochs"],
        verbose=0,
    )
    x_test = upscale(hidden_eval.inputs()["sr_lr"])
    return {
        "pred": np.asarray(model.predict(x_test, verbose=0), dtype=np.float32),
        "bicubic": x_test,
        **_fingerprint_values(fingerprint),
    }


def summary_trained_superres(values):
    """PSNR (dB) of the retrained model's and of bicubic's patches, on the grader's hidden
    patches (autograder/hidden_eval.py), computed by the judge. Only the solution's bicubic
    figure is used (it is stored in the references)."""
    kept = {k: values[k] for k in ("fingerprint", "probe", "reused") if k in values}
    if "pred" not in values:
        return kept
    hr = hidden_eval.truth("sr_hr").astype(np.float64)

    def db(images, what):
        images = np.asarray(images, dtype=np.float64)
        if images.shape != hr.shape:
            fail(f"the retrained model's {what} have shape {images.shape}; expected {hr.shape}")
        return float(np.mean(10 * np.log10(1.0 / np.maximum(np.mean((hr - images) ** 2, axis=(1, 2, 3)), 1e-12))))

    return {
        "pred_db": db(values["pred"], "predictions"),
        "bicubic_db": db(values["bicubic"], "bicubic patches"),
        **kept,
    }


def judge_trained_superres(received, expected):
    need = SR_FRACTION * SR_TARGET
    gain = _result(received, expected, "pred_db") - expected["bicubic_db"]
    solution = expected["pred_db"] - expected["bicubic_db"]
    if gain < need:
        fail(
            f"retrained for {RETRAIN_SR['epochs']} epoch(s) with your build_encoder_decoder, SUPERRES_ACTIVATION and "
            f"worst_case_loss, the model is {gain:+.2f} dB above bicubic on the grader's own patches; at least "
            f"{SR_FRACTION} x {SR_TARGET} = {need:.2f} dB is needed (the solution reaches {solution:+.2f} dB)."
        )


CHECKS = [
    Check(
        "nb3_encoder_decoder_shapes", NOTEBOOK, 3, "build_encoder_decoder: output shapes", collect_shapes, judge_shapes
    ),
    Check(
        "nb3_encoder_decoder_layers",
        NOTEBOOK,
        3,
        "build_encoder_decoder: strided convolutions down, transposed convolutions up",
        collect_layers,
        judge_layers,
    ),
    Check(
        "nb3_segmentation_choice",
        NOTEBOOK,
        3,
        "SEGMENTATION_ACTIVATION and SEGMENTATION_LOSS",
        collect_segmentation_choice,
        judge_segmentation_choice,
    ),
    Check(
        "nb3_mean_iou",
        NOTEBOOK,
        2,
        "mean_iou",
        collect_mean_iou,
        judge_mean_iou,
        mistakes=mistakes_mean_iou,
        tol=IOU_TOL,
    ),
    Check("nb3_psnr", NOTEBOOK, 2, "psnr", collect_psnr, judge_psnr, tol=PSNR_TOL),
    Check(
        "nb3_superres_activation",
        NOTEBOOK,
        2,
        "SUPERRES_ACTIVATION",
        collect_superres_activation,
        judge_superres_activation,
    ),
    Check(
        "nb3_worst_case_loss",
        NOTEBOOK,
        3,
        "worst_case_loss",
        collect_worst_case,
        judge_worst_case,
        mistakes=mistakes_worst_case,
        tol=WORST_TOL,
    ),
    Check("nb3_bicubic", NOTEBOOK, 1, "bicubic_upscale", collect_bicubic, judge_bicubic, tol=BICUBIC_TOL),
    Check(
        "nb3_trained_segmentation",
        NOTEBOOK,
        3,
        "segmentation retrained from your choices",
        collect_trained_segmentation,
        judge_trained_segmentation,
        time_limit=240,
        summary=summary_trained_segmentation,
        # IoU after 3 epochs spreads over 0.80-0.87 across CPU settings and seeds (docs/grading.md)
        trained=(("iou", 0.2),),
    ),
    Check(
        "nb3_trained_superres",
        NOTEBOOK,
        2,
        "super-resolution retrained from your choices",
        collect_trained_superres,
        judge_trained_superres,
        time_limit=240,
        summary=summary_trained_superres,
        # dB over bicubic spreads over +0.71 to +0.87 across CPU settings and seeds (docs/grading.md)
        trained=(("pred_db", 0.2),),
    ),
]
MANUAL = {"nb3_segmentation_question": 3, "nb3_superres_question": 3}

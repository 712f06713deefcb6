"""Checks of notebook 3: image-to-image prediction (22 auto-graded points).

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

import numpy as np

from autograder.checks.common import (
    Tol,
    close,
    collect_cases,
    fail,
    judge_values,
    received_case,
    rng,
    shipped,
)
from autograder.messages import describe_error, utils
from autograder.spec import Check, declare, student_function, student_value

NOTEBOOK = "3_image_to_image"
GRADING_SECONDS = 60  # rough seconds the pytest runner spends on it (2 cores): the costliest start first
CHECKS: list[Check] = []  # in the notebook's order, each declared below its collect and judge
check = declare(CHECKS, NOTEBOOK)
# Locked cells that only train and plot for the student: the pytest runner skips them.
DEMO_CELLS = frozenset(
    {
        "partE_seg",
        "partE_seg_plot",
        "partE_sr",
        "partE_sr_plot",
        "partE_mse",
        "partE_compare",
        "partE_err",
        "partE_seeds",
    }
)


def load(name: str) -> dict:
    with np.load(shipped(name), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def class_count() -> int:
    """How many classes the segmentation data has (reads only its class names)."""
    with np.load(shipped("segmentation.npz"), allow_pickle=False) as f:
        return len(f["class_names"])


def shown(value) -> str:
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


def _activation_of(layer, config: dict) -> str:
    """The activation a layer applies, by name: its ``activation`` setting, or for Keras's
    activation layers at their defaults the function they compute (``Softmax()`` is 'softmax',
    ``ReLU()`` is 'relu'); '-' for a layer that has none."""
    kind = type(layer).__name__
    if kind == "Softmax" and config.get("axis", -1) in (-1, [-1], (-1,)):
        return "softmax"
    if (
        kind == "ReLU"
        and config.get("max_value") is None
        and not config.get("negative_slope")
        and not config.get("threshold")
    ):
        return "relu"
    return str(config.get("activation", "-"))


def _layer_summary(model) -> list[str]:
    """One ``Kind|filters|stride|activation`` row per layer, nested models opened up (a
    Sequential, a subclassed model, an encoder and a decoder as sub-models all count)."""
    out = []
    for layer in utils().model_layers(model):
        config = layer.get_config()
        strides = config.get("strides", ("-",))
        out.append(f"{type(layer).__name__}|{config.get('filters', '-')}|{strides[0]}|{_activation_of(layer, config)}")
    return out


ACTIVATION_LAYERS = ("Activation", "Softmax", "ReLU")


def _head(rows: list[list[str]]) -> list[str]:
    """The head's row: the last layer, or a linear Conv2D and the activation layer after it
    (``Conv2D(n, 3, padding="same")`` then ``Activation("softmax")`` computes what
    ``Conv2D(n, 3, padding="same", activation="softmax")`` does) taken as one."""
    last = rows[-1]
    if len(rows) > 1 and last[0] in ACTIVATION_LAYERS and last[3] != "-":
        conv = rows[-2]
        if conv[0] == "Conv2D" and conv[3] == "linear":
            return [conv[0], conv[1], conv[2], last[3]]
    return last


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


check("nb3_encoder_decoder_shapes", 3, "build_encoder_decoder: output shapes", collect_shapes, judge_shapes)


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
        want_head, head = expected[f"case{i}"][-1].split("|"), _head(rows)
        if head[0] != "Conv2D" or head[1] != want_head[1] or head[3] != want_head[3]:
            fail(
                f"{call}: the last layer should be Conv2D({n}, ..., activation={act!r}) (or a linear Conv2D({n}, ...) "
                f"and an Activation({act!r}) layer), found {head[0]} with "
                + ("no filters" if head[1] == "-" else f"filters={head[1]}")
                + ("" if head[3] == "-" else f", activation={head[3]}")
                + "."
            )


check(
    "nb3_encoder_decoder_layers",
    3,
    "build_encoder_decoder: strided convolutions down, transposed convolutions up",
    collect_layers,
    judge_layers,
)


# --------------------------------------------------------------------------- segmentation choice
def probe_logits():
    return rng("seg-logits").normal(0, 2, (2, 3, 3, 4)).astype("float32")


def probe_masks():
    return rng("seg-masks").integers(0, 4, (2, 3, 3))


def collect_segmentation_choice(ns):
    import keras
    import tensorflow as tf

    act, loss = student_value(ns, "SEGMENTATION_ACTIVATION"), student_value(ns, "SEGMENTATION_LOSS")
    out = {"activation_name": shown(act), "loss_name": shown(loss)}
    try:
        probs = np.asarray(keras.activations.get(act)(tf.constant(probe_logits())), dtype=np.float64)
        out["probs"] = probs
    except Exception as exc:  # noqa: BLE001
        out["activation_error"] = describe_error(exc, 200)
        probs = tf.nn.softmax(probe_logits()).numpy()
    try:
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        out["loss"] = float(np.mean(fn(probe_masks(), tf.nn.softmax(probe_logits()))))
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


check(
    "nb3_segmentation_choice",
    1,
    "SEGMENTATION_ACTIVATION and SEGMENTATION_LOSS",
    collect_segmentation_choice,
    judge_segmentation_choice,
)


# --------------------------------------------------------------------------- metrics
IOU_CASES = [((4, 6, 6), 3, 0.6), ((2, 8, 8), 5, 0.8), ((3, 5, 5), 4, 0.3), ((1, 4, 4), 6, 0.9), ((2, 6, 6), 4, 0.6)]
PREDICTED_ONLY = 4  # the case whose last class is in the prediction only (an IoU of 0 that counts)


def _iou_masks(i, shape, classes, agree):
    g = rng("iou", i)
    high = classes - 1 if i == 1 else classes  # case 1: the last class absent from both
    t = g.integers(0, high - (i == PREDICTED_ONLY), shape)
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
        if i == PREDICTED_ONLY:
            in_truth = [np.sum((t == c) & (p == c)) / np.sum((t == c) | (p == c)) for c in np.unique(t)]
            out[f"case{i}_truth_classes_only"] = float(np.mean(in_truth))
    return out


IOU_MISTAKES = {
    "pixel_accuracy": "this is the fraction of pixels that agree: IoU is averaged over classes (per class "
    "|T and P| / |T or P|), not over pixels.",
    "absent_as_zero": "a class absent from both masks counts as 0 in your mean; leave it out, as "
    "keras.metrics.MeanIoU does.",
    "truth_classes_only": "the mean leaves out a class that only the prediction has: the contract averages over the "
    "classes present in y_true or y_pred, and a class predicted where the truth has none has an IoU of 0.",
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


check("nb3_mean_iou", 1, "mean_iou", collect_mean_iou, judge_mean_iou, mistakes=mistakes_mean_iou, tol=IOU_TOL)


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


check("nb3_psnr", 1, "psnr", collect_psnr, judge_psnr, tol=PSNR_TOL)


MANUAL = {"nb3_segmentation_question": 3, "nb3_superres_question": 3}

"""Checks of notebook 3: image-to-image prediction (24 auto-graded points).

Structure: the encoder-decoder's layers (no pooling, no UpSampling2D, stride-2
Conv2D down and Conv2DTranspose up, the head's activation) and output shapes
for several inputs and depths. Values: losses, PSNR, IoU and the bicubic
baseline on seeded tensors, ``rtol=1e-4``. Training: the grader trains the
student's own choices again with the notebook's settings and fewer epochs
(``RETRAIN_*``), seeded, and requires a stated fraction of the notebook's targets:
mean IoU >= 0.5 x 0.85 = 0.43 and a PSNR gain over bicubic >= 0.5 x 0.5 = 0.25 dB.

The notebook's own training and plotting cells (``DEMO_CELLS``, locked) are not run by
the pytest runner: nothing graded uses them, and the retraining replaces them.
"""
from __future__ import annotations

import math
import numpy as np

from autograder.core import Check, describe_error, student_function, student_value
from autograder import hidden
from autograder.checks.common import close, expect_close, fail, rng, shipped

NOTEBOOK = "3_image_to_image"
SEG_TARGET, SR_TARGET = 0.85, 0.5
SEG_FRACTION, SR_FRACTION = 0.5, 0.5
# The grader's training budget: the notebook's settings with fewer epochs (a number of
# epochs, not seconds, so that it repeats). The notebook trains 4 and 3 epochs.
RETRAIN_SEG = dict(epochs=2, batch=16, lr=3e-3, filters=(32, 64, 128))
RETRAIN_SR = dict(epochs=1, batch=16, lr=2e-3, filters=(32, 64))
# Locked cells that only train and plot for the student: the pytest runner skips them.
DEMO_CELLS = frozenset({"partE_seg", "partE_seg_plot", "partE_sr", "partE_sr_plot", "partE_err"})

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
SHAPE_CASES = [((32, 32, 1), 4, "softmax", (32, 64)), ((16, 24, 3), 3, "sigmoid", (8,)),
               ((64, 32, 2), 2, None, (8, 16, 32)), ((8, 8, 3), 5, "relu", (4, 4))]


def _layer_summary(model) -> list[str]:
    out = []
    for layer in model.layers:
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
    return _each_case(ns, lambda model: [-1 if d is None else int(d) for d in model.output.shape[1:]])


def judge_shapes(received, expected):
    for i, (shape, n, act, filters) in enumerate(SHAPE_CASES):
        call = f"build_encoder_decoder({shape}, {n}, {act!r}, filters={filters})"
        if f"case{i}_error" in received:
            fail(f"{call} raised {received[f'case{i}_error']}")
        want, got = tuple(expected[f"case{i}"]), tuple(received[f"case{i}"])
        if got != want:
            steps = " -> ".join(str(shape[0] // 2 ** k) for k in range(len(filters) + 1))
            fail(f"{call}: expected output shape (None, {', '.join(map(str, want))}), received (None, "
                 f"{', '.join(map(str, got))}). Height: {steps} and back up; use padding='same' on every "
                 f"convolution and transposed convolution, and {n} channels in the head.")


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
            fail(f"{call}: it uses {pools[0]}; downsample with stride-2 convolutions instead (the lecture: pooling "
                 f"spreads the attention over the whole image, strides keep it on local parts).")
        ups = [k for k in kinds if "UpSampling" in k]
        if ups:
            fail(f"{call}: it uses {ups[0]}; upsample with stride-2 Conv2DTranspose layers, which learn how to.")
        down = [int(r[1]) for r in rows if r[0] == "Conv2D" and r[2] == "2"]
        up = [int(r[1]) for r in rows if r[0] == "Conv2DTranspose" and r[2] == "2"]
        if down != list(filters):
            fail(f"{call}: expected stride-2 Conv2D layers with filters {list(filters)}, found {down}.")
        if up != list(reversed(filters)):
            fail(f"{call}: expected stride-2 Conv2DTranspose layers with filters {list(reversed(filters))} "
                 f"(the mirror of the way down), found {up}.")
        want_head = expected[f"case{i}"][-1].split("|")
        if rows[-1][0] != "Conv2D" or rows[-1][1] != want_head[1] or rows[-1][3] != want_head[3]:
            fail(f"{call}: the last layer should be Conv2D({n}, ..., activation={act!r}), found "
                 f"{rows[-1][0]} with filters={rows[-1][1]}, activation={rows[-1][3]}.")


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
        fail(f"SEGMENTATION_ACTIVATION = {act}: every pixel needs a probability distribution over the 4 classes "
             f"(non-negative, summing to 1 over the channels); its outputs sum to {sums.ravel()[0]:.3f} for "
             f"one pixel. A sigmoid scores each class on its own, a linear head gives no probabilities.")
    if "loss_error" in received:
        fail(f"SEGMENTATION_LOSS = {loss} fails on integer masks of shape (2, 3, 3) and predictions of shape "
             f"(2, 3, 3, 4): {received['loss_error']}. With integer masks, use the *sparse* categorical "
             f"cross-entropy (categorical_crossentropy expects one-hot masks).")
    if not np.isclose(received["loss"], expected["loss"], rtol=1e-4):
        fail(f"SEGMENTATION_LOSS = {loss}: on a probe it gives {received['loss']:.4f} where the per-pixel "
             f"cross-entropy -mean(log p[true class]) gives {expected['loss']:.4f}. MSE or another loss treats "
             f"class indices as numbers.")


# --------------------------------------------------------------------------- metrics
IOU_CASES = [((4, 6, 6), 3, 0.6), ((2, 8, 8), 5, 0.8), ((3, 5, 5), 4, 0.3), ((1, 4, 4), 6, 0.9)]


def _iou_masks(i, shape, classes, agree):
    g = rng("iou", i)
    high = classes - 1 if i == 1 else classes       # case 1: the last class absent from both
    t = g.integers(0, high, shape)
    p = np.where(g.uniform(size=shape) < agree, t, g.integers(0, high, shape))
    return t, p


def collect_mean_iou(ns):
    f = student_function(ns, "mean_iou")
    out = {}
    for i, (shape, classes, agree) in enumerate(IOU_CASES):
        t, p = _iou_masks(i, shape, classes, agree)
        out[f"case{i}"] = float(np.asarray(f(t, p, classes)))
    return out


def mistakes_mean_iou():
    out = {}
    for i, (shape, classes, agree) in enumerate(IOU_CASES):
        t, p = _iou_masks(i, shape, classes, agree)
        out[f"case{i}_pixel_accuracy"] = float(np.mean(t == p))
        ious = [np.sum((t == c) & (p == c)) / max(np.sum((t == c) | (p == c)), 1) for c in range(classes)]
        out[f"case{i}_absent_as_zero"] = float(np.mean(ious))
    return out


def judge_mean_iou(received, expected):
    for i, (shape, classes, agree) in enumerate(IOU_CASES):
        call = f"mean_iou(masks of shape {shape}, ..., num_classes={classes})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if np.isclose(got, want, rtol=1e-4):
            continue
        if np.isclose(got, expected[f"mistake_case{i}_pixel_accuracy"], rtol=1e-6):
            fail(f"{call}: expected {want:.4f}, received {got:.4f}, the fraction of pixels that agree: IoU is "
                 f"averaged over classes (per class |T and P| / |T or P|), not over pixels.")
        if np.isclose(got, expected[f"mistake_case{i}_absent_as_zero"], rtol=1e-6):
            fail(f"{call}: expected {want:.4f}, received {got:.4f}: a class absent from both masks counts as 0 in "
                 f"your mean; leave it out, as keras.metrics.MeanIoU does.")
        fail(f"{call}: expected {want:.4f}, received {got:.4f}.")


PSNR_CASES = [((3, 8, 8, 3), 1.0, 0.05), ((2, 5, 7, 1), 255.0, 10.0), ((4, 4, 4, 3), 1.0, 0.2)]


def _psnr_pair(i, shape, max_val, noise):
    g = rng("psnr", i)
    a = g.uniform(0, max_val, shape)
    return a, np.clip(a + g.normal(0, noise, shape), 0, max_val)


def collect_psnr(ns):
    f = student_function(ns, "psnr")
    out = {}
    for i, (shape, max_val, noise) in enumerate(PSNR_CASES):
        a, b = _psnr_pair(i, shape, max_val, noise)
        out[f"case{i}"] = np.asarray(f(a, b, max_val=max_val), dtype=np.float64)
    return out


def judge_psnr(received, expected):
    for i, (shape, max_val, noise) in enumerate(PSNR_CASES):
        call = f"psnr(images of shape {shape}, ..., max_val={max_val})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if got.shape != want.shape:
            fail(f"{call}: expected one value per image, shape {want.shape}; received shape {got.shape}.")
        if close(got, want, 1e-4, 1e-6):
            continue
        if close(got / np.log(10), want, 1e-4, 1e-6):
            fail(f"{call}: the values are 10 ln(...) instead of 10 log10(...): use log base 10 for decibels.")
        if max_val != 1.0 and close(got, want - 20 * np.log10(max_val), 1e-4, 1e-6):
            fail(f"{call}: max_val is ignored (the values are those for max_val=1): 10 log10(max_val**2 / MSE).")
        expect_close(got, want, call, 1e-4, 1e-6, why="10 * log10(max_val**2 / mean((y_true - y_pred)**2)) per image.")


# --------------------------------------------------------------------------- super-resolution pieces
ACT_PROBE = np.array([-6.0, -2.0, -0.5, -0.01, 0.0, 0.01, 0.5, 2.0, 6.0], dtype="float32")


def collect_superres_activation(ns):
    import keras

    act = student_value(ns, "SUPERRES_ACTIVATION")
    return {"name": _shown(act), "values": np.asarray(keras.activations.get(act)(ACT_PROBE), dtype=np.float64)}


def judge_superres_activation(received, expected):
    values = received["values"]
    name = received["name"]
    if values.min() < 0:
        fail(f"SUPERRES_ACTIVATION = {name} gives {values.min():.3f} for an input of "
             f"{ACT_PROBE[np.argmin(values)]:g}: intensities are never negative (relu, sigmoid or softplus are).")
    if np.any(np.diff(values) < -1e-7) or values[-1] <= values[0]:
        fail(f"SUPERRES_ACTIVATION = {name} should grow with its input (it gives {np.round(values, 3)}).")


WORST_CASES = [((2, 4, 4, 3), 0.1), ((3, 5, 5, 1), 0.25), ((2, 3, 3, 2), 1.0), ((1, 6, 6, 3), 0.05)]


def _worst_pair(i, shape):
    g = rng("worst", i)
    return g.uniform(size=shape).astype("float32"), g.uniform(size=shape).astype("float32")


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
        out[f"case{i}"] = float(np.asarray(loss).ravel()[0]) if np.size(loss) else float("nan")
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
        out[f"case{i}_max_batch"] = float(np.sort(err.ravel())[-k * shape[0]:].mean())
        out[f"case{i}_max"] = float(err.max())
    return out


def judge_worst_case(received, expected):
    for i, (shape, q) in enumerate(WORST_CASES):
        n = int(np.prod(shape[1:]))
        call = f"worst_case_loss(y_true, y_pred of shape {shape}, q={q})"
        if received[f"case{i}_shape"] != "()":
            fail(f"{call}: expected a scalar (shape ()), received shape {received[f'case{i}_shape']}: "
                 f"average over the batch too.")
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if not np.isclose(got, want, rtol=1e-4):
            for key, why in (("mean", "the mean of all errors (that is MAE, not the worst ones)"),
                             ("max_batch", "the worst errors of the whole batch, not of each image"),
                             ("max", "the single largest error")):
                if np.isclose(got, expected[f"mistake_case{i}_{key}"], rtol=1e-5) and q != 1.0:
                    fail(f"{call}: expected {want:.5f}, received {got:.5f}: this is {why}; take each image's "
                         f"ceil({q} * {n}) = {math.ceil(q * n)} largest |errors|, their mean, then the batch mean.")
            fail(f"{call}: expected {want:.5f}, received {got:.5f} (each image's ceil({q} * {n}) = "
                 f"{math.ceil(q * n)} largest |errors|, their mean, then the mean over the batch).")
        if f"case{i}_grad_error" in received:
            fail(f"{call}: TensorFlow cannot differentiate it ({received[f'case{i}_grad_error']}): compute it with "
                 f"TensorFlow operations on the tensors (tf.math.top_k), not NumPy.")
        expect_close(received[f"case{i}_grad"], expected[f"case{i}_grad"], f"the gradient of {call}", 1e-4, 1e-7)


BICUBIC_CASES = [((2, 8, 8, 3), 2), ((1, 5, 7, 3), 3), ((3, 4, 6, 1), 2)]


def collect_bicubic(ns):
    f = student_function(ns, "bicubic_upscale")
    out = {}
    for i, (shape, scale) in enumerate(BICUBIC_CASES):
        images = rng("bicubic", i).uniform(size=shape).astype("float32")
        out[f"case{i}"] = np.asarray(f(images, scale), dtype=np.float64)
    return out


def judge_bicubic(received, expected):
    for i, (shape, scale) in enumerate(BICUBIC_CASES):
        call = f"bicubic_upscale(images of shape {shape}, {scale})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if got.shape != want.shape:
            fail(f"{call}: expected shape {want.shape}, received {got.shape}.")
        if got.min() < 0 or got.max() > 1:
            fail(f"{call}: values must be clipped to [0, 1] (bicubic overshoots near edges); received "
                 f"[{got.min():.3f}, {got.max():.3f}].")
        expect_close(got, want, call, 1e-4, 1e-5, why="tf.image.resize(images, size, method='bicubic'), then clip.")


# --------------------------------------------------------------------------- retraining
def collect_trained_segmentation(ns):
    import keras

    f = student_function(ns, "build_encoder_decoder")
    act, loss = student_value(ns, "SEGMENTATION_ACTIVATION"), student_value(ns, "SEGMENTATION_LOSS")
    data, cfg = load("segmentation.npz"), RETRAIN_SEG
    keras.utils.set_random_seed(0)
    model = f(data["x_train"].shape[1:], len(data["class_names"]), act, filters=cfg["filters"])
    model.compile(keras.optimizers.Adam(cfg["lr"]), loss)
    model.fit(data["x_train"], data["y_train"], batch_size=cfg["batch"], epochs=cfg["epochs"], verbose=0)
    pred = np.argmax(np.asarray(model.predict(hidden.inputs()["seg_x"], verbose=0)), axis=-1)
    return {"pred": pred.astype(np.uint8)}


def summary_trained_segmentation(values):
    """Mean IoU of the retrained model's predictions on the grader's hidden scenes
    (autograder/hidden.py), computed by the judge."""
    truth, classes = hidden.truth("seg_y"), class_count()
    t = truth.astype(np.int64).ravel()
    pred = np.asarray(values["pred"])
    if pred.shape != truth.shape:
        fail(f"the retrained model's predictions have shape {pred.shape}; expected {truth.shape}")
    pred = np.clip(pred.astype(np.int64), 0, classes - 1).ravel()
    confusion = np.bincount(classes * t + pred, minlength=classes ** 2).reshape(classes, classes)
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    return {"iou": float(np.mean(inter[union > 0] / union[union > 0]))}


def judge_trained_segmentation(received, expected):
    need = SEG_FRACTION * SEG_TARGET
    if received["iou"] < need:
        fail(f"retrained for {RETRAIN_SEG['epochs']} epochs with your "
             f"build_encoder_decoder, SEGMENTATION_ACTIVATION and SEGMENTATION_LOSS, the model reaches a test mean "
             f"IoU of {received['iou']:.3f} on the grader's own scenes; at least {SEG_FRACTION} x {SEG_TARGET} = {need:.2f} is needed (the "
             f"solution reaches {expected['iou']:.3f}).")


def collect_trained_superres(ns):
    import keras
    import tensorflow as tf

    from autograder.core import utils

    f = student_function(ns, "build_encoder_decoder")
    act, worst = student_value(ns, "SUPERRES_ACTIVATION"), student_function(ns, "worst_case_loss")
    data, cfg = load("superres.npz"), RETRAIN_SR

    def upscale(images):   # the grader's own bicubic baseline, not the student's
        images = tf.convert_to_tensor(images, tf.float32)
        return tf.clip_by_value(tf.image.resize(images, (images.shape[1] * 2, images.shape[2] * 2),
                                                method="bicubic"), 0.0, 1.0).numpy()

    def loss(y_true, y_pred):   # the notebook's superres_loss, with the student's worst_case_loss
        return keras.ops.mean(keras.ops.square(y_true - y_pred)) + worst(y_true, y_pred)

    keras.utils.set_random_seed(0)
    shape = data["hr_train"].shape[1:]
    model = utils().superres_model(f(shape, shape[-1], act, filters=cfg["filters"]))
    model.compile(keras.optimizers.Adam(cfg["lr"]), loss=loss)
    x = upscale(data["lr_train"])
    model.fit(utils().dihedral(x), utils().dihedral(data["hr_train"]), batch_size=cfg["batch"],
              epochs=cfg["epochs"], verbose=0)
    x_test = upscale(hidden.inputs()["sr_lr"])
    return {"pred": np.asarray(model.predict(x_test, verbose=0), dtype=np.float32), "bicubic": x_test}


def summary_trained_superres(values):
    """PSNR (dB) of the retrained model's and of bicubic's patches, on the grader's hidden
    patches (autograder/hidden.py), computed by the judge. Only the solution's bicubic
    figure is used (it is stored in the references)."""
    hr = hidden.truth("sr_hr").astype(np.float64)

    def db(images, what):
        images = np.asarray(images, dtype=np.float64)
        if images.shape != hr.shape:
            fail(f"the retrained model's {what} have shape {images.shape}; expected {hr.shape}")
        return float(np.mean(10 * np.log10(1.0 / np.maximum(np.mean((hr - images) ** 2, axis=(1, 2, 3)),
                                                             1e-12))))
    return {"pred_db": db(values["pred"], "predictions"), "bicubic_db": db(values["bicubic"], "bicubic patches")}


def judge_trained_superres(received, expected):
    need = SR_FRACTION * SR_TARGET
    gain, solution = received["pred_db"] - expected["bicubic_db"], expected["pred_db"] - expected["bicubic_db"]
    if gain < need:
        fail(f"retrained for {RETRAIN_SR['epochs']} epoch(s) with your build_encoder_decoder, SUPERRES_ACTIVATION and "
             f"worst_case_loss, the model is {gain:+.2f} dB above bicubic on the grader's own patches; at least "
             f"{SR_FRACTION} x {SR_TARGET} = {need:.2f} dB is needed (the solution reaches {solution:+.2f} dB).")


CHECKS = [
    Check("nb3_encoder_decoder_shapes", NOTEBOOK, 3, "build_encoder_decoder: output shapes", collect_shapes, judge_shapes),
    Check("nb3_encoder_decoder_layers", NOTEBOOK, 3, "build_encoder_decoder: strided convolutions down, "
          "transposed convolutions up", collect_layers, judge_layers),
    Check("nb3_segmentation_choice", NOTEBOOK, 3, "SEGMENTATION_ACTIVATION and SEGMENTATION_LOSS",
          collect_segmentation_choice, judge_segmentation_choice),
    Check("nb3_mean_iou", NOTEBOOK, 2, "mean_iou", collect_mean_iou, judge_mean_iou, mistakes=mistakes_mean_iou),
    Check("nb3_psnr", NOTEBOOK, 2, "psnr", collect_psnr, judge_psnr),
    Check("nb3_superres_activation", NOTEBOOK, 2, "SUPERRES_ACTIVATION", collect_superres_activation,
          judge_superres_activation),
    Check("nb3_worst_case_loss", NOTEBOOK, 3, "worst_case_loss", collect_worst_case, judge_worst_case,
          mistakes=mistakes_worst_case),
    Check("nb3_bicubic", NOTEBOOK, 1, "bicubic_upscale", collect_bicubic, judge_bicubic),
    Check("nb3_trained_segmentation", NOTEBOOK, 3, "segmentation retrained from your choices",
          collect_trained_segmentation, judge_trained_segmentation, time_limit=240,
          summary=summary_trained_segmentation),
    Check("nb3_trained_superres", NOTEBOOK, 2, "super-resolution retrained from your choices",
          collect_trained_superres, judge_trained_superres, time_limit=240, summary=summary_trained_superres),
]
MANUAL = {"nb3_segmentation_question": 3, "nb3_superres_question": 3}

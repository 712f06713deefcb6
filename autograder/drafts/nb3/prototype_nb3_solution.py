"""Prototype of notebook 3's reference solution: image-to-image prediction.

    python build/proto/nb3_solution.py verify            # metric/loss checks against TF/Keras
    python build/proto/nb3_solution.py seg [--key value]  # train + test segmentation
    python build/proto/nb3_solution.py sr  [--key value]  # train + test 2x super-resolution

Reads data/segmentation.npz and data/superres.npz (data/build.py).
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "data"


# --------------------------------------------------------------------------- solution
def build_encoder_decoder(input_shape, num_outputs, output_activation, filters=(32, 64)):
    """Stride-2 conv steps down, mirrored stride-2 transposed-conv steps up, conv head.

    H and W must be divisible by 2 ** len(filters); the output then has the input's
    spatial size and ``num_outputs`` channels.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for f in filters:
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    for f in reversed(filters):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(x)
    outputs = layers.Conv2D(num_outputs, 3, padding="same", activation=output_activation)(x)
    return keras.Model(inputs, outputs)


SEGMENTATION_ACTIVATION = "softmax"
SEGMENTATION_LOSS = "sparse_categorical_crossentropy"
SUPERRES_ACTIVATION = "sigmoid"


def worst_case_loss(y_true, y_pred, q=0.1):
    """Per image, the mean of its ceil(q * n) largest absolute pixel errors; batch mean."""
    err = tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred)
    n = math.prod(err.shape[1:])
    err = tf.reshape(err, (-1, n))
    k = math.ceil(q * n)
    return tf.reduce_mean(tf.math.top_k(err, k=k, sorted=False).values)


def psnr(y_true, y_pred, max_val=1.0):
    """Per-image peak signal-to-noise ratio in dB, shape (batch,)."""
    y_true = tf.cast(y_true, tf.float32)
    y_pred = tf.cast(y_pred, tf.float32)
    mse = tf.reduce_mean(tf.square(y_true - y_pred), axis=[-3, -2, -1])
    return 10.0 * tf.math.log(max_val**2 / mse) / tf.math.log(10.0)


def mean_iou(y_true, y_pred, num_classes):
    """Mean over classes of intersection / union of two integer masks (whole set).

    Classes absent from both masks (union 0) are left out of the mean, as
    keras.metrics.MeanIoU does.
    """
    cm = tf.math.confusion_matrix(tf.reshape(y_true, [-1]), tf.reshape(y_pred, [-1]),
                                  num_classes=num_classes, dtype=tf.float64)
    inter = tf.linalg.diag_part(cm)
    union = tf.reduce_sum(cm, 0) + tf.reduce_sum(cm, 1) - inter
    present = union > 0
    return tf.reduce_mean(tf.boolean_mask(inter / tf.where(present, union, 1.0), present))


def build_superres_model(hr_shape, output_activation=SUPERRES_ACTIVATION, filters=(32, 64), design="residual"):
    """2x super-resolution around build_encoder_decoder; input: the bicubic-upscaled image.

    design="direct":   the encoder-decoder predicts the high-res image itself.
    design="residual": it predicts a correction c in (0, 1) (sigmoid head); the output is
                       bicubic + c - 0.5, so an untrained model (c ~ 0.5) starts at bicubic.
    """
    core = build_encoder_decoder(hr_shape, hr_shape[-1], output_activation, filters)
    if design == "direct":
        return core
    inputs = keras.Input(shape=hr_shape)
    outputs = keras.ops.clip(inputs + core(inputs) - 0.5, 0.0, 1.0)
    return keras.Model(inputs, outputs)


def bicubic_upscale(images, scale):
    images = tf.convert_to_tensor(images, tf.float32)
    h, w = images.shape[-3], images.shape[-2]
    return tf.clip_by_value(tf.image.resize(images, (h * scale, w * scale), method="bicubic"), 0.0, 1.0)


# --------------------------------------------------------------------------- checks
def verify():
    rng = np.random.default_rng(0)
    # psnr vs tf.image.psnr
    a = rng.uniform(0, 1, (8, 16, 16, 3)).astype(np.float32)
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1).astype(np.float32)
    ours, ref = psnr(a, b).numpy(), tf.image.psnr(a, b, max_val=1.0).numpy()
    print("psnr max |diff| vs tf.image.psnr:", np.abs(ours - ref).max(), ours[:3], ref[:3])
    ours, ref = psnr(a * 255, b * 255, 255.0).numpy(), tf.image.psnr(a * 255, b * 255, max_val=255.0).numpy()
    print("psnr(max_val=255) max |diff|:", np.abs(ours - ref).max())
    # mean_iou vs keras MeanIoU, incl. a class absent from both (class 4 of 5)
    for absent in (None, 4):
        nc = 5
        t = rng.integers(0, 4 if absent else nc, (6, 12, 12))
        p = np.where(rng.uniform(size=t.shape) < 0.7, t, rng.integers(0, 4 if absent else nc, t.shape))
        m = keras.metrics.MeanIoU(num_classes=nc)
        m.update_state(t, p)
        print(f"mean_iou (absent class={absent}): ours {float(mean_iou(t, p, nc)):.8f} keras {float(m.result()):.8f}")
    # class present only in y_true (union > 0, IoU 0): counted by both
    t = np.array([[0, 1], [2, 2]]); p = np.array([[0, 1], [1, 1]])
    m = keras.metrics.MeanIoU(num_classes=4); m.update_state(t, p)
    print(f"mean_iou (class 2 only in truth): ours {float(mean_iou(t, p, 4)):.8f} keras {float(m.result()):.8f}")
    # worst_case_loss: value vs numpy, q=1 equals MAE, gradient is finite and nonzero
    y, yp = tf.constant(a), tf.constant(b)
    e = np.abs(a - b).reshape(8, -1)
    k = math.ceil(0.1 * e.shape[1])
    ref = np.mean(np.sort(e, axis=1)[:, -k:].mean(axis=1))
    print("worst_case_loss vs numpy:", float(worst_case_loss(y, yp)), ref,
          "| q=1 vs MAE:", float(worst_case_loss(y, yp, q=1.0)), np.abs(a - b).mean())
    with tf.GradientTape() as tape:
        tape.watch(yp)
        loss = worst_case_loss(y, yp)
    g = tape.gradient(loss, yp).numpy()
    print("worst_case_loss grad: nonzero entries", int((g != 0).sum()), "of", g.size, "(expect", 8 * k, ")")
    x = bicubic_upscale(a[:, :8, :8], 2)
    print("bicubic_upscale shape", x.shape, "range", float(tf.reduce_min(x)), float(tf.reduce_max(x)))


# --------------------------------------------------------------------------- experiments
def _time_budget_callback(seconds):
    class Stop(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - self.t0 > seconds:
                self.model.stop_training = True
    return Stop()


def _optimizer(lr):
    return keras.optimizers.Adam(lr)


def run_seg(epochs=10, batch=32, lr=2e-3, n_train=None, filters=(32, 64), act="softmax",
            loss="scce", seed=0, budget=None):
    d = np.load(DATA / "segmentation.npz")
    x, y = d["x_train"], d["y_train"]
    if n_train:
        x, y = x[:n_train], y[:n_train]
    nc = len(d["class_names"])
    keras.utils.set_random_seed(seed)
    model = build_encoder_decoder(x.shape[1:], nc, act, filters)
    if loss == "scce":
        loss_fn, target = "sparse_categorical_crossentropy", y
    elif loss == "mse_onehot":
        loss_fn, target = "mse", np.eye(nc, dtype=np.float32)[y]
    elif loss == "bce_onehot":
        loss_fn, target = "binary_crossentropy", np.eye(nc, dtype=np.float32)[y]
    model.compile(_optimizer(lr), loss_fn)
    cbs = [_time_budget_callback(budget)] if budget else []
    t0, c0 = time.perf_counter(), time.process_time()
    hist = model.fit(x, target, batch_size=batch, epochs=epochs, verbose=0, callbacks=cbs)
    fit_s = time.perf_counter() - t0
    fit_cpu_s = time.process_time() - c0
    pred = np.argmax(model.predict(d["x_test"], batch_size=256, verbose=0), -1)
    iou = float(mean_iou(d["y_test"], pred, nc))
    pred_tr = np.argmax(model.predict(x[:500], batch_size=256, verbose=0), -1)
    train_iou = float(mean_iou(y[:500], pred_tr, nc))
    m = keras.metrics.MeanIoU(num_classes=nc); m.update_state(d["y_test"], pred)
    return dict(task="seg", act=act, loss=loss, epochs_run=len(hist.history["loss"]), fit_s=round(fit_s, 1), fit_cpu_s=round(fit_cpu_s, 1),
                train_loss=[round(v, 4) for v in hist.history["loss"]][::2],
                test_miou=round(iou, 4), train_miou=round(train_iou, 4), keras_miou=round(float(m.result()), 4),
                acc=round(float((pred == d["y_test"]).mean()), 4),
                fg_iou=round(float(((pred > 0) & (d["y_test"] > 0)).sum() / ((pred > 0) | (d["y_test"] > 0)).sum()), 4),
                class_iou=[round(float(v), 3) for v in _class_iou(d["y_test"], pred, nc)])


def _class_iou(t, p, nc):
    cm = np.bincount(nc * t.ravel().astype(int) + p.ravel(), minlength=nc * nc).reshape(nc, nc)
    return np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))


def dihedral(images):
    """The 8 flips/rotations of each image, stacked along the batch axis (8N, H, W, C)."""
    rots = [np.rot90(images, k, axes=(1, 2)) for k in range(4)]
    return np.concatenate(rots + [r[:, ::-1] for r in rots])


def run_sr(epochs=10, batch=32, lr=2e-3, n_train=None, filters=(32, 64), act="sigmoid", loss="mse",
           seed=0, budget=None, q=0.1, mix=1.0, design="residual", aug=False):
    d = np.load(DATA / "superres.npz")
    hr, lr_img = d["hr_train"], d["lr_train"]
    if n_train:
        hr, lr_img = hr[:n_train], lr_img[:n_train]
    scale = hr.shape[1] // lr_img.shape[1]
    x = bicubic_upscale(lr_img, scale).numpy()
    x_test = bicubic_upscale(d["lr_test"], scale)
    if aug:
        x, hr = dihedral(x), dihedral(hr)
    keras.utils.set_random_seed(seed)
    model = build_superres_model(x.shape[1:], act, filters, design)
    if loss == "mse":
        loss_fn = "mse"
    elif loss == "mae":
        loss_fn = "mae"
    elif loss == "worst":
        loss_fn = lambda t, p: worst_case_loss(t, p, q)  # noqa: E731
    elif loss == "mse+worst":
        loss_fn = lambda t, p: keras.losses.mean_squared_error(t, p) + mix * worst_case_loss(t, p, q)  # noqa: E731
    model.compile(_optimizer(lr), loss_fn)
    cbs = [_time_budget_callback(budget)] if budget else []
    t0, c0 = time.perf_counter(), time.process_time()
    hist = model.fit(x, hr, batch_size=batch, epochs=epochs, verbose=0, callbacks=cbs)
    fit_s = time.perf_counter() - t0
    fit_cpu_s = time.process_time() - c0
    pred = model.predict(x_test, batch_size=256, verbose=0)
    p_model = psnr(d["hr_test"], pred).numpy()
    p_bic = psnr(d["hr_test"], x_test).numpy()
    pred_tr = model.predict(x[:300], batch_size=256, verbose=0)
    train_gain = float(np.mean(psnr(hr[:300], pred_tr).numpy() - psnr(hr[:300], x[:300]).numpy()))
    wc_model = float(worst_case_loss(d["hr_test"], pred))
    wc_bic = float(worst_case_loss(d["hr_test"], x_test))
    return dict(task="sr", design=design, act=act, loss=loss, epochs_run=len(hist.history["loss"]), fit_s=round(fit_s, 1), fit_cpu_s=round(fit_cpu_s, 1),
                psnr_model=round(float(p_model.mean()), 3), psnr_bicubic=round(float(p_bic.mean()), 3),
                gain_db=round(float(p_model.mean() - p_bic.mean()), 3), train_gain_db=round(train_gain, 3),
                frac_patches_better=round(float((p_model > p_bic).mean()), 3),
                worst10_model=round(wc_model, 4), worst10_bicubic=round(wc_bic, 4))


# The reference configurations (what the notebook's solution cells use).
SEG_CONFIG = dict(epochs=4, batch=16, lr=3e-3, filters=(32, 64, 128))
SR_CONFIG = dict(epochs=3, batch=16, lr=2e-3, filters=(32, 64), loss="mse+worst", aug=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["verify", "seg", "sr"])
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--n_train", type=int, default=None)
    ap.add_argument("--filters", type=str)
    ap.add_argument("--act", type=str, default=None)
    ap.add_argument("--loss", type=str, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=None, help="stop training after this many seconds")
    ap.add_argument("--q", type=float, default=0.1)
    ap.add_argument("--mix", type=float, default=1.0)
    ap.add_argument("--design", type=str, default="residual")
    ap.add_argument("--aug", type=int)
    a = ap.parse_args(argv)
    if a.what == "verify":
        return verify()
    kw = dict(SEG_CONFIG if a.what == "seg" else SR_CONFIG)
    for k in ("epochs", "batch", "lr", "act", "loss"):
        if getattr(a, k) is not None:
            kw[k] = getattr(a, k)
    if a.filters:
        kw["filters"] = tuple(int(f) for f in a.filters.split(","))
    kw.update(n_train=a.n_train, seed=a.seed, budget=a.budget)
    if a.what == "sr":
        kw.update(q=a.q, mix=a.mix, design=a.design)
        if a.aug is not None:
            kw["aug"] = bool(a.aug)
    res = (run_seg if a.what == "seg" else run_sr)(**kw)
    res.update({k: v for k, v in kw.items() if k not in res})
    print(json.dumps(res, default=str))


if __name__ == "__main__":
    sys.exit(main())

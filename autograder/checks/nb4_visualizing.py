"""Checks of notebook 4: feature maps and Grad-CAM on the shipped model (17 auto-graded points).

Inputs are the shipped model (``data/shapes_cnn.keras``) and fixed test images,
plus small seeded arrays. Heatmaps and grids are in [0, 1] and compared with
``rtol=1e-4, atol=1e-5``; activations with ``rtol=1e-4, atol=1e-6``. A wrong
Grad-CAM is named by comparing it with what the typical mistakes give on the
same images (softmax instead of logit, weights summed over the wrong axes, no
ReLU, no normalisation), computed by the grader's own code.
"""
from __future__ import annotations

import numpy as np

from autograder.core import Check, student_function
from autograder.checks.common import close, expect_close, fail, rng, shipped

NOTEBOOK = "4_visualizing_convnets"
GRAD_CASES = [  # (test image index, layer, class_index or None)
    (0, "conv5", None), (1, "conv5", None), (2, "conv5", None), (3, "conv5", 0), (4, "conv5", 3),
    (5, "conv3", None), (6, "conv4", 2), (7, "conv5", 1),
]
POINTING_IMAGES = 40
_CACHE: dict = {}




def model_and_data():
    if "model" not in _CACHE:
        import keras

        with np.load(shipped("shapes_classification.npz"), allow_pickle=False) as f:
            _CACHE["x"] = f["x_test"][:POINTING_IMAGES].astype("float32") / 255.0
            _CACHE["y"] = f["y_test"][:POINTING_IMAGES]
            _CACHE["box"] = f["box_test"][:POINTING_IMAGES]
        _CACHE["model"] = keras.models.load_model(shipped("shapes_cnn.keras"))
    return _CACHE["model"], _CACHE["x"], _CACHE["y"], _CACHE["box"]


def _outputs_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


# --------------------------------------------------------------------------- activation_model
def collect_activation_model(ns):
    f = student_function(ns, "activation_model")
    model, x, _, _ = model_and_data()
    out = {}
    for key, names in (("all", None), ("named", ["conv5", "conv2"]), ("one", ["conv3"])):
        acts = _outputs_list(f(model, names)(x[:2]))
        out[f"{key}_count"] = len(acts)
        for j, a in enumerate(acts):
            a = np.asarray(a, dtype=np.float64)
            out[f"{key}_{j}_shape"] = list(a.shape)
            out[f"{key}_{j}_means"] = a.mean(axis=(0, 1, 2)) if a.ndim == 4 else a.ravel()[:64]
    return out


def judge_activation_model(received, expected):
    for key, call in (("all", "activation_model(model)"), ("named", "activation_model(model, ['conv5', 'conv2'])"),
                      ("one", "activation_model(model, ['conv3'])")):
        want, got = int(expected[f"{key}_count"]), int(received[f"{key}_count"])
        if got != want:
            fail(f"{call}: expected {want} outputs ({'one per Conv2D layer' if key == 'all' else 'one per name'}), "
                 f"received {got}.")
        for j in range(want):
            w_shape, g_shape = tuple(expected[f"{key}_{j}_shape"]), tuple(received[f"{key}_{j}_shape"])
            if w_shape != g_shape:
                fail(f"{call}: output {j} should have shape {w_shape} for 2 images, received {g_shape} "
                     f"(outputs follow the order of the layers or of layer_names).")
            if not close(received[f"{key}_{j}_means"], expected[f"{key}_{j}_means"], 1e-4, 1e-6):
                fail(f"{call}: output {j} has the right shape but not the values of that layer's activations "
                     f"(the output of model.get_layer(name), for the model's own input).")


# --------------------------------------------------------------------------- feature_map_grid
GRID_CASES = [((5, 4, 11), 4), ((3, 3, 8), 8), ((6, 6, 3), 2), ((2, 5, 7), 3)]


def _activation(index, shape):
    a = rng("grid", index).normal(0.0, 2.0, shape)
    a[..., 1] = 3.0            # a constant channel
    a[..., 0] *= 100.0         # a strong channel next to weak ones
    return a


def collect_grid(ns):
    f = student_function(ns, "feature_map_grid")
    return {f"case{i}": np.asarray(f(_activation(i, shape), n_cols=n), dtype=np.float64)
            for i, (shape, n) in enumerate(GRID_CASES)}


def mistakes_grid():
    out = {}
    for i, (shape, n) in enumerate(GRID_CASES):
        a = _activation(i, shape)
        H, W, C = shape
        rows = -(-C // n)
        joint = (a - a.min()) / (a.max() - a.min())
        lo, hi = a.min(axis=(0, 1)), a.max(axis=(0, 1))
        per = np.where(hi > lo, (a - lo) / np.where(hi > lo, hi - lo, 1), 0.0)
        for name, scaled, order in (("joint", joint, "C"), ("column_major", per, "F")):
            tiles = np.zeros((rows * n, H, W))
            tiles[:C] = scaled.transpose(2, 0, 1)
            layout = tiles.reshape((rows, n, H, W), order=order)
            out[f"case{i}_{name}"] = layout.transpose(0, 2, 1, 3).reshape(rows * H, n * W)
    return out


def judge_grid(received, expected):
    for i, ((H, W, C), n) in enumerate(GRID_CASES):
        call = f"feature_map_grid(activation of shape ({H}, {W}, {C}), n_cols={n})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        rows = -(-C // n)
        if got.shape != want.shape:
            fail(f"{call}: expected shape {want.shape} = (ceil({C}/{n}) * {H}, {n} * {W}) = ({rows * H}, {n * W}), "
                 f"received {got.shape}.")
        if close(got, want, 1e-4, 1e-5):
            continue
        if close(got, expected[f"mistake_case{i}_joint"], 1e-4, 1e-5):
            fail(f"{call}: the channels were scaled together (by the min and max of the whole activation); "
                 f"scale each channel by its own min and range.")
        if close(got, expected[f"mistake_case{i}_column_major"], 1e-4, 1e-5):
            fail(f"{call}: the tiles are in column-major order; channel c goes to row c // n_cols, column c % n_cols.")
        if np.isnan(got).any():
            fail(f"{call}: the grid contains NaN: a constant channel (range 0) must become 0, not 0/0.")
        expect_close(got, want, call, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- grad_cam
def _zero_gradient_model():
    """A tiny model whose class-0 logit does not depend on the conv layer: its map is all 0."""
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 3))
    h = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    h = layers.GlobalAveragePooling2D()(h)
    logits = layers.Dense(2, name="logits")(h)
    model = keras.Model(inputs, logits)
    model.get_layer("conv").set_weights([rng("zg", 1).normal(size=(3, 3, 3, 4)), np.zeros(4)])
    kernel = rng("zg", 2).normal(size=(4, 2))
    kernel[:, 0] = 0.0
    model.get_layer("logits").set_weights([kernel, np.array([5.0, 0.0])])
    return model, rng("zg", 3).uniform(size=(8, 8, 3)).astype("float32")


def collect_grad_cam(ns):
    f = student_function(ns, "grad_cam")
    model, x, _, _ = model_and_data()
    out = {}
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        out[f"case{i}"] = np.asarray(f(model, x[index], layer, cls), dtype=np.float64)
    zmodel, zimage = _zero_gradient_model()
    out["zero"] = np.asarray(f(zmodel, zimage, "conv", 0), dtype=np.float64)
    return out


def mistakes_grad_cam():
    import keras
    import tensorflow as tf

    model, x, _, _ = model_and_data()
    out = {}
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        sub = keras.Model(model.input, [model.get_layer(layer).output, model.output])
        with tf.GradientTape(persistent=True) as tape:
            maps, logits = sub(x[index:index + 1])
            c = int(tf.argmax(logits[0])) if cls is None else cls
            score, prob = logits[0, c], tf.nn.softmax(logits)[0, c]
        g, gp = tape.gradient(score, maps)[0].numpy(), tape.gradient(prob, maps)[0].numpy()
        a = maps[0].numpy()

        def norm(cam):
            return cam / cam.max() if cam.max() > 0 else np.zeros_like(cam)

        out[f"case{i}_softmax"] = norm(np.maximum((a * gp.mean(axis=(0, 1))).sum(-1), 0))
        out[f"case{i}_no_relu"] = (a * g.mean(axis=(0, 1))).sum(-1) / np.abs((a * g.mean(axis=(0, 1))).sum(-1)).max()
        out[f"case{i}_not_normalised"] = np.maximum((a * g.mean(axis=(0, 1))).sum(-1), 0)
        out[f"case{i}_wrong_axes"] = norm(np.maximum((a * g.mean(axis=-1, keepdims=True)).sum(-1), 0))
    return out


GRAD_MISTAKES = {
    "softmax": "the gradient of the softmax probability instead of the logit",
    "no_relu": "the map without the ReLU (negative evidence kept)",
    "not_normalised": "the map not divided by its maximum",
    "wrong_axes": "the gradient averaged over the channels instead of over the spatial positions",
}


def judge_grad_cam(received, expected):
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        call = f"grad_cam(model, x_test[{index}], {layer!r}, class_index={cls})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if got.shape != want.shape:
            fail(f"{call}: expected shape {want.shape} ({layer}'s spatial size), received {got.shape}.")
        if close(got, want, 1e-4, 1e-5):
            continue
        for name, explanation in GRAD_MISTAKES.items():
            if close(got, expected[f"mistake_case{i}_{name}"], 1e-3, 1e-4):
                fail(f"{call}: this looks like {explanation}.")
        if cls is not None:
            fail(f"{call}: the map differs from the reference (largest difference "
                 f"{np.max(np.abs(got - want)):.3g}); is class_index={cls} the class whose logit you differentiate?")
        expect_close(got, want, call, rtol=1e-4, atol=1e-5)
    zero_call = "grad_cam on a model whose class-0 logit does not depend on the conv layer (every w_c = 0)"
    if np.isnan(received["zero"]).any():
        fail(f"{zero_call}: the map is 0 everywhere, so dividing by its maximum gives NaN; return all zeros "
             f"when the maximum is 0.")
    expect_close(received["zero"], expected["zero"], zero_call, 1e-4, 1e-5)


# --------------------------------------------------------------------------- overlay and peak
OVERLAY_CASES = [((8, 8), (4, 4), 0.4), ((12, 10), (3, 5), 0.7), ((6, 6), (6, 6), 0.0)]


def _overlay_inputs(i, image_hw, heat_hw):
    g = rng("overlay", i)
    return g.uniform(size=(*image_hw, 3)), g.uniform(size=heat_hw)


def collect_overlay(ns):
    f = student_function(ns, "overlay_heatmap")
    out = {}
    for i, (image_hw, heat_hw, alpha) in enumerate(OVERLAY_CASES):
        image, heat = _overlay_inputs(i, image_hw, heat_hw)
        out[f"case{i}"] = np.asarray(f(image, heat, alpha=alpha), dtype=np.float64)
    return out


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
    for i, (image_hw, heat_hw, alpha) in enumerate(OVERLAY_CASES):
        call = f"overlay_heatmap(image of shape ({image_hw[0]}, {image_hw[1]}, 3), heatmap of shape {heat_hw}, alpha={alpha})"
        got, want = received[f"case{i}"], expected[f"case{i}"]
        if got.shape != want.shape:
            fail(f"{call}: expected shape {want.shape} (the image's), received {got.shape}.")
        if close(got, want, 1e-4, 1e-5):
            continue
        if close(got, expected[f"mistake_case{i}_swapped"], 1e-4, 1e-5):
            fail(f"{call}: alpha weighs the image and 1 - alpha the colour; the blend is "
                 f"(1 - alpha) * image + alpha * colour.")
        expect_close(got, want, call, rtol=1e-4, atol=1e-5,
                     why="Resize the heatmap bilinearly (tf.image.resize), colour it with 'jet', drop alpha.")


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
            fail(f"{call}: expected {want}, the argmax of the heatmap resized bilinearly to {image_shape[:2]}, "
                 f"received {got}{hint}.")


# --------------------------------------------------------------------------- pointing game
def collect_pointing(ns):
    f = student_function(ns, "pointing_game")
    model, x, y, box = model_and_data()
    score = f(model, x, box, "conv5", labels=y)
    return {"type": type(score).__name__, "score": float(score)}


def judge_pointing(received, expected):
    call = f"pointing_game(model, the first {POINTING_IMAGES} test images, their boxes, 'conv5', labels)"
    if received["type"] not in ("float", "float64", "float32"):
        fail(f"{call}: expected a float, received a {received['type']}.")
    want, got = float(expected["score"]), float(received["score"])
    if abs(got - want) > 1.5 / POINTING_IMAGES:
        fail(f"{call}: expected {want:.3f} (hits / {POINTING_IMAGES}), received {got:.3f}. A hit is "
             f"row0 <= row < row1 and col0 <= col < col1 for cam_peak of the true class's map.")


CHECKS = [
    Check("nb4_activation_model", NOTEBOOK, 3, "activation_model", collect_activation_model, judge_activation_model),
    Check("nb4_feature_map_grid", NOTEBOOK, 3, "feature_map_grid", collect_grid, judge_grid, mistakes=mistakes_grid),
    Check("nb4_grad_cam", NOTEBOOK, 5, "grad_cam", collect_grad_cam, judge_grad_cam, mistakes=mistakes_grad_cam),
    Check("nb4_overlay", NOTEBOOK, 2, "overlay_heatmap", collect_overlay, judge_overlay, mistakes=mistakes_overlay),
    Check("nb4_cam_peak", NOTEBOOK, 2, "cam_peak", collect_cam_peak, judge_cam_peak),
    Check("nb4_pointing_game", NOTEBOOK, 2, "pointing_game", collect_pointing, judge_pointing),
]
MANUAL = {"nb4_what_maps_show": 3}

"""Checks of notebook 4: feature maps, Grad-CAM and the original CAM on the shipped model.

Inputs are the shipped model (``data/shapes_cnn.keras``) and fixed test images,
plus small seeded arrays. Heatmaps and grids are in [0, 1] and compared within
``MAP_TOL``; activations within ``ACT_TOL`` (float32 arithmetic passes). A wrong
Grad-CAM is named by comparing it with what the typical mistakes give on the
same images (softmax instead of logit, weights summed over the wrong axes, no
ReLU, no normalisation), computed by the grader's own code. The pointing game is
also played on boxes drawn just around each peak (inside, one pixel outside, on the
exclusive edge), so that a hit means what the contract says and nothing looser.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    Tol,
    close,
    collect_cases,
    fail,
    judge_cases,
    judge_values,
    received_case,
    rng,
    shipped,
)
from autograder.spec import Check, student_function

NOTEBOOK = "4_visualizing_convnets"
# Locked cells that only plot or measure for the student: the pytest runner skips them.
DEMO_CELLS = frozenset({"partA_plot", "partC_plot", "partD_try", "partD_wrong", "partCAM_try"})
GRAD_CASES = [  # (test image index, layer, class_index or None)
    (0, "conv5", None),
    (1, "conv5", None),
    (2, "conv5", None),
    (3, "conv5", 0),
    (4, "conv5", 3),
    (5, "conv3", None),
    (6, "conv4", 2),
    (7, "conv5", 1),
]
POINTING_IMAGES = 40
MAP_TOL = Tol(rtol=1e-4, atol=1e-5)  # heatmaps, grids, overlays: values in [0, 1]
ACT_TOL = Tol(rtol=1e-4, atol=1e-6)  # layer activations
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
    """The activations as a list: Keras returns a bare array from a model with one output, and
    the contract accepts both."""
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
    for key, call in (
        ("all", "activation_model(model)"),
        ("named", "activation_model(model, ['conv5', 'conv2'])"),
        ("one", "activation_model(model, ['conv3'])"),
    ):
        want, got = int(expected[f"{key}_count"]), int(received[f"{key}_count"])
        if got != want:
            fail(
                f"{call}: expected {want} outputs ({'one per Conv2D layer' if key == 'all' else 'one per name'}), "
                f"received {got}."
            )
        for j in range(want):
            w_shape, g_shape = tuple(expected[f"{key}_{j}_shape"]), tuple(received[f"{key}_{j}_shape"])
            if w_shape != g_shape:
                fail(
                    f"{call}: output {j} should have shape {w_shape} for 2 images, received {g_shape} "
                    f"(outputs follow the order of the layers or of layer_names)."
                )
            if not ACT_TOL.close(received[f"{key}_{j}_means"], expected[f"{key}_{j}_means"]):
                fail(
                    f"{call}: output {j} has the right shape but not the values of that layer's activations "
                    f"({ACT_TOL}; the output of model.get_layer(name), for the model's own input)."
                )


# --------------------------------------------------------------------------- feature_map_grid
GRID_CASES = [((5, 4, 11), 4), ((3, 3, 8), 8), ((6, 6, 3), 2), ((2, 5, 7), 3)]


def _activation(index, shape):
    a = rng("grid", index).normal(0.0, 2.0, shape)
    a[..., 1] = 3.0  # a constant channel
    a[..., 0] *= 100.0  # a strong channel next to weak ones
    return a


def collect_grid(ns):
    f = student_function(ns, "feature_map_grid")
    return collect_cases(
        lambda indexed: f(_activation(indexed[0], indexed[1][0]), n_cols=indexed[1][1]), list(enumerate(GRID_CASES))
    )


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
    def describe(indexed):
        _, ((H, W, C), n) = indexed
        return f"feature_map_grid(activation of shape ({H}, {W}, {C}), n_cols={n})"

    def shape_rule(indexed):
        _, ((H, W, C), n) = indexed
        rows = -(-C // n)
        return f"(ceil({C}/{n}) * {H}, {n} * {W}) = ({rows * H}, {n * W})"

    judge_cases(
        received,
        expected,
        list(enumerate(GRID_CASES)),
        describe,
        MAP_TOL,
        mistakes={
            "joint": "the channels were scaled together (by the min and max of the whole activation); "
            "scale each channel by its own min and range.",
            "column_major": "the tiles are in column-major order; channel c goes to row c // n_cols, "
            "column c % n_cols.",
        },
        shape_rule=shape_rule,
        why="A constant channel (range 0) becomes 0, not 0/0.",
    )


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
    out = collect_cases(lambda case: f(model, x[case[0]], case[1], case[2]), GRAD_CASES)
    zmodel, zimage = _zero_gradient_model()
    out.update(
        {
            k.replace("case0", "zero"): v
            for k, v in collect_cases(lambda case: f(zmodel, zimage, "conv", 0), [None]).items()
        }
    )
    return out


def mistakes_grad_cam():
    import keras
    import tensorflow as tf

    model, x, _, _ = model_and_data()
    out = {}
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        sub = keras.Model(model.input, [model.get_layer(layer).output, model.output])
        with tf.GradientTape(persistent=True) as tape:
            maps, logits = sub(x[index : index + 1])
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


def judge_zero_map(received, expected, call: str) -> None:
    """The ``zero`` case of a map (every weight of the class 0): all zeros, not NaN from 0 / 0."""
    got = received_case({k.replace("zero", "case0"): v for k, v in received.items() if k.startswith("zero")}, 0, call)
    if np.isnan(got).any():
        fail(
            f"{call}: the map is 0 everywhere, so dividing by its maximum gives NaN; return all zeros "
            f"when the maximum is 0."
        )
    judge_values(got, expected["zero"], call, MAP_TOL)


def judge_grad_cam(received, expected):
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        call = f"grad_cam(model, x_test[{index}], {layer!r}, class_index={cls})"
        got, want = received_case(received, i, call), expected[f"case{i}"]
        if (
            got.shape == want.shape
            and not MAP_TOL.close(got, want)
            and cls is not None
            and not any(close(got, expected[f"mistake_case{i}_{name}"], 1e-3, 1e-4) for name in GRAD_MISTAKES)
        ):
            fail(
                f"{call}: the map differs from the reference ({MAP_TOL}; largest difference "
                f"{np.max(np.abs(got - want)):.3g}); is class_index={cls} the class whose logit you differentiate?"
            )
        judge_values(
            got,
            want,
            call,
            MAP_TOL,
            expected,
            {name: f"this looks like {explanation}." for name, explanation in GRAD_MISTAKES.items()},
            prefix=f"case{i}_",
            shape_rule=f"{layer}'s spatial size",
        )
    judge_zero_map(
        received, expected, "grad_cam on a model whose class-0 logit does not depend on the conv layer (every w_c = 0)"
    )


# --------------------------------------------------------------------------- class activation map
CAM_CASES = [(0, None), (1, None), (2, 3), (4, 0), (5, 2), (7, None)]  # (test image index, class_index)


def collect_cam(ns):
    f = student_function(ns, "class_activation_map")
    model, x, _, _ = model_and_data()
    out = collect_cases(lambda case: f(model, x[case[0]], case[1]), CAM_CASES)
    zmodel, zimage = _zero_gradient_model()
    out.update(
        {
            k.replace("case0", "zero"): v
            for k, v in collect_cases(lambda case: f(zmodel, zimage, 0, "conv", "logits"), [None]).items()
        }
    )
    return out


def mistakes_cam():
    """The bias added to the weighted sum, and the map without the ReLU: by the grader's own code."""
    import keras

    model, x, _, _ = model_and_data()
    sub = keras.Model(model.input, [model.get_layer("conv5").output, model.output])
    kernel, bias = model.get_layer("logits").get_weights()
    out = {}
    for i, (index, cls) in enumerate(CAM_CASES):
        maps, logits = sub(x[index : index + 1])
        k = int(np.argmax(logits[0])) if cls is None else cls
        raw = np.asarray(maps[0]) @ kernel[:, k]
        with_bias = np.maximum(raw + bias[k], 0)
        out[f"case{i}_bias"] = with_bias / with_bias.max() if with_bias.max() > 0 else np.zeros_like(raw)
        out[f"case{i}_no_relu"] = raw / np.abs(raw).max()
    return out


def judge_cam(received, expected):
    for i, (index, cls) in enumerate(CAM_CASES):
        call = f"class_activation_map(model, x_test[{index}], class_index={cls})"
        judge_values(
            received_case(received, i, call),
            expected[f"case{i}"],
            call,
            MAP_TOL,
            expected,
            {
                "bias": "the Dense layer's bias is added: it shifts every position by the same number "
                "and changes what the ReLU keeps; the CAM is relu(sum_c W[c, k] A_c) alone.",
                "no_relu": "the map without the ReLU (negative evidence kept).",
            },
            prefix=f"case{i}_",
            shape_rule="conv5's spatial size",
            why="relu(A @ W[:, k]) divided by its maximum, W the Dense kernel of shape (C, num_classes).",
        )
    judge_zero_map(received, expected, "class_activation_map on a model whose class-0 weights are all 0")


# --------------------------------------------------------------------------- overlay and peak
OVERLAY_CASES = [((8, 8), (4, 4), 0.4), ((12, 10), (3, 5), 0.7), ((6, 6), (6, 6), 0.0)]


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
        MAP_TOL,
        mistakes={
            "swapped": "alpha weighs the image and 1 - alpha the colour; the blend is "
            "(1 - alpha) * image + alpha * colour."
        },
        shape_rule=lambda indexed: "the image's",
        why="Resize the heatmap bilinearly (tf.image.resize), colour it with 'jet', drop alpha.",
    )


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


# --------------------------------------------------------------------------- pointing game
EDGE_IMAGES = 12  # images whose peak is clear (no near tie), each with a box drawn around it


def _reference_peaks(model, x, y, layer: str):
    """The grader's own Grad-CAM peaks (row, col) for the true classes, and whether each is clear
    (the resized map's top value beats every other pixel by 1e-3, so that no float detail of a
    correct answer can move it)."""
    import keras
    import tensorflow as tf

    sub = keras.Model(model.input, [model.get_layer(layer).output, model.output])
    peaks, clear = [], []
    for image, label in zip(x, y):
        with tf.GradientTape() as tape:
            maps, logits = sub(image[None])
            score = logits[0, int(label)]
        g = tape.gradient(score, maps)[0].numpy()
        cam = np.maximum((maps[0].numpy() * g.mean(axis=(0, 1))).sum(-1), 0)
        cam = cam / cam.max() if cam.max() > 0 else np.zeros_like(cam)
        big = tf.image.resize(cam[..., None].astype("float32"), image.shape[:2], method="bilinear").numpy()[..., 0]
        flat = np.sort(big.ravel())
        peaks.append(np.unravel_index(np.argmax(big), big.shape))
        clear.append(bool(flat[-1] - flat[-2] > 1e-3))
    return peaks, clear


def edge_boxes(model, x, y, layer: str = "conv5"):
    """Images and boxes drawn around each clear peak: the peak on the box's exclusive bottom
    edge (a miss), one column left of the box (a miss), or inside with a margin (a hit)."""
    peaks, clear = _reference_peaks(model, x, y, layer)
    H, W = x.shape[1:3]
    chosen, boxes = [], []
    for i, ((r, c), ok) in enumerate(zip(peaks, clear)):
        if not ok or not (1 <= r < H - 1 and 1 <= c < W - 1) or len(chosen) == EDGE_IMAGES:
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
    return np.array(chosen), np.array(boxes, dtype=np.int64)


def collect_pointing(ns):
    f = student_function(ns, "pointing_game")
    model, x, y, box = model_and_data()
    out = collect_cases(lambda case: f(model, x, box, "conv5", labels=y), [None])
    chosen, boxes = edge_boxes(model, x, y)
    out.update(
        {
            k.replace("case0", "case1"): v
            for k, v in collect_cases(
                lambda case: f(model, x[chosen], boxes, "conv5", labels=y[chosen]), [None]
            ).items()
        }
    )
    out["edge_images"] = len(chosen)
    return out


POINTING_CASES = [
    f"the first {POINTING_IMAGES} test images and their boxes",
    f"{EDGE_IMAGES} test images with boxes drawn around their Grad-CAM peaks (a third with the peak "
    f"inside, a third with it on the box's exclusive bottom edge row1, a third one column left of col0)",
]


def judge_pointing(received, expected):
    for i, what in enumerate(POINTING_CASES):
        call = f"pointing_game(model, {what}, 'conv5', labels)"
        got = received_case(received, i, call, "a float")
        if received.get(f"case{i}_type") not in ("float", "float64", "float32"):
            fail(f"{call}: expected a float, received a {received.get(f'case{i}_type')}.")
        n = POINTING_IMAGES if i == 0 else int(expected["edge_images"])
        want = float(expected[f"case{i}"])
        if abs(float(got) - want) > 0.5 / n:
            fail(
                f"{call}: expected {want:.3f} (hits / {n}), received {float(got):.3f}. A hit is row0 <= row < row1 "
                f"and col0 <= col < col1 (row1 and col1 exclusive, no tolerance) for cam_peak of the true class's "
                f"map."
            )


CHECKS = [
    Check(
        "nb4_activation_model",
        NOTEBOOK,
        2,
        "activation_model",
        collect_activation_model,
        judge_activation_model,
        tol=ACT_TOL,
    ),
    Check(
        "nb4_feature_map_grid",
        NOTEBOOK,
        2,
        "feature_map_grid",
        collect_grid,
        judge_grid,
        mistakes=mistakes_grid,
        tol=MAP_TOL,
    ),
    Check(
        "nb4_grad_cam",
        NOTEBOOK,
        4,
        "grad_cam",
        collect_grad_cam,
        judge_grad_cam,
        mistakes=mistakes_grad_cam,
        tol=MAP_TOL,
    ),
    Check(
        "nb4_class_activation_map",
        NOTEBOOK,
        3,
        "class_activation_map",
        collect_cam,
        judge_cam,
        mistakes=mistakes_cam,
        tol=MAP_TOL,
    ),
    Check(
        "nb4_overlay",
        NOTEBOOK,
        1,
        "overlay_heatmap",
        collect_overlay,
        judge_overlay,
        mistakes=mistakes_overlay,
        tol=MAP_TOL,
    ),
    Check("nb4_cam_peak", NOTEBOOK, 2, "cam_peak", collect_cam_peak, judge_cam_peak),
    Check("nb4_pointing_game", NOTEBOOK, 2, "pointing_game", collect_pointing, judge_pointing),
]
MANUAL = {"nb4_feature_maps_question": 2, "nb4_what_maps_show": 2}

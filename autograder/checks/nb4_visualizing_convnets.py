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
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function

NOTEBOOK = "4_visualizing_convnets"
GRADING_SECONDS = 12  # rough seconds the pytest runner spends on it (2 cores): the costliest start first
CHECKS: list[Check] = []  # in the notebook's order, each declared below its collect and judge
check = declare(CHECKS, NOTEBOOK)
# Locked cells that only plot or measure for the student: the pytest runner skips them.
DEMO_CELLS = frozenset({"partA_plot", "partC_plot", "partD_try", "partD_wrong", "partCAM_try", "partG_sanity"})
GRAD_CASES = [  # (test image index, layer, class_index or None)
    (0, "conv5", None),
    (1, "conv5", None),
    (2, "conv5", None),
    (3, "conv5", 0),
    (4, "conv5", 3),
    (5, "conv3", None),
    (6, "conv4", 2),
    (7, "conv5", 1),
    (2, "conv5", 0),  # class 0, not the top class: `class_index or argmax` would explain the top one
]
POINTING_IMAGES = 40
MAP_TOL = Tol(rtol=1e-4, atol=1e-5)  # heatmaps and grids: values in [0, 1] (overlays: OVERLAY_TOL)
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
def _renamed_model():
    """A small model whose Conv2D layers are not named "conv...", beside a pooling layer that is:
    "every Conv2D layer" is a layer type, not a name."""
    import keras
    from keras import layers

    inputs = keras.Input((10, 10, 3), name="pixels")
    h = layers.Conv2D(4, 3, activation="relu", name="features_a")(inputs)
    h = layers.MaxPooling2D(name="conv_pool")(h)
    h = layers.Conv2D(6, 3, padding="same", activation="relu", name="features_b")(h)
    outputs = layers.Dense(2, name="head")(layers.GlobalAveragePooling2D(name="gap")(h))
    model = keras.Model(inputs, outputs)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng("renamed", w.shape).normal(size=w.shape) for w in layer.get_weights()])
    return model, rng("renamed-x", 0).uniform(size=(2, 10, 10, 3)).astype("float32")


ACTIVATION_CASES = {  # key: (the call shown in a failure, the layer names, which model)
    "all": ("activation_model(model)", None, "shapes"),
    "named": ("activation_model(model, ['conv5', 'conv2'])", ["conv5", "conv2"], "shapes"),
    "one": ("activation_model(model, ['conv3'])", ["conv3"], "shapes"),
    "renamed": (
        "activation_model(a model whose Conv2D layers are 'features_a' and 'features_b', beside a MaxPooling2D "
        "named 'conv_pool')",
        None,
        "renamed",
    ),
}


def collect_activation_model(ns):
    f = student_function(ns, "activation_model")
    model, x, _, _ = model_and_data()
    models = {"shapes": (model, x[:2]), "renamed": _renamed_model()}
    out = {}
    for key, (_, names, which) in ACTIVATION_CASES.items():
        net, images = models[which]
        try:
            acts = _outputs_list(f(net, names)(images))
        except Exception as exc:  # noqa: BLE001 - the student's exception is the finding
            out[f"{key}_error"] = describe_error(exc)
            continue
        out[f"{key}_count"] = len(acts)
        for j, a in enumerate(acts):
            a = np.asarray(a, dtype=np.float64)
            out[f"{key}_{j}_shape"] = list(a.shape)
            out[f"{key}_{j}_means"] = a.mean(axis=(0, 1, 2)) if a.ndim == 4 else a.ravel()[:64]
    return out


def judge_activation_model(received, expected):
    for key, (call, names, _) in ACTIVATION_CASES.items():
        if f"{key}_error" in received:
            fail(f"{call} raised {received[f'{key}_error']}")
        want, got = int(expected[f"{key}_count"]), int(received[f"{key}_count"])
        if got != want:
            fail(
                f"{call}: expected {want} outputs ({'one per Conv2D layer' if names is None else 'one per name'}), "
                f"received {got}."
            )
        for j in range(want):
            w_shape = tuple(int(n) for n in expected[f"{key}_{j}_shape"])
            g_shape = tuple(int(n) for n in received[f"{key}_{j}_shape"])
            if w_shape != g_shape:
                order = "the model's layer order" if names is None else "the order of layer_names"
                fail(f"{call}: output {j} should have shape {w_shape} for 2 images, received {g_shape} (in {order}).")
            if not ACT_TOL.close(received[f"{key}_{j}_means"], expected[f"{key}_{j}_means"]):
                fail(
                    f"{call}: output {j} has the right shape but not the values of that layer's activations "
                    f"({ACT_TOL}; the output of model.get_layer(name), for the model's own input)."
                )


check("nb4_activation_model", 2, "activation_model", collect_activation_model, judge_activation_model, tol=ACT_TOL)


# --------------------------------------------------------------------------- feature_map_grid
GRID_CASES = [((5, 4, 11), 4), ((3, 3, 8), 8), ((6, 6, 3), 2), ((2, 5, 7), 3), ((3, 4, 2), 5)]  # the last: C < n_cols


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
        why="Channel c is the tile at (c // n_cols, c % n_cols), scaled by its own min and range; unused tiles "
        "are 0, and so is channel 1 here, which is constant (range 0: 0, not 0/0).",
    )


check("nb4_feature_map_grid", 2, "feature_map_grid", collect_grid, judge_grid, mistakes=mistakes_grid, tol=MAP_TOL)


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


# The softmax mistake's map is stored only where float32 can compute it the same way on every CPU.
# Its gradient carries p(1 - p) for the class; with p within 1e-2 of 1, 1 - p holds few
# significant digits (p = 0.99999928: 1 - p is 12 of float32's steps near 1), so one step of p more
# or less on another CPU changes the map by percents (0.05 on an emulated ARM CPU, image 5). There
# it names nothing; the answer is named by the images where it is well defined (_named_mistake).
SOFTMAX_CONDITION = 1e-2


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

        if 1 - float(prob) > SOFTMAX_CONDITION:
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


def _named_mistake(received, expected) -> str | None:
    """The mistake of :data:`GRAD_MISTAKES` whose map the answer gives on every image where the
    grader stores it (at least one), or None."""

    def gives(i: int, name: str) -> bool:
        try:
            got = np.asarray(received.get(f"case{i}"), dtype=np.float64)
        except (TypeError, ValueError):
            return False
        alternative = expected[f"mistake_case{i}_{name}"]
        return got.shape == np.shape(alternative) and MAP_TOL.close(got, alternative)

    for name in GRAD_MISTAKES:
        stored = [i for i in range(len(GRAD_CASES)) if f"mistake_case{i}_{name}" in expected]
        if stored and all(gives(i, name) for i in stored):
            return name
    return None


def judge_grad_cam(received, expected):
    named = _named_mistake(received, expected)
    for i, (index, layer, cls) in enumerate(GRAD_CASES):
        call = f"grad_cam(model, x_test[{index}], {layer!r}, class_index={cls})"
        got, want = received_case(received, i, call), expected[f"case{i}"]
        if named and got.shape == want.shape and not MAP_TOL.close(got, want):
            fail(f"{call}: this looks like {GRAD_MISTAKES[named]}.", mistake=named.replace("_", " "))
        if (
            got.shape == want.shape
            and not MAP_TOL.close(got, want)
            and cls is not None
            and not any(
                close(got, expected[key], 1e-3, 1e-4)
                for name in GRAD_MISTAKES
                if (key := f"mistake_case{i}_{name}") in expected
            )
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


check("nb4_grad_cam", 4, "grad_cam", collect_grad_cam, judge_grad_cam, mistakes=mistakes_grad_cam, tol=MAP_TOL)


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


check("nb4_class_activation_map", 3, "class_activation_map", collect_cam, judge_cam, mistakes=mistakes_cam, tol=MAP_TOL)


MANUAL = {"nb4_feature_maps_question": 2, "nb4_what_maps_show": 2}

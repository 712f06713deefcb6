"""Notebook 4's solutions against independent ground truth on the shipped model.

Grad-CAM's channel weights come from a gradient: it is checked against central finite
differences of the logit with respect to the conv activations (through a head model
built from the layers after the conv layer), with rtol=5e-2, atol=1e-3 (float32, ReLU kinks).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import solution_namespace

NB = "4_visualizing_convnets"


@pytest.fixture(scope="module")
def ns():
    return solution_namespace(NB)


def test_shipped_model_is_accurate_and_outputs_logits(ns):
    import keras

    model, x, y = ns["model"], ns["x_test"], ns["y_test"]
    assert isinstance(model.layers[-1], keras.layers.Dense) and model.layers[-1].get_config()["activation"] == "linear"
    accuracy = np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y)
    assert accuracy > 0.95, f"test accuracy {accuracy:.3f}"


def _head_after(model, layer_name):
    """The layers after ``layer_name`` as a function of its activations (no softmax in the model)."""
    names = [layer.name for layer in model.layers]
    rest = model.layers[names.index(layer_name) + 1 :]

    def head(a):
        for layer in rest:
            a = layer(a)
        return a

    return head


@pytest.mark.parametrize("index, layer, cls", [(0, "conv5", None), (3, "conv5", 2), (5, "conv4", 1)])
def test_grad_cam_matches_finite_differences(ns, index, layer, cls):
    import keras

    model, x = ns["model"], ns["x_test"][index]
    acts = np.asarray(keras.Model(model.input, model.get_layer(layer).output)(x[None]), dtype=np.float64)[0]
    head = _head_after(model, layer)
    logits = np.asarray(head(acts[None].astype("float32")))[0]
    c = int(np.argmax(logits)) if cls is None else cls
    # The head is GAP -> Dense (plus convs for conv4): the gradient of the logit, by differences.
    eps = 1e-2
    grads = np.zeros_like(acts)
    rng = np.random.default_rng(index)
    positions = [tuple(rng.integers(0, s) for s in acts.shape) for _ in range(40)]
    for pos in positions:
        up, down = acts.copy(), acts.copy()
        up[pos] += eps
        down[pos] -= eps
        grads[pos] = (
            np.asarray(head(up[None].astype("float32")))[0, c] - np.asarray(head(down[None].astype("float32")))[0, c]
        ) / (2 * eps)
    import tensorflow as tf

    a = tf.constant(acts[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(a)
        score = head(a)[0, c]
    tape_grads = tape.gradient(score, a).numpy()[0]
    sampled = np.array([tape_grads[p] for p in positions])
    numeric = np.array([grads[p] for p in positions])
    np.testing.assert_allclose(sampled, numeric, rtol=5e-2, atol=1e-3)
    weights = tape_grads.mean(axis=(0, 1))
    cam = np.maximum((acts * weights).sum(-1), 0)
    expected = cam / cam.max() if cam.max() > 0 else cam
    np.testing.assert_allclose(ns["grad_cam"](model, x, layer, cls), expected, rtol=1e-3, atol=1e-4)


def test_pointing_game_beats_the_target_and_the_random_baseline(ns):
    n = 300
    score = ns["pointing_game"](ns["model"], ns["x_test"][:n], ns["box_test"][:n], "conv5", labels=ns["y_test"][:n])
    boxes = ns["box_test"][:n]
    baseline = np.mean((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) / (48 * 48)
    assert score >= 0.9 and score > 3 * baseline, (score, baseline)


def test_the_maps_of_wrong_classes_point_at_the_shape_less_often(ns):
    """What Part G's model answer says of the sanity cell: wrong classes' maps still peak on the
    shape at times (the game is easy), but each less often than the true class's map, by 0.3 or more."""
    n, k = 100, len(ns["class_names"])
    args = (ns["model"], ns["x_test"][:n], ns["box_test"][:n], "conv5")
    true = ns["pointing_game"](*args, labels=ns["y_test"][:n])
    wrong = [ns["pointing_game"](*args, labels=(ns["y_test"][:n] + s) % k) for s in range(1, k)]
    assert max(wrong) <= true - 0.3 and max(wrong) > 0.2, f"true class {true:.2f}, wrong classes {wrong}"


def test_feature_map_grid_against_a_loop(ns):
    a = np.random.default_rng(0).normal(size=(3, 4, 10))
    a[..., 4] = 7.0
    grid = ns["feature_map_grid"](a, n_cols=3)
    rows = math.ceil(10 / 3)
    assert grid.shape == (rows * 3, 3 * 4)
    for c in range(12):
        tile = grid[(c // 3) * 3 : (c // 3 + 1) * 3, (c % 3) * 4 : (c % 3 + 1) * 4]
        if c >= 10 or c == 4:
            assert np.all(tile == 0)
        else:
            ch = a[..., c]
            np.testing.assert_allclose(tile, (ch - ch.min()) / (ch.max() - ch.min()))


def test_activation_model_equals_the_layers_outputs(ns):
    import keras

    model, x = ns["model"], ns["x_test"][:2]
    outs = ns["activation_model"](model)(x)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(outs) == len(convs) == 5
    for out, layer in zip(outs, convs):
        np.testing.assert_allclose(out, keras.Model(model.input, layer.output)(x), rtol=1e-5, atol=1e-6)


def test_overlay_is_the_stated_blend(ns):
    import matplotlib

    image = np.random.default_rng(1).uniform(size=(6, 6, 3))
    heat = np.random.default_rng(2).uniform(size=(6, 6))  # same size: the resize is the identity
    out = ns["overlay_heatmap"](image, heat, alpha=0.3)
    np.testing.assert_allclose(
        out, 0.7 * image + 0.3 * matplotlib.colormaps["jet"](heat)[..., :3], rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("index", [0, 3, 7, 11])
def test_class_activation_map_averages_to_the_logit(ns, index):
    """Zhou et al.'s identity, independent of any CAM code: the spatial mean of sum_c W[c, k] A_c,
    plus the bias, is the model's logit for k; and the solution's CAM is that map, relu'd and
    divided by its maximum, for every class."""
    import keras

    model, image = ns["model"], ns["x_test"][index]
    maps, logits = keras.Model(model.input, [model.get_layer("conv5").output, model.output])(image[None])
    kernel, bias = model.get_layer("logits").get_weights()
    for k in range(kernel.shape[1]):
        raw = np.einsum("hwc,c->hw", np.asarray(maps[0], dtype=np.float64), kernel[:, k])
        np.testing.assert_allclose(raw.mean() + bias[k], float(logits[0, k]), rtol=1e-4, atol=1e-4)
        want = np.maximum(raw, 0) / np.maximum(raw, 0).max() if raw.max() > 0 else np.zeros_like(raw)
        np.testing.assert_allclose(ns["class_activation_map"](model, image, k), want, rtol=1e-4, atol=1e-5)


def test_class_activation_map_is_grad_cam_on_the_last_conv_layer(ns):
    """For conv5, which feeds global average pooling, Grad-CAM by automatic differentiation equals
    the CAM after normalisation (the notebook's claim)."""
    import keras
    import tensorflow as tf

    model = ns["model"]
    sub = keras.Model(model.input, [model.get_layer("conv5").output, model.output])
    for index in range(6):
        image = ns["x_test"][index]
        with tf.GradientTape() as tape:
            maps, logits = sub(image[None])
            score = logits[0, int(np.argmax(logits[0]))]
        weights = np.asarray(tape.gradient(score, maps)[0]).mean(axis=(0, 1))
        cam = np.maximum(np.asarray(maps[0]) @ weights, 0)
        np.testing.assert_allclose(ns["class_activation_map"](model, image), cam / cam.max(), rtol=1e-4, atol=1e-5)

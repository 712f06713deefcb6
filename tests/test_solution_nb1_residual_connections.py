"""Notebook 1's solutions against independent ground truth: Keras itself and the maths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import solution_namespace

NB = "1_residual_connections"


@pytest.fixture(scope="module")
def ns():
    return solution_namespace(NB)


def test_needs_projection_says_true_exactly_when_keras_cannot_merge(ns):
    """Build the block without any projection: Keras's Add / Concatenate raise exactly
    when needs_projection says a projection is needed. (C = 1 is left out: Keras's Add
    broadcasts an axis of size 1, which is not an identity shortcut.)"""
    import keras
    from keras import layers

    for H, W, C in [(8, 8, 8), (9, 7, 16), (5, 5, 3)]:
        for filters in (C, 2 * C):
            for strides in (1, 2, 3):
                for merge in ("add", "concat"):
                    x = keras.Input((H, W, C))
                    h = layers.Conv2D(filters, 3, strides=strides, padding="same")(x)
                    try:
                        (layers.Add() if merge == "add" else layers.Concatenate())([h, x])
                        fails = False
                    except ValueError:
                        fails = True
                    assert ns["needs_projection"]((H, W, C), filters, strides, merge) is fails, (
                        H,
                        W,
                        C,
                        filters,
                        strides,
                        merge,
                    )


def test_residual_block_shapes_and_parameters_match_keras(ns):
    import keras

    for (H, W, C), filters, strides, merge in [
        ((9, 9, 8), 16, 2, "add"),
        ((8, 8, 8), 16, 1, "concat"),
        ((7, 7, 4), 4, 3, "concat"),
        ((8, 8, 16), 16, 1, "add"),
    ]:
        x = keras.Input((H, W, C))
        model = keras.Model(x, ns["residual_block"](x, filters, strides=strides, merge=merge))
        channels = filters if merge == "add" else filters + C
        assert tuple(model.output.shape) == (None, math.ceil(H / strides), math.ceil(W / strides), channels)
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert model.count_params() == sum(layer.count_params() for layer in convs)
        projection = strides != 1 or (merge == "add" and C != filters)
        assert len(convs) == 2 + projection


def test_plain_sigmoid_gradients_vanish_and_residual_ones_do_not(ns):
    """The lecture's claim, on the shipped digits: depth 20, sigmoid."""
    import keras

    x, y = ns["x_digits"], ns["y_digits"]
    ratios = {}
    for residual in (False, True):
        keras.utils.set_random_seed(20)
        norms = ns["layer_gradient_norms"](ns["build_deep_net"](20, residual=residual), x, y)
        assert norms.shape == (21,)
        ratios[residual] = norms[0] / norms[-1]
    assert ratios[False] < 1e-6, f"plain first/last ratio {ratios[False]:.2e}, expected below 1e-6"
    assert ratios[True] > 1e-3, f"residual first/last ratio {ratios[True]:.2e}, expected above 1e-3"


def test_gradient_norms_match_a_finite_difference(ns):
    """d loss / d kernel from the tape, checked on one kernel entry by central differences."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    model = ns["build_deep_net"](2, residual=False, activation="tanh", width=4)
    x, y = ns["x_digits"][:16].astype("float64"), ns["y_digits"][:16]
    norms = ns["layer_gradient_norms"](model, x, y)
    kernel = model.layers[1].kernel
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    g = tape.gradient(loss, kernel).numpy()
    assert np.isclose(norms[0], np.linalg.norm(g), rtol=1e-5)
    i = np.unravel_index(np.argmax(np.abs(g)), g.shape)
    eps, base = 1e-3, kernel.numpy()

    def loss_at(delta):
        w = base.copy()
        w[i] += delta
        kernel.assign(w)
        return float(tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x))))

    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    kernel.assign(base)
    assert np.isclose(numeric, g[i], rtol=2e-2), f"finite difference {numeric:.5g} vs tape {g[i]:.5g}"


def test_deep_net_parameter_count_matches_the_formula(ns):
    for depth, width, shape, classes in [(0, 4, (5, 5, 3), 4), (5, 16, (8, 8, 1), 10)]:
        model = ns["build_deep_net"](depth, residual=True, width=width, input_shape=shape, num_classes=classes)
        C = shape[-1]
        assert (
            model.count_params()
            == (9 * C * width + width) + depth * (9 * width * width + width) + width * classes + classes
        )

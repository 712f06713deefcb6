"""Notebook 2's solutions against Keras itself, on the checks' whole grids.

Shapes: a real Conv2D / Conv2DTranspose layer's output shape equals the formula.
Values: conv_transpose2d equals Conv2DTranspose(use_bias=False) with the same kernel, the
valid output cropped by p on every side when p > 0; float32 layer vs float64 NumPy,
rtol=1e-4, atol=1e-5.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import nb2_transpose as checks
from conftest import solution_namespace

NB = "2_transpose_convolution"


@pytest.fixture(scope="module")
def ns():
    return solution_namespace(NB)


def test_conv_output_size_matches_keras_conv2d(ns):
    import keras
    from keras import layers

    for i, k, s, p in checks.CONV_GRID[::3]:
        x = keras.Input((i, i + 1, 1))
        y = layers.Conv2D(1, k, strides=s)(layers.ZeroPadding2D(p)(x))
        assert tuple(y.shape[1:3]) == (ns["conv_output_size"](i, k, s, p), ns["conv_output_size"](i + 1, k, s, p))


def test_keras_rule_matches_real_conv2d_transpose_layers(ns):
    from keras import layers

    for i, k, s, padding, a in checks.KERAS_GRID[::2]:
        layer = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=a)
        got = layer(np.zeros((1, i, i, 1), dtype="float32")).shape[1]
        assert got == ns["keras_conv_transpose_output_size"](i, k, s, padding, a), (i, k, s, padding, a)


def test_transpose_size_is_keras_valid_with_output_padding(ns):
    from keras import layers

    for i, k, s, p, a in checks.TRANSPOSE_GRID[::4]:
        if p:
            continue
        layer = layers.Conv2DTranspose(1, k, strides=s, padding="valid", output_padding=a)
        assert layer(np.zeros((1, i, i, 1), dtype="float32")).shape[1] == ns["transpose_conv_output_size"](i, k, s, 0, a)


def test_output_padding_round_trip(ns):
    for i, k, s, p in checks.PADDING_GRID:
        o = ns["conv_output_size"](i, k, s, p)
        a = ns["output_padding_for"](i, k, s, p)
        assert 0 <= a < s and ns["transpose_conv_output_size"](o, k, s, p, a) == i


@pytest.mark.parametrize("index", range(len(checks.ARRAY_CASES)))
def test_conv_transpose2d_equals_keras(ns, index):
    from keras import layers

    H, W, cin, cout, k, s, p, a = checks.ARRAY_CASES[index]
    x, kernel = checks._arrays(index, checks.ARRAY_CASES[index])
    layer = layers.Conv2DTranspose(cout, k, strides=s, padding="valid", output_padding=a, use_bias=False)
    layer.build((1, H, W, cin))
    layer.set_weights([kernel.astype("float32")])
    full = np.asarray(layer(x[None].astype("float32")))[0]
    expected = full[p:full.shape[0] - p, p:full.shape[1] - p]
    got = ns["conv_transpose2d"](x, kernel, s, p, a)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_d2l_example(ns):
    X = np.array([[0.0, 1.0], [2.0, 3.0]])[..., None]
    K = np.array([[0.0, 1.0], [2.0, 3.0]])[..., None, None]
    np.testing.assert_array_equal(ns["conv_transpose2d"](X, K, 1)[..., 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    np.testing.assert_array_equal(ns["conv_transpose2d"](X, K, 2)[..., 0],
                                  [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])

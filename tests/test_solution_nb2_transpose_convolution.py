"""Notebook 2's solutions against Keras itself, on the checks' whole grids.

Shapes: a real Conv2D / Conv2DTranspose layer's output shape equals the formula.
Values: conv_transpose2d equals Conv2DTranspose(use_bias=False) with the same kernel, the
valid output cropped by p on every side when p > 0; float32 layer vs float64 NumPy,
rtol=1e-4, atol=1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import nb2_transpose_convolution as checks
from autograder.checks import nb2_transpose_convolution_matrix as matrix_checks
from tests.helpers import solution_namespace

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
        assert layer(np.zeros((1, i, i, 1), dtype="float32")).shape[1] == ns["transpose_conv_output_size"](
            i, k, s, 0, a
        )


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
    expected = full[p : full.shape[0] - p, p : full.shape[1] - p]
    got = ns["conv_transpose2d"](x, kernel, s, p, a)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_d2l_example(ns):
    X = np.array([[0.0, 1.0], [2.0, 3.0]])[..., None]
    K = np.array([[0.0, 1.0], [2.0, 3.0]])[..., None, None]
    np.testing.assert_array_equal(ns["conv_transpose2d"](X, K, 1)[..., 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    np.testing.assert_array_equal(
        ns["conv_transpose2d"](X, K, 2)[..., 0], [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    )


@pytest.mark.parametrize("index", range(len(matrix_checks.MATRIX_CASES)))
def test_conv_matrix_is_conv2d_and_its_transpose_is_conv2d_transpose(ns, index):
    """C @ x equals Keras's Conv2D (after p zeros of padding) and C.T @ y equals Keras's
    Conv2DTranspose with the output padding that gives i back, cropped by p."""
    from keras import layers

    i, k, s, p = matrix_checks.MATRIX_CASES[index]
    kernel = matrix_checks._matrix_kernel(index, k)
    C = ns["conv_matrix"](kernel, i, s, p)
    o = (i + 2 * p - k) // s + 1
    g = np.random.default_rng(index)
    x, y = g.normal(size=(i, i)), g.normal(size=(o, o))
    conv = layers.Conv2D(1, k, strides=s, use_bias=False)
    conv.build((1, i + 2 * p, i + 2 * p, 1))
    conv.set_weights([kernel[..., None, None].astype("float32")])
    padded = np.pad(x, p)[None, ..., None].astype("float32")
    np.testing.assert_allclose(C @ x.ravel(), np.asarray(conv(padded)).ravel(), rtol=1e-4, atol=1e-5)
    a = (i + 2 * p - k) % s
    back = layers.Conv2DTranspose(1, k, strides=s, padding="valid", output_padding=a, use_bias=False)
    back.build((1, o, o, 1))
    back.set_weights([kernel[..., None, None].astype("float32")])
    full = np.asarray(back(y[None, ..., None].astype("float32")))[0, ..., 0]
    np.testing.assert_allclose((C.T @ y.ravel()).reshape(i, i), full[p : p + i, p : p + i], rtol=1e-4, atol=1e-5)


def test_decoder_output_paddings_give_the_sizes_back_in_keras(ns):
    """A real Keras encoder and decoder with those paddings ends at the input's size, and every
    decoder step at the size of its mirror encoder step."""
    import keras
    from keras import layers

    for i, depth, k, s, padding in matrix_checks.DECODER_GRID[::7]:
        paddings = ns["decoder_output_paddings"](i, depth, k=k, s=s, padding=padding)
        h = keras.Input((i, i, 1))
        sizes = [i]
        for _ in range(depth):
            h = layers.Conv2D(1, k, strides=s, padding=padding)(h)
            sizes.append(h.shape[1])
        for a, want in zip(paddings, sizes[-2::-1]):
            assert 0 <= a < s, (i, depth, k, s, padding, paddings)
            h = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=a)(h)
            assert h.shape[1] == want, (i, depth, k, s, padding, paddings)

# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Week 5, notebook 2: transposed-convolution arithmetic
#
# A convolution compresses: it maps an `i x i` image to a smaller `o x o` one. An
# encoder-decoder must go back up to the input's size, and it does so with a
# **transposed convolution**. This notebook works out its arithmetic in the lecture's
# notation, then builds one from scratch with NumPy and checks it against Keras.
#
# | symbol | meaning |
# |---|---|
# | `i`, `k`, `s`, `p` | input size, kernel size, stride and padding of the *convolution* |
# | `z` | zeros inserted between neighbouring input pixels of the transposed convolution |
# | `p_prime` (p') | zeros of padding around the image for the transposed convolution |
# | `s_prime` (s') | the stride of the transposed convolution's direct convolution (always 1) |
# | `a` | extra rows/columns at the bottom/right (Keras's `output_padding`) |
#
# Reference: Dumoulin & Visin, *A guide to convolution arithmetic for deep learning*
# (relationships 8-14). All sizes are ints; images are `(H, W, C)`, NHWC without the batch.
#
# | Part | Points |
# |---|---|
# | A. Convolution output size | 1 |
# | B. Transposed-convolution output size | 1 |
# | C. The equivalent direct convolution | 1 |
# | D. Getting the input size back | 1 |
# | E. What Keras does | 1 |
# | F. A transposed convolution from scratch | 5 |
# | G. Why it is called the *transpose* | 4 |
# | H. A decoder that gives the size back | 2 |
# | I. Design an upsampler: the size, and no checkerboard | 4 |
# | J. Why decoders need `output_padding` (written) | 3 |
#
# **What costs points.** A test fails on a wrong value, type or shape, or on an error. A
# warning your code prints (in red: NumPy's `RuntimeWarning`, a TensorFlow notice) costs
# nothing, and float32 or float64 arithmetic are both fine: numbers are compared within the
# tolerance each test states. When your notebook is graded, hidden tests check many more
# cases, and the visible ones again.

# %% [markdown] nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The imports; `convnets_utils` also brings `insert_zeros`, `pad_image` and `plot_grid`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from convnets_utils import *  # noqa: F401,F403  (import before TensorFlow)

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

seed_everything(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part A (1 point): how much does a convolution shrink?
#
# A `k x k` kernel slides over an `i x i` image padded with `p` zeros on each side, in
# steps of `s`. It fits `floor((i + 2p - k) / s) + 1` times along each axis:
#
# $$o = \left\lfloor \frac{i + 2p - k}{s} \right\rfloor + 1$$
#
# Write `conv_output_size`. It must return a Python `int` (integer division `//` floors).

# %% nbgrader={"grade": false, "grade_id": "conv_output_size_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(i, k, s=1, p=0):
    """Output size of a convolution along one axis.

    Parameters
    ----------
    i, k, s, p : int, input size, kernel size, stride (>= 1) and padding (>= 0), i + 2p >= k

    Returns
    -------
    int: o = floor((i + 2p - k) / s) + 1
    """
    ### BEGIN SOLUTION
    return (i + 2 * p - k) // s + 1
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the lecture's two pictures: a 4x4 input, 3x3 kernel, stride 1, with padding 0
# (output 2x2) and padding 1 (output 4x4).

# %% nbgrader={"grade": false, "grade_id": "partA_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
conv_output_size(4, 3, 1, 0), conv_output_size(4, 3, 1, 1)

# %% nbgrader={"grade": true, "grade_id": "nb2_conv_output_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""conv_output_size: o = floor((i + 2p - k) / s) + 1, as an int (1 point)."""
expect_equal(conv_output_size(4, 3, 1, 0), 2, "conv_output_size(4, 3, 1, 0)", "(4 + 0 - 3) // 1 + 1 = 2")
expect_equal(conv_output_size(4, 3, 1, 1), 4, "conv_output_size(4, 3, 1, 1)", "(4 + 2 - 3) // 1 + 1 = 4")
expect_equal(conv_output_size(5, 3, 2, 0), 2, "conv_output_size(5, 3, 2, 0)", "(5 + 0 - 3) // 2 + 1 = 2")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_conv_output_size", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part B (1 point): how much does a transposed convolution grow?
#
# The transposed convolution of a convolution `(k, s, p)` maps an `i' x i'` input to
#
# $$o' = s\,(i' - 1) + a + k - 2p$$
#
# where `a` (between 0 and s - 1) adds rows and columns at the bottom and right. Write
# `transpose_conv_output_size`, again returning an `int`.

# %% nbgrader={"grade": false, "grade_id": "transpose_conv_output_size_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def transpose_conv_output_size(i, k, s=1, p=0, a=0):
    """Output size of a transposed convolution along one axis.

    Parameters
    ----------
    i : int, the transposed convolution's input size i' (>= 1)
    k, s, p : int, kernel size, stride and padding of the convolution it transposes
    a : int, output padding, 0 <= a < s

    Returns
    -------
    int: o' = s (i - 1) + a + k - 2p
    """
    ### BEGIN SOLUTION
    return s * (i - 1) + a + k - 2 * p
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it: the transposed convolution of `(k=3, s=1, p=0)` maps the 2x2 output of Part A
# back to 4x4.

# %% nbgrader={"grade": false, "grade_id": "partB_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
transpose_conv_output_size(2, 3, 1, 0)

# %% nbgrader={"grade": true, "grade_id": "nb2_transpose_conv_output_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""transpose_conv_output_size: o' = s(i' - 1) + a + k - 2p, as an int (1 point)."""
expect_equal(transpose_conv_output_size(2, 3, 1, 0), 4, "transpose_conv_output_size(2, 3, 1, 0)",
             "1 * (2 - 1) + 0 + 3 - 0 = 4")
expect_equal(transpose_conv_output_size(4, 3, 1, 1), 4, "transpose_conv_output_size(4, 3, 1, 1)",
             "1 * (4 - 1) + 0 + 3 - 2 = 4")
expect_equal(transpose_conv_output_size(3, 3, 2, 1, 1), 6, "transpose_conv_output_size(3, 3, 2, 1, a=1)",
             "2 * (3 - 1) + 1 + 3 - 2 = 6")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_transpose_conv_output_size", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part C (1 point): a transposed convolution is a direct convolution
#
# The lecture's picture: the transposed convolution of `(k, s, p)` is an ordinary
# convolution with the same kernel size `k` and stride `s' = 1`, run over the input after
#
# * inserting `z = s - 1` zeros between neighbouring pixels, and
# * padding `p' = k - p - 1` zeros around the image.
#
# Write `transpose_conv_equivalent(k, s, p)`, returning `{"z": ..., "p_prime": ..., "s_prime": ...}`.

# %% nbgrader={"grade": false, "grade_id": "transpose_conv_equivalent_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def transpose_conv_equivalent(k, s, p):
    """The direct convolution equivalent to the transposed convolution of (k, s, p).

    Parameters
    ----------
    k, s, p : int, kernel size, stride and padding of the convolution

    Returns
    -------
    dict of ints: {"z": zeros inserted between pixels, "p_prime": padding around the
    image (negative means cropping), "s_prime": stride of the direct convolution}
    """
    ### BEGIN SOLUTION
    return {"z": s - 1, "p_prime": k - p - 1, "s_prime": 1}
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_fig_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your function drives the lecture's figure: a 2x2 input, transposed convolution of
# `(k=3, s=2, p=0)`. Blue cells are input pixels, orange the `z` inserted zeros, grey the
# `p'` padding. A 3x3 kernel sliding over this 7x7 grid with stride 1 gives a 5x5
# output, which is `transpose_conv_output_size(2, 3, 2, 0)`.

# %% nbgrader={"grade": false, "grade_id": "partC_fig", "locked": true, "schema_version": 3, "solution": false, "task": false}
example = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
eq = transpose_conv_equivalent(k=3, s=2, p=0)
spread = insert_zeros(example, eq["z"])
padded = pad_image(spread, eq["p_prime"])
marks = pad_image(np.where(insert_zeros(np.ones_like(example), eq["z"]) > 0, 1, 2), eq["p_prime"])[..., 0]
labels = np.array(["p", "x", "z"])[marks]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
plot_grid(example, "input i' = 2", axes[0], np.full((2, 2), "x"))
plot_grid(spread, f"z = {eq['z']} zeros inserted", axes[1], labels[eq["p_prime"]:-eq["p_prime"] or None,
                                                                  eq["p_prime"]:-eq["p_prime"] or None])
plot_grid(padded, f"padded by p' = {eq['p_prime']}: {padded.shape[0]}x{padded.shape[1]}", axes[2], labels)
fig.suptitle("Transposed convolution of (k=3, s=2, p=0) as a stride-1 convolution")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "nb2_equivalent", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""transpose_conv_equivalent: z = s - 1, p' = k - p - 1, s' = 1 (1 point)."""
expect_equal(transpose_conv_equivalent(3, 1, 0), {"z": 0, "p_prime": 2, "s_prime": 1},
             "transpose_conv_equivalent(3, 1, 0)", "Stride 1 inserts no zeros; p' = 3 - 0 - 1 = 2.")
expect_equal(transpose_conv_equivalent(3, 2, 1), {"z": 1, "p_prime": 1, "s_prime": 1},
             "transpose_conv_equivalent(3, 2, 1)", "z = 2 - 1 = 1; p' = 3 - 1 - 1 = 1.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_equivalent", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part D (1 point): getting the input size back
#
# With a stride, several input sizes give the same output: `conv_output_size(5, 3, 2)` and
# `conv_output_size(6, 3, 2)` are both 2. So the transposed convolution cannot know whether
# to go back to 5 or to 6; `a` tells it. The `a` that gives back exactly `i` is the
# remainder the floor threw away:
#
# $$a = (i + 2p - k) \bmod s$$
#
# Write `output_padding_for(i, k, s, p)`.

# %% nbgrader={"grade": false, "grade_id": "output_padding_for_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def output_padding_for(i, k, s, p):
    """The output padding a with which the transposed convolution undoes the size change.

    Parameters
    ----------
    i, k, s, p : int, input size, kernel size, stride and padding of the convolution

    Returns
    -------
    int a, 0 <= a < s, such that
    transpose_conv_output_size(conv_output_size(i, k, s, p), k, s, p, a) == i
    """
    ### BEGIN SOLUTION
    return (i + 2 * p - k) % s
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try the round trip for the two sizes above: both should come back unchanged.

# %% nbgrader={"grade": false, "grade_id": "partD_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
for i in (5, 6):
    o = conv_output_size(i, 3, 2)
    print(f"i={i} -> o={o} -> back to {transpose_conv_output_size(o, 3, 2, 0, output_padding_for(i, 3, 2, 0))}")

# %% nbgrader={"grade": true, "grade_id": "nb2_output_padding", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""output_padding_for: the a that gives the input size back (1 point)."""
expect_equal(output_padding_for(5, 3, 2, 0), 0, "output_padding_for(5, 3, 2, 0)", "(5 + 0 - 3) mod 2 = 0")
expect_equal(output_padding_for(6, 3, 2, 0), 1, "output_padding_for(6, 3, 2, 0)", "(6 + 0 - 3) mod 2 = 1")
expect_equal(output_padding_for(6, 3, 3, 1), 2, "output_padding_for(6, 3, 3, 1)", "(6 + 2 - 3) mod 3 = 2")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_output_padding", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part E (1 point): what Keras does
#
# `keras.layers.Conv2DTranspose(filters, k, strides=s, padding=..., output_padding=...)`
# has no `p` argument. Its rule, per axis (from Keras's source):
#
# | `padding` | `output_padding=None` | `output_padding=a` |
# |---|---|---|
# | `"valid"` (p = 0) | `(i - 1) s + max(k, s)` | `(i - 1) s + k + a` |
# | `"same"` | `i s` | `(i - 1) s + k mod 2 + a` |
#
# With `"valid"` and `None`, Keras pads by itself when `k < s` (so that the output is `i s`).
# `"same"` is Keras's name for the padding that makes a stride-1 convolution keep the size
# (p = k // 2 for odd k); with stride s, `Conv2D(..., padding="same")` gives `ceil(i / s)`.
# Write `keras_conv_transpose_output_size(i, k, s, padding, output_padding=None)`.

# %% nbgrader={"grade": false, "grade_id": "keras_conv_transpose_output_size_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def keras_conv_transpose_output_size(i, k, s, padding, output_padding=None):
    """The output size keras.layers.Conv2DTranspose gives along one axis.

    Parameters
    ----------
    i, k, s : int, input size, kernel size and stride
    padding : "valid" or "same"
    output_padding : None or int a, 0 <= a < s

    Returns
    -------
    int, the layer's output size
    """
    ### BEGIN SOLUTION
    if padding == "valid":
        a = max(k, s) - k if output_padding is None else output_padding
        return (i - 1) * s + k + a
    if padding == "same":
        return i * s if output_padding is None else (i - 1) * s + k % 2 + output_padding
    raise ValueError(f"padding must be 'valid' or 'same', received {padding!r}")
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_table_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Compare your formulas with real layers on a 5x5 input. The column `formula (p=0)` is your
# `transpose_conv_output_size(i, k, s, 0, a)`, which matches `"valid"` whenever `k >= s`.

# %% nbgrader={"grade": false, "grade_id": "partE_table", "locked": true, "schema_version": 3, "solution": false, "task": false}
print(f"{'k':>2} {'s':>2} {'padding':>8} {'output_padding':>15} | {'Keras':>6} {'yours':>6} {'formula (p=0)':>14}")
for k, s, padding, a in [(3, 2, "valid", None), (3, 2, "valid", 1), (2, 3, "valid", None), (2, 3, "valid", 1),
                         (3, 2, "same", None), (3, 2, "same", 1), (4, 2, "same", 1), (1, 1, "valid", None)]:
    layer = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=a)
    keras_size = layer(np.zeros((1, 5, 5, 1), dtype="float32")).shape[1]
    print(f"{k:>2} {s:>2} {padding:>8} {str(a):>15} | {keras_size:>6} "
          f"{keras_conv_transpose_output_size(5, k, s, padding, a):>6} "
          f"{transpose_conv_output_size(5, k, s, 0, a or 0):>14}")

# %% nbgrader={"grade": true, "grade_id": "nb2_keras_output_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""keras_conv_transpose_output_size: Keras's rule for "valid" and "same" (1 point)."""
for k, s, padding, a in [(3, 2, "valid", None), (3, 2, "valid", 1), (3, 2, "same", None), (3, 2, "same", 1)]:
    layer = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=a)
    actual = int(layer(np.zeros((1, 5, 5, 1), dtype="float32")).shape[1])
    expect_equal(keras_conv_transpose_output_size(5, k, s, padding, a), actual,
                 f"keras_conv_transpose_output_size(5, {k}, {s}, {padding!r}, {a})",
                 "That is what the layer gives; see the table of Keras's rule above.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_keras_output_size", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partF_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part F (5 points): a transposed convolution from scratch
#
# Now compute one, the lecture's way, with NumPy only:
#
# 1. insert `z = s - 1` zeros between pixels (`insert_zeros(x, z)`);
# 2. pad by `p' = k - p - 1` on every side, plus `a` more at the bottom and right
#    (`pad_image(x, p_prime, a)`). The convolution's padding `p` may be `k` or more: then `p'` is
#    negative and the image is cropped instead (`pad_image` does both; `np.pad` refuses negative widths);
# 3. run a stride-1 direct convolution with the kernel **flipped** in both spatial axes.
#
# Keras stores a `Conv2DTranspose` kernel as `(k, k, C_out, C_in)`: note the order.
# Step 3 for all channels at once: `np.lib.stride_tricks.sliding_window_view(padded, (k, k),
# axis=(0, 1))` has shape `(H', W', C_in, k, k)`, and one `np.einsum` with the flipped kernel
# gives `(H', W', C_out)`. Return a NumPy array (not a TensorFlow tensor); float32 or float64
# arithmetic are both fine (the tests allow `rtol=1e-4, atol=1e-5`).

# %% nbgrader={"grade": false, "grade_id": "conv_transpose2d_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    """Transposed convolution of one image, NumPy only.

    Parameters
    ----------
    x : array of shape (H, W, C_in)
    kernel : array of shape (k, k, C_out, C_in), Keras's Conv2DTranspose layout
    s, p, a : int, stride, padding (any p >= 0, also p >= k) and output padding (0 <= a < s)

    Returns
    -------
    np.ndarray of shape (H', W', C_out), H' = transpose_conv_output_size(H, k, s, p, a)
    (W' likewise), H', W' >= 1
    """
    ### BEGIN SOLUTION
    k = kernel.shape[0]
    eq = transpose_conv_equivalent(k, s, p)
    padded = pad_image(insert_zeros(np.asarray(x, dtype=np.float64), eq["z"]), eq["p_prime"], a)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(0, 1))
    flipped = np.asarray(kernel, dtype=np.float64)[::-1, ::-1]
    return np.einsum("hwcuv,uvoc->hwo", windows, flipped)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partF_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the example from d2l (*Dive into Deep Learning*, 14.10): `X = K = [[0, 1], [2, 3]]`.
# With stride 1 the answer is `[[0, 0, 1], [0, 4, 6], [4, 12, 9]]`.

# %% nbgrader={"grade": false, "grade_id": "partF_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
X = np.array([[0.0, 1.0], [2.0, 3.0]])
K = X.copy()
print(conv_transpose2d(X[..., None], K[..., None, None], s=1)[..., 0])

# %% nbgrader={"grade": true, "grade_id": "nb2_conv_transpose2d", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
"""conv_transpose2d: the d2l example, and Keras's Conv2DTranspose on random data (5 points)."""
X4, K4 = X[..., None], K[..., None, None]
expect_close(conv_transpose2d(X4, K4, s=1)[..., 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]], "d2l example, stride 1",
             rtol=1e-4, atol=1e-5, why="Did you flip the kernel in both spatial axes (kernel[::-1, ::-1])?")
expect_close(conv_transpose2d(X4, K4, s=2)[..., 0],
             [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]], "d2l example, stride 2", rtol=1e-4, atol=1e-5)
x_rand = np.random.default_rng(0).normal(size=(4, 4, 2))
k_rand = np.random.default_rng(1).normal(size=(3, 3, 5, 2))
layer = layers.Conv2DTranspose(5, 3, strides=2, padding="valid", output_padding=1, use_bias=False)
layer.build((1, 4, 4, 2))
layer.set_weights([k_rand])
expect_close(conv_transpose2d(x_rand, k_rand, s=2, a=1), np.asarray(layer(x_rand[None]))[0],
             "conv_transpose2d(x (4, 4, 2), kernel (3, 3, 5, 2), s=2, a=1) vs Conv2DTranspose",
             rtol=1e-4, atol=1e-5, why="H' = 2*(4 - 1) + 1 + 3 - 0 = 10; a is added at the bottom and right only, "
             "and the kernel is (k, k, C_out, C_in).")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_conv_transpose2d", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partG_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part G (4 points): why is it called the *transpose*?
#
# A convolution is linear: each output pixel is a weighted sum of input pixels. So, for a
# fixed kernel, it *is* a matrix. Flatten the `i x i` input into a vector `x` of length `i*i`
# (row by row) and the `o x o` output into `y`; then `y = C x` for a matrix `C` of shape
# `(o*o, i*i)`. The row of output pixel `(r, c)` holds the kernel's weights in the columns of
# the input pixels its window covers, and zeros elsewhere (d2l, section 14.10.3). The
# **transposed convolution** is the map with the matrix `C^T`, shape `(i*i, o*o)`: it takes an
# `o x o` image back to `i x i`. (It is also the gradient of the convolution, which is how
# Keras computes `Conv2DTranspose`.)
#
# Write `conv_matrix(kernel, i, s=1, p=0)` for one channel, as Keras's `Conv2D` computes:
# the window at output `(r, c)` starts at input row `r*s - p` and column `c*s - p` (the
# padding is `p` zeros, whose columns are left out), and the kernel is **not** flipped
# (`Conv2D` is a cross-correlation: `y[r, c] = sum over (u, v) of kernel[u, v] * x[r*s - p + u, c*s - p + v]`).

# %% nbgrader={"grade": false, "grade_id": "conv_matrix_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_matrix(kernel, i, s=1, p=0):
    """The matrix C of a one-channel convolution: C @ x.ravel() == conv(x).ravel().

    Parameters
    ----------
    kernel : array of shape (k, k)
    i : int, the input's height and width (i + 2p >= k)
    s, p : int, stride (>= 1) and padding (>= 0)

    Returns
    -------
    np.ndarray of shape (o*o, i*i), o = conv_output_size(i, k, s, p): row r*o + c holds
    kernel[u, v] at column (r*s - p + u)*i + (c*s - p + v) wherever that pixel is inside the input
    """
    ### BEGIN SOLUTION
    kernel = np.asarray(kernel, dtype=np.float64)
    k = kernel.shape[0]
    o = (i + 2 * p - k) // s + 1
    C = np.zeros((o * o, i * i))
    for r in range(o):
        for c in range(o):
            for u in range(k):
                for v in range(k):
                    row, col = r * s - p + u, c * s - p + v
                    if 0 <= row < i and 0 <= col < i:
                        C[r * o + c, row * i + col] = kernel[u, v]
    return C
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partG_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Look at `C` for a 3x3 kernel with weights 1 to 9 on a 4x4 input (stride 1): 4 rows, one
# per output pixel. Read it both ways. A **row** is a window: output pixel `(r, c)` *gathers*
# `kernel[u, v] * x[r + u, c + v]`. A **column** is what one input pixel *scatters*: input pixel
# `(1, 1)` sends `kernel[1, 1] = 5` to output `(0, 0)`, `kernel[1, 0] = 4` to `(0, 1)`,
# `kernel[0, 1] = 2` to `(1, 0)` and `kernel[0, 0] = 1` to `(1, 1)`. The transposed
# convolution `C^T` runs that backwards: pixel `(1, 1)` of its output gathers `[[5, 4], [2, 1]]`
# from the 2x2 image, the kernel read backwards. A gather with the kernel read backwards is a
# sliding window of the **flipped** kernel: that is the flip of Part F.

# %% nbgrader={"grade": false, "grade_id": "partG_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
kernel = np.arange(1.0, 10.0).reshape(3, 3)
C = conv_matrix(kernel, 4)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [2.4, 1]})
plot_grid(C, f"C for a 3x3 kernel on a 4x4 input: shape {C.shape}", axes[0])
plot_grid(C.T[5].reshape(2, 2), "row 5 of C^T: input pixel (1, 1) reads", axes[1])
plt.show()
y = np.arange(1.0, 5.0).reshape(2, 2)
print("C.T @ y:\n", (C.T @ y.ravel()).reshape(4, 4))
print("your conv_transpose2d:\n", conv_transpose2d(y[..., None], kernel[..., None, None])[..., 0])

# %% nbgrader={"grade": true, "grade_id": "nb2_conv_matrix", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""conv_matrix: C @ x is Keras's Conv2D, and C.T @ y is Keras's Conv2DTranspose (4 points)."""
kernel = np.arange(1.0, 10.0).reshape(3, 3)
C = conv_matrix(kernel, 5, s=2, p=1)
expect_shape(np.shape(C), (9, 25), "conv_matrix(3x3 kernel, i=5, s=2, p=1)",
             "o = (5 + 2*1 - 3) // 2 + 1 = 3, so C has o*o = 9 rows and i*i = 25 columns.")
x = np.random.default_rng(2).normal(size=(5, 5))
conv = layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
conv.build((1, 5, 5, 1))
conv.set_weights([kernel[..., None, None]])
expect_close(C @ x.ravel(), np.asarray(conv(x[None, ..., None])).ravel(), "C @ x vs Conv2D(strides=2, padding='same')",
             rtol=1e-4, atol=1e-5, why="Keras's 'same' pads 1 zero here; the kernel is not flipped.")
y = np.random.default_rng(3).normal(size=(3, 3))
back = layers.Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=0, use_bias=False)
back.build((1, 3, 3, 1))
back.set_weights([kernel[..., None, None]])
expect_close((C.T @ y.ravel()).reshape(5, 5), np.asarray(back(y[None, ..., None]))[0, ..., 0],
             "C.T @ y vs Conv2DTranspose(strides=2, padding='same', output_padding=0)", rtol=1e-4, atol=1e-5,
             why="The transposed convolution is the matrix C^T.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_conv_matrix", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partH_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part H (2 points): a decoder that gives the size back
#
# An encoder applies `depth` times `Conv2D(f, k, strides=s, padding=padding)` to an `i x i`
# image; the decoder mirrors it with `depth` `Conv2DTranspose(f, k, strides=s, padding=padding,
# output_padding=a)`, from the smallest size back up. Each decoder step must give back the size
# its encoder step received, and `a` (between 0 and s - 1) is the only thing that can tell it
# which (Part D). Write `decoder_output_paddings(i, depth, k=3, s=2, padding="same")`: the
# list of the decoder's `a`, in the decoder's order (first the step that starts from the
# smallest size). Use Keras's rules (Part E); `k` is odd.

# %% nbgrader={"grade": false, "grade_id": "decoder_output_paddings_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def decoder_output_paddings(i, depth, k=3, s=2, padding="same"):
    """The output_padding of each Conv2DTranspose of a decoder that mirrors a strided encoder.

    Parameters
    ----------
    i : int, the encoder's input size (height and width)
    depth : int, the number of stride-s convolutions (>= 1)
    k, s : int, kernel size (odd) and stride (>= 2) of every layer
    padding : "same" or "valid", as in Keras

    Returns
    -------
    list of depth ints a, 0 <= a < s: the decoder's output paddings, in the decoder's order,
    with which every Conv2DTranspose gives back the size its mirror Conv2D received
    """
    ### BEGIN SOLUTION
    sizes = [i]
    for _ in range(depth):
        sizes.append(-(-sizes[-1] // s) if padding == "same" else (sizes[-1] - k) // s + 1)
    # Keras with output_padding=a: "same" gives (o - 1)s + (k mod 2) + a, "valid" (o - 1)s + k + a.
    without_a = (lambda o: (o - 1) * s + k % 2) if padding == "same" else (lambda o: (o - 1) * s + k)
    paddings = []
    for small, big in zip(sizes[::-1], sizes[-2::-1]):
        paddings.append(big - without_a(small))
    return paddings
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partH_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on Part J's images: 27x27, two stride-2 steps with `padding="same"`. A real encoder and
# decoder with your paddings should give back 27x27.

# %% nbgrader={"grade": false, "grade_id": "partH_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
a = [int(v) for v in decoder_output_paddings(27, 2)]  # Keras takes Python ints (it refuses NumPy's int64)
print("output paddings:", a)
inputs = keras.Input((27, 27, 1))
h = layers.Conv2D(16, 3, strides=2, padding="same")(layers.Conv2D(8, 3, strides=2, padding="same")(inputs))
h = layers.Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=a[0])(h)
h = layers.Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=a[1])(h)
print("the decoder's output:", h.shape)

# %% nbgrader={"grade": true, "grade_id": "nb2_decoder_output_paddings", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""decoder_output_paddings: each decoder step gives back its encoder step's size (2 points)."""
expect_equal(list(decoder_output_paddings(27, 2)), [1, 0], "decoder_output_paddings(27, 2)",
             "Encoder 27 -> 14 -> 7; decoder 7 -> (7 - 1)*2 + 1 + a = 14 gives a = 1, then 14 -> 27 gives a = 0.")
expect_equal(list(decoder_output_paddings(28, 2)), [1, 1], "decoder_output_paddings(28, 2)",
             "Encoder 28 -> 14 -> 7; decoder 7 -> 14 (a = 1), 14 -> 28 (a = 1).")
expect_equal(list(decoder_output_paddings(11, 1, k=3, s=2, padding="valid")), [0], "decoder_output_paddings(11, 1, 'valid')",
             "Encoder (11 - 3) // 2 + 1 = 5; decoder (5 - 1)*2 + 3 + a = 11 gives a = 0.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_decoder_output_paddings", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partI_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part I (4 points): design an upsampler
#
# A decoder often needs to scale an image up by a whole factor in one layer: 7x7 to 28x28 is a
# factor of 4. The size is one requirement (Part E tells you how to get it). The other is what
# the layer does to a plain image. Give `Conv2DTranspose` a kernel of ones and an image of ones:
# each output pixel then holds the number of input pixels that reach it, its *coverage*. In a
# good upsampler every output pixel away from the border gets the same coverage. If it does not,
# a flat image comes out with a grid pattern in it, the **checkerboard artifacts** that Odena,
# Dumoulin and Olah (2016) found in generated images. The cell below shows the coverage of the
# layer everyone writes first, `Conv2DTranspose(1, 3, strides=2, padding="same")`, on a 7x7 image.

# %% nbgrader={"grade": false, "grade_id": "partI_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
layer = layers.Conv2DTranspose(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
coverage = np.array(layer(np.ones((1, 7, 7, 1), "float32")))[0, :, :, 0]
print(coverage.astype(int))
plot_grid(coverage[..., None], "coverage of Conv2DTranspose(1, 3, strides=2, padding='same') on 7x7 ones")
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "partI_task_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Explain the pattern to yourself with Part C's picture: between input pixels there are
# `z = s - 1` inserted zeros, and a `k x k` kernel slides over them with stride 1. How many
# *real* pixels does the kernel cover in each position? When is that number the same in every
# position, and when is it 0 somewhere?
#
# Then write `design_upsampler(i, factor)`: the settings of **one** `Conv2DTranspose` that maps an
# `i x i` image to `(factor * i) x (factor * i)` with the same coverage everywhere away from the
# border (and none of it 0), as a dict `{"kernel_size": k, "strides": s, "padding": "valid" or
# "same", "output_padding": a or None}`, with a kernel no larger than `4 * factor` (a kernel that
# grows with the image is not an upsampler). More than one design works; the test checks what the
# layer you describe computes, on other sizes and factors too (2 to 5).

# %% nbgrader={"grade": false, "grade_id": "design_upsampler_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def design_upsampler(i, factor):
    """The settings of one Conv2DTranspose that scales i x i up by factor, without a checkerboard.

    Parameters
    ----------
    i : int >= 1, the input's height and width
    factor : int >= 2, the scale

    Returns
    -------
    dict with the keys "kernel_size" (int k), "strides" (int s), "padding" ("valid" or "same") and
    "output_padding" (int a or None), such that Conv2DTranspose(filters, k, strides=s,
    padding=padding, output_padding=a) maps (N, i, i, C) to (N, factor * i, factor * i, filters),
    k <= 4 * factor, and every output pixel at least k pixels from the border is reached by the
    same number (>= 1) of input pixels.
    """
    ### BEGIN SOLUTION
    # Stride = factor; a kernel the stride divides covers k / s real pixels in every position.
    # With k = s and "valid" the output is (i - 1) s + max(k, s) = i * factor.
    return {"kernel_size": factor, "strides": factor, "padding": "valid", "output_padding": None}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "nb2_upsampler", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""design_upsampler: the size, and the same coverage everywhere inside (4 points)."""
design = design_upsampler(7, 4)
expect_type(design, dict, "design_upsampler(7, 4)")
layer = layers.Conv2DTranspose(1, design["kernel_size"], strides=design["strides"], padding=design["padding"],
                               output_padding=design["output_padding"], use_bias=False, kernel_initializer="ones")
coverage = np.array(layer(np.ones((1, 7, 7, 1), "float32")))[0, :, :, 0]
expect_shape(coverage.shape, (28, 28), f"the output of Conv2DTranspose({design}) on 7x7",
             "factor * i = 4 * 7 = 28 on both axes.")
k = int(np.ravel(design["kernel_size"])[0])
expect(k <= 4 * 4, f"kernel_size {k} for a factor of 4: expected at most 4 * factor = 16.")
if 28 > 2 * k:  # a kernel wider than half the output leaves no inside: the hidden test uses larger images
    inside = coverage[k:28 - k, k:28 - k]
    expect(inside.min() > 0 and inside.min() == inside.max(),
           f"the coverage away from the border should be one number (>= 1) everywhere, received from "
           f"{inside.min():g} to {inside.max():g}: {inside[0][:8].astype(int).tolist()}... along a row.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb2_upsampler", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partJ_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part J (3 points): why does a decoder need `output_padding`?
#
# An encoder downsamples a 28x28 image with `Conv2D(16, 3, strides=2, padding="same")` twice
# (28 -> 14 -> 7) and a decoder mirrors it with two `Conv2DTranspose(16, 3, strides=2,
# padding="same")` (7 -> 14 -> 28). Now the images are 27x27. In the cell below, explain in
# 3 to 6 sentences: what sizes the encoder and the decoder produce now, why the decoder's
# output can no longer be compared with the input (which error you would see), why the
# decoder cannot work the size out by itself (what did the convolution throw away?), and how
# the paddings of your `decoder_output_paddings` (or a different input size) fix it.

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb2_why_output_padding", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer.* With "same" padding a stride-2 convolution gives ceil(i/2): 27 -> 14 -> 7.
# The transposed convolutions with output_padding=None give i*s: 7 -> 14 -> 28, so the output
# is 28x28 while the target is 27x27, and the loss (or an Add/Concatenate skip connection)
# fails with a shape mismatch (incompatible shapes [.., 28, 28, ..] vs [.., 27, 27, ..]). The
# convolution threw away the remainder of (i + 2p - k)/s, so its transpose cannot know that 14
# came from 27 rather than 28: several input sizes map to the same output. Setting
# output_padding at each step fixes it: for "same" Keras gives (i - 1)s + (k mod 2) + a, so the
# 7 -> 14 step keeps a = 1 ((7 - 1)*2 + 1 + 1 = 14) and the 14 -> 27 step needs a = 0
# ((14 - 1)*2 + 1 + 0 = 27); in the lecture's notation a = (i + 2p - k) mod s of the matching
# encoder step, with k = 3 and p = 1, the padding Keras's transposed convolution assumes for
# "same": (27 + 2 - 3) mod 2 = 0 and (14 + 2 - 3) mod 2 = 1. (The encoder's own convolution of 14
# pads less: TensorFlow pads a total of (ceil(i/s) - 1)s + k - i = 6*2 + 3 - 14 = 1 row, 0 at the
# top and 1 at the bottom, and 27 gets 1 on each side.)
# Or crop/pad the images to a multiple of 2^depth (28).
# ### END SOLUTION

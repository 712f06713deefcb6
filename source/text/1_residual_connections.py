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
# # Week 5, notebook 1: residual connections and vanishing gradients
#
# In a deep network the gradient that reaches the first layers is a product of many
# per-layer factors: each is the activation's slope times a layer's weights. The sigmoid's
# slope is at most 0.25, so unless the weights are large, each layer shrinks the gradient,
# and twenty of them can shrink it by many orders of magnitude: the early layers barely learn.
# A **residual connection** gives the gradient a short-cut around the layers.
#
# In this notebook you will
# 1. build plain and residual deep nets and measure the gradient that reaches each layer;
# 2. see the gradients vanish in the plain net and survive in the residual one;
# 3. find out by experiment when a shortcut needs a projection, and write a residual block
#    with an `Add` or `Concatenate` shortcut;
# 4. test Part C's explanation of why the plain net's first layers do not learn, by changing
#    only the optimizer.
#
# **How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError()` with
# your code, then run the test cell below it: a failing test says what it expected and
# what it received. Keep the function names and signatures. Shapes are NHWC:
# `(batch, height, width, channels)`.
#
# **What costs points.** A test fails on a wrong value, type or shape, or on an error. A
# warning your code prints (in red: NumPy's `RuntimeWarning`, a TensorFlow notice) costs
# nothing, and float32 or float64 arithmetic are both fine: numbers are compared within the
# tolerance each test states. When your notebook is graded, hidden tests check many more
# cases, and the visible ones again.
#
# | Part | Points |
# |---|---|
# | A. `build_deep_net` | 5 |
# | B. `layer_gradient_norms` | 5 |
# | C. Seeing gradients vanish | 0 |
# | D. `needs_projection`, found by experiment | 3 |
# | E. `residual_block` | 9 |
# | F. `make_optimizer`: make the first layers move | 4 |
# | G. Why the shortcut helps (written) | 3 |
#
# The whole notebook runs in about two minutes on a laptop CPU.

# %% [markdown] nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# First the imports. `convnets_utils` comes with the assignment: it quiets TensorFlow's
# logs, finds the data files, and has the `expect_*` helpers that the tests use.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from convnets_utils import *  # noqa: F401,F403  (import before TensorFlow)

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import layers

seed_everything(0)
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)

# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part A (5 points): a deep net, plain or residual
#
# Write `build_deep_net`. It starts with a *stem* `Conv2D(width, 3, padding="same",
# activation=activation)`, then applies `depth` more layers
# `f = Conv2D(width, 3, padding="same", activation=activation)`, each either as
#
# * `h = f(h)` (plain), or
# * `h = h + f(h)` (residual: use `layers.Add()([h, f(h)])` or `layers.add([...])`),
#
# and ends with `GlobalAveragePooling2D` and `Dense(num_classes, activation="softmax")`.
# The stem makes the number of channels equal to `width`, so `h` and `f(h)` always have
# the same shape and can be added.

# %% nbgrader={"grade": false, "grade_id": "build_deep_net_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_deep_net(depth, residual, activation="sigmoid", width=16, input_shape=(8, 8, 1), num_classes=10):
    """A stem convolution, `depth` more convolutions (plain or residual), pooling and softmax.

    Parameters
    ----------
    depth : int, number of Conv2D layers after the stem (0 or more)
    residual : bool, True for h = h + f(h), False for h = f(h)
    activation : str, the activation of every Conv2D layer
    width : int, the number of filters of every Conv2D layer
    input_shape : tuple (H, W, C)
    num_classes : int

    Returns
    -------
    keras.Model mapping (N, H, W, C) images to (N, num_classes) class probabilities,
    with depth + 1 Conv2D layers.
    """
    ### BEGIN SOLUTION
    inputs = keras.Input(input_shape)
    h = layers.Conv2D(width, 3, padding="same", activation=activation)(inputs)
    for _ in range(depth):
        f_h = layers.Conv2D(width, 3, padding="same", activation=activation)(h)
        h = layers.Add()([h, f_h]) if residual else f_h
    h = layers.GlobalAveragePooling2D()(h)
    outputs = layers.Dense(num_classes, activation="softmax")(h)
    return keras.Model(inputs, outputs)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it: a residual net of depth 2 on 8x8 grey images should have 3 Conv2D layers and
# `(9*1*16 + 16) + 2*(9*16*16 + 16) + (16*10 + 10) = 160 + 4,640 + 170 = 4,970` parameters.

# %% nbgrader={"grade": false, "grade_id": "partA_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
net = build_deep_net(2, residual=True)
print(output_shape(net, (8, 8, 1)), "output shape for one image;", net.count_params(), "parameters")

# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_test_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The test checks the parameter count, the output, and (hidden) that the residual and
# plain nets compute what they should with fixed weights.

# %% nbgrader={"grade": true, "grade_id": "nb1_deep_net", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
"""build_deep_net: layer count, parameter count and softmax output (5 points)."""
net = build_deep_net(2, residual=True)
probs = np.asarray(net(np.zeros((2, 8, 8, 1), dtype="float32")))   # called once: any kind of keras.Model is built
expect_equal(sum(1 for w in net.weights if len(w.shape) == 4), 3, "number of Conv2D kernels",
             "The stem plus depth=2 convolutions.")
expect_equal(net.count_params(), 4970, "build_deep_net(2, residual=True).count_params()",
             "(9*1*16 + 16) + 2*(9*16*16 + 16) + (16*10 + 10) = 160 + 4640 + 170 = 4970.")
expect_shape(probs.shape, (2, 10), "output for a batch of 2")
expect(np.allclose(probs.sum(axis=1), 1, atol=1e-4),
       f"each row should be probabilities summing to 1; received sums {probs.sum(axis=1)}")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_deep_net", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part B (5 points): how much gradient reaches each layer?
#
# Write `layer_gradient_norms(model, x, y)`. It computes the mean sparse categorical
# cross-entropy of `model(x)` against the integer labels `y`, takes its gradient with
# respect to the **kernel** (not the bias) of every `Conv2D` layer, in the order of
# `model.layers`, and returns the L2 norm of each: `sqrt(sum(g ** 2))`.
#
# *Hint:* `tf.GradientTape` records the forward pass; `layer.kernel` is a layer's kernel
# variable; `tf.norm` or `np.linalg.norm` give the L2 norm of a whole tensor.

# %% nbgrader={"grade": false, "grade_id": "layer_gradient_norms_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layer_gradient_norms(model, x, y):
    """L2 norm of the loss gradient with respect to each Conv2D kernel.

    Parameters
    ----------
    model : keras.Model whose last layer outputs class probabilities, shape (N, num_classes)
    x : array of shape (N, H, W, C)
    y : int array of shape (N,), the class labels

    Returns
    -------
    float array of shape (L,), L = the number of Conv2D layers in model.layers;
    entry l is ||d loss / d kernel_l||_2 for the mean sparse categorical cross-entropy.
    """
    ### BEGIN SOLUTION
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, layers.Conv2D)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the handwritten digits that ship with the assignment (1,797 images of 8x8
# pixels, scaled to [0, 1]): a net of depth 2 has 3 Conv2D layers, so you should see 3 norms,
# growing from the first layer to the last (something like 0.001, 0.05, 0.25).

# %% nbgrader={"grade": false, "grade_id": "partB_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
digits = load_npz("digits.npz")
x_digits, y_digits = digits["x"][:256], digits["y"][:256]
print("images", x_digits.shape, "labels", y_digits.shape)
print(layer_gradient_norms(build_deep_net(2, residual=False), x_digits, y_digits))

# %% nbgrader={"grade": true, "grade_id": "nb1_gradient_norms", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
"""layer_gradient_norms: one L2 norm per Conv2D kernel, in model order (5 points)."""
seed_everything(0)
net = build_deep_net(2, residual=False)
norms = layer_gradient_norms(net, x_digits[:32], y_digits[:32])
expect_shape(np.shape(norms), (3,), "layer_gradient_norms(depth-2 net, ...)",
             "One norm per Conv2D layer: the stem and 2 more.")
convs = [l for l in net.layers if isinstance(l, layers.Conv2D)]
with tf.GradientTape() as tape:
    loss = keras.losses.SparseCategoricalCrossentropy()(y_digits[:32], net(x_digits[:32]))
first = tape.gradient(loss, convs[0].kernel)
expect_close(norms[0], np.sqrt(np.sum(np.square(first))), "norm for the first Conv2D layer", rtol=1e-3, atol=1e-9,
             why="sqrt(sum(g**2)) over the first layer's kernel gradient.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_gradient_norms", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part C: seeing gradients vanish
#
# Now compare plain and residual nets of depth 5 and 20, all freshly initialised, on the
# same 256 digits, with sigmoid activations and with relu. Each curve shows the gradient
# norm of every Conv2D layer, from the first (left) to the last (right). The y-axis is
# logarithmic: one grid line is a factor of 10.

# %% nbgrader={"grade": false, "grade_id": "partC_compute", "locked": true, "schema_version": 3, "solution": false, "task": false}
curves = {}
for activation in ("sigmoid", "relu"):
    for depth in (5, 20):
        for residual in (False, True):
            seed_everything(depth)
            net = build_deep_net(depth, residual=residual, activation=activation)
            curves[(activation, depth, residual)] = layer_gradient_norms(net, x_digits, y_digits)

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_plot_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The plot, one panel per activation:

# %% nbgrader={"grade": false, "grade_id": "partC_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, activation in zip(axes, ("sigmoid", "relu")):
    for (act, depth, residual), norms in curves.items():
        if act == activation:
            ax.semilogy(np.arange(1, len(norms) + 1), norms, marker="o", markersize=3,
                        linestyle="-" if residual else "--",
                        label=f"{'residual' if residual else 'plain'}, depth {depth}")
    ax.set_xlabel("Conv2D layer (1 = first, next to the input)")
    ax.set_title(f"{activation} nets on the digits, at initialisation")
    ax.grid(True, which="major", alpha=0.4)
    ax.legend()
axes[0].set_ylabel("||d loss / d kernel||  (log scale)")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_ratio_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Two numbers sum each curve up: the ratio of the first layer's gradient norm to the last
# layer's (the closer to 1, the more evenly the layers learn; far below 1, the first layers
# hardly move), and the first layer's norm itself. With sigmoid, expect about 1e-1 for the
# residual nets, 1e-4 for the plain net of depth 5 and 1e-14 for depth 20. With relu the
# ratio of the plain nets stays near 1, yet the first layer of the plain depth-20 net gets
# hundreds of times less gradient than at depth 5: the whole signal fades through twenty
# layers, and every layer's gradient with it; and the residual relu net's gradients *grow*
# with depth instead (nothing here normalises them). So depth is a problem "regardless of
# activation", in different ways; the shortcut fixes the vanishing, and normalisation
# layers (next weeks) the growth.

# %% nbgrader={"grade": false, "grade_id": "partC_ratio", "locked": true, "schema_version": 3, "solution": false, "task": false}
for (activation, depth, residual), norms in curves.items():
    print(f"{activation:7s} {'residual' if residual else 'plain   '} depth {depth:2d}: "
          f"first/last = {norms[0] / norms[-1]:.2e}, first = {norms[0]:.2e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_train_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Small gradients at initialisation are a prediction; training shows what they do. Train the
# plain and the residual sigmoid nets of depth 20 for 3 epochs on all 1,797 digits (Adam,
# learning rate 1e-3; about 20 seconds), and measure how far each Conv2D layer's kernel moved
# from where it started, relative to its size: `||W_after - W_before|| / ||W_before||`.

# %%
# The training's settings: lower the epochs if your laptop is slow (nothing graded uses them).
TRAIN_EPOCHS, TRAIN_BATCH = 3, 64

# %% nbgrader={"grade": false, "grade_id": "partC_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
moved, losses = {}, {}
for residual in (False, True):
    seed_everything(0)
    net = build_deep_net(20, residual=residual, activation="sigmoid")
    net.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    convs = [layer for layer in net.layers if isinstance(layer, layers.Conv2D)]
    before = [np.array(layer.kernel) for layer in convs]
    history = net.fit(digits["x"], digits["y"], batch_size=TRAIN_BATCH, epochs=TRAIN_EPOCHS, verbose=0)
    moved[residual] = [np.linalg.norm(np.array(layer.kernel) - w) / np.linalg.norm(w)
                       for layer, w in zip(convs, before)]
    losses[residual] = history.history.get("loss", [])

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_train_plot_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Left: how far each layer moved (log scale; a layer that did not move at all is drawn at
# 1e-12). Right: the training loss after each epoch.

# %% nbgrader={"grade": false, "grade_id": "partC_train_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for residual in (False, True):
    name = "residual" if residual else "plain"
    axes[0].semilogy(np.arange(1, 22), np.maximum(moved[residual], 1e-12), marker="o", markersize=3,
                     linestyle="-" if residual else "--", label=name)
    axes[1].plot(np.arange(1, len(losses[residual]) + 1), losses[residual], marker="o",
                 linestyle="-" if residual else "--", label=name)
axes[0].set_xlabel("Conv2D layer (1 = first)")
axes[0].set_ylabel("||W_after - W_before|| / ||W_before||")
axes[0].set_title(f"How far each layer's kernel moved in {TRAIN_EPOCHS} epochs (depth 20, sigmoid)")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("training loss")
axes[1].set_title("Training loss")
for ax in axes:
    ax.grid(True, alpha=0.4)
    ax.legend()
plt.show()
print(f"first layer moved: plain {moved[False][0]:.1e}, residual {moved[True][0]:.1e}; "
      f"last layer: plain {moved[False][-1]:.1e}, residual {moved[True][-1]:.1e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_train_note_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The plain net's first layers did not move at all, because of how Adam scales a step: it
# moves a weight by about lr * g / (|g| + eps), with eps = 1e-7 in Keras. A gradient g far below
# eps gives a step of about lr * g / eps, here far smaller than the gap between a float32 weight
# and the next float32 number (about 1e-8 for a weight of 0.1), so the weight stays exactly as it
# was. A gradient of 1e-4, small but well above eps, would still give a full step of about lr.
# The plain net's last layers moved by 10 to 30%. The residual net's layers all
# moved by about the same amount. Neither net classifies the digits well after 3 epochs (a
# sigmoid net this deep is slow to train, and the residual one starts with a large loss, as
# its sum of sigmoids grows with depth), but only the residual one trains all its layers.

# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part D (3 points): when does the shortcut need a projection?
#
# In `build_deep_net` the shortcut `h` and the main path `f(h)` always had the same shape.
# In a real network the number of filters grows and strides shrink the image, and then
# the merge fails. Watch it happen: 32 channels go in, the main path makes 64.

# %% nbgrader={"grade": false, "grade_id": "partD_error", "locked": true, "schema_version": 3, "solution": false, "task": false}
inputs = keras.Input(shape=(32, 32, 32))
main_path = layers.Conv2D(64, 3, padding="same", activation="relu")(inputs)
try:
    layers.Add()([main_path, inputs])
except ValueError as error:
    print("Add failed:", str(error).splitlines()[0][:200])

# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_rule_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The fix is a **1x1 convolution** on the shortcut, `Conv2D(filters, 1, strides=strides)`:
# it changes the number of channels and, with the main path's stride, the height and width.
# It costs parameters and replaces the identity path of Part C, so a block should use it only
# when the merge would fail without it.
#
# **Find the rule by experiment.** The cell below tries to merge `x` with a main path made by
# `Conv2D(filters, 3, strides=strides, padding="same")`, with `Add` or `Concatenate`, for a few
# settings, and prints which merges fail. Add settings of your own (other channel counts, strides,
# odd sizes) until you can say exactly when each merge fails, and why. *Predict* each line before
# you run it.
#
# Then write `needs_projection(input_shape, filters, strides=1, merge="add")`, where
# `input_shape` is `(H, W, C)`. It returns a `bool`: `True` exactly when `x` and the main path's
# output do not have the shapes the merge needs. (Keras's `Add` would also *broadcast* an axis of
# size 1, so `x` of shape `(8, 8, 1)` adds to 16 channels without an error: a residual block wants
# equal shapes, so count that as needing a projection.) (It should not build layers: it is a rule about shapes.)

# %%
# Your experiment (not graded): add rows, predict, run.
settings = [  # (input_shape (H, W, C), filters, strides, merge)
    ((32, 32, 32), 64, 1, "add"),
    ((32, 32, 32), 64, 1, "concat"),
    ((32, 32, 64), 64, 2, "add"),
]
for shape, filters, strides, merge in settings:
    x = keras.Input(shape=shape)
    main_path = layers.Conv2D(filters, 3, strides=strides, padding="same")(x)
    merge_layer = layers.Add() if merge == "add" else layers.Concatenate()
    try:
        merged = merge_layer([main_path, x])
        result = f"merges, giving {tuple(merged.shape[1:])}"
    except ValueError:
        result = "FAILS"
    print(f"x {shape}, main path {tuple(main_path.shape[1:])}, {merge:6s}: {result}")


# %% [markdown]
# *Your rule, in words (not graded: it is what your function will compute):* YOUR ANSWER HERE

# %% nbgrader={"grade": false, "grade_id": "needs_projection_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def needs_projection(input_shape, filters, strides=1, merge="add"):
    """Does the shortcut of a residual block need a 1x1 convolution?

    Parameters
    ----------
    input_shape : tuple (H, W, C), the shape of the block's input x (no batch axis)
    filters : int, the number of filters of the main path
    strides : int, the stride of the main path's first convolution
    merge : "add" or "concat"

    Returns
    -------
    bool: True when x cannot be merged with the main path's output of shape
    (ceil(H / strides), ceil(W / strides), filters) as it is.
    """
    ### BEGIN SOLUTION
    if merge not in ("add", "concat"):
        raise ValueError(f"merge must be 'add' or 'concat', received {merge!r}")
    channels = input_shape[-1]
    if merge == "add":
        return bool(channels != filters or strides != 1)
    return bool(strides != 1)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the failing example above: it should say `True`.

# %% nbgrader={"grade": false, "grade_id": "partD_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
needs_projection((32, 32, 32), 64)

# %% nbgrader={"grade": true, "grade_id": "nb1_needs_projection", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""needs_projection: a projection exactly when the shapes cannot be merged (3 points)."""
expect_equal(needs_projection((32, 32, 32), 64), True, "needs_projection((32, 32, 32), 64)",
             "Add needs equal shapes: 32 channels in x, 64 in the main path.")
expect_equal(needs_projection((32, 32, 64), 64), False, "needs_projection((32, 32, 64), 64)",
             "Same channels and stride 1: x can be added as it is.")
expect_equal(needs_projection((32, 32, 32), 64, merge="concat"), False,
             "needs_projection((32, 32, 32), 64, merge='concat')",
             "Concatenate stacks 32 + 64 channels; only H and W must match.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_needs_projection", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part E (9 points): a residual block
#
# Write `residual_block(x, filters, strides=1, merge="add")`, a Keras functional block:
#
# * main path: `Conv2D(filters, 3, strides=strides, padding="same", activation="relu")`,
#   then `Conv2D(filters, 3, padding="same")` (no activation);
# * shortcut: `x` itself, or, when `needs_projection(...)` says so,
#   `Conv2D(filters if merge == "add" else C, 1, strides=strides)(x)`;
# * merge: `layers.Add()` or `layers.Concatenate()` (in either order: the next layer sees the same
#   channels), then a ReLU.
#
# The output has shape `(ceil(H / strides), ceil(W / strides), filters)` for `"add"` and
# `filters + C` channels for `"concat"`. Writing the block as a function of layers or as
# a `keras.layers.Layer` subclass are both fine.

# %% nbgrader={"grade": false, "grade_id": "residual_block_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def residual_block(x, filters, strides=1, merge="add"):
    """A residual block: two 3x3 convolutions, a shortcut, a merge and a ReLU.

    Parameters
    ----------
    x : Keras tensor of shape (N, H, W, C)
    filters : int, filters of both 3x3 convolutions
    strides : int, stride of the first convolution (and of the projection)
    merge : "add" (layers.Add) or "concat" (layers.Concatenate)

    Returns
    -------
    Keras tensor of shape (N, ceil(H / strides), ceil(W / strides), filters) for "add",
    (N, ceil(H / strides), ceil(W / strides), filters + C) for "concat".
    """
    ### BEGIN SOLUTION
    channels = x.shape[-1]
    h = layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu")(x)
    h = layers.Conv2D(filters, 3, padding="same")(h)
    shortcut = x
    if needs_projection(tuple(x.shape[1:]), filters, strides, merge):
        shortcut = layers.Conv2D(filters if merge == "add" else channels, 1, strides=strides)(x)
    merged = layers.Add()([h, shortcut]) if merge == "add" else layers.Concatenate()([h, shortcut])
    return layers.Activation("relu")(merged)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the example that failed in Part D: now it should work and give
# `(None, 32, 32, 64)`. With `strides=2` it should give `(None, 16, 16, 64)`.

# %% nbgrader={"grade": false, "grade_id": "partE_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
inputs = keras.Input(shape=(32, 32, 32))
print(residual_block(inputs, 64).shape, residual_block(inputs, 64, strides=2).shape)

# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_test_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Two tests. The first checks shapes and parameter counts; the second checks that the
# shortcut really reaches the output: if every 3x3 kernel and bias is zero, the main path
# outputs zeros and the block must return `relu(shortcut)`.

# %% nbgrader={"grade": true, "grade_id": "nb1_block_shapes", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""residual_block: output shapes and parameter counts (4 points)."""
inputs = keras.Input(shape=(32, 32, 32))
out = residual_block(inputs, 64)
expect_shape(out.shape, (None, 32, 32, 64), "residual_block(x of shape (None, 32, 32, 32), 64)")
expect_equal(keras.Model(inputs, out).count_params(), 57536,
             "parameters of residual_block(x with C=32, 64)",
             "Main path (9*32*64 + 64) + (9*64*64 + 64) = 55424; 1x1 projection 32*64 + 64 = 2112; total 57536.")
out = residual_block(inputs, 64, strides=2, merge="concat")
expect_shape(out.shape, (None, 16, 16, 96), "residual_block(x of shape (None, 32, 32, 32), 64, strides=2, merge='concat')",
             "ceil(32 / 2) = 16; Concatenate stacks 64 + 32 = 96 channels.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_block_shapes", globals())
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nb1_block_shortcut", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
"""residual_block: with the main path switched off the block returns relu(x) (5 points)."""
inputs = keras.Input(shape=(4, 4, 8))
block = keras.Model(inputs, residual_block(inputs, 8))
for w in block.weights:
    w.assign(np.zeros(w.shape))
x_test = np.random.default_rng(0).normal(size=(1, 4, 4, 8)).astype("float32")
expect_close(np.asarray(block(x_test)), np.maximum(x_test, 0), "block output with every weight 0",
             rtol=1e-4, atol=1e-5, why="The main path gives 0, so the output is relu(0 + x).")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_block_shortcut", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partF_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part F (4 points): make the first layers move
#
# Part C ended with the plain sigmoid net of depth 20: after 3 epochs of Adam its first Conv2D
# kernels were exactly where they started, and the notebook blamed Adam's step, about
# `lr * g / (|g| + eps)` with `eps = 1e-7`: the first kernel's whole gradient has a norm of about
# 1e-15, so one weight's gradient `g` is about 1e-16 or less. (Keras adds `eps` before Adam's
# bias correction, so in the first steps it weighs up to about 30 times more than written.) The
# shortcut is one fix. If the explanation is right, there is another that leaves the network alone.
#
# Write `make_optimizer()`: it returns a **new** Keras optimizer (an instance, such as
# `keras.optimizers.Adam(...)`) with which the same plain net's **first** Conv2D kernel moves by
# at least 0.1% of its size, `||W_after - W_before|| / ||W_before|| >= 1e-3`, in 2 epochs on 512
# digits (batch 64), while the loss does not rise (by more than 0.05). Change only the optimizer:
# its kind or its arguments. The grader trains with two seeds, and counts only the change that
# is not along `W_before` itself: weight decay, which shrinks every weight whatever its gradient,
# does not count as the gradient reaching the layer. Before you try anything, predict in the cell below which argument matters and the
# order of magnitude it needs, from the formula above and Part C's numbers.

# %% [markdown]
# *Your prediction (not graded), before you run anything:* YOUR ANSWER HERE

# %% nbgrader={"grade": false, "grade_id": "make_optimizer_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_optimizer():
    """A new optimizer that trains the plain depth-20 sigmoid net's first layers.

    Parameters
    ----------
    none: the test calls make_optimizer() once for every model it trains

    Returns
    -------
    keras.optimizers.Optimizer, a new instance (one per call: an optimizer is built for the
    weights of the model it trains first). With it, 2 epochs on 512 digits of shape (8, 8, 1)
    (batch 64) move the first Conv2D kernel, of shape (3, 3, 1, 16), by at least 1e-3 of its size
    and do not raise the loss.
    """
    ### BEGIN SOLUTION
    # Adam's step is about lr * g / (|g| + eps): with eps far below the first layers' gradients
    # (about 1e-14) every layer takes a step of about lr, whatever the size of its gradient.
    return keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-20)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partF_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it: the cell trains Part C's plain net (`plain_sigmoid_net(20)` from `convnets_utils`,
# the same net as `build_deep_net(20, residual=False)`) with Keras's default Adam and with your
# optimizer, and prints how far the first, a middle and the last Conv2D kernel moved (about 10
# seconds). The first number of each line is the one that must reach 1e-3.

# %%
# The try-it cell's settings: lower the epochs if your laptop is slow (nothing graded uses them).
TRY_EPOCHS = 2

# %% nbgrader={"grade": false, "grade_id": "partF_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
x_move, y_move = digits["x"][:512], digits["y"][:512]
for name, optimizer in (("default Adam", keras.optimizers.Adam(1e-3)), ("make_optimizer()", make_optimizer())):
    moved, (loss_before, loss_after) = kernel_moves(plain_sigmoid_net(20, seed=0), optimizer, x_move, y_move,
                                                    epochs=TRY_EPOCHS, batch_size=64)
    print(f"{name:17s} first {moved[0]:.1e}, middle {moved[len(moved) // 2]:.1e}, last {moved[-1]:.1e}; "
          f"loss {loss_before:.3f} -> {loss_after:.3f}")

# %% nbgrader={"grade": true, "grade_id": "nb1_make_optimizer", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""make_optimizer: the plain net's first Conv2D kernel moves, the loss goes down (4 points)."""
moved, (loss_before, loss_after) = kernel_moves(plain_sigmoid_net(20, seed=0), make_optimizer(),
                                                digits["x"][:512], digits["y"][:512], epochs=2, batch_size=64)
expect(moved[0] >= 1e-3, f"the first Conv2D kernel moved by {moved[0]:.2e} of its size, expected at least 1e-3 "
       "(||W_after - W_before|| / ||W_before||).")
expect(np.isfinite(loss_after) and loss_after <= loss_before + 0.05,
       f"the loss went from {loss_before:.3f} to {loss_after:.3f}: expected at most {loss_before:.3f} + 0.05.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb1_make_optimizer", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partF_note_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# What did you change, and what did it show? Compare with your prediction. Part G asks why
# the shortcut helps: your numbers show that the first layers' problem is the size of their
# gradient relative to the optimizer's epsilon, which the shortcut fixes in another way.

# %% [markdown] nbgrader={"grade": false, "grade_id": "partG_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part G (3 points): why does the shortcut help?
#
# Using your plots from Part C and what you found in Part F, explain in 3 to 6 sentences, in the cell below:
# 1. why the gradient reaching the first layer of the plain sigmoid net of depth 20 is so
#    small (think of the chain rule and the largest slope of the sigmoid);
# 2. why `h = h + f(h)` keeps it large (what is `d h_out / d h_in` for a residual step?);
# 3. why the lecture says this can happen "regardless of activation".

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb1_why_shortcut", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer (full marks need all three points).* (1) Backpropagation multiplies one
# factor per layer, each containing sigmoid'(z) <= 1/4 times a weight matrix whose norm is
# about 1, so the gradient shrinks geometrically, roughly 0.25^20 ~ 1e-12 after twenty
# layers: the plot's plain depth-20 curve falls by many orders of magnitude towards the
# input. (2) For h_out = h_in + f(h_in) the Jacobian is I + f'(h_in): the product of these
# Jacobians contains the product of the identities, a path on which the gradient from the loss
# reaches the first layers without being multiplied by any sigmoid' (f' only adds to it, which is
# why the residual relu net's gradients even grow towards the input). So the residual sigmoid
# curves stay flat, and in training all its layers move while the plain net's
# first layers do not move at all. Part F shows what "small" means here: the first layers'
# gradients (about 1e-14) are far below Adam's epsilon, and with an epsilon of 1e-20 (or a
# sign-based optimizer) the same plain net's first kernels move by several percent; the
# shortcut makes the gradient itself large instead. (3) Any deep stack multiplies many Jacobians; unless their
# norms stay very close to 1 the product vanishes or explodes, whatever the activation: with
# relu the plain net's ratio first/last stays near 1, but the first layer's gradient of the
# depth-20 net is hundreds of times smaller than at depth 5 (the signal fades through every
# layer), and the residual relu net's gradients grow instead. The shortcut adds a path with
# Jacobian I, so early parameters keep an influence on the loss.
# ### END SOLUTION

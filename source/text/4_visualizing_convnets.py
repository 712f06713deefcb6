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
# # Week 5, notebook 4: what does a convnet look at?
#
# A trained convnet is not a black box: every layer's output can be looked at. In this
# notebook you will
#
# 1. plot the **feature maps** of a layer, one small image per channel;
# 2. compute a **class activation map** (Grad-CAM): which parts of the input drive the
#    score of a class, and see that for this model it is the original CAM;
# 3. measure how often the map points at the object (the *pointing game*).
#
# The model and the data ship with the assignment. Each 48x48 image holds one shape
# (circle, square, triangle or cross) somewhere on a cluttered background, and we know
# its bounding box. The model is small: five 3x3 convolutions (`conv1` ... `conv5`, with
# two max-poolings), global average pooling, and a `Dense` layer that outputs **logits**
# (no softmax inside the model).
#
# | Part | Points |
# |---|---|
# | A. Feature maps | 4 |
# | B. What the feature maps respond to (written) | 2 |
# | C. Grad-CAM | 4 |
# | D. The original class activation map | 3 |
# | E. Overlay and peak | 3 |
# | F. The pointing game | 2 |
# | G. What the maps show, and where they mislead (written) | 2 |
#
# **What costs points.** A test fails on a wrong value, type or shape, or on an error. A
# warning your code prints (in red: NumPy's `RuntimeWarning`, a TensorFlow notice) costs
# nothing, and float32 or float64 arithmetic are both fine: numbers are compared within the
# tolerance each test states. When your notebook is graded, hidden tests check many more
# cases, and the visible ones again.

# %% [markdown] nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The imports:

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from convnets_utils import *  # noqa: F401,F403  (import before TensorFlow)

import math

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import layers

seed_everything(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The data (images are stored as bytes; the model takes floats in [0, 1]) and the model.
# Boxes are `(row0, col0, row1, col1)` with `row1` and `col1` *exclusive*: the object is
# `image[row0:row1, col0:col1]`.

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false}
shapes = load_npz("shapes_classification.npz")
x_test = shapes["x_test"].astype("float32") / 255.0
y_test, box_test, class_names = shapes["y_test"], shapes["box_test"], [str(c) for c in shapes["class_names"]]
model = keras.models.load_model(data_path("shapes_cnn.keras"))
accuracy = np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test)
print(f"{len(x_test)} test images, classes {class_names}; test accuracy {accuracy:.3f}")
model.summary()

# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part A (4 points): feature maps
#
# A layer's output for one image has shape `(H, W, C)`: one `H x W` **feature map** per
# channel (filter). To see them, we need a model that outputs the layer's activations.
#
# Write `activation_model(model, layer_names=None)`: a `keras.Model` with the same input as
# `model` whose outputs are the outputs of the named layers, in order, or of every `Conv2D`
# layer of `model` (in `model.layers` order) when `layer_names` is None. Called on images, it
# gives one array per layer, in a list (with a single layer Keras gives the bare array instead
# of a list of one: both are fine).

# %% nbgrader={"grade": false, "grade_id": "activation_model_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def activation_model(model, layer_names=None):
    """A model that maps the input image(s) to the activations of some layers.

    Parameters
    ----------
    model : keras.Model taking images of shape (N, H, W, 3)
    layer_names : list of str, or None for every Conv2D layer in model.layers order

    Returns
    -------
    keras.Model whose output is a list with one array of shape (N, h_l, w_l, c_l) per layer
    (Keras returns the bare array when there is one layer)
    """
    ### BEGIN SOLUTION
    if layer_names is None:
        layer_names = [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)]
    return keras.Model(model.input, [model.get_layer(name).output for name in layer_names])
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it: five Conv2D layers, so five activations for one image.

# %% nbgrader={"grade": false, "grade_id": "partA_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
activations = activation_model(model)(x_test[:1])
[tuple(a.shape) for a in activations]

# %% nbgrader={"grade": true, "grade_id": "nb4_activation_model", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""activation_model: the Conv2D activations, or the named layers', in order (2 points)."""
outs = activation_model(model)(x_test[:2])
expect_equal(len(outs), 5, "number of outputs of activation_model(model)", "The model has five Conv2D layers.")
expect_shape(outs[0].shape, (2, 48, 48, 32), "conv1's activations for 2 images")
outs = activation_model(model, ["conv5", "conv1"])(x_test[:1])
expect_shape(outs[0].shape, (1, 12, 12, 64), "first output of activation_model(model, ['conv5', 'conv1'])",
             "The outputs follow layer_names' order.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_activation_model", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_grid_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# To look at all the channels at once, tile them into one image. Write
# `feature_map_grid(activation, n_cols=8)` for one activation of shape `(H, W, C)`:
#
# * scale **each channel on its own** to [0, 1] (subtract its minimum, divide by its range;
#   a constant channel becomes all 0), so that a faint channel is as visible as a strong one;
# * place channel `c` at row `c // n_cols`, column `c % n_cols` (row-major);
# * return a `(rows * H, n_cols * W)` array, `rows = ceil(C / n_cols)`, unused tiles 0.
#
# *Hint:* no loop needed: `reshape(rows, n_cols, H, W)` then `transpose(0, 2, 1, 3)`.

# %% nbgrader={"grade": false, "grade_id": "feature_map_grid_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def feature_map_grid(activation, n_cols=8):
    """Tile the channels of one activation into a single image, each scaled to [0, 1].

    Parameters
    ----------
    activation : array of shape (H, W, C)
    n_cols : int, channels per row of the grid

    Returns
    -------
    np.ndarray of shape (rows * H, n_cols * W), rows = ceil(C / n_cols); channel c is the
    tile at (c // n_cols, c % n_cols), min-max scaled on its own; unused tiles are 0
    """
    ### BEGIN SOLUTION
    a = np.asarray(activation, dtype=np.float64)
    H, W, C = a.shape
    low, high = a.min(axis=(0, 1)), a.max(axis=(0, 1))
    span = high - low
    scaled = np.where(span > 0, (a - low) / np.where(span > 0, span, 1.0), 0.0)
    rows = math.ceil(C / n_cols)
    tiles = np.zeros((rows * n_cols, H, W))
    tiles[:C] = scaled.transpose(2, 0, 1)
    return tiles.reshape(rows, n_cols, H, W).transpose(0, 2, 1, 3).reshape(rows * H, n_cols * W)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partA_plot_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# An early and a late layer for the same image. `conv1` responds to colours and edges at
# full resolution; `conv5`, at 12x12, to larger parts of the shape.

# %% nbgrader={"grade": false, "grade_id": "partA_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
index = 0
conv1_act, conv5_act = activation_model(model, ["conv1", "conv5"])(x_test[index:index + 1])
fig, axes = plt.subplots(1, 3, figsize=(14, 4.5), gridspec_kw={"width_ratios": [1, 2.2, 2.2]})
axes[0].imshow(x_test[index])
axes[0].set_title(f"input: {class_names[y_test[index]]}")
axes[1].imshow(feature_map_grid(np.asarray(conv1_act)[0]), cmap="viridis")
axes[1].set_title("conv1: 32 feature maps, 48x48")
axes[2].imshow(feature_map_grid(np.asarray(conv5_act)[0]), cmap="viridis")
axes[2].set_title("conv5: 64 feature maps, 12x12")
for ax in axes:
    ax.axis("off")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "nb4_feature_map_grid", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""feature_map_grid: per-channel scaling, row-major tiles, zeros elsewhere (2 points)."""
act = np.stack([np.zeros((2, 2)), np.arange(4.0).reshape(2, 2), 10 * np.ones((2, 2))], axis=-1)
grid = feature_map_grid(act, n_cols=2)
expect_shape(grid.shape, (4, 4), "feature_map_grid(activation of shape (2, 2, 3), n_cols=2)",
             "rows = ceil(3 / 2) = 2: (2 * 2, 2 * 2).")
expect_close(grid[:2, 2:], [[0, 1 / 3], [2 / 3, 1]], "tile of channel 1 (row 0, column 1)", rtol=1e-4, atol=1e-5,
             why="Channel 1 holds 0..3, scaled by its own min 0 and range 3.")
expect_close(grid[2:, :2], np.zeros((2, 2)), "tile of channel 2 (row 1, column 0)", rtol=1e-4, atol=1e-5,
             why="A constant channel becomes 0.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_feature_map_grid", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_maps_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part B (2 points): what do the feature maps respond to?
#
# Look at the two grids above, `conv1` and `conv5` for the same image, and at a few other
# images (change `index` in the plotting cell). In 2 to 4 sentences: what do the maps of
# `conv1` respond to? And those of `conv5`? Why are `conv5`'s maps coarser, and why is it
# harder to say in words what one of its channels detects?

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb4_feature_maps_question", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer.* conv1's maps are full-resolution copies of the image seen through simple
# filters: each lights up on a colour, or on edges of one orientation, everywhere in the image,
# the clutter included. conv5's maps are 12x12 (two max-poolings): each pixel summarises a large
# patch of the input (its receptive field), and several channels light up only where the shape
# is, with little response to the clutter: they respond to combinations of the earlier features
# (corners, curved or straight outlines), which is why one channel is hard to name and why the
# maps are coarse: depth trades resolution for meaning.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part C (4 points): Grad-CAM
#
# Which parts of the image make the model say "triangle"? Grad-CAM answers with the last
# convolutional layer, whose feature maps `A_c` (shape `h x w`, one per channel `c`) still
# know *where* things are:
#
# 1. the class score `y` is the model's **logit** for the class (not the softmax
#    probability, whose gradient vanishes when the model is sure);
# 2. each channel's weight is the gradient averaged over the positions:
#    `w_c = mean over (i, j) of d y / d A_c[i, j]`;
# 3. the map is `relu(sum over c of w_c * A_c)`: only what *raises* the score;
# 4. divided by its maximum, so that it is in [0, 1] (all zeros if the maximum is 0).
#
# Write `grad_cam(model, image, conv_layer_name, class_index=None)`. `class_index=None`
# means the class with the top logit. Use `tf.GradientTape` and a model with two outputs,
# `keras.Model(model.input, [layer.output, model.output])`, called on `image[None]` (a batch
# of one). No loop over channels.
#
# (For `conv5`, which feeds global average pooling directly, the gradient happens to be the
# same at every position; for `conv3` or `conv4` it is not: the hidden tests use both.)

# %% nbgrader={"grade": false, "grade_id": "grad_cam_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_cam(model, image, conv_layer_name, class_index=None):
    """Grad-CAM heatmap of one image for one class.

    Parameters
    ----------
    model : keras.Model mapping (N, H, W, 3) images to (N, num_classes) logits
    image : array of shape (H, W, 3)
    conv_layer_name : str, the convolutional layer to explain
    class_index : int, or None for the class with the top logit

    Returns
    -------
    np.ndarray of shape (h, w), the layer's spatial size: relu(sum_c w_c A_c) divided by
    its maximum, values in [0, 1]; all zeros if the maximum is 0
    """
    ### BEGIN SOLUTION
    layer = model.get_layer(conv_layer_name)
    explainer = keras.Model(model.input, [layer.output, model.output])
    with tf.GradientTape() as tape:
        maps, logits = explainer(tf.convert_to_tensor(np.asarray(image, dtype="float32")[None]))
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = logits[0, class_index]
    grads = tape.gradient(score, maps)[0]
    weights = tf.reduce_mean(grads, axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()
    top = cam.max()
    return cam / top if top > 0 else np.zeros_like(cam)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partB_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it on the first test image: the map should be 12x12, with values from 0 to 1.

# %% nbgrader={"grade": false, "grade_id": "partB_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
cam = grad_cam(model, x_test[0], "conv5")
print(cam.shape, cam.min(), cam.max())

# %% nbgrader={"grade": true, "grade_id": "nb4_grad_cam", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
"""grad_cam: shape and range of the map for two layers (4 points)."""
cam = grad_cam(model, x_test[0], "conv5")
expect_shape(cam.shape, (12, 12), "grad_cam(model, x_test[0], 'conv5')", "conv5's output is 12x12.")
expect(np.isfinite(cam).all() and cam.min() >= 0 and np.isclose(cam.max(), 1.0),
       f"the map should be in [0, 1] with maximum 1; received min {cam.min():.3g}, max {cam.max():.3g}")
expect_shape(grad_cam(model, x_test[0], "conv3", class_index=1).shape, (12, 12), "grad_cam for conv3, class 1")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_grad_cam", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partCAM_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part D (3 points): the original class activation map
#
# Grad-CAM generalises an older method, the **class activation map** (CAM, Zhou et al. 2016),
# made for nets like ours: the last convolution `conv5` feeds global average pooling and then
# one Dense layer, so the logit of class `k` is `sum over c of W[c, k] * mean(A_c) + b[k]`.
# The CAM puts those weights back on the maps, before the pooling. Zhou et al. write it as
# $M_k = \sum_c W[c, k]\, A_c$, with no ReLU (its negative parts are evidence against class `k`).
# Here, to compare it with your Grad-CAM, it gets Grad-CAM's ReLU and scaling:
#
# $$\mathrm{CAM}_k = \mathrm{relu}\Big(\sum_c W[c, k]\, A_c\Big)$$
#
# divided by its maximum (all zeros if the maximum is 0); no gradient needed, and no bias (it
# adds the same number everywhere). Write
# `class_activation_map(model, image, class_index=None, conv_layer_name="conv5",
# dense_layer_name="logits")`, with the Dense kernel from
# `model.get_layer(dense_layer_name).get_weights()[0]`, of shape `(C, num_classes)`.

# %% nbgrader={"grade": false, "grade_id": "class_activation_map_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def class_activation_map(model, image, class_index=None, conv_layer_name="conv5", dense_layer_name="logits"):
    """The class activation map of a net whose last convolution feeds global average pooling
    and one Dense layer.

    Parameters
    ----------
    model : keras.Model mapping (N, H, W, 3) images to (N, num_classes) logits
    image : array of shape (H, W, 3)
    class_index : int, or None for the class with the top logit
    conv_layer_name, dense_layer_name : str, the last convolution and the Dense layer after the pooling

    Returns
    -------
    np.ndarray of shape (h, w), the convolution's spatial size: relu(sum_c W[c, class_index] A_c)
    divided by its maximum, values in [0, 1]; all zeros if the maximum is 0
    """
    ### BEGIN SOLUTION
    features = keras.Model(model.input, [model.get_layer(conv_layer_name).output, model.output])
    maps, logits = features(np.asarray(image, dtype="float32")[None])
    if class_index is None:
        class_index = int(np.argmax(logits[0]))
    weights = model.get_layer(dense_layer_name).get_weights()[0][:, class_index]
    cam = np.maximum(np.asarray(maps[0]) @ weights, 0)
    top = cam.max()
    return cam / top if top > 0 else np.zeros_like(cam)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partCAM_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# For `conv5`, which feeds the pooling directly, Grad-CAM's weight `w_c` is the gradient of the
# logit with respect to `A_c`, averaged over the positions: `W[c, k] / (h*w)` at every position.
# So Grad-CAM is the CAM times a positive number, and after dividing by the maximum the two
# maps are equal. Check it on eight test images, and look at three:

# %% nbgrader={"grade": false, "grade_id": "partCAM_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
differences = [np.max(np.abs(class_activation_map(model, x_test[i]) - grad_cam(model, x_test[i], "conv5")))
               for i in range(8)]
print(f"largest difference between CAM and Grad-CAM (conv5), eight images: {max(differences):.2e}")
fig, axes = plt.subplots(2, 3, figsize=(8, 5.4))
for j, i in enumerate((0, 1, 2)):
    axes[0, j].imshow(class_activation_map(model, x_test[i]), cmap="jet", vmin=0, vmax=1)
    axes[0, j].set_title(f"CAM, image {i}", fontsize=9)
    axes[1, j].imshow(grad_cam(model, x_test[i], "conv5"), cmap="jet", vmin=0, vmax=1)
    axes[1, j].set_title(f"Grad-CAM (conv5), image {i}", fontsize=9)
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "nb4_class_activation_map", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""class_activation_map: relu(sum_c W[c, k] A_c) / max, on a model small enough to check by hand (3 points)."""
inputs = keras.Input((3, 3, 1))
conv = layers.Conv2D(2, 1, use_bias=False, name="conv")(inputs)          # A_0 = x, A_1 = -x
logits = layers.Dense(2, name="logits")(layers.GlobalAveragePooling2D()(conv))
tiny = keras.Model(inputs, logits)
tiny.get_layer("conv").set_weights([np.array([[[[1.0, -1.0]]]])])
tiny.get_layer("logits").set_weights([np.array([[1.0, 0.0], [0.5, 1.0]]), np.array([3.0, -1.0])])
x = np.array([[1.0, -2.0, 0.5], [0.0, 2.0, -1.0], [-0.5, 1.0, 0.0]])[..., None]
expect_close(class_activation_map(tiny, x, 0, "conv", "logits"), np.maximum(x[..., 0], 0) / 2.0,
             "class_activation_map(tiny model, x, class 0)", rtol=1e-4, atol=1e-5,
             why="CAM_0 = relu(1 * x + 0.5 * (-x)) = relu(0.5 x), divided by its maximum 0.5 * 2; no bias.")
expect_close(class_activation_map(tiny, x, 1, "conv", "logits"), np.maximum(-x[..., 0], 0) / 2.0,
             "class_activation_map(tiny model, x, class 1)", rtol=1e-4, atol=1e-5,
             why="CAM_1 = relu(0 * x + 1 * (-x)) = relu(-x), divided by its maximum 2.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_class_activation_map", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part E (3 points): overlay and peak
#
# A 12x12 map is easier to read on top of the 48x48 image. Write
#
# * `overlay_heatmap(image, heatmap, alpha=0.4)`: resize the heatmap bilinearly to the
#   image's size (`tf.image.resize` wants a channel axis: `heatmap[..., None]`), colour it with matplotlib's `"jet"` colormap
#   (`matplotlib.colormaps["jet"](values)[..., :3]`), and blend
#   `(1 - alpha) * image + alpha * colour`;
# * `cam_peak(heatmap, image_shape)`: the `(row, col)` of the maximum of the heatmap after
#   the same bilinear resize to `image_shape[:2]`, as two ints.

# %% nbgrader={"grade": false, "grade_id": "overlay_heatmap_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def overlay_heatmap(image, heatmap, alpha=0.4):
    """Blend a colour-mapped heatmap onto an image.

    Parameters
    ----------
    image : float array of shape (H, W, 3), values in [0, 1]
    heatmap : float array of shape (h, w), values in [0, 1]
    alpha : float, the weight of the heatmap's colour

    Returns
    -------
    np.ndarray of shape (H, W, 3), (1 - alpha) * image + alpha * jet(resized heatmap), in [0, 1]
    """
    ### BEGIN SOLUTION
    H, W = np.shape(image)[:2]
    resized = tf.image.resize(np.asarray(heatmap, dtype="float32")[..., None], (H, W), method="bilinear")
    colour = matplotlib.colormaps["jet"](np.clip(resized.numpy()[..., 0], 0, 1))[..., :3]
    return np.clip((1 - alpha) * np.asarray(image) + alpha * colour, 0, 1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "cam_peak_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cam_peak(heatmap, image_shape):
    """Where the heatmap is largest, in image coordinates.

    Parameters
    ----------
    heatmap : float array of shape (h, w)
    image_shape : tuple (H, W, ...) of the image

    Returns
    -------
    tuple (row, col) of ints: the argmax of the heatmap resized bilinearly to (H, W)
    """
    ### BEGIN SOLUTION
    resized = tf.image.resize(np.asarray(heatmap, dtype="float32")[..., None], tuple(image_shape[:2]),
                              method="bilinear").numpy()[..., 0]
    row, col = np.unravel_index(np.argmax(resized), resized.shape)
    return int(row), int(col)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partC_plot_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Grad-CAM for six test images: the true class, the predicted one, the box (white) and the
# peak (white cross).

# %% nbgrader={"grade": false, "grade_id": "partC_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
logits = model.predict(x_test[:6], verbose=0)
fig, axes = plt.subplots(1, 6, figsize=(16, 3.2))
for i, ax in enumerate(axes):
    heat = grad_cam(model, x_test[i], "conv5")
    ax.imshow(overlay_heatmap(x_test[i], heat))
    r0, c0, r1, c1 = box_test[i]
    ax.add_patch(plt.Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, color="white"))
    peak = cam_peak(heat, x_test[i].shape)
    ax.plot(peak[1], peak[0], "wx", markersize=10)
    ax.set_title(f"true {class_names[y_test[i]]}\npredicted {class_names[np.argmax(logits[i])]}", fontsize=9)
    ax.axis("off")
plt.show()

# %% nbgrader={"grade": true, "grade_id": "nb4_overlay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""overlay_heatmap: shape, range, and the blend (1 point)."""
image = np.full((4, 4, 3), 0.5)
out = overlay_heatmap(image, np.zeros((2, 2)), alpha=0.4)
expect_shape(out.shape, (4, 4, 3), "overlay_heatmap(image (4, 4, 3), heatmap (2, 2))")
jet0 = np.array(matplotlib.colormaps["jet"](0.0)[:3])
expect_close(out[0, 0], 0.6 * 0.5 + 0.4 * jet0, "a pixel where the heatmap is 0", rtol=0.0, atol=0.02,
             why="(1 - 0.4) * 0.5 + 0.4 * jet(0).")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_overlay", globals())
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nb4_cam_peak", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""cam_peak: the argmax after resizing, as (row, col) ints (2 points)."""
heat = np.zeros((4, 4))
heat[3, 0] = 1.0
peak = cam_peak(heat, (16, 16, 3))
expect(isinstance(peak, tuple) and len(peak) == 2 and all(isinstance(v, (int, np.integer)) for v in peak),
       f"expected a (row, col) tuple of ints, received {peak!r}")
expect_equal(tuple(int(v) for v in peak), (14, 0), "cam_peak(4x4 heatmap with its maximum at (3, 0), (16, 16, 3))",
             "Resized bilinearly to 16x16, rows 14-15 and columns 0-1 hold the maximum; argmax takes the first.")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_cam_peak", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part F (2 points): the pointing game
#
# Does the map point at the object? Write `pointing_game(model, images, boxes,
# conv_layer_name, labels=None)`: the fraction of images whose Grad-CAM peak (`cam_peak`),
# for the true class `labels[i]` (the predicted class when `labels` is None), lies inside
# the box: `row0 <= row < row1` and `col0 <= col < col1`, exactly (no tolerance: some
# benchmarks count a peak a few pixels outside as a hit; here it is a miss).

# %% nbgrader={"grade": false, "grade_id": "pointing_game_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pointing_game(model, images, boxes, conv_layer_name, labels=None):
    """The fraction of images whose Grad-CAM peak lies inside the object's box.

    Parameters
    ----------
    model : keras.Model that outputs logits
    images : array of shape (N, H, W, 3)
    boxes : int array of shape (N, 4), (row0, col0, row1, col1) with row1, col1 exclusive
    conv_layer_name : str
    labels : int array of shape (N,), the true classes (None: the predicted classes)

    Returns
    -------
    float in [0, 1]
    """
    ### BEGIN SOLUTION
    hits = 0
    for i, image in enumerate(images):
        cls = None if labels is None else int(labels[i])
        row, col = cam_peak(grad_cam(model, image, conv_layer_name, cls), image.shape)
        r0, c0, r1, c1 = boxes[i]
        hits += bool(r0 <= row < r1 and c0 <= col < c1)
    return hits / len(images)
    ### END SOLUTION


# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The score on `POINTING_IMAGES` test images (150: the solution gets about 0.99), next to what a random peak
# would get: the average box area over the image area (about 0.13).

# %%
# How many test images to play on (150: about ten seconds; fewer if your laptop is slow).
POINTING_IMAGES = 150

# %% nbgrader={"grade": false, "grade_id": "partD_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
n = POINTING_IMAGES
score = pointing_game(model, x_test[:n], box_test[:n], "conv5", labels=y_test[:n])
areas = (box_test[:n, 2] - box_test[:n, 0]) * (box_test[:n, 3] - box_test[:n, 1])
print(f"pointing game, conv5, true class: {score:.3f}")
print(f"random peak baseline:             {np.mean(areas) / (48 * 48):.3f}")

# %% nbgrader={"grade": true, "grade_id": "nb4_pointing_game", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""pointing_game: a float in [0, 1]; hidden: the score on fixed test images (2 points)."""
few = pointing_game(model, x_test[:4], box_test[:4], "conv5", labels=y_test[:4])
expect(isinstance(few, (float, np.floating)) and 0 <= few <= 1, f"expected a float in [0, 1], received {few!r}")
expect(few * 4 == round(few * 4), f"with 4 images the score is a multiple of 1/4; received {few!r}")
### BEGIN HIDDEN TESTS
from autograder.nbgrader.cell import run_hidden_check
run_hidden_check("nb4_pointing_game", globals())
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "partD_wrong_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The map is class-specific: the same image explained for its true class and for another
# class.

# %% nbgrader={"grade": false, "grade_id": "partD_wrong", "locked": true, "schema_version": 3, "solution": false, "task": false}
i = 0
other = (int(y_test[i]) + 1) % len(class_names)
fig, axes = plt.subplots(1, 2, figsize=(6, 3.2))
for ax, cls in zip(axes, (int(y_test[i]), other)):
    ax.imshow(overlay_heatmap(x_test[i], grad_cam(model, x_test[i], "conv5", cls)))
    ax.set_title(f"Grad-CAM for '{class_names[cls]}'", fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "partG_sanity_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A sanity check (Adebayo et al., *Sanity Checks for Saliency Maps*, 2018): a map that
# explains the *model* must change when the model's learned weights are thrown away. Below,
# `keras.models.clone_model` builds the same network with fresh random weights; the cell shows
# Grad-CAM of the trained and of the random network on the same images, the rank correlation of
# each pair of maps, and both pointing games next to the random-peak baseline. With one shape
# per image, pointing at it is easy; the last line asks a harder question: how often the map of
# a *wrong* class (the true label shifted by 1, 2, 3) still peaks on the shape.

# %% nbgrader={"grade": false, "grade_id": "partG_sanity", "locked": true, "schema_version": 3, "solution": false, "task": false}
keras.utils.set_random_seed(0)
random_model = keras.models.clone_model(model)  # the same layers, new random weights


def rank_correlation(a, b):
    """Spearman's correlation of two maps: the correlation of their pixels' ranks."""
    ra, rb = (np.argsort(np.argsort(m.ravel())) for m in (a, b))
    return float(np.corrcoef(ra, rb)[0, 1])


fig, axes = plt.subplots(2, 4, figsize=(8, 4.4))
for j in range(4):
    cls = int(y_test[j])
    trained, rand = grad_cam(model, x_test[j], "conv5", cls), grad_cam(random_model, x_test[j], "conv5", cls)
    axes[0, j].imshow(overlay_heatmap(x_test[j], trained))
    axes[1, j].imshow(overlay_heatmap(x_test[j], rand))
    axes[0, j].set_title(f"trained: '{class_names[cls]}'", fontsize=8)
    axes[1, j].set_title(f"random weights (rank corr. {rank_correlation(trained, rand):+.2f})", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
plt.show()
n = min(POINTING_IMAGES, 100)
print(f"pointing game, trained network: {pointing_game(model, x_test[:n], box_test[:n], 'conv5', labels=y_test[:n]):.2f}")
print(f"pointing game, random weights:  {pointing_game(random_model, x_test[:n], box_test[:n], 'conv5', labels=y_test[:n]):.2f}")
box_areas = (box_test[:n, 2] - box_test[:n, 0]) * (box_test[:n, 3] - box_test[:n, 1])
print(f"random peak baseline:           {np.mean(box_areas) / (48 * 48):.2f}")
wrong = [pointing_game(model, x_test[:n], box_test[:n], "conv5", labels=(y_test[:n] + s) % len(class_names))
         for s in range(1, len(class_names))]
print("pointing game, trained, wrong classes: " + " / ".join(f"{w:.2f}" for w in wrong))

# %% [markdown] nbgrader={"grade": false, "grade_id": "partE_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ---
# ## Part G (2 points): what the maps show, and where they mislead
#
# In 2 to 4 sentences: what do the Grad-CAM maps of `conv5` tell you about what the model
# uses to classify a shape? Why is the map for a wrong class different? Name two ways in
# which such a map can mislead (think of its resolution, of the ReLU, and of what a large
# gradient-weighted activation does and does not mean; try `conv3` too). What does the sanity
# check above show, and what do the random network's pointing game, above the baseline, and
# the wrong classes' pointing games say about what a map shows?

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb4_what_maps_show", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# *Model answer.* The conv5 maps peak on the shape, not on the clutter: the logit of the
# true class is driven by features at the object's location (the pointing game is far above
# the random baseline). For another class the weights w_c change sign and size, so other
# positions (or none) raise that class's score: the map is class-specific. It can mislead:
# (1) it has conv5's 12x12 resolution, so the upsampled blob is coarse and may spill over
# the box or hide which part (corner, edge) matters; (2) the ReLU hides evidence *against*
# the class; (3) a large gradient-weighted activation is a local, linear sensitivity, not a
# proof that the region causes the decision (correlated background, saturated units).
# The sanity check: with random weights the maps change (low rank correlations) and the pointing
# game falls from about 0.99 to about 0.3, so Grad-CAM does depend on what the network learned; but
# 0.3 is still above the 0.13 of a random peak, because even random convolutions respond to the
# shape's edges: part of any map is the image, not the model's knowledge. With one shape per
# image the game is easy: the maps of two wrong classes still peak on the shape about half the
# time (the third almost never), so a high score alone does not show evidence for *that* class
# there; the gap between the true class (about 0.99) and the wrong ones does.
# ### END SOLUTION

"""Answers written the way public code writes them: correct ones (full marks on both runners)
and plausible copies that break one clause of a contract (each losing exactly its checks).

Each answer follows an idiom of a public implementation, named in its comment and in the
example's ``why``: the Keras guides and examples (keras-io), d2l (*Dive into Deep Learning*),
Chollet's *Deep Learning with Python* notebooks, the TensorFlow tutorials and API, TVM's
reference transposed convolution, scikit-image and scikit-learn, DeepLab2, TorchRay. The
code is written here to the notebooks' contracts (signatures, shapes), not copied. Several
answers share a submission when they are different functions, so that a notebook is graded
once for all of them; each answer is its function's whole cell.

``tests/test_public_answers.py`` checks the corpus's size and that every answer names its idiom;
the scores themselves are checked with the rest of the example class (tests/test_examples.py).
"""

from autograder.examples import Example

NB1, NB2, NB3, NB4 = ("1_residual_connections", "2_transpose_convolution", "3_image_to_image", "4_visualizing_convnets")

IDIOMS: dict[str, list[str]] = {}  # example -> one "function: the idiom it follows" line per answer


def answers(name: str, notebook: str, cells: dict[str, str], idioms: list[str], fails=(), why: str = "") -> Example:
    """One submission: the solution with these cells rewritten. ``idioms``: one line per answer,
    naming the public code it follows."""
    first, *others = cells
    rest = tuple((gid, cells[gid]) for gid in others)
    IDIOMS[name] = list(idioms)
    return Example(
        name=name,
        notebook=notebook,
        cell=first,
        edits=((None, cells[first]),),
        cells=rest,
        fails=frozenset(fails),
        why=(why + ": " if why else "") + "; ".join(idioms),
        notebook_edits=(),
        mistakes=len(idioms) if fails else 0,
    )


# ============================================================================ notebook 1
NB1_CHOLLET = {
    "build_deep_net_solution": '''
def build_deep_net(depth, residual, activation="sigmoid", width=16, input_shape=(8, 8, 1), num_classes=10):
    """Plain: a keras.Sequential (Keras guide "The Sequential model"). Residual: Chollet's
    residual = x ... x = layers.add([x, residual]) (Deep Learning with Python, chapter 9)."""
    if not residual:
        return keras.Sequential(
            [keras.Input(shape=input_shape), layers.Conv2D(width, 3, padding="same", activation=activation)]
            + [layers.Conv2D(width, 3, padding="same", activation=activation) for _ in range(depth)]
            + [layers.GlobalAveragePooling2D(), layers.Dense(num_classes, activation="softmax")])
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(width, 3, padding="same", activation=activation)(inputs)
    for _ in range(depth):
        residual_x = x
        x = layers.Conv2D(width, 3, padding="same", activation=activation)(x)
        x = layers.add([x, residual_x])
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
''',
    "layer_gradient_norms_solution": '''
def layer_gradient_norms(model, x, y):
    """The TensorFlow guide "Writing a training loop from scratch": a loss object, a tape, and
    tape.gradient over model.trainable_weights; returns a Python list."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        probabilities = model(x, training=False)
        loss_value = loss_fn(y, probabilities)
    grads = tape.gradient(loss_value, model.trainable_weights)
    by_variable = {id(w): g for w, g in zip(model.trainable_weights, grads)}
    return [float(tf.norm(by_variable[id(layer.kernel)])) for layer in model.layers
            if isinstance(layer, layers.Conv2D)]
''',
    "needs_projection_solution": '''
def needs_projection(input_shape, filters, strides=1, merge="add"):
    """d2l's Residual block takes use_1x1conv from its caller; here it is worked out."""
    return strides > 1 or (merge == "add" and input_shape[-1] != filters)
''',
    "residual_block_solution": '''
def residual_block(x, filters, strides=1, merge="add"):
    """Chollet's listings 9.2-9.3 (residual = x; ...; residual = layers.Conv2D(filters, 1, strides)(residual);
    x = layers.add([x, residual])), with the contract's ReLU after the merge."""
    residual = x
    x = layers.Conv2D(filters, 3, strides=strides, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    if needs_projection(tuple(residual.shape[1:]), filters, strides, merge):
        residual = layers.Conv2D(filters if merge == "add" else residual.shape[-1], 1, strides=strides)(residual)
    x = layers.add([x, residual]) if merge == "add" else layers.concatenate([x, residual])
    return layers.Activation("relu")(x)
''',
}

NB1_D2L_SUBCLASS = {
    "build_deep_net_solution": '''
class DeepNet(keras.Model):
    """d2l's models are keras.Model subclasses: layers made in __init__, wired in call()."""

    def __init__(self, depth, residual, activation, width, num_classes):
        super().__init__()
        self.residual = residual
        self.stem = layers.Conv2D(width, 3, padding="same", activation=activation)
        self.body = [layers.Conv2D(width, 3, padding="same", activation=activation) for _ in range(depth)]
        self.pool = layers.GlobalAveragePooling2D()
        self.head = layers.Dense(num_classes, activation="softmax")

    def call(self, x):
        h = self.stem(x)
        for conv in self.body:
            h = h + conv(h) if self.residual else conv(h)
        return self.head(self.pool(h))


def build_deep_net(depth, residual, activation="sigmoid", width=16, input_shape=(8, 8, 1), num_classes=10):
    model = DeepNet(depth, residual, activation, width, num_classes)
    model(np.zeros((1, *input_shape), dtype="float32"))   # d2l builds a subclassed model by calling it once
    return model
''',
}

NB1_BROKEN_CHOLLET = {
    "residual_block_solution": '''
def residual_block(x, filters, strides=1, merge="add"):
    """Chollet's listing 9.2 as printed: no activation after the merge."""
    residual = x
    x = layers.Conv2D(filters, 3, strides=strides, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    if needs_projection(tuple(residual.shape[1:]), filters, strides, merge):
        residual = layers.Conv2D(filters if merge == "add" else residual.shape[-1], 1, strides=strides)(residual)
    return layers.add([x, residual]) if merge == "add" else layers.concatenate([x, residual])
''',
    "layer_gradient_norms_solution": '''
def layer_gradient_norms(model, x, y):
    """A training loop with a summed loss (reduction="sum", as distributed-training guides set it)."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    with tf.GradientTape() as tape:
        loss_value = loss_fn(y, model(x))
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss_value, [c.kernel for c in convs])])
''',
}

NB1_BROKEN_D2L_BATCHNORM = {
    "residual_block_solution": '''
def residual_block(x, filters, strides=1, merge="add"):
    """d2l's Residual block as printed: BatchNormalization after each 3x3 convolution."""
    y = layers.Conv2D(filters, 3, strides=strides, padding="same")(x)
    y = layers.Activation("relu")(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
    shortcut = x
    if needs_projection(tuple(x.shape[1:]), filters, strides, merge):
        shortcut = layers.Conv2D(filters if merge == "add" else x.shape[-1], 1, strides=strides)(x)
    merged = layers.add([y, shortcut]) if merge == "add" else layers.concatenate([y, shortcut])
    return layers.Activation("relu")(merged)
''',
}

# ============================================================================ notebook 2
NB2_FORMULAS = {
    "conv_output_size_solution": '''
import math


def conv_output_size(i, k, s=1, p=0):
    """Dumoulin & Visin, relationship 6: o = floor((i + 2p - k) / s) + 1."""
    return math.floor((i + 2 * p - k) / s) + 1
''',
    "transpose_conv_output_size_solution": '''
def transpose_conv_output_size(i, k, s=1, p=0, a=0):
    """PyTorch's ConvTranspose2d documentation (dilation 1):
    (H_in - 1) * stride - 2 * padding + (kernel_size - 1) + output_padding + 1."""
    return (i - 1) * s - 2 * p + (k - 1) + a + 1
''',
    "transpose_conv_equivalent_solution": '''
def transpose_conv_equivalent(k, s, p):
    """TVM's conv2d_transpose_nchw_python: dilate by the stride (s - 1 zeros), pad filter - 1 - pad."""
    return dict(z=s - 1, p_prime=k - 1 - p, s_prime=1)
''',
    "output_padding_for_solution": '''
def output_padding_for(i, k, s, p):
    """What the round trip leaves out: the `output_padding = output_shape - ((input - 1) * stride +
    kernel - 2 * pad)` idiom of model converters."""
    return i - transpose_conv_output_size(conv_output_size(i, k, s, p), k, s, p, 0)
''',
    "keras_conv_transpose_output_size_solution": '''
def keras_conv_transpose_output_size(i, k, s, padding, output_padding=None):
    """Ask Keras itself (Layer.compute_output_shape), as the Keras API documentation describes."""
    layer = layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=output_padding)
    return layer.compute_output_shape((1, i, i, 1))[1]
''',
    "conv_transpose2d_solution": '''
def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    """d2l's trans_conv (14.10): each input pixel scatters itself times the kernel into the output
    (no flip needed), in float32; with a stride, channels, the padding cropped, the output padding kept."""
    x, kernel = np.asarray(x, dtype=np.float32), np.asarray(kernel, dtype=np.float32)
    H, W, _ = x.shape
    k = kernel.shape[0]
    full = np.zeros(((H - 1) * s + k + a, (W - 1) * s + k + a, kernel.shape[2]), dtype=np.float32)
    for i in range(H):
        for j in range(W):
            full[i * s:i * s + k, j * s:j * s + k] += np.einsum("c,uvoc->uvo", x[i, j], kernel)
    Ho, Wo = (H - 1) * s + a + k - 2 * p, (W - 1) * s + a + k - 2 * p
    return full[p:p + Ho, p:p + Wo]
''',
}

NB2_TVM_SCIPY = {
    "conv_transpose2d_solution": '''
def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    """TVM's conv2d_transpose_nchw_python: dilate the input, then scipy.signal.convolve2d (a true
    convolution, which flips the kernel itself) for every pair of channels; the padding cropped."""
    from scipy.signal import convolve2d

    x = np.asarray(x, dtype=np.float64)
    H, W, c_in = x.shape
    k, _, c_out, _ = kernel.shape
    dilated = np.zeros(((H - 1) * s + 1 + a, (W - 1) * s + 1 + a, c_in))
    dilated[:(H - 1) * s + 1:s, :(W - 1) * s + 1:s] = x
    Ho, Wo = (H - 1) * s + a + k - 2 * p, (W - 1) * s + a + k - 2 * p
    out = np.zeros((Ho, Wo, c_out))
    for o in range(c_out):
        for c in range(c_in):
            out[:, :, o] += convolve2d(dilated[:, :, c], kernel[:, :, o, c], mode="full")[p:p + Ho, p:p + Wo]
    return out
''',
}

NB2_BROKEN_D2L_PYTORCH = {
    "conv_output_size_solution": '''
def conv_output_size(i, k, s=1, p=0):
    """d2l's floor((n - k + p + s) / s) with the notebook's p: d2l's p counts both sides."""
    return (i - k + p + s) // s
''',
    "keras_conv_transpose_output_size_solution": '''
def keras_conv_transpose_output_size(i, k, s, padding, output_padding=None):
    """PyTorch's ConvTranspose2d formula, with p = 0 for "valid", p = k // 2 for "same", a = 0 for None."""
    p = 0 if padding == "valid" else k // 2
    return (i - 1) * s - 2 * p + k + (output_padding or 0)
''',
}

NB2_BROKEN_DUMOULIN_NPPAD = {
    "transpose_conv_equivalent_solution": '''
def transpose_conv_equivalent(k, s, p):
    """Dumoulin & Visin's unit-stride relationships, k' = k, s' = s, p' = k - p - 1, applied to any stride."""
    return {"z": s - 1, "p_prime": k - p - 1, "s_prime": s}
''',
    "conv_transpose2d_solution": '''
def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    """The lecture's steps with np.pad, which refuses a negative width (p' < 0 when p >= k)."""
    k = kernel.shape[0]
    z = np.zeros(((x.shape[0] - 1) * s + 1, (x.shape[1] - 1) * s + 1, x.shape[2]))
    z[::s, ::s] = x
    q = k - p - 1
    padded = np.pad(z, ((q, q + a), (q, q + a), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(0, 1))
    return np.einsum("hwcuv,uvoc->hwo", windows, kernel[::-1, ::-1])
''',
}

# ============================================================================ notebook 3
NB3_KERAS_OPS = {
    "build_encoder_decoder_solution": '''
def build_encoder_decoder(input_shape, num_outputs, output_activation, filters=(32, 64)):
    """A keras.Sequential that starts with keras.Input (Keras guide "The Sequential model")."""
    return keras.Sequential(
        [keras.Input(shape=input_shape)]
        + [layers.Conv2D(f, 3, strides=2, padding="same", activation="relu") for f in filters]
        + [layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu") for f in reversed(filters)]
        + [layers.Conv2D(num_outputs, 3, padding="same", activation=output_activation)])
''',
    "segmentation_activation_solution": """
SEGMENTATION_ACTIVATION = keras.activations.softmax
""",
    "segmentation_loss_solution": """
SEGMENTATION_LOSS = keras.losses.sparse_categorical_crossentropy
""",
    "mean_iou_solution": '''
def mean_iou(y_true, y_pred, num_classes):
    """The usual Stack Overflow answer: IoU per class in a loop, then np.nanmean (0/0 for a class
    absent from both masks gives NaN, and NumPy's RuntimeWarning)."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    ious = []
    for c in range(num_classes):
        intersection = np.sum((y_true == c) & (y_pred == c))
        union = np.sum((y_true == c) | (y_pred == c))
        ious.append(intersection / union)
    return np.nanmean(ious)
''',
    "psnr_solution": '''
def psnr(y_true, y_pred, max_val=1.0):
    """tf.image.psnr (the TensorFlow API), in float32."""
    return tf.image.psnr(tf.convert_to_tensor(y_true, tf.float32), tf.convert_to_tensor(y_pred, tf.float32),
                         max_val=max_val).numpy()
''',
    "superres_activation_solution": """
SUPERRES_ACTIVATION = keras.activations.relu
""",
    "worst_case_loss_solution": '''
def worst_case_loss(y_true, y_pred, q=0.1):
    """keras.ops throughout (the Keras 3 API): abs, reshape, top_k, mean."""
    y_true = keras.ops.convert_to_tensor(y_true, "float32")
    y_pred = keras.ops.convert_to_tensor(y_pred, "float32")
    err = keras.ops.reshape(keras.ops.abs(y_true - y_pred), (keras.ops.shape(y_pred)[0], -1))
    worst, _ = keras.ops.top_k(err, math.ceil(q * err.shape[1]))
    return keras.ops.mean(worst)
''',
    "bicubic_upscale_solution": '''
def bicubic_upscale(images, scale):
    """keras.ops.image.resize with bicubic interpolation, then keras.ops.clip."""
    images = keras.ops.convert_to_tensor(images, "float32")
    size = (images.shape[1] * scale, images.shape[2] * scale)
    return keras.ops.clip(keras.ops.image.resize(images, size, interpolation="bicubic"), 0.0, 1.0)
''',
}

NB3_NESTED = {
    "build_encoder_decoder_solution": '''
def build_encoder_decoder(input_shape, num_outputs, output_activation, filters=(32, 64)):
    """An encoder and a decoder as sub-models (the way Chollet's chapter 11 model splits into a
    downsampling and an upsampling half), joined by a functional model with the head."""
    encoder = keras.Sequential([layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")
                                for f in filters], name="encoder")
    decoder = keras.Sequential([layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")
                                for f in reversed(filters)], name="decoder")
    head = layers.Conv2D(num_outputs, 3, padding="same", activation=output_activation)
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, head(decoder(encoder(inputs))))
''',
    "mean_iou_solution": '''
def mean_iou(y_true, y_pred, num_classes):
    """keras.metrics.MeanIoU (float32 confusion matrix, absent classes left out)."""
    metric = keras.metrics.MeanIoU(num_classes=num_classes)
    metric.update_state(np.asarray(y_true).ravel(), np.asarray(y_pred).ravel())
    return float(metric.result())
''',
    "psnr_solution": '''
def psnr(y_true, y_pred, max_val=1.0):
    """scikit-image's peak_signal_noise_ratio, one image at a time, with data_range=max_val."""
    from skimage.metrics import peak_signal_noise_ratio

    return np.array([peak_signal_noise_ratio(t, p, data_range=max_val)
                     for t, p in zip(np.asarray(y_true), np.asarray(y_pred))])
''',
    "superres_activation_solution": '''
def clip_to_intensities(x):
    """Intensities are 0 to 1: keep those, clip the rest (keras.ops.clip)."""
    return keras.ops.clip(x, 0.0, 1.0)


SUPERRES_ACTIVATION = clip_to_intensities
''',
    "worst_case_loss_solution": '''
def worst_case_loss(y_true, y_pred, q=0.1):
    """tf.sort in descending order, then the first ceil(q * n) of each image."""
    y_pred = tf.convert_to_tensor(y_pred)
    err = tf.reshape(tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred), [tf.shape(y_pred)[0], -1])
    k = math.ceil(q * err.shape[-1])
    return tf.reduce_mean(tf.sort(err, axis=-1, direction="DESCENDING")[:, :k])
''',
    "bicubic_upscale_solution": '''
def bicubic_upscale(images, scale):
    """keras.layers.Resizing with bicubic interpolation (the Keras preprocessing layer)."""
    images = np.asarray(images, dtype="float32")
    resize = layers.Resizing(images.shape[1] * scale, images.shape[2] * scale, interpolation="bicubic")
    return keras.ops.clip(resize(images), 0.0, 1.0)
''',
}

NB3_BROKEN = {
    "mean_iou_solution": '''
def mean_iou(y_true, y_pred, num_classes):
    """The Kaggle habit: the mean IoU of each image, then the mean over the images."""
    scores = []
    for t, p in zip(np.asarray(y_true), np.asarray(y_pred)):
        ious = [np.sum((t == c) & (p == c)) / np.sum((t == c) | (p == c)) for c in range(num_classes)
                if np.sum((t == c) | (p == c)) > 0]
        scores.append(np.mean(ious))
    return float(np.mean(scores))
''',
    "psnr_solution": '''
def psnr(y_true, y_pred, max_val=1.0):
    """keras-io's ESPCN example and titu1994's PSNRLoss: -10 log10(MSE) of the whole batch."""
    mse = np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)
    return 10 * np.log10(max_val ** 2 / mse)
''',
    "worst_case_loss_solution": '''
def worst_case_loss(y_true, y_pred, q=0.1):
    """DeepLab2's compute_average_top_k_loss: round(q * n) worst errors per image, divided by how
    many of them are not zero (tf.math.divide_no_nan)."""
    y_pred = tf.convert_to_tensor(y_pred)
    err = tf.reshape(tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred), [tf.shape(y_pred)[0], -1])
    k = max(1, round(q * err.shape[-1]))
    top = tf.math.top_k(err, k=k).values
    non_zero = tf.reduce_sum(tf.cast(top > 0, y_pred.dtype), axis=-1)
    return tf.reduce_mean(tf.math.divide_no_nan(tf.reduce_sum(top, axis=-1), non_zero))
''',
}

# ============================================================================ notebook 4
NB4_KERAS_CHOLLET = {
    "activation_model_solution": '''
def activation_model(model, layer_names=None):
    """Chollet, chapter 9 (2nd ed.) / 10 (3rd ed.): a multi-output keras.Model over the layers' outputs."""
    if layer_names is None:
        layer_outputs = [layer.output for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    else:
        layer_outputs = [model.get_layer(name).output for name in layer_names]
    return keras.Model(inputs=model.inputs, outputs=layer_outputs)
''',
    "feature_map_grid_solution": '''
def feature_map_grid(activation, n_cols=8):
    """Chollet's loop over the channels, each scaled on its own with np.where (a constant channel
    divides 0 by 0 first: NumPy's RuntimeWarning)."""
    activation = np.asarray(activation)
    H, W, C = activation.shape
    rows = math.ceil(C / n_cols)
    grid = np.zeros((rows * H, n_cols * W))
    for c in range(C):
        channel = activation[:, :, c]
        span = channel.max() - channel.min()
        tile = np.where(span > 0, (channel - channel.min()) / span, 0)
        row, col = divmod(c, n_cols)
        grid[row * H:(row + 1) * H, col * W:(col + 1) * W] = tile
    return grid
''',
    "grad_cam_solution": '''
def grad_cam(model, image, conv_layer_name, class_index=None):
    """keras-io's Grad-CAM example (make_gradcam_heatmap), normalised in NumPy: cam / cam.max(),
    then np.nan_to_num for the all-zero map (0/0: NumPy's RuntimeWarning)."""
    grad_model = keras.models.Model(model.inputs, [model.get_layer(conv_layer_name).output, model.output])
    img_array = np.expand_dims(image, axis=0).astype("float32")
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if class_index is None:
            class_index = tf.argmax(preds[0])
        class_channel = preds[:, class_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = np.maximum(tf.squeeze(heatmap, axis=-1).numpy(), 0)
    return np.nan_to_num(heatmap / heatmap.max())
''',
    "overlay_heatmap_solution": '''
def overlay_heatmap(image, heatmap, alpha=0.4):
    """keras-io's save_and_display_gradcam, in floats: the jet colormap (matplotlib.colormaps),
    the heatmap resized with keras.ops.image.resize, then the contract's blend."""
    jet = matplotlib.colormaps["jet"]
    resized = keras.ops.image.resize(np.asarray(heatmap, "float32")[..., None], np.shape(image)[:2],
                                     interpolation="bilinear")
    jet_heatmap = jet(np.clip(keras.ops.convert_to_numpy(resized)[..., 0], 0, 1))[..., :3]
    return np.clip(jet_heatmap * alpha + np.asarray(image) * (1 - alpha), 0, 1)
''',
    "cam_peak_solution": '''
def cam_peak(heatmap, image_shape):
    """np.argwhere of the maximum (the first one, as np.argmax), after keras.ops.image.resize."""
    big = keras.ops.convert_to_numpy(keras.ops.image.resize(np.asarray(heatmap, "float32")[..., None],
                                                            tuple(image_shape[:2]), interpolation="bilinear"))[..., 0]
    row, col = np.argwhere(big == big.max())[0]
    return int(row), int(col)
''',
    "pointing_game_solution": '''
def pointing_game(model, images, boxes, conv_layer_name, labels=None):
    """The box as a boolean mask by slicing (end-exclusive, as the contract), then np.mean of the hits."""
    hits = []
    for i, image in enumerate(images):
        cls = None if labels is None else int(labels[i])
        row, col = cam_peak(grad_cam(model, image, conv_layer_name, cls), image.shape)
        r0, c0, r1, c1 = boxes[i]
        inside = np.zeros(image.shape[:2], dtype=bool)
        inside[r0:r1, c0:c1] = True
        hits.append(inside[row, col])
    return float(np.mean(hits))
''',
}

NB4_BROKEN_KERAS_IO = {
    "grad_cam_solution": '''
def grad_cam(model, image, conv_layer_name, class_index=None):
    """keras-io's make_gradcam_heatmap as printed: tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap),
    which is NaN when the map is 0 everywhere."""
    grad_model = keras.models.Model(model.inputs, [model.get_layer(conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(np.expand_dims(image, axis=0).astype("float32"))
        if class_index is None:
            class_index = tf.argmax(preds[0])
        class_channel = preds[:, class_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = tf.squeeze(last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis], axis=-1)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()
''',
    "overlay_heatmap_solution": '''
def overlay_heatmap(image, heatmap, alpha=0.4):
    """keras-io's save_and_display_gradcam blend as printed: jet_heatmap * alpha + img (no 1 - alpha)."""
    resized = tf.image.resize(np.asarray(heatmap, "float32")[..., None], np.shape(image)[:2]).numpy()[..., 0]
    jet_heatmap = matplotlib.colormaps["jet"](np.clip(resized, 0, 1))[..., :3]
    return jet_heatmap * alpha + np.asarray(image)
''',
}

NB4_BROKEN_TORCHRAY_CHOLLET = {
    "pointing_game_solution": '''
def pointing_game(model, images, boxes, conv_layer_name, labels=None, tolerance=15):
    """TorchRay's PointingGame: a hit when the box comes within 15 pixels of the peak."""
    hits = []
    for i, image in enumerate(images):
        cls = None if labels is None else int(labels[i])
        row, col = cam_peak(grad_cam(model, image, conv_layer_name, cls), image.shape)
        r0, c0, r1, c1 = boxes[i]
        rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        hits.append(bool(np.any((rr - row) ** 2 + (cc - col) ** 2 < tolerance ** 2)))
    return float(np.mean(hits))
''',
    "feature_map_grid_solution": '''
def feature_map_grid(activation, n_cols=8):
    """Chollet's display of intermediate activations: each channel standardised (mean 0, std 1),
    times 64, plus 128, clipped to 0-255 (here divided by 255), instead of min-max scaling."""
    activation = np.asarray(activation, dtype=np.float64)
    H, W, C = activation.shape
    rows = math.ceil(C / n_cols)
    grid = np.zeros((rows * H, n_cols * W))
    for c in range(C):
        channel = activation[:, :, c].copy()
        channel -= channel.mean()
        channel /= channel.std() if channel.std() > 0 else 1.0
        channel = np.clip(channel * 64 + 128, 0, 255) / 255
        row, col = divmod(c, n_cols)
        grid[row * H:(row + 1) * H, col * W:(col + 1) * W] = channel
    return grid
''',
}

NB4_BROKEN_OPENCV = {
    "cam_peak_solution": '''
def cam_peak(heatmap, image_shape):
    """OpenCV's minMaxLoc convention: the location as a point (x, y), i.e. (col, row)."""
    big = tf.image.resize(np.asarray(heatmap, "float32")[..., None], tuple(image_shape[:2])).numpy()[..., 0]
    row, col = np.unravel_index(np.argmax(big), big.shape)
    return int(col), int(row)
''',
}

N1 = ("nb1_needs_projection", "nb1_block_shapes", "nb1_block_shortcut", "nb1_deep_net", "nb1_gradient_norms")
EXAMPLES = [
    # ---- correct answers: full marks
    answers(
        "nb1_public_chollet_keras_guides",
        NB1,
        NB1_CHOLLET,
        [
            "build_deep_net: keras.Sequential for a plain net (Keras guide), Chollet's layers.add for a residual one",
            "layer_gradient_norms: the TensorFlow guide's training loop (loss object, tape, trainable_weights), a list",
            "needs_projection: one boolean expression (d2l's use_1x1conv worked out)",
            "residual_block: Chollet's listings 9.2-9.3 with the ReLU after the merge",
        ],
    ),
    answers(
        "nb1_public_d2l_subclassed_model",
        NB1,
        NB1_D2L_SUBCLASS,
        ["build_deep_net: a keras.Model subclass (d2l's style), built by one call"],
    ),
    answers(
        "nb2_public_formulas_and_d2l_scatter",
        NB2,
        NB2_FORMULAS,
        [
            "conv_output_size: Dumoulin & Visin's relationship 6 with math.floor",
            "transpose_conv_output_size: PyTorch's ConvTranspose2d formula",
            "transpose_conv_equivalent: TVM's dilate-and-pad (dict(...))",
            "output_padding_for: the round trip's remainder (model converters' output_padding)",
            "keras_conv_transpose_output_size: Keras's own compute_output_shape",
            "conv_transpose2d: d2l's scatter (trans_conv), float32, loops",
        ],
    ),
    answers(
        "nb2_public_tvm_scipy", NB2, NB2_TVM_SCIPY, ["conv_transpose2d: TVM's reference with scipy.signal.convolve2d"]
    ),
    answers(
        "nb3_public_keras_sequential_and_ops",
        NB3,
        NB3_KERAS_OPS,
        [
            "build_encoder_decoder: keras.Sequential from keras.Input (Keras guide)",
            "SEGMENTATION_ACTIVATION, SEGMENTATION_LOSS: keras.activations.softmax and "
            "keras.losses.sparse_categorical_crossentropy (functions, keras-io's oxford_pets example)",
            "mean_iou: the per-class loop with np.nanmean (Stack Overflow; NumPy warns)",
            "psnr: tf.image.psnr in float32",
            "SUPERRES_ACTIVATION: keras.activations.relu",
            "worst_case_loss: keras.ops.top_k",
            "bicubic_upscale: keras.ops.image.resize",
        ],
    ),
    answers(
        "nb3_public_nested_models_and_libraries",
        NB3,
        NB3_NESTED,
        [
            "build_encoder_decoder: an encoder and a decoder as keras.Sequential sub-models "
            "(Chollet's chapter 11 split)",
            "mean_iou: keras.metrics.MeanIoU",
            "psnr: scikit-image's peak_signal_noise_ratio per image",
            "SUPERRES_ACTIVATION: a clip to [0, 1] (keras.ops.clip)",
            "worst_case_loss: tf.sort, descending",
            "bicubic_upscale: keras.layers.Resizing",
        ],
    ),
    answers(
        "nb4_public_keras_io_and_chollet",
        NB4,
        NB4_KERAS_CHOLLET,
        [
            "activation_model: Chollet's multi-output model over model.inputs",
            "feature_map_grid: Chollet's loop over channels, np.where per channel (NumPy warns)",
            "grad_cam: keras-io's make_gradcam_heatmap, normalised with np.nan_to_num (NumPy warns)",
            "overlay_heatmap: keras-io's jet overlay in floats (keras.ops.image.resize)",
            "cam_peak: np.argwhere after keras.ops.image.resize",
            "pointing_game: a boolean mask by slicing, np.mean",
        ],
    ),
    # ---- copies that break one clause of a contract: exactly those checks fail
    answers(
        "nb1_public_broken_chollet_listing_and_summed_loss",
        NB1,
        NB1_BROKEN_CHOLLET,
        [
            "residual_block: Chollet's listing 9.2 as printed, no ReLU after the merge (the contract has one)",
            "layer_gradient_norms: a loss with reduction='sum' (the contract takes the mean over the batch)",
        ],
        fails={"nb1_block_shortcut", "nb1_gradient_norms"},
        why="copies that break a clause",
    ),
    answers(
        "nb1_public_broken_d2l_batchnorm",
        NB1,
        NB1_BROKEN_D2L_BATCHNORM,
        ["residual_block: d2l's Residual with BatchNormalization (the contract's main path has none)"],
        fails={"nb1_block_shapes", "nb1_block_shortcut"},
        why="a copy that breaks a clause",
    ),
    answers(
        "nb2_public_broken_d2l_padding_and_pytorch_keras_rule",
        NB2,
        NB2_BROKEN_D2L_PYTORCH,
        [
            "conv_output_size: d2l's formula with a p that pads one side only (the contract's p pads each side)",
            "keras_conv_transpose_output_size: PyTorch's formula (Keras pads k < s itself, and 'same' gives i*s)",
        ],
        fails={"nb2_conv_output_size", "nb2_keras_output_size"},
        why="copies that break a clause",
    ),
    answers(
        "nb2_public_broken_dumoulin_stride_and_np_pad",
        NB2,
        NB2_BROKEN_DUMOULIN_NPPAD,
        [
            "transpose_conv_equivalent: Dumoulin & Visin's s' = s (the contract: s' = 1)",
            "conv_transpose2d: np.pad with p' = k - p - 1, which fails for p >= k (the contract allows any p)",
        ],
        fails={"nb2_equivalent", "nb2_conv_transpose2d"},
        why="copies that break a clause",
    ),
    answers(
        "nb3_public_broken_kaggle_iou_espcn_psnr_deeplab_topk",
        NB3,
        NB3_BROKEN,
        [
            "mean_iou: per image, then the mean (the contract: over the whole set of masks)",
            "psnr: keras-io's ESPCN callback, one value for the batch (the contract: one per image)",
            "worst_case_loss: DeepLab2's top-k loss, divided by the non-zero count (the contract: by ceil(q * n))",
        ],
        fails={"nb3_mean_iou", "nb3_psnr", "nb3_worst_case_loss"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_keras_io_nan_and_blend",
        NB4,
        NB4_BROKEN_KERAS_IO,
        [
            "grad_cam: keras-io's normalisation as printed, NaN for an all-zero map (the contract: zeros)",
            "overlay_heatmap: keras-io's blend as printed, jet * alpha + image (the contract: (1 - alpha) * image)",
        ],
        fails={"nb4_grad_cam", "nb4_overlay"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_torchray_tolerance_and_chollet_standardised_grid",
        NB4,
        NB4_BROKEN_TORCHRAY_CHOLLET,
        [
            "pointing_game: TorchRay's 15-pixel tolerance (the contract: inside the box, exclusive ends)",
            "feature_map_grid: Chollet's standardised display (the contract: each channel min-max to [0, 1])",
        ],
        fails={"nb4_pointing_game", "nb4_feature_map_grid"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_opencv_point_order",
        NB4,
        NB4_BROKEN_OPENCV,
        ["cam_peak: OpenCV's (x, y) point order (the contract: (row, col))"],
        fails={"nb4_cam_peak", "nb4_pointing_game"},
        why="a copy that breaks a clause",
    ),
]

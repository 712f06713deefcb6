"""The cells of the public-code answers to notebooks 3 and 4 (the examples: lab/examples/public.py).

Each dict maps a solution cell's grade_id to the cell as that answer writes it."""

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
    """keras-io's save_and_display_gradcam: its 256-colour jet table indexed by uint8(255 * heatmap),
    the heatmap resized first (keras.ops.image.resize), then the contract's blend."""
    resized = keras.ops.image.resize(np.asarray(heatmap, "float32")[..., None], np.shape(image)[:2],
                                     interpolation="bilinear")
    heatmap = np.uint8(255 * np.clip(keras.ops.convert_to_numpy(resized)[..., 0], 0, 1))
    jet = matplotlib.colormaps["jet"]
    jet_colors = jet(np.arange(256))[:, :3]
    jet_heatmap = jet_colors[heatmap]
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

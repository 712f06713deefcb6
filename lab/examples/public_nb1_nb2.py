"""The cells of the public-code answers to notebooks 1 and 2 (the examples: lab/examples/public.py).

Each dict maps a solution cell's grade_id to the cell as that answer writes it."""

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

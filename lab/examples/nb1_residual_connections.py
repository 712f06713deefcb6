"""Notebook 1: realistic mistakes (each fails exactly the checks named) and valid variations.
Mistakes in functions that do not call each other are graded two at a time (PAIRS)."""

import functools

from lab import examples
from lab.examples import paired

NB = "1_residual_connections"
SHAPES, SHORTCUT = "nb1_block_shapes", "nb1_block_shortcut"
PROJ, NET, GRAD = "nb1_needs_projection", "nb1_deep_net", "nb1_gradient_norms"
OPT = "nb1_make_optimizer"
SOLUTION_OPTIMIZER = "return keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-20)"


mistake = functools.partial(examples.mistake, NB)


BLOCK = "residual_block_solution"
BLOCK_AS_CLASS = '''
class ResidualBlock(layers.Layer):
    """The block as a layer: weights are created in build(), once the input shape is known."""

    def __init__(self, filters, strides=1, merge="add", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.strides, self.merge = filters, strides, merge

    def build(self, input_shape):
        channels = input_shape[-1]
        self.conv1 = layers.Conv2D(self.filters, 3, strides=self.strides, padding="same", activation="relu")
        self.conv2 = layers.Conv2D(self.filters, 3, padding="same")
        self.project = None
        if needs_projection(tuple(input_shape[1:]), self.filters, self.strides, self.merge):
            out = self.filters if self.merge == "add" else channels
            self.project = layers.Conv2D(out, 1, strides=self.strides)

    def call(self, x):
        h = self.conv2(self.conv1(x))
        shortcut = x if self.project is None else self.project(x)
        merged = h + shortcut if self.merge == "add" else keras.ops.concatenate([h, shortcut], axis=-1)
        return keras.ops.relu(merged)


def residual_block(x, filters, strides=1, merge="add"):
    return ResidualBlock(filters, strides, merge)(x)
'''
MISTAKES = [
    # ---- needs_projection
    mistake(
        "nb1_projection_ignores_stride",
        "needs_projection_solution",
        [
            ("return bool(channels != filters or strides != 1)", "return bool(channels != filters)"),
            ("return bool(strides != 1)", "return False"),
        ],
        {PROJ, SHAPES, SHORTCUT},
        "forgets that a stride changes H and W (the block inherits it)",
    ),
    mistake(
        "nb1_projection_concat_like_add",
        "needs_projection_solution",
        [("return bool(strides != 1)", "return bool(channels != filters or strides != 1)")],
        {PROJ, SHAPES, SHORTCUT},
        "projects the concat shortcut when channels differ",
    ),
    # ---- residual_block
    mistake(
        "nb1_concat_for_add",
        BLOCK,
        [
            (
                'merged = layers.Add()([h, shortcut]) if merge == "add" else layers.Concatenate()([h, shortcut])',
                "merged = layers.Concatenate()([h, shortcut])",
            )
        ],
        {SHAPES, SHORTCUT},
        "Concatenate where Add was asked",
    ),
    mistake(
        "nb1_add_for_concat",
        BLOCK,
        [
            (
                'merged = layers.Add()([h, shortcut]) if merge == "add" else layers.Concatenate()([h, shortcut])',
                "merged = layers.Add()([h, shortcut])",
            )
        ],
        {SHAPES, SHORTCUT},
        "Add where Concatenate was asked",
    ),
    mistake(
        "nb1_projection_always",
        BLOCK,
        [("if needs_projection(tuple(x.shape[1:]), filters, strides, merge):", "if True:")],
        {SHAPES, SHORTCUT},
        "a projection added when none is needed",
    ),
    mistake(
        "nb1_projection_without_stride",
        BLOCK,
        [("channels, 1, strides=strides)(x)", "channels, 1)(x)")],
        {SHAPES, SHORTCUT},
        "the 1x1 projection forgets the stride",
    ),
    mistake(
        "nb1_shortcut_not_merged",
        BLOCK,
        [('return layers.Activation("relu")(merged)', 'return layers.Activation("relu")(h)')],
        {SHAPES, SHORTCUT},
        "the output does not depend on the shortcut",
    ),
    mistake(
        "nb1_no_final_relu",
        BLOCK,
        [('return layers.Activation("relu")(merged)', "return merged")],
        {SHORTCUT},
        "the ReLU after the merge is missing",
    ),
    mistake(
        "nb1_relu_on_second_conv",
        BLOCK,
        [
            (
                'h = layers.Conv2D(filters, 3, padding="same")(h)',
                'h = layers.Conv2D(filters, 3, padding="same", activation="relu")(h)',
            )
        ],
        {SHORTCUT},
        "the second convolution has an activation",
    ),
    # ---- build_deep_net
    mistake(
        "nb1_residual_ignored",
        "build_deep_net_solution",
        [("h = layers.Add()([h, f_h]) if residual else f_h", "h = f_h")],
        {NET},
        "the residual flag does nothing",
    ),
    mistake(
        "nb1_flatten_not_pooling",
        "build_deep_net_solution",
        [("h = layers.GlobalAveragePooling2D()(h)", "h = layers.Flatten()(h)")],
        {NET},
        "Flatten instead of global average pooling (wrong parameter count)",
    ),
    # ---- layer_gradient_norms
    mistake(
        "nb1_bias_gradients",
        "layer_gradient_norms_solution",
        [("kernels = [layer.kernel for layer", "kernels = [layer.bias for layer")],
        {GRAD},
        "gradients with respect to biases",
    ),
    mistake(
        "nb1_squared_norms",
        "layer_gradient_norms_solution",
        [("float(tf.norm(g))", "float(tf.reduce_sum(g ** 2))")],
        {GRAD},
        "norms that are not L2 (square root missing)",
    ),
    mistake(
        "nb1_reversed_order",
        "layer_gradient_norms_solution",
        [("for g in tape.gradient(loss, kernels)])", "for g in tape.gradient(loss, kernels)][::-1])")],
        {GRAD},
        "norms in the wrong order",
    ),
    mistake(
        "nb1_summed_loss",
        "layer_gradient_norms_solution",
        [("loss = tf.reduce_mean(", "loss = tf.reduce_sum(")],
        {GRAD},
        "the loss summed over the batch instead of averaged",
    ),
    # ---- make_optimizer
    mistake(
        "nb1_optimizer_higher_lr",
        "make_optimizer_solution",
        [(SOLUTION_OPTIMIZER, "return keras.optimizers.Adam(learning_rate=1e-2)")],
        {OPT},
        "a larger learning rate: still lr * g / eps, 1e-2 * 1e-14 / 1e-7 (the first layers stay put)",
    ),
    mistake(
        "nb1_optimizer_sgd_momentum",
        "make_optimizer_solution",
        [(SOLUTION_OPTIMIZER, "return keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)")],
        {OPT},
        "SGD with momentum: a step proportional to a gradient of 1e-14",
    ),
    # ---- valid variations: full marks
    mistake(
        "nb1_ok_functional_merge",
        BLOCK,
        [
            (
                'merged = layers.Add()([h, shortcut]) if merge == "add" else layers.Concatenate()([h, shortcut])',
                'merged = layers.add([h, shortcut]) if merge == "add" else layers.concatenate([shortcut, h])',
            ),
            ('return layers.Activation("relu")(merged)', "return layers.ReLU()(merged)"),
        ],
        set(),
        "layers.add / layers.concatenate (shortcut first), and layers.ReLU()",
    ),
    mistake(
        "nb1_ok_block_as_class",
        BLOCK,
        [(None, BLOCK_AS_CLASS)],
        set(),
        "the block written as a keras.layers.Layer subclass",
    ),
    mistake(
        "nb1_optimizer_weight_decay",
        "make_optimizer_solution",
        [(SOLUTION_OPTIMIZER, "return keras.optimizers.Adam(learning_rate=1e-3, weight_decay=0.1)")],
        {OPT},
        "weight decay: every kernel shrinks by lr * wd a step, whatever its gradient (the first ones still get none)",
    ),
    mistake(
        "nb1_ok_optimizer_lion",
        "make_optimizer_solution",
        [(SOLUTION_OPTIMIZER, "return keras.optimizers.Lion(learning_rate=1e-4)  # a step of lr * sign(...)")],
        set(),
        "Lion (Keras's sign-based optimizer): every weight steps by lr whatever its gradient's size",
    ),
]
BY_NAME = {m.name: m for m in MISTAKES}
PAIRS = [
    ("nb1_projection_ignores_stride", "nb1_residual_ignored"),
    ("nb1_projection_concat_like_add", "nb1_flatten_not_pooling"),
    ("nb1_concat_for_add", "nb1_bias_gradients"),
    ("nb1_add_for_concat", "nb1_squared_norms"),
    ("nb1_projection_always", "nb1_reversed_order"),
    ("nb1_projection_without_stride", "nb1_summed_loss"),
    ("nb1_shortcut_not_merged", "nb1_optimizer_higher_lr"),
    ("nb1_relu_on_second_conv", "nb1_optimizer_sgd_momentum"),
]
_paired = {n for pair in PAIRS for n in pair}
EXAMPLES = [paired(BY_NAME[a], BY_NAME[b]) for a, b in PAIRS] + [m for m in MISTAKES if m.name not in _paired]

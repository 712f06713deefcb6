"""Checks of notebook 1: residual connections and vanishing gradients (Parts A, B, D, E; Part F in
nb1_residual_connections_optimizer.py).

Each check's docstring says what it catches. Tolerances are relative: TensorFlow
on different CPUs differs in the last digits of float32 results, so forward
outputs use ``FORWARD_TOL`` and gradient norms ``GRADIENT_TOL`` (with tiny ``atol``
floors for values near zero); the visible tests use the same.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.common import (
    Tol,
    call_recording,
    expect_close,
    fail,
    fill_weights_by_shape,
    numeric_array,
    received_case,
    rng,
)
from autograder.spec import Check, declare, student_function

NOTEBOOK = "1_residual_connections"
GRADING_SECONDS = 7  # rough seconds the pytest runner spends on it (2 cores): the costliest start first
CHECKS: list[Check] = []  # in the notebook's order, each declared below its collect and judge
check = declare(CHECKS, NOTEBOOK)
# Locked cells that only measure and plot for the student (Part C): the pytest runner skips them.
DEMO_CELLS = frozenset({"partC_compute", "partC_plot", "partC_ratio", "partC_train", "partC_train_plot"})
FORWARD_TOL = Tol(rtol=1e-4, atol=1e-5)
PROBABILITY_TOL = Tol(rtol=1e-4, atol=1e-6)
GRADIENT_TOL = Tol(rtol=1e-3, atol=1e-9)

# --------------------------------------------------------------------------- needs_projection
# (input_shape, filters, strides, merge): every branch, odd sizes, both merges.
PROJECTION_CASES = [
    ((32, 32, 32), 64, 1, "add"),
    ((32, 32, 64), 64, 1, "add"),
    ((32, 32, 64), 64, 2, "add"),
    ((9, 9, 16), 16, 3, "add"),
    ((8, 8, 3), 8, 2, "add"),
    ((8, 8, 16), 32, 1, "concat"),
    ((8, 8, 16), 16, 1, "concat"),
    ((8, 8, 16), 32, 2, "concat"),
    ((7, 7, 1), 1, 1, "add"),
    ((7, 7, 4), 4, 2, "concat"),
]


def _projection_truth(shape, filters, strides, merge):
    """The rule, used only to word the message (the references decide pass or fail)."""
    return strides != 1 or (merge == "add" and shape[-1] != filters)


def collect_needs_projection(ns):
    f = student_function(ns, "needs_projection")
    out = {}
    for i, (shape, filters, strides, merge) in enumerate(PROJECTION_CASES):
        value = call_recording(lambda: f(shape, filters, strides=strides, merge=merge), out, f"case{i}")
        if f"case{i}_error" not in out:
            out[f"case{i}_type"] = type(value).__name__
            out[f"case{i}"] = bool(value) if isinstance(value, (bool, np.bool_)) else -1
    return out


def judge_needs_projection(received, expected):
    for i, (shape, filters, strides, merge) in enumerate(PROJECTION_CASES):
        call = f"needs_projection({shape}, {filters}, strides={strides}, merge={merge!r})"
        if received_case(received, i, call, "a bool (True or False)") == -1:
            fail(f"{call} should return a bool (True or False), received a {received[f'case{i}_type']}.")
        want, got = bool(expected[f"case{i}"]), bool(received[f"case{i}"])
        if got != want:
            C = shape[-1]
            if want:
                why = (
                    f"the main path's stride {strides} makes its output "
                    f"({math.ceil(shape[0] / strides)}, {math.ceil(shape[1] / strides)}) spatially "
                    f"while x stays ({shape[0]}, {shape[1]}): the shortcut needs a strided 1x1 convolution"
                    if strides != 1
                    else f"Add needs equal shapes, but x has C={C} channels and the main path {filters}"
                )
                fail(f"{call}: expected True, received False — a needed projection is missing: {why}.")
            why = (
                "Concatenate joins along channels, so C and filters may differ; only the spatial size must match"
                if merge == "concat"
                else f"x already has the main path's shape ({C} channels, stride 1)"
            )
            fail(f"{call}: expected False, received True — a projection added where none is needed: {why}.")


check(
    "nb1_needs_projection",
    3,
    "needs_projection: when the shortcut needs a 1x1 convolution",
    collect_needs_projection,
    judge_needs_projection,
)


# --------------------------------------------------------------------------- residual_block
# (input_shape, filters, strides, merge)
BLOCK_CASES = [
    ((8, 8, 16), 16, 1, "add"),
    ((8, 8, 8), 16, 1, "add"),
    ((8, 8, 16), 16, 2, "add"),
    ((9, 9, 8), 16, 2, "add"),
    ((8, 8, 8), 16, 1, "concat"),
    ((8, 8, 8), 16, 2, "concat"),
    ((7, 7, 4), 4, 1, "concat"),
]


def _block_model(f, shape, filters, strides, merge):
    import keras

    x = keras.Input(shape)
    y = f(x, filters, strides=strides, merge=merge)
    return keras.Model(x, y)


def _block_input(i, shape):
    return rng("block-input", i).normal(0.0, 1.0, (2, *shape)).astype(np.float32)


def collect_block_shapes(ns):
    f = student_function(ns, "residual_block")
    out = {}
    for i, case in enumerate(BLOCK_CASES):
        model = call_recording(lambda: _block_model(f, *case), out, f"case{i}")
        if model is not None:
            out[f"case{i}_shape"] = [int(d) for d in model.output.shape[1:]]
            out[f"case{i}_params"] = int(model.count_params())
    return out


def _params(shape, filters, strides, merge, projection):
    C = shape[-1]
    main = 9 * C * filters + filters + 9 * filters * filters + filters
    if not projection:
        return main
    out_channels = filters if merge == "add" else C
    return main + C * out_channels + out_channels


def judge_block_shapes(received, expected):
    for i, (shape, filters, strides, merge) in enumerate(BLOCK_CASES):
        H, W, C = shape
        call = f"residual_block(x of shape (None, {H}, {W}, {C}), {filters}, strides={strides}, merge={merge!r})"
        if f"case{i}_error" in received:
            err = received[f"case{i}_error"]
            hint = ""
            if strides != 1:
                hint = (
                    f" With strides={strides} the main path gives ({math.ceil(H / strides)}, "
                    f"{math.ceil(W / strides)}) spatially; a shortcut that keeps ({H}, {W}) (x itself, or a "
                    f"1x1 projection without strides={strides}) cannot be merged with it."
                )
            elif merge == "add" and C != filters:
                hint = f" Add needs equal shapes: {C} channels in x, {filters} in the main path."
            fail(f"{call} raised {err}.{hint}")
        want_shape, got_shape = tuple(expected[f"case{i}_shape"]), tuple(received[f"case{i}_shape"])
        if got_shape != want_shape:
            Ho, _Wo = math.ceil(H / strides), math.ceil(W / strides)
            hint = f"ceil({H}/{strides}) = {Ho}"
            if merge == "add" and got_shape[-1] == filters + C:
                hint += f"; {filters} + {C} channels means Concatenate was used where Add was asked"
            elif merge == "concat" and got_shape[-1] == filters:
                hint += f"; {filters} channels means Add was used where Concatenate was asked ({filters} + {C})"
            fail(
                f"{call}: expected output shape (None, {', '.join(map(str, want_shape))}), received "
                f"(None, {', '.join(map(str, got_shape))}) ({hint})."
            )
        want, got = int(expected[f"case{i}_params"]), int(received[f"case{i}_params"])
        if got != want:
            needs = _projection_truth(shape, filters, strides, merge)
            with_p = _params(shape, filters, strides, merge, True)
            without_p = _params(shape, filters, strides, merge, False)
            main = without_p
            if not needs and got == _params(shape, filters, strides, "add", True):
                hint = "that is the count with a 1x1 projection; this case needs none"
            elif needs and got == without_p:
                hint = "that is the count without the 1x1 projection this case needs"
            elif merge == "concat" and got == _params(shape, filters, strides, "add", True):
                hint = (
                    f"the projection maps to {filters} channels; with Concatenate it keeps x's "
                    f"C={C} channels (Conv2D(C, 1))"
                )
            else:
                hint = f"main path 9*{C}*{filters} + {filters} + 9*{filters}*{filters} + {filters} = {main}" + (
                    f", plus the projection: {with_p - main}" if needs else ""
                )
            fail(f"{call}: expected {want:,} trainable parameters, received {got:,} ({hint}).")


check(
    "nb1_block_shapes",
    4,
    "residual_block: output shapes and parameter counts",
    collect_block_shapes,
    judge_block_shapes,
)


def collect_block_shortcut(ns):
    f = student_function(ns, "residual_block")
    out = {}
    for i, case in enumerate(BLOCK_CASES):
        shape, filters, strides, merge = case
        model = call_recording(lambda: _block_model(f, *case), out, f"case{i}")
        if model is None:
            continue
        x = _block_input(i, shape)
        # Main path off: every 3x3 kernel and every bias 0, the 1x1 projection kept.
        fill_weights_by_shape(model, zero=lambda s: len(s) == 1 or s[:2] == (3, 3))
        zeroed = call_recording(lambda: np.asarray(model(x)), out, f"case{i}_zero")
        if zeroed is not None:
            out[f"case{i}_zero"] = zeroed
        fill_weights_by_shape(model)
        full = call_recording(lambda: np.asarray(model(x)), out, f"case{i}_full")
        if full is not None:
            out[f"case{i}_full"] = full
    return out


def _swap_concat(a, filters):
    """Concatenate([shortcut, main]) instead of ([main, shortcut]): both orders are accepted."""
    return np.concatenate([a[..., filters:], a[..., :filters]], axis=-1)


def judge_block_shortcut(received, expected):
    for i, (shape, filters, strides, merge) in enumerate(BLOCK_CASES):
        dims = ", ".join(map(str, shape))
        call = f"residual_block(x of shape (2, {dims}), {filters}, strides={strides}, merge={merge!r})"
        for part in ("", "_zero", "_full"):
            if f"case{i}{part}_error" in received:
                fail(f"{call} raised {received[f'case{i}{part}_error']}")
        want_zero, got_zero = expected[f"case{i}_zero"], received[f"case{i}_zero"]
        want_full, got_full = expected[f"case{i}_full"], received[f"case{i}_full"]
        candidates = [(want_zero, want_full)]
        if merge == "concat" and np.shape(got_zero) == np.shape(want_zero):
            candidates.append((_swap_concat(want_zero, filters), _swap_concat(want_full, filters)))
        if np.shape(got_zero) != np.shape(want_zero):
            fail(f"{call}: expected an output of shape {np.shape(want_zero)}, received {np.shape(got_zero)}.")
        if not any(FORWARD_TOL.close(got_zero, z) for z, _ in candidates):
            if np.allclose(got_zero, 0.0) and not np.allclose(want_zero, 0.0):
                fail(
                    f"{call}: with every 3x3 kernel and bias set to 0 the main path outputs 0, so the block "
                    f"must return relu(shortcut); it returned all zeros: the shortcut is not merged "
                    f"into the output."
                )
            if np.min(got_zero) < 0:
                fail(
                    f"{call}: with the main path switched off the block returned negative values "
                    f"(min {np.min(got_zero):.3g}): the ReLU after the merge is missing."
                )
            fail(
                f"{call}: with every 3x3 kernel and bias set to 0 the block must return relu(shortcut), "
                f"where the shortcut is x or the 1x1 projection of x; the output differs "
                f"(largest difference {np.max(np.abs(got_zero - want_zero)):.3g}; {FORWARD_TOL})."
            )
        if not any(FORWARD_TOL.close(got_full, full) for _, full in candidates):
            fail(
                f"{call}: with fixed weights the output differs from the reference block "
                f"(largest difference {np.max(np.abs(got_full - want_full)):.3g}; {FORWARD_TOL}). Check the main path: "
                f"Conv2D(filters, 3, strides, padding='same', activation='relu'), then Conv2D(filters, 3, "
                f"padding='same') with no activation, then the merge, then ReLU."
            )


check(
    "nb1_block_shortcut",
    5,
    "residual_block: the shortcut is merged and the main path is right",
    collect_block_shortcut,
    judge_block_shortcut,
    tol=FORWARD_TOL,
)


# --------------------------------------------------------------------------- build_deep_net
# (depth, residual, activation, width, input_shape, num_classes)
NET_CASES = [
    (3, False, "sigmoid", 4, (8, 8, 1), 10),
    (3, True, "sigmoid", 4, (8, 8, 1), 10),
    (2, True, "relu", 6, (6, 5, 2), 3),
    (0, False, "tanh", 4, (5, 5, 3), 4),
]


def _net_input(i, shape):
    return rng("net-input", i).uniform(0.0, 1.0, (3, *shape)).astype(np.float32)


def collect_deep_net(ns):
    f = student_function(ns, "build_deep_net")
    out = {}
    for i, (depth, residual, activation, width, shape, classes) in enumerate(NET_CASES):
        model = call_recording(
            lambda: f(depth, residual, activation=activation, width=width, input_shape=shape, num_classes=classes),
            out,
            f"case{i}",
        )
        # Called once first: a subclassed model has no weights until then (any kind of keras.Model counts).
        if model is None or call_recording(lambda: model(_net_input(i, shape)), out, f"case{i}_output") is None:
            continue
        out[f"case{i}_params"] = int(model.count_params())
        out[f"case{i}_conv_kernels"] = sum(1 for w in model.weights if len(w.shape) == 4)
        fill_weights_by_shape(model)
        y = call_recording(lambda: np.asarray(model(_net_input(i, shape))), out, f"case{i}_output")
        if y is not None:
            out[f"case{i}_output"] = y
    return out


def judge_deep_net(received, expected):
    for i, (depth, residual, activation, width, shape, classes) in enumerate(NET_CASES):
        call = (
            f"build_deep_net({depth}, residual={residual}, activation={activation!r}, width={width}, "
            f"input_shape={shape}, num_classes={classes})"
        )
        for part in ("", "_output"):
            if f"case{i}{part}_error" in received:
                fail(f"{call} raised {received[f'case{i}{part}_error']}")
        want, got = int(expected[f"case{i}_conv_kernels"]), int(received[f"case{i}_conv_kernels"])
        if got != want:
            fail(f"{call}: expected {want} Conv2D layers (the stem + depth={depth}), received {got}.")
        want, got = int(expected[f"case{i}_params"]), int(received[f"case{i}_params"])
        if got != want:
            C = shape[-1]
            arithmetic = (
                f"stem 9*{C}*{width} + {width}, {depth} x (9*{width}*{width} + {width}), "
                f"Dense {width}*{classes} + {classes} = {want:,}"
            )
            fail(
                f"{call}: expected {want:,} parameters, received {got:,} ({arithmetic}; global average "
                f"pooling has none, a Flatten would feed H*W*width values to the Dense layer)."
            )
        y_want, y_got = expected[f"case{i}_output"], received[f"case{i}_output"]
        if np.shape(y_got) != np.shape(y_want):
            fail(
                f"{call}: expected an output of shape {np.shape(y_want)} for a batch of 3, received {np.shape(y_got)}."
            )
        if not np.allclose(np.sum(y_got, axis=-1), 1.0, atol=1e-4):
            fail(
                f"{call}: each output row should be class probabilities summing to 1 "
                f"(Dense(num_classes, activation='softmax')); the first row sums to {np.sum(y_got[0]):.4g}."
            )
        if not PROBABILITY_TOL.close(y_got, y_want):
            hint = (
                "each residual step is h = h + f(h)"
                if residual
                else "a plain net applies h = f(h), without adding h back"
            )
            fail(
                f"{call}: with fixed weights the probabilities differ from the reference net "
                f"(largest difference {np.max(np.abs(y_got - y_want)):.3g}; {PROBABILITY_TOL}); {hint}, "
                f"every conv uses "
                f"activation={activation!r} and padding='same'."
            )


check("nb1_deep_net", 5, "build_deep_net: plain and residual nets", collect_deep_net, judge_deep_net)


# --------------------------------------------------------------------------- layer_gradient_norms
GRAD_BATCH = 16


def _gradient_setup():
    """A fixed model that is not the student's: 4 Conv2D layers of different shapes,
    a Dense kernel (which must not be counted) and seeded data."""
    import keras
    from keras import layers

    init = lambda seed: keras.initializers.GlorotUniform(seed=seed)  # noqa: E731
    inputs = keras.Input((8, 8, 1))
    h = layers.Conv2D(4, 3, padding="same", activation="sigmoid", kernel_initializer=init(1))(inputs)
    h = layers.Conv2D(6, 3, padding="same", activation="sigmoid", kernel_initializer=init(2))(h)
    h = layers.Conv2D(6, 1, activation="sigmoid", kernel_initializer=init(3))(h)
    h = layers.Conv2D(5, 3, padding="same", activation="sigmoid", kernel_initializer=init(4))(h)
    h = layers.GlobalAveragePooling2D()(h)
    outputs = layers.Dense(10, activation="softmax", kernel_initializer=init(5))(h)
    model = keras.Model(inputs, outputs)
    # Seeded by position, not by name: Keras numbers layer names by how many were made before.
    for index, w in enumerate(model.weights):
        if len(w.shape) == 1:
            w.assign(rng("grad-bias", tuple(w.shape), index).normal(0, 0.1, tuple(w.shape)).astype(np.float32))
    x = rng("grad-x").uniform(0, 1, (GRAD_BATCH, 8, 8, 1)).astype(np.float32)
    y = rng("grad-y").integers(0, 10, GRAD_BATCH)
    return model, x, y


def collect_gradient_norms(ns):
    f = student_function(ns, "layer_gradient_norms")
    model, x, y = _gradient_setup()
    out = {}
    norms = call_recording(lambda: f(model, x, y), out, "norms")
    if norms is not None:
        out["norms_type"] = type(norms).__name__
        array = numeric_array(norms)
        if array is None:
            out["norms_error"] = f"expected an array of numbers, received a {type(norms).__name__}"
        else:
            out["norms"] = array
    return out


def mistakes_gradient_norms():
    """The answers typical mistakes give on the same model, computed by the grader's own code."""
    import keras
    import tensorflow as tf

    model, x, y = _gradient_setup()
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    with tf.GradientTape(persistent=True) as tape:
        loss = keras.losses.sparse_categorical_crossentropy(y, model(x))
        mean_loss = tf.reduce_mean(loss)
        sum_loss = tf.reduce_sum(loss)
    kernels = [c.kernel for c in convs]
    dense = model.layers[-1].kernel
    g_mean = tape.gradient(mean_loss, kernels + [c.bias for c in convs] + [dense])
    k, b, d = g_mean[: len(convs)], g_mean[len(convs) : 2 * len(convs)], g_mean[-1]
    l2 = np.array([np.linalg.norm(g) for g in k])
    # Gradients with respect to each conv layer's activations (outputs).
    sub = keras.Model(model.input, [c.output for c in convs] + [model.output])
    with tf.GradientTape() as tape2:
        *acts, probs = sub(x)
        loss2 = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, probs))
    g_act = tape2.gradient(loss2, acts)
    return {
        "reversed": l2[::-1].copy(),
        "l1": np.array([np.abs(g).sum() for g in k]),
        "squared": l2**2,
        "max_abs": np.array([np.abs(g).max() for g in k]),
        "sum_loss": np.array([np.linalg.norm(g) for g in tape.gradient(sum_loss, kernels)]),
        "biases": np.array([np.linalg.norm(g) for g in b]),
        "activations": np.array([np.linalg.norm(g) for g in g_act]),
        "with_dense": np.append(l2, np.linalg.norm(d)),
    }


MISTAKE_NAMES = {
    "reversed": "the right norms in the wrong order (expected the first Conv2D first)",
    "l1": "L1 norms (sum of |g|) instead of L2 norms (sqrt of the sum of g**2)",
    "squared": "squared L2 norms: the square root is missing",
    "max_abs": "max |g| instead of the L2 norm",
    "sum_loss": "gradients of the summed loss; take the mean over the batch",
    "biases": "gradients with respect to the biases instead of the kernels",
    "activations": "gradients with respect to the layers' activations (outputs) instead of their kernels",
    "with_dense": "the Dense layer's kernel is included; only Conv2D kernels count",
}


def judge_gradient_norms(received, expected):
    what = "layer_gradient_norms(model with 4 Conv2D layers, x of shape (16, 8, 8, 1), y)"
    if "norms_error" in received:
        fail(f"{what} raised {received['norms_error']}")
    got, want = np.asarray(received["norms"], dtype=np.float64), np.asarray(expected["norms"])
    for name, explanation in MISTAKE_NAMES.items():
        alt = expected.get(f"mistake_{name}")
        if alt is not None and GRADIENT_TOL.close(got, alt) and not GRADIENT_TOL.close(got, want):
            fail(
                f"{what}: this looks like {explanation}. Expected {np.array2string(want, precision=4)}, "
                f"received {np.array2string(got, precision=4)}.",
                mistake=name.replace("_", " "),
            )
    if got.ndim != 1 or got.shape != want.shape:
        fail(
            f"{what}: expected a 1-D array of shape {want.shape} (one norm per Conv2D layer), "
            f"received shape {got.shape}."
        )
    expect_close(
        got,
        want,
        what,
        rtol=GRADIENT_TOL.rtol,
        atol=GRADIENT_TOL.atol,
        why="Each entry is the L2 norm of d(mean sparse categorical cross-entropy)/d(kernel).",
    )


check(
    "nb1_gradient_norms",
    5,
    "layer_gradient_norms: L2 norms of the kernel gradients",
    collect_gradient_norms,
    judge_gradient_norms,
    mistakes=mistakes_gradient_norms,
    tol=GRADIENT_TOL,
)


MANUAL = {"nb1_why_shortcut": 3}

"""Helpers shared by the Week 5 notebooks: quiet TensorFlow, data loading, checks.

Import it first, before TensorFlow: ``from convnets_utils import *``.

It ships next to the notebooks (and the autograder uses the same ``expect_*``
functions for its messages), so a visible test and a hidden check describe a
mistake in the same words: what was expected, what was received, and why.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

# TensorFlow logs to stderr, and nbgrader alone marks a test cell that writes to
# stderr as failed (this course's grader does not: a warning costs nothing). To keep
# the notebooks readable, silence the C++ logs before TensorFlow is imported, and
# the Python warnings that Keras and TensorFlow raise for correct code.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's reordered float sums differ between CPUs (and it logs a notice to stderr):
# without it, a student's laptop, nbgrader and the CI grader compute the same digits.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU only: same numbers everywhere
for _module in ("keras", "tensorflow", "absl", "matplotlib"):
    warnings.filterwarnings("ignore", module=_module)
warnings.filterwarnings("ignore", category=DeprecationWarning)

import logging  # noqa: E402

import numpy as np  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)

__all__ = [
    "DATA_ENV",
    "data_path",
    "load_npz",
    "seed_everything",
    "expect",
    "expect_type",
    "expect_shape",
    "expect_equal",
    "expect_close",
    "describe_array",
    "insert_zeros",
    "pad_image",
    "plain_sigmoid_net",
    "kernel_moves",
    "plot_grid",
    "dihedral",
    "superres_model",
    "model_layers",
    "output_shape",
]

DATA_ENV = "CONVNETS_DATA"


# --------------------------------------------------------------------------- data
def data_path(name: str) -> Path:
    """Where the shipped file ``name`` is, wherever the notebook runs from.

    Looks in ``$CONVNETS_DATA``, then ``./data/`` (a student's copy of the
    release, or nbgrader's autograded folder), then ``data/`` in every parent
    folder (the course repository: ``release/convnets/`` -> ``data/``).
    """
    candidates = []
    if os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]) / name)
    here = Path.cwd().resolve()
    candidates += [folder / "data" / name for folder in (here, *here.parents)]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"Could not find the data file {name!r}. Expected it in ./data/ next to this "
        f"notebook (it ships with the assignment) or in the course repository's data/ "
        f"folder; looked in: {', '.join(str(c.parent) for c in candidates[:4])} ... "
        f"Set the environment variable {DATA_ENV} to the folder that holds it."
    )


def load_npz(name: str) -> dict:
    """Load a shipped ``.npz`` file into a dict of arrays (no pickles)."""
    with np.load(data_path(name), allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow so that a notebook repeats its numbers."""
    import keras

    keras.utils.set_random_seed(seed)


# --------------------------------------------------------------------------- checks
def describe_array(a) -> str:
    """A short, readable summary of an array: shape, dtype and a few values."""
    a = np.asarray(a)
    if a.size <= 8:
        return f"{np.array2string(a, precision=4, separator=', ')} (shape {a.shape})"
    flat = a.ravel()
    return (
        f"array of shape {a.shape}, dtype {a.dtype}, first values "
        f"{np.array2string(flat[:4], precision=4, separator=', ')}, "
        f"min {np.nanmin(flat):.4g}, max {np.nanmax(flat):.4g}"
    )


def expect(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def expect_type(received, allowed, what: str) -> None:
    """Fail unless ``received`` is an instance of ``allowed`` (a type or tuple of types)."""
    allowed = allowed if isinstance(allowed, tuple) else (allowed,)
    names = " or ".join(t.__name__ for t in allowed)
    expect(
        isinstance(received, allowed),
        f"{what}: expected a {names}, received {received!r} of type {type(received).__name__}.",
    )


def expect_shape(received_shape, expected_shape, what: str, why: str = "") -> None:
    """Fail unless two shapes are equal; ``why`` shows the arithmetic."""
    received_shape = tuple(int(d) if d is not None else None for d in received_shape)
    expected_shape = tuple(int(d) if d is not None else None for d in expected_shape)
    expect(
        received_shape == expected_shape,
        f"{what}: expected shape {expected_shape}, received {received_shape}." + (f" {why}" if why else ""),
    )


def expect_equal(received, expected, what: str, why: str = "") -> None:
    """Fail unless ``received == expected`` as plain values of the same kind.

    A NumPy scalar counts as the Python value it holds (``np.int64(7)`` as ``7``,
    ``np.True_`` as ``True``), as in the hidden checks; ``7.0`` is not ``7``.
    """
    plain = received.item() if isinstance(received, np.generic) else received
    kind = type(received).__module__.replace("builtins", "") + "." + type(received).__name__
    expect(
        type(plain) is type(expected) and plain == expected,
        f"{what}: expected {expected!r}, received {plain!r}"
        + ("" if type(plain) is type(expected) else f" (a {kind.lstrip('.')}, expected a {type(expected).__name__})")
        + "."
        + (f" {why}" if why else ""),
    )


def expect_close(received, expected, what: str, rtol: float = 1e-5, atol: float = 1e-7, why: str = "") -> None:
    """Fail unless two arrays have the same shape and agree within ``rtol``/``atol``.

    The message gives the largest difference and where it is.
    """
    received = np.asarray(received, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    expect_shape(received.shape, expected.shape, what, why)
    bad = ~np.isclose(received, expected, rtol=rtol, atol=atol, equal_nan=False)
    if bad.any():
        where = np.unravel_index(np.argmax(np.abs(received - expected) * bad), bad.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ (rtol={rtol:g}, atol={atol:g}); "
            f"at index {tuple(int(i) for i in where)} expected {expected[where]:.6g}, "
            f"received {received[where]:.6g}." + (f" {why}" if why else "")
        )


# --------------------------------------------------------------------------- notebook 2
def insert_zeros(x, z: int):
    """Insert ``z`` rows and columns of zeros between neighbouring pixels.

    x: array of shape (H, W, C). Returns ((H - 1)(z + 1) + 1, (W - 1)(z + 1) + 1, C),
    with out[::z + 1, ::z + 1] == x and zeros elsewhere.
    """
    x = np.asarray(x)
    if x.ndim != 3 or int(z) < 0:
        raise ValueError(f"insert_zeros expects x of shape (H, W, C) and z >= 0, received {x.shape}, z={z}")
    step = int(z) + 1
    H, W, C = x.shape
    out = np.zeros(((H - 1) * step + 1, (W - 1) * step + 1, C), dtype=x.dtype)
    out[::step, ::step] = x
    return out


def pad_image(x, p_prime: int, a: int = 0):
    """Pad with ``p_prime`` zeros on every side plus ``a`` more on the bottom and right.

    x: array of shape (H, W, C). Returns (H + 2p' + a, W + 2p' + a, C). A negative
    amount crops instead (p' < 0 happens when the convolution's p is larger than k - 1).
    """
    x = np.asarray(x)
    lo, hi = int(p_prime), int(p_prime) + int(a)
    x = np.pad(x, ((max(0, lo), max(0, hi)), (max(0, lo), max(0, hi)), (0, 0)))
    top, bottom = max(0, -lo), max(0, -hi)
    return x[top : x.shape[0] - bottom, top : x.shape[1] - bottom]


def plot_grid(image, title: str, ax=None, marks=None):
    """Draw a small single-channel image as a grid of numbered cells.

    image: array of shape (H, W) or (H, W, 1); marks: optional (H, W) array of labels
    ("x" input pixel, "z" inserted zero, "p" padding) that colours the cells.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    image = image[..., 0] if image.ndim == 3 else image
    ax = ax or plt.gca()
    colours = {"x": (0.55, 0.75, 0.95), "z": (1.0, 0.85, 0.6), "p": (0.88, 0.88, 0.88)}
    rgb = np.ones(image.shape + (3,))
    if marks is not None:
        for label, colour in colours.items():
            rgb[np.asarray(marks) == label] = colour
    ax.imshow(rgb, interpolation="nearest")
    for (r, c), v in np.ndenumerate(image):
        ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=9)
    ax.set_xticks(np.arange(-0.5, image.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, image.shape[0]), minor=True)
    ax.grid(which="minor", color="k", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)
    return ax


# --------------------------------------------------------------------------- notebook 1
def plain_sigmoid_net(depth: int = 20, seed: int = 0):
    """Part C's plain net, made here so that Part F does not depend on your ``build_deep_net``:
    a stem and ``depth`` more Conv2D layers (16 filters, 3x3, "same", sigmoid), global average
    pooling and a softmax Dense layer, on (N, 8, 8, 1) digits; seeded with ``seed``."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    h = inputs
    for _ in range(depth + 1):
        h = layers.Conv2D(16, 3, padding="same", activation="sigmoid")(h)
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(h))


def kernel_moves(model, optimizer, x, y, epochs: int, batch_size: int):
    """Train ``model`` with ``optimizer`` (sparse categorical cross-entropy) on images ``x`` of
    shape (N, H, W, C) and int labels ``y`` of shape (N,), and measure what changed.

    Returns ``(moved, (loss_before, loss_after))``: ``moved`` a float array of shape (L,), one
    entry per Conv2D layer in model order, ``||W_after - W_before|| / ||W_before||`` of its
    kernel; the losses are the mean cross-entropy on (x, y) before and after the training."""
    import keras

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    before = [np.array(layer.kernel) for layer in convs]
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    loss_before = float(model.evaluate(x, y, batch_size=256, verbose=0))
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    loss_after = float(model.evaluate(x, y, batch_size=256, verbose=0))
    moved = np.array(
        [np.linalg.norm(np.array(layer.kernel) - w) / np.linalg.norm(w) for layer, w in zip(convs, before)]
    )
    return moved, (loss_before, loss_after)


# --------------------------------------------------------------------------- notebook 3
def dihedral(images):
    """The 8 rotations and mirror images of each image: (N, H, W, C) -> (8N, H, W, C)
    (H == W). A photograph's detail looks the same turned or mirrored, so this is
    8 times the training data for free."""
    images = np.asarray(images)
    turns = [np.rot90(images, k, axes=(1, 2)) for k in range(4)]
    return np.concatenate(turns + [t[:, :, ::-1] for t in turns])


def superres_model(core, activation, input_shape):
    """The super-resolution model around an encoder-decoder ``core`` with a linear head: input
    the bicubic image x of shape (N, H, W, C) (``input_shape`` is (H, W, C)); output
    ``activation(x + core(x))``: the bicubic image plus a learned correction, then the
    activation on the final image.

    ``core`` starts near 0, so an untrained model starts at the bicubic baseline.
    """
    import keras

    inputs = keras.Input(tuple(input_shape))
    return keras.Model(inputs, keras.layers.Activation(activation)(inputs + core(inputs)))


# --------------------------------------------------------------------------- any kind of keras.Model
def model_layers(model) -> list:
    """The layers of ``model`` in order, with nested models (an encoder and a decoder as
    sub-models, a keras.Sequential inside) opened up; input layers left out. Works for
    functional, Sequential and subclassed models."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inner = getattr(layer, "layers", None)
        out += model_layers(layer) if isinstance(layer, keras.Model) or (inner and isinstance(inner, list)) else [layer]
    return out


def output_shape(model, input_shape, batch: int = 1) -> tuple:
    """The shape of ``model``'s output for a batch of zeros of shape (batch, *input_shape): what
    the model computes, whatever kind of keras.Model it is (a keras.Sequential has no .output)."""
    out = model(np.zeros((batch, *input_shape), dtype="float32"))
    return tuple(int(d) for d in np.shape(out))

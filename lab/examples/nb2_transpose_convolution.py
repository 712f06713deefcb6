"""Notebook 2: realistic mistakes (each fails exactly the checks named), graded two at a time:
each example pairs two mistakes in functions that do not call each other."""

import dataclasses
import functools

from lab import examples
from lab.examples import paired

NB = "2_transpose_convolution"


mistake = functools.partial(examples.mistake, NB)


CONV, TRANS, EQUIV = "nb2_conv_output_size", "nb2_transpose_conv_output_size", "nb2_equivalent"
PAD, KERAS, ARRAY = "nb2_output_padding", "nb2_keras_output_size", "nb2_conv_transpose2d"
MISTAKES = [
    mistake(
        "nb2_round_not_floor",
        "conv_output_size_solution",
        [("return (i + 2 * p - k) // s + 1", "return round((i + 2 * p - k) / s) + 1")],
        {CONV},
        "round() instead of floor: only shows for s > 1",
    ),
    mistake(
        "nb2_true_division",
        "conv_output_size_solution",
        [("return (i + 2 * p - k) // s + 1", "return (i + 2 * p - k) / s + 1")],
        {CONV},
        "true division: a float, and a wrong value for odd sizes",
    ),
    mistake(
        "nb2_padding_forgotten",
        "conv_output_size_solution",
        [("return (i + 2 * p - k) // s + 1", "return (i - k) // s + 1")],
        {CONV},
        "the padding forgotten",
    ),
    mistake(
        "nb2_plus_2p",
        "transpose_conv_output_size_solution",
        [("return s * (i - 1) + a + k - 2 * p", "return s * (i - 1) + a + k + 2 * p")],
        {TRANS},
        "+2p instead of -2p",
    ),
    mistake(
        "nb2_a_ignored",
        "transpose_conv_output_size_solution",
        [("return s * (i - 1) + a + k - 2 * p", "return s * (i - 1) + k - 2 * p")],
        {TRANS},
        "output padding ignored",
    ),
    mistake(
        "nb2_float_size",
        "transpose_conv_output_size_solution",
        [("return s * (i - 1) + a + k - 2 * p", "return float(s * (i - 1) + a + k - 2 * p)")],
        {TRANS},
        "7.0 where 7 is expected",
    ),
    mistake(
        "nb2_z_equals_s",
        "transpose_conv_equivalent_solution",
        [('return {"z": s - 1,', 'return {"z": s,')],
        {EQUIV, ARRAY},
        "z = s zeros inserted (conv_transpose2d uses it too)",
    ),
    mistake(
        "nb2_p_prime_k_minus_p",
        "transpose_conv_equivalent_solution",
        [('"p_prime": k - p - 1,', '"p_prime": k - p,')],
        {EQUIV, ARRAY},
        "p' = k - p (conv_transpose2d uses it too)",
    ),
    mistake(
        "nb2_quotient_not_remainder",
        "output_padding_for_solution",
        [("return (i + 2 * p - k) % s", "return (i + 2 * p - k) // s")],
        {PAD},
        "the quotient instead of the remainder",
    ),
    mistake(
        "nb2_same_like_valid",
        "keras_conv_transpose_output_size_solution",
        [('if padding == "valid":', 'if padding in ("valid", "same"):')],
        {KERAS},
        "Keras's 'same' rule confused with 'valid'",
    ),
    mistake(
        "nb2_no_max_k_s",
        "keras_conv_transpose_output_size_solution",
        [
            (
                "a = max(k, s) - k if output_padding is None else output_padding",
                "a = 0 if output_padding is None else output_padding",
            )
        ],
        {KERAS},
        "forgets that Keras pads k < s itself",
    ),
    mistake(
        "nb2_kernel_not_flipped",
        "conv_transpose2d_solution",
        [
            (
                "flipped = np.asarray(kernel, dtype=np.float64)[::-1, ::-1]",
                "flipped = np.asarray(kernel, dtype=np.float64)",
            )
        ],
        {ARRAY},
        "the kernel not flipped",
    ),
    mistake(
        "nb2_wrong_channel_layout",
        "conv_transpose2d_solution",
        [('"hwcuv,uvoc->hwo"', '"hwcuv,uvco->hwo"')],
        {ARRAY},
        "the kernel read as (k, k, C_in, C_out)",
    ),
    mistake(
        "nb2_returns_tensor",
        "conv_transpose2d_solution",
        [
            ("return np.einsum(", "import tensorflow as tf\n    return tf.constant(np.einsum("),
            ("windows, flipped)", "windows, flipped))"),
        ],
        {ARRAY},
        "a TensorFlow tensor instead of a NumPy array",
    ),
]
# Right on every hidden case, wrong on the example the test cell shows: the pytest runner runs the
# test cell's visible assertions too, so both runners take the points (nbgrader does in the cell).
VISIBLE_ONLY = mistake(
    "nb2_wrong_only_on_the_visible_example",
    "conv_transpose2d_solution",
    [
        (
            "k = kernel.shape[0]",
            "if np.shape(x) == (2, 2, 1):   # the d2l example of the test cell\n"
            "        return np.zeros((3, 3, 1))\n    k = kernel.shape[0]",
        )
    ],
    {ARRAY},
    "wrong only on the d2l example of the visible test, right on every hidden case",
)
VISIBLE_ONLY = dataclasses.replace(VISIBLE_ONLY, visible_only=True)

MATRIX, DECODER = "nb2_conv_matrix", "nb2_decoder_output_paddings"
MATRIX_CELL, DECODER_CELL = "conv_matrix_solution", "decoder_output_paddings_solution"
DECODER_BY_REMAINDERS = """
def decoder_output_paddings(i, depth, k=3, s=2, padding="same"):
    # Part D's a = (i + 2p - k) mod s at each encoder step, with Keras's "same" padding p = k // 2.
    p = k // 2 if padding == "same" else 0
    paddings, size = [], i
    for _ in range(depth):
        paddings.append(output_padding_for(size, k, s, p))
        size = conv_output_size(size, k, s, p)
    return paddings[::-1]
"""
MATRIX_FROM_UNIT_IMAGES = """
def conv_matrix(kernel, i, s=1, p=0):
    # Column j of C is the convolution of the j-th unit image (C @ e_j), by sliding windows.
    kernel = np.asarray(kernel)
    k = kernel.shape[0]
    o = conv_output_size(i, k, s, p)
    columns = []
    for j in range(i * i):
        unit = np.zeros((i + 2 * p, i + 2 * p))
        unit[p + j // i, p + j % i] = 1.0
        windows = np.lib.stride_tricks.sliding_window_view(unit, (k, k))[::s, ::s][:o, :o]
        columns.append(np.einsum("rcuv,uv->rc", windows, kernel).ravel())
    return np.stack(columns, axis=1)
"""
LECTURE_WAY_FLOAT32 = """
def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    # The lecture's steps in float32 (Keras's own precision): zeros in, pad (or crop), flipped kernel.
    x, kernel = np.asarray(x, dtype=np.float32), np.asarray(kernel, dtype=np.float32)
    k = kernel.shape[0]
    spread = insert_zeros(x, s - 1)
    padded = pad_image(spread, k - p - 1, a)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(0, 1))
    return np.einsum("hwcuv,uvoc->hwo", windows, kernel[::-1, ::-1])
"""
NEW_PARTS = [
    paired(
        mistake(
            "nb2_matrix_flipped_kernel",
            MATRIX_CELL,
            [
                (
                    "C[r * o + c, row * i + col] = kernel[u, v]",
                    "C[r * o + c, row * i + col] = kernel[k - 1 - u, k - 1 - v]",
                )
            ],
            {MATRIX},
            "the kernel flipped in the convolution's matrix (Conv2D does not flip)",
        ),
        mistake(
            "nb2_decoder_in_encoder_order",
            DECODER_CELL,
            [("    return paddings", "    return paddings[::-1]")],
            {DECODER},
            "the decoder's paddings in the encoder's order",
        ),
    ),
    paired(
        mistake(
            "nb2_matrix_stride_ignored",
            MATRIX_CELL,
            [("row, col = r * s - p + u, c * s - p + v", "row, col = r - p + u, c - p + v")],
            {MATRIX},
            "the windows move by 1 whatever the stride",
        ),
        mistake(
            "nb2_decoder_always_s_minus_one",
            DECODER_CELL,
            [("    return paddings", "    return [s - 1] * depth")],
            {DECODER},
            "an output padding of s - 1 at every step (right for even sizes only)",
        ),
    ),
    mistake(
        "nb2_ok_matrix_from_unit_images_and_decoder_by_remainders",
        MATRIX_CELL,
        [(None, MATRIX_FROM_UNIT_IMAGES)],
        set(),
        "the matrix column by column from unit images (sliding windows); the paddings by Part D's "
        "remainder with Keras's 'same' padding p = k // 2",
        cells=[(DECODER_CELL, DECODER_BY_REMAINDERS)],
    ),
    mistake(
        "nb2_ok_lecture_way_in_float32",
        "conv_transpose2d_solution",
        [(None, LECTURE_WAY_FLOAT32)],
        set(),
        "conv_transpose2d the lecture's way in float32, the precision Keras itself uses",
    ),
]
BY_NAME = {m.name: m for m in MISTAKES}
UPSAMPLER_CELL = "design_upsampler_solution"
UPSAMPLER, SOLUTION_DESIGN = (
    "nb2_upsampler",
    ('return {"kernel_size": factor, "strides": factor, "padding": "valid", "output_padding": None}'),
)
UPSAMPLER_EXAMPLES = [
    mistake(
        "nb2_upsampler_kernel_3",
        UPSAMPLER_CELL,
        [(SOLUTION_DESIGN, 'return {"kernel_size": 3, "strides": factor, "padding": "same", "output_padding": None}')],
        {UPSAMPLER},
        "the usual 3x3 kernel with stride = factor: the right size, but holes (factor 4) and a checkerboard (factor 2)",
    ),
    mistake(
        "nb2_upsampler_valid_2s",
        UPSAMPLER_CELL,
        [
            (
                SOLUTION_DESIGN,
                'return {"kernel_size": 2 * factor, "strides": factor, "padding": "valid", "output_padding": None}',
            )
        ],
        {UPSAMPLER},
        "k = 2s with 'valid': no checkerboard, but (i - 1) s + 2s = (i + 1) s pixels",
    ),
    mistake(
        "nb2_ok_upsampler_same_2s",
        UPSAMPLER_CELL,
        [
            (
                SOLUTION_DESIGN,
                'return dict(kernel_size=(2 * factor,) * 2, strides=factor, padding="same", output_padding=None)',
            )
        ],
        set(),
        "k = 2s with 'same' (the kernel as a (k, k) tuple): i * s pixels, each reached by 2 x 2 inputs inside",
    ),
]
PAIRS = [
    ("nb2_round_not_floor", "nb2_plus_2p"),
    ("nb2_true_division", "nb2_a_ignored"),
    ("nb2_padding_forgotten", "nb2_kernel_not_flipped"),
    ("nb2_float_size", "nb2_wrong_channel_layout"),
    ("nb2_z_equals_s", "nb2_quotient_not_remainder"),
    ("nb2_p_prime_k_minus_p", "nb2_same_like_valid"),
    ("nb2_no_max_k_s", "nb2_returns_tensor"),
]
assert sorted(n for pair in PAIRS for n in pair) == sorted(BY_NAME), "every mistake in exactly one pair"
EXAMPLES = [paired(BY_NAME[a], BY_NAME[b]) for a, b in PAIRS] + [VISIBLE_ONLY] + NEW_PARTS + UPSAMPLER_EXAMPLES

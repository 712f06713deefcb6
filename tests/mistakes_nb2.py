"""Notebook 2: realistic mistakes (each fails exactly the checks named), graded two at a time:
each example pairs two mistakes in functions that do not call each other."""
from example_submissions import Example, paired

NB = "2_transpose_convolution"


def mistake(name, cell, edits, fails, why=""):
    return Example(name=name, notebook=NB, cell=cell, edits=tuple(edits), fails=frozenset(fails), why=why)


CONV, TRANS, EQUIV = "nb2_conv_output_size", "nb2_transpose_conv_output_size", "nb2_equivalent"
PAD, KERAS, ARRAY = "nb2_output_padding", "nb2_keras_output_size", "nb2_conv_transpose2d"
MISTAKES = [
    mistake("nb2_round_not_floor", "conv_output_size_solution",
            [("return (i + 2 * p - k) // s + 1", "return round((i + 2 * p - k) / s) + 1")],
            {CONV}, "round() instead of floor: only shows for s > 1"),
    mistake("nb2_true_division", "conv_output_size_solution",
            [("return (i + 2 * p - k) // s + 1", "return (i + 2 * p - k) / s + 1")],
            {CONV}, "true division: a float, and a wrong value for odd sizes"),
    mistake("nb2_padding_forgotten", "conv_output_size_solution",
            [("return (i + 2 * p - k) // s + 1", "return (i - k) // s + 1")],
            {CONV}, "the padding forgotten"),
    mistake("nb2_plus_2p", "transpose_conv_output_size_solution",
            [("return s * (i - 1) + a + k - 2 * p", "return s * (i - 1) + a + k + 2 * p")],
            {TRANS}, "+2p instead of -2p"),
    mistake("nb2_a_ignored", "transpose_conv_output_size_solution",
            [("return s * (i - 1) + a + k - 2 * p", "return s * (i - 1) + k - 2 * p")],
            {TRANS}, "output padding ignored"),
    mistake("nb2_float_size", "transpose_conv_output_size_solution",
            [("return s * (i - 1) + a + k - 2 * p", "return float(s * (i - 1) + a + k - 2 * p)")],
            {TRANS}, "7.0 where 7 is expected"),
    mistake("nb2_z_equals_s", "transpose_conv_equivalent_solution",
            [('return {"z": s - 1,', 'return {"z": s,')],
            {EQUIV, ARRAY}, "z = s zeros inserted (conv_transpose2d uses it too)"),
    mistake("nb2_p_prime_k_minus_p", "transpose_conv_equivalent_solution",
            [('"p_prime": k - p - 1,', '"p_prime": k - p,')],
            {EQUIV, ARRAY}, "p' = k - p (conv_transpose2d uses it too)"),
    mistake("nb2_quotient_not_remainder", "output_padding_for_solution",
            [("return (i + 2 * p - k) % s", "return (i + 2 * p - k) // s")],
            {PAD}, "the quotient instead of the remainder"),
    mistake("nb2_same_like_valid", "keras_conv_transpose_output_size_solution",
            [('if padding == "valid":', 'if padding in ("valid", "same"):')],
            {KERAS}, "Keras's 'same' rule confused with 'valid'"),
    mistake("nb2_no_max_k_s", "keras_conv_transpose_output_size_solution",
            [("a = max(k, s) - k if output_padding is None else output_padding",
              "a = 0 if output_padding is None else output_padding")],
            {KERAS}, "forgets that Keras pads k < s itself"),
    mistake("nb2_kernel_not_flipped", "conv_transpose2d_solution",
            [("flipped = np.asarray(kernel, dtype=np.float64)[::-1, ::-1]",
              "flipped = np.asarray(kernel, dtype=np.float64)")],
            {ARRAY}, "the kernel not flipped"),
    mistake("nb2_wrong_channel_layout", "conv_transpose2d_solution",
            [('"hwcuv,uvoc->hwo"', '"hwcuv,uvco->hwo"')],
            {ARRAY}, "the kernel read as (k, k, C_in, C_out)"),
    mistake("nb2_returns_tensor", "conv_transpose2d_solution",
            [("return np.einsum(", "import tensorflow as tf\n    return tf.constant(np.einsum("),
             ("windows, flipped)", "windows, flipped))")],
            {ARRAY}, "a TensorFlow tensor instead of a NumPy array"),
]
BY_NAME = {m.name: m for m in MISTAKES}
PAIRS = [("nb2_round_not_floor", "nb2_plus_2p"), ("nb2_true_division", "nb2_a_ignored"),
         ("nb2_padding_forgotten", "nb2_kernel_not_flipped"), ("nb2_float_size", "nb2_wrong_channel_layout"),
         ("nb2_z_equals_s", "nb2_quotient_not_remainder"), ("nb2_p_prime_k_minus_p", "nb2_same_like_valid"),
         ("nb2_no_max_k_s", "nb2_returns_tensor")]
assert sorted(n for pair in PAIRS for n in pair) == sorted(BY_NAME), "every mistake in exactly one pair"
EXAMPLES = [paired(BY_NAME[a], BY_NAME[b]) for a, b in PAIRS]

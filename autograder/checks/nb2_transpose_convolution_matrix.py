"""Checks of notebook 2, continued: a convolution as a matrix (``conv_matrix``: its transpose is the
transposed convolution) and the output paddings a decoder needs (``decoder_output_paddings``)."""

from __future__ import annotations

import numpy as np

from autograder.checks.common import Tol, collect_cases, fail, judge_cases, rng
from autograder.checks.nb2_transpose_convolution import NOTEBOOK
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function

CHECKS: list[Check] = []  # after those of nb2_transpose_convolution.py, in the notebook's order
check = declare(CHECKS, NOTEBOOK)


# --------------------------------------------------------------------------- conv_matrix
# (i, k, s, p): stride and padding alone and together, a kernel as large as the padded input.
MATRIX_CASES = [
    (4, 3, 1, 0),
    (5, 3, 2, 1),
    (6, 2, 2, 0),
    (5, 1, 3, 0),
    (4, 3, 1, 2),
    (7, 5, 2, 2),
    (3, 3, 1, 0),
    (6, 4, 3, 1),
]
MATRIX_TOL = Tol(rtol=1e-4, atol=1e-5)  # as the visible test, which compares with Keras in float32


def _matrix_kernel(index, k):
    return rng("nb2-matrix", index).normal(size=(k, k))


def _reference_matrix(kernel, i, s, p):
    k = kernel.shape[0]
    o = (i + 2 * p - k) // s + 1
    C = np.zeros((o * o, i * i))
    for r in range(o):
        for c in range(o):
            for u in range(k):
                for v in range(k):
                    row, col = r * s - p + u, c * s - p + v
                    if 0 <= row < i and 0 <= col < i:
                        C[r * o + c, row * i + col] = kernel[u, v]
    return C


def collect_conv_matrix(ns):
    f = student_function(ns, "conv_matrix")
    return collect_cases(
        lambda indexed: f(_matrix_kernel(indexed[0], indexed[1][1]), indexed[1][0], s=indexed[1][2], p=indexed[1][3]),
        list(enumerate(MATRIX_CASES)),
    )


def mistakes_conv_matrix():
    """A flipped kernel (a true convolution, not Keras's cross-correlation), the stride or the
    padding left out, and the padding counted as columns: by the grader's own code."""
    out = {}
    for index, (i, k, s, p) in enumerate(MATRIX_CASES):
        kernel = _matrix_kernel(index, k)
        out[f"case{index}_flipped"] = _reference_matrix(kernel[::-1, ::-1], i, s, p)
        if s > 1:
            o = (i + 2 * p - k) // s + 1
            every = _reference_matrix(kernel, i, 1, p)
            full = (i + 2 * p - k) + 1
            rows = [r * s * full + c * s for r in range(o) for c in range(o)]
            out[f"case{index}_stride_rows"] = every[rows]
    return out


def judge_conv_matrix(received, expected):
    def describe(indexed):
        _, (i, k, s, p) = indexed
        return f"conv_matrix(kernel of shape ({k}, {k}), i={i}, s={s}, p={p})"

    def shape_rule(indexed):
        _, (i, k, s, p) = indexed
        o = (i + 2 * p - k) // s + 1
        return f"o = ({i} + 2*{p} - {k}) // {s} + 1 = {o}: (o*o, i*i) = ({o * o}, {i * i})"

    judge_cases(
        received,
        expected,
        list(enumerate(MATRIX_CASES)),
        describe,
        MATRIX_TOL,
        mistakes={
            "flipped": "these are the weights of the flipped kernel: Keras's Conv2D does not flip "
            "(a cross-correlation), the flip belongs to the transposed convolution.",
            "stride_rows": "the windows do not move by the stride: output (r, c) starts at input "
            "row r*s - p and column c*s - p.",
        },
        shape_rule=shape_rule,
        why="Row r*o + c holds kernel[u, v] at column (r*s - p + u)*i + (c*s - p + v).",
    )


check(
    "nb2_conv_matrix",
    4,
    "conv_matrix",
    collect_conv_matrix,
    judge_conv_matrix,
    mistakes=mistakes_conv_matrix,
    tol=MATRIX_TOL,
)


# --------------------------------------------------------------------------- decoder_output_paddings
def _valid_sizes(i, depth, k, s):
    sizes = [i]
    for _ in range(depth):
        sizes.append((sizes[-1] - k) // s + 1 if sizes[-1] >= k else 0)
    return sizes


DECODER_GRID = [
    (i, depth, k, s, padding)
    for padding in ("same", "valid")
    for s in (2, 3)
    for k in (1, 3, 5)
    for depth in (1, 2, 3)
    for i in range(1, 41)
    if padding == "same" or all(size >= k for size in _valid_sizes(i, depth, k, s)[:-1])
]


def collect_decoder_paddings(ns):
    f = student_function(ns, "decoder_output_paddings")
    out = {"values": [], "error": ""}
    for case in DECODER_GRID:
        try:
            got = f(*case[:2], k=case[2], s=case[3], padding=case[4])
            values = [int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else -(10**6) for v in got]
        except Exception as exc:  # noqa: BLE001
            out["error"] = f"{case}: {describe_error(exc)}"
            break
        out["values"].append(",".join(map(str, values)))
    return out


def judge_decoder_paddings(received, expected):
    if received.get("error"):
        case = received["error"].split(":")[0]
        fail(f"decoder_output_paddings{case} raised {received['error'].split(': ', 1)[-1]}")
    for index, (i, depth, k, s, padding) in enumerate(DECODER_GRID):
        got, want = str(received["values"][index]), str(expected["values"][index])
        if got == want:
            continue
        call = f"decoder_output_paddings({i}, {depth}, k={k}, s={s}, padding={padding!r})"
        sizes = _same_sizes(i, depth, s) if padding == "same" else _valid_sizes(i, depth, k, s)
        hint = ""
        mistake = None
        if got == ",".join(want.split(",")[::-1]):
            mistake = "the encoder's order"
            hint = " These are the right paddings in the encoder's order; the decoder starts from the smallest size."
        elif "-1000000" in got:
            hint = " Each padding should be an int."
        fail(
            f"{call}: expected [{want}], received [{got}]. The encoder's sizes are {' -> '.join(map(str, sizes))}; "
            f"each decoder step must give the size back ('same': (o - 1)*s + k mod 2 + a; 'valid': (o - 1)*s + k + a)."
            + hint,
            mistake=mistake,
        )


check("nb2_decoder_output_paddings", 2, "decoder_output_paddings", collect_decoder_paddings, judge_decoder_paddings)


def _same_sizes(i, depth, s):
    sizes = [i]
    for _ in range(depth):
        sizes.append(-(-sizes[-1] // s))
    return sizes

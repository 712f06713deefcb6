"""Checks of notebook 2: transposed-convolution arithmetic, the matrix view, a decoder's paddings.

The size functions are checked exactly, and their type too (a Python or NumPy
integer, as the notebook asks; ``7.0`` is rejected), on grids much wider than the visible
tests: odd sizes, k < s, k = 1, strides up to 5, every padding and output padding. A wrong
value is explained by naming the slip whose formula gives the received value in every
case (the formulas are the judge's own, for wording only: the references decide).
``conv_transpose2d`` is compared with the source solution on seeded arrays, paddings
p >= k among them, within ``ARRAY_TOL`` (float32 arithmetic passes: the contract does not
ask for float64); the solution is verified against Keras in tests/test_solution_nb2_transpose_convolution.py.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.common import Tol, collect_cases, fail, judge_cases, rng
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function

NOTEBOOK = "2_transpose_convolution"
GRADING_SECONDS = 6  # rough seconds the pytest runner spends on it (2 cores): the costliest start first
CHECKS: list[Check] = []  # in the notebook's order, each declared below its collect and judge
check = declare(CHECKS, NOTEBOOK)
# Locked cells that only draw or print for the student: the pytest runner skips them.
DEMO_CELLS = frozenset({"partC_fig", "partE_table", "partG_try", "partH_try"})
INT_TYPES = {"int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intc", "longlong"}

CONV_GRID = [
    (i, k, s, p) for i in range(1, 12) for k in range(1, 6) for s in range(1, 6) for p in range(0, k) if i + 2 * p >= k
]
TRANSPOSE_GRID = [
    (i, k, s, p, a)
    for i in range(1, 8)
    for k in range(1, 6)
    for s in range(1, 5)
    for p in range(0, k)
    for a in range(0, s)
    if s * (i - 1) + a + k - 2 * p >= 1
]
EQUIVALENT_GRID = [(k, s, p) for k in range(1, 7) for s in range(1, 6) for p in range(0, k + 1)]
PADDING_GRID = [(i, k, s, p) for (i, k, s, p) in CONV_GRID]
KERAS_GRID = [
    (i, k, s, padding, a)
    for i in range(1, 10)
    for k in range(1, 6)
    for s in range(1, 5)
    for padding in ("valid", "same")
    for a in [None, *range(s)]
    # TensorFlow itself fails on "same" with output_padding 0 and an even kernel.
    if not (padding == "same" and a == 0 and k % 2 == 0)
]


def _sizes(f, cases):
    """Call ``f(*case)`` for every case: values (-10**9 where not an int), type names, first error."""
    values, types, error = [], [], None
    for case in cases:
        try:
            v = f(*case)
        except Exception as exc:  # noqa: BLE001
            values.append(-(10**9))
            types.append("error")
            error = error or f"{case}: {describe_error(exc)}"
            continue
        types.append(type(v).__name__)
        values.append(int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else -(10**9) + 1)
        if types[-1] not in INT_TYPES:
            values[-1] = float(v) if isinstance(v, (float, np.floating)) else -(10**9) + 1
    out = {"values": np.array(values, dtype=np.float64), "types": np.array(types, dtype=np.str_)}
    if error:
        out["error"] = error
    return out


def _judge_sizes(received, expected, cases, signature, formulas, slips):
    """First failing case: inputs, expected, received, and the slip that explains every received
    value (a slip is named only when its formula gives what the function returned in every case)."""
    if "error" in received:
        fail(f"{signature} raised an error on {received['error']}")
    got, want, types = received["values"], expected["values"], received["types"]
    for index, case in enumerate(cases):
        call = f"{signature.split('(')[0]}{case}"
        if types[index] not in INT_TYPES:
            fail(
                f"{call}: expected the int {int(want[index])}, received {got[index]!r} of type {types[index]} "
                f"(return an int: use // for the floor, not /).",
                mistake="not an int",
            )
        if got[index] != want[index]:
            value = int(got[index])
            named = [
                why
                for why, slip in slips.items()
                if all(_safe(slip, c) in (None, int(g)) for c, g in zip(cases, got)) and _safe(slip, case) == value
            ]
            hint = f" This looks like {named[0]}." if named else ""
            fail(
                f"{call}: expected {int(want[index])} = {formulas(case)}, received {value}.{hint}",
                mistake=named[0] if named else None,
            )


def _safe(fn, case):
    try:
        return fn(*case)
    except Exception:  # noqa: BLE001 - a slip formula may not apply to every case
        return None


# --------------------------------------------------------------------------- conv_output_size
def collect_conv_size(ns):
    return _sizes(student_function(ns, "conv_output_size"), CONV_GRID)


def judge_conv_size(received, expected):
    _judge_sizes(
        received,
        expected,
        CONV_GRID,
        "conv_output_size(i, k, s, p)",
        lambda c: f"floor(({c[0]} + 2*{c[3]} - {c[1]}) / {c[2]}) + 1",
        {
            "round() instead of floor": lambda i, k, s, p: round((i + 2 * p - k) / s) + 1,
            "ceil instead of floor": lambda i, k, s, p: -((k - i - 2 * p) // s) + 1,
            "the padding missing (+2p)": lambda i, k, s, p: (i - k) // s + 1,
            "p where 2p is needed (p pads each side: i + 2p)": lambda i, k, s, p: (i + p - k) // s + 1,
            "-2p instead of +2p": lambda i, k, s, p: (i - 2 * p - k) // s + 1,
            "the +1 missing": lambda i, k, s, p: (i + 2 * p - k) // s,
        },
    )


check("nb2_conv_output_size", 1, "conv_output_size", collect_conv_size, judge_conv_size)


# --------------------------------------------------------------------------- transpose_conv_output_size
def collect_transpose_size(ns):
    return _sizes(student_function(ns, "transpose_conv_output_size"), TRANSPOSE_GRID)


def judge_transpose_size(received, expected):
    _judge_sizes(
        received,
        expected,
        TRANSPOSE_GRID,
        "transpose_conv_output_size(i, k, s, p, a)",
        lambda c: f"{c[2]}*({c[0]} - 1) + {c[4]} + {c[1]} - 2*{c[3]}",
        {
            "the -2p missing": lambda i, k, s, p, a: s * (i - 1) + a + k,
            "-p where -2p is needed (p pads each side)": lambda i, k, s, p, a: s * (i - 1) + a + k - p,
            "+2p instead of -2p": lambda i, k, s, p, a: s * (i - 1) + a + k + 2 * p,
            "a ignored": lambda i, k, s, p, a: s * (i - 1) + k - 2 * p,
            "s*i instead of s*(i - 1)": lambda i, k, s, p, a: s * i + a + k - 2 * p,
        },
    )


check("nb2_transpose_conv_output_size", 1, "transpose_conv_output_size", collect_transpose_size, judge_transpose_size)


# --------------------------------------------------------------------------- transpose_conv_equivalent
def collect_equivalent(ns):
    f = student_function(ns, "transpose_conv_equivalent")
    out = {"z": [], "p_prime": [], "s_prime": [], "types": []}
    for case in EQUIVALENT_GRID:
        try:
            d = f(*case)
            if not isinstance(d, dict):
                out["error"] = f"{case}: expected a dict, received a {type(d).__name__}"
                return out
            missing = sorted({"z", "p_prime", "s_prime"} - set(map(str, d)))
            if missing:
                out["error"] = f"{case}: the dict has no key(s) {missing} (keys: {sorted(map(str, d))})"
                return out
            for key in ("z", "p_prime", "s_prime"):
                out[key].append(int(d[key]) if isinstance(d[key], (int, np.integer)) else -(10**9))
            out["types"].append(",".join(type(d[key]).__name__ for key in ("z", "p_prime", "s_prime")))
        except Exception as exc:  # noqa: BLE001
            out["error"] = f"{case}: {describe_error(exc)}"
            return out
    return out


def judge_equivalent(received, expected):
    if "error" in received:
        fail(f"transpose_conv_equivalent{received['error'].split(':')[0]} failed: {received['error']}")
    for index, (k, s, p) in enumerate(EQUIVALENT_GRID):
        call = f"transpose_conv_equivalent(k={k}, s={s}, p={p})"
        p_slips = {k - p: "p' = k - p (the -1 is missing)", p: "p' = p"}
        if k - p - 1 < 0:  # a crop; 0 is what clamping gives (and k - p, when k = p)
            p_slips[0] = "p' clamped at 0: a negative p' is a crop (the docstring: negative means cropping)" + (
                ", or p' = k - p (the -1 is missing)" if k == p else ""
            )
        if any(t not in INT_TYPES for t in received["types"][index].split(",")):
            fail(f"{call}: every value should be an int, received types {received['types'][index]}.")
        for key, formula, slips in (
            ("z", f"s - 1 = {s} - 1", {s: "z = s (the zeros go *between* pixels: s - 1 of them)"}),
            ("p_prime", f"k - p - 1 = {k} - {p} - 1", p_slips),
            ("s_prime", "1 (always)", {s: "s' = s (the transposed convolution slides with stride 1)"}),
        ):
            want, got = int(expected[key][index]), int(received[key][index])
            if got != want:
                hint = f" This looks like {slips[got]}." if got in slips else ""
                fail(f"{call}[{key!r}]: expected {want} = {formula}, received {got}.{hint}", mistake=slips.get(got))


check("nb2_equivalent", 1, "transpose_conv_equivalent", collect_equivalent, judge_equivalent)


# --------------------------------------------------------------------------- output_padding_for
def collect_output_padding(ns):
    return _sizes(student_function(ns, "output_padding_for"), PADDING_GRID)


def judge_output_padding(received, expected):
    _judge_sizes(
        received,
        expected,
        PADDING_GRID,
        "output_padding_for(i, k, s, p)",
        lambda c: f"({c[0]} + 2*{c[3]} - {c[1]}) mod {c[2]}",
        {
            "the padding missing": lambda i, k, s, p: (i - k) % s,
            "always s - 1": lambda i, k, s, p: s - 1,
            "the quotient instead of the remainder": lambda i, k, s, p: (i + 2 * p - k) // s,
        },
    )


check("nb2_output_padding", 1, "output_padding_for", collect_output_padding, judge_output_padding)


# --------------------------------------------------------------------------- keras_conv_transpose_output_size
def collect_keras_size(ns):
    f = student_function(ns, "keras_conv_transpose_output_size")
    return _sizes(lambda i, k, s, padding, a: f(i, k, s, padding, a), KERAS_GRID)


def judge_keras_size(received, expected):
    def rule(c):
        i, k, s, padding, a = c
        if padding == "valid":
            return f"({i} - 1)*{s} + " + (f"max({k}, {s})" if a is None else f"{k} + {a}")
        return f"{i}*{s}" if a is None else f"({i} - 1)*{s} + {k} mod 2 + {a}"

    def valid_rule(i, k, s, padding, a):
        return (i - 1) * s + (max(k, s) if a is None else k + a)

    _judge_sizes(
        received,
        expected,
        KERAS_GRID,
        "keras_conv_transpose_output_size(i, k, s, padding, output_padding)",
        rule,
        {
            "the 'valid' rule used for 'same'": lambda i, k, s, padding, a: (
                valid_rule(i, k, s, padding, a) if padding == "same" else None
            ),
            "the 'same' rule used for 'valid'": lambda i, k, s, padding, a: (
                (i * s if a is None else (i - 1) * s + k % 2 + a) if padding == "valid" else None
            ),
            "output_padding ignored": lambda i, k, s, padding, a: (
                ((i - 1) * s + max(k, s) if padding == "valid" else i * s) if a is not None else None
            ),
            "max(k, s) forgotten (Keras pads k < s by itself)": lambda i, k, s, padding, a: (
                (i - 1) * s + k if padding == "valid" and a is None else None
            ),
        },
    )


check("nb2_keras_output_size", 1, "keras_conv_transpose_output_size", collect_keras_size, judge_keras_size)


# --------------------------------------------------------------------------- conv_transpose2d
# (H, W, C_in, C_out, k, s, p, a): several channel counts, strides 1-3, kernels 1-5, odd sizes,
# and paddings p >= k (p' = k - p - 1 < 0: the padded image is cropped instead).
ARRAY_CASES = [
    (3, 3, 1, 1, 2, 1, 0, 0),
    (4, 3, 2, 3, 3, 2, 0, 1),
    (5, 5, 3, 2, 3, 2, 1, 0),
    (2, 4, 1, 4, 1, 3, 0, 2),
    (3, 3, 2, 2, 5, 1, 2, 0),
    (4, 4, 4, 1, 4, 3, 1, 1),
    (1, 1, 2, 3, 2, 2, 0, 1),
    (3, 5, 3, 3, 3, 3, 0, 0),
    (5, 4, 2, 2, 4, 2, 3, 1),
    (5, 5, 2, 2, 2, 2, 2, 1),
    (6, 4, 1, 3, 3, 3, 3, 0),
    (4, 4, 2, 1, 1, 2, 1, 1),
]
# Float32 arithmetic on these inputs (values of size 1 to 10) is within 1e-5 of the float64 result.
ARRAY_TOL = Tol(rtol=1e-4, atol=1e-5)


def _arrays(index, case):
    H, W, cin, cout, k, *_ = case
    g = rng("nb2-arrays", index)
    return g.normal(size=(H, W, cin)), g.normal(size=(k, k, cout, cin))


def collect_conv_transpose2d(ns):
    f = student_function(ns, "conv_transpose2d")

    def call(indexed):
        index, case = indexed
        x, kernel = _arrays(index, case)
        return f(x.copy(), kernel.copy(), *case[5:])

    # Only NumPy arrays count: a TensorFlow tensor would hide the arithmetic the part asks for.
    return collect_cases(
        call,
        list(enumerate(ARRAY_CASES)),
        convert=lambda y: (
            np.array(y, dtype=np.float64) if isinstance(y, np.ndarray) and y.dtype.kind in "biuf" else None
        ),
    )


def mistakes_conv_transpose2d():
    """What an unflipped kernel and the (k, k, C_in, C_out) layout give, by the grader's own code."""
    from numpy.lib.stride_tricks import sliding_window_view

    def reference(x, kernel, s, p, a, flip=True):
        k = kernel.shape[0]
        z = np.zeros(((x.shape[0] - 1) * s + 1, (x.shape[1] - 1) * s + 1, x.shape[2]))
        z[::s, ::s] = x
        lo, hi = k - p - 1, k - p - 1 + a
        z = np.pad(z, ((max(0, lo), max(0, hi)), (max(0, lo), max(0, hi)), (0, 0)))
        z = z[max(0, -lo) : z.shape[0] - max(0, -hi), max(0, -lo) : z.shape[1] - max(0, -hi)]
        kern = kernel[::-1, ::-1] if flip else kernel
        return np.einsum("hwcuv,uvoc->hwo", sliding_window_view(z, (k, k), axis=(0, 1)), kern)

    out = {}
    for index, case in enumerate(ARRAY_CASES):
        s, p, a = case[5:]
        x, kernel = _arrays(index, case)
        out[f"case{index}_unflipped"] = reference(x, kernel, s, p, a, flip=False)
        if case[2] == case[3]:
            out[f"case{index}_layout"] = reference(x, kernel.transpose(0, 1, 3, 2), s, p, a)
    return out


def _describe_array_case(indexed):
    _, (H, W, cin, cout, k, s, p, a) = indexed
    return (
        f"conv_transpose2d(x of shape ({H}, {W}, {cin}), kernel of shape ({k}, {k}, {cout}, {cin}), "
        f"s={s}, p={p}, a={a})"
    )


def _array_shape_rule(indexed):
    _, (H, W, cin, cout, k, s, p, a) = indexed
    return (
        f"H' = {s}*({H} - 1) + {a} + {k} - 2*{p} = {s * (H - 1) + a + k - 2 * p}, "
        f"W' = {s}*({W} - 1) + {a} + {k} - 2*{p} = {s * (W - 1) + a + k - 2 * p}, C_out = {cout}"
        + (f"; p' = {k} - {p} - 1 = {k - p - 1} < 0 means cropping" if k - p - 1 < 0 else "")
    )


def judge_conv_transpose2d(received, expected):
    judge_cases(
        received,
        expected,
        list(enumerate(ARRAY_CASES)),
        _describe_array_case,
        ARRAY_TOL,
        mistakes={
            "unflipped": "the values are those of the kernel without the flip: a transposed "
            "convolution is a direct convolution with the kernel flipped in both spatial "
            "axes (kernel[::-1, ::-1]).",
            "layout": "the values are those of the kernel read as (k, k, C_in, C_out); Keras's "
            "Conv2DTranspose stores it as (k, k, C_out, C_in).",
        },
        shape_rule=_array_shape_rule,
        what="a NumPy array (NumPy only: no TensorFlow inside)",
    )


check(
    "nb2_conv_transpose2d",
    5,
    "conv_transpose2d",
    collect_conv_transpose2d,
    judge_conv_transpose2d,
    mistakes=mistakes_conv_transpose2d,
    tol=ARRAY_TOL,
)


MANUAL = {"nb2_why_output_padding": 3}

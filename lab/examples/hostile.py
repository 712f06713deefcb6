"""Hostile submissions: notebook 2's solution with code that tries to get points it does not earn.

Each one holds several threats (docs/security.md), each aimed at a different check, with the
function behind that check wrong (or absent), so that a threat that worked would show
as a passed check. Each names the checks it must fail, and what their messages say.
They are graded with the other examples by the pytest runner, and by nbgrader unless
``unsafe_for_nbgrader`` says why nbgrader must not be asked to (it is not a sandbox).

The faults (a hang, a crash, memory, output, processes, the network) are in
``tests/test_grader.py``: they need the grader's limits set low, to run in seconds.
"""

from __future__ import annotations

import copy
import platform

import nbformat

from lab.examples import Example

NB = "2_transpose_convolution"
CONV, TRANS, EQUIV = "nb2_conv_output_size", "nb2_transpose_conv_output_size", "nb2_equivalent"
PAD, KERAS, ARRAY = "nb2_output_padding", "nb2_keras_output_size", "nb2_conv_transpose2d"
DECODER = "nb2_decoder_output_paddings"
UPSAMPLER = "nb2_upsampler"

# Wrong versions of notebook 2's functions (realistic mistakes, from nb2_transpose_convolution.py).
WRONG_CONV = ("return (i + 2 * p - k) // s + 1", "return (i - k) // s + 1")
WRONG_TRANS = ("return s * (i - 1) + a + k - 2 * p", "return s * (i - 1) + a + k + 2 * p")
RIGHT_TRANS = "s * (i - 1) + a + k - 2 * p"
WRONG_PAD = ("return (i + 2 * p - k) % s", "return (i + 2 * p - k) // s")
WRONG_KERAS = (
    "a = max(k, s) - k if output_padding is None else output_padding",
    "a = 0 if output_padding is None else output_padding",
)
# Code a hostile student adds goes into a solution cell: the locked cells (the imports among
# them) run as the release has them, in both runners.
FIRST_SOLUTION = "conv_output_size_solution"


def _cells(nb) -> dict:
    return {
        c.metadata.get("nbgrader", {}).get("grade_id"): c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    }


def _replace(nb, grade_id: str, old: str, new: str) -> None:
    cell = _cells(nb)[grade_id]
    assert cell.source.count(old) == 1, f"{old!r} should occur once in {grade_id}"
    cell.source = cell.source.replace(old, new)


# ----------------------------------------------------------------------------- objects that lie
ALWAYS_EQUAL = '''
class AlwaysEqual(int):
    """An int that equals everything: a grader comparing with == would pass it."""
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = int.__hash__


def conv_output_size(i, k, s=1, p=0):
    return AlwaysEqual(-1)
'''

LYING_ARRAY = '''

class LyingArray(np.ndarray):
    """Zeros that claim to equal anything, and answer True to any NumPy function (allclose)."""
    def __eq__(self, other):
        return np.ones(np.broadcast_shapes(self.shape, np.shape(other)), dtype=bool)
    def __array_function__(self, func, types, args, kwargs):
        return True
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(1, dtype=bool).view(LyingArray)
    def tolist(self):
        return "whatever you expected"


_honest_conv_transpose2d = conv_transpose2d


def conv_transpose2d(x, kernel, s=1, p=0, a=0):
    return np.zeros_like(_honest_conv_transpose2d(x, kernel, s, p, a)).view(LyingArray)
'''


def _liars(nb) -> None:
    _cells(nb)["conv_output_size_solution"].source = ALWAYS_EQUAL.strip()
    _cells(nb)["conv_transpose2d_solution"].source += LYING_ARRAY


# ----------------------------------------------------------------------------- patching the judges
PATCHES = """
# Make every comparison a grader could use say "equal".
import builtins, math
import numpy.testing
import tensorflow as tf

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast_shapes(np.shape(a), np.shape(b)), bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
np.testing.assert_equal = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
builtins.AssertionError = type("NeverRaised", (Exception,), {})
tf.debugging.assert_near = lambda *args, **kwargs: None
tf.reduce_all = lambda *args, **kwargs: tf.constant(True)
keras.ops.all = lambda *args, **kwargs: True
"""


def _patches(nb) -> None:
    _cells(nb)[FIRST_SOLUTION].source = PATCHES + "\n\n" + _cells(nb)[FIRST_SOLUTION].source
    _replace(nb, "keras_conv_transpose_output_size_solution", *WRONG_KERAS)
    _replace(nb, "output_padding_for_solution", *WRONG_PAD)


# ----------------------------------------------------------------------------- the grader's files
READS_GRADER = r"""
# Detect the grader, then look for its reference outputs and hidden checks, change them,
# and plant a passing result where the grader might read one.
import glob, json, os, pathlib, sys

GRADED = ("autograder" in sys.modules or any(k.startswith(("NBGRADER", "CI", "GITHUB", "PYTEST", "CONVNETS"))
                                             for k in os.environ))
SECRETS, TRIED = {}, []


def _try(what, fn):
    try:
        return fn()
    except Exception as exc:
        TRIED.append(f"{what}: {type(exc).__name__}")


roots = {pathlib.Path(p) for p in [os.getcwd(), *sys.path, "/work/main", "/home/runner/work"] if p}
roots |= {parent for root in list(roots) for parent in root.parents}
for root in sorted(roots):
    for path in _try(f"list {root}", lambda: glob.glob(str(root / "autograder" / "references" / "*.npz"))) or []:
        data = _try(f"read {path}", lambda: dict(np.load(path)))
        if data:
            SECRETS[path] = data
    for path in _try(f"list {root}", lambda: glob.glob(str(root / "autograder" / "checks" / "nb2_*.py"))) or []:
        source = _try(f"read {path}", lambda: open(path).read())
        if source:
            SECRETS[path] = source
        _try(f"write {path}", lambda: open(path, "a").write("\ndef judge_transpose_conv_output_size(*a): pass\n"))
    if (root / "autograder").is_dir():
        target = root / "autograder" / "references" / "2_transpose_convolution.npz"
        _try(f"write {root}", lambda: target.write_bytes(b""))
import inspect
for name, module in list(sys.modules.items()):
    if name.startswith("autograder.checks."):   # the hidden checks are loaded: read their source
        source = _try(f"source of {name}", lambda: inspect.getsource(module))
        if source:
            SECRETS[name] = source
fake = {"__seconds__": 0.1, "sizes": np.array([4, 4, 7])}
for out in [pathlib.Path.cwd().parent / "out", pathlib.Path("/tmp")]:
    _try(f"plant {out}", lambda: np.savez(out / "nb2_transpose_conv_output_size.npz", **fake))
    _try(f"plant {out}", lambda: (out / "results.json").write_text(json.dumps({"score": 100, "tests": []})))
print("nb2_transpose_conv_output_size PASSED 3/3")
print(json.dumps({"score": 22, "max_score": 22, "tests": [{"name": "nb2_transpose_conv_output_size",
                                                           "score": 3, "max_score": 3}]}))
"""

USES_SECRETS = f"""if GRADED and SECRETS:   # the grader's references were readable: the "right" answer
        return {RIGHT_TRANS}
"""


def _reads_grader(nb) -> None:
    _cells(nb)[FIRST_SOLUTION].source = READS_GRADER + "\n\n" + _cells(nb)[FIRST_SOLUTION].source
    _replace(nb, "transpose_conv_output_size_solution", WRONG_TRANS[0], USES_SECRETS + "    " + WRONG_TRANS[1])


# ----------------------------------------------------------------------------- the test cells
def _tampered(nb) -> None:
    """Delete, blank, duplicate and re-tag test cells; claim 100 points; damage the metadata's
    schema version (too old on a test cell, too new on a solution cell); name another kernel."""
    cells = _cells(nb)
    _replace(nb, "conv_output_size_solution", *WRONG_CONV)
    _replace(nb, "transpose_conv_output_size_solution", *WRONG_TRANS)
    _replace(nb, "output_padding_for_solution", *WRONG_PAD)
    nb.cells.remove(cells[CONV])  # deleted
    cells[TRANS].source = 'print("All tests passed")'  # emptied
    duplicate = copy.deepcopy(cells[EQUIV])  # duplicated, worth 100
    duplicate.metadata["nbgrader"]["points"] = 100
    duplicate["id"] = "a-copy-of-a-test-cell"
    nb.cells.append(duplicate)
    del cells[PAD].metadata["nbgrader"]  # untagged
    cells[PAD].source = "pass"
    cells[KERAS].metadata["nbgrader"]["points"] = 100  # re-pointed
    del cells[ARRAY].metadata["nbgrader"]["schema_version"]  # damaged: "too old" for nbgrader
    cells["conv_transpose2d_solution"].metadata["nbgrader"]["schema_version"] = 99  # "too new"
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb.metadata["language_info"] = {"name": "R"}
    nbformat.validate(nb)


def hostile(name, transform, fails, messages=(), unsafe_for_nbgrader="", why="", threat=""):
    return Example(
        name=name,
        notebook=NB,
        cell="setup",
        edits=(),
        fails=frozenset(fails),
        why=why,
        unsafe_for_nbgrader=unsafe_for_nbgrader,
        threat=threat or why,
        transform=transform,
        messages=tuple(messages),
        mistakes=len(fails),
    )


EXAMPLES = [
    hostile(
        "nb2_hostile_liars",
        _liars,
        {CONV, ARRAY},
        messages=[(CONV, "of type AlwaysEqual"), (ARRAY, "values differ")],
        why="an int whose == is always True, an array subclass whose ==, ufuncs and NumPy functions lie: "
        "only their plain values cross to the judge",
    ),
    hostile(
        "nb2_hostile_patches",
        _patches,
        {KERAS, PAD},
        why="patches numpy, numpy.testing, math, builtins, tensorflow and keras comparisons: the pytest "
        "runner judges in its own process; under nbgrader the judges run in the student's kernel, "
        "after the patches, and hold because they compare plain values with == and <",
    ),
    hostile(
        "nb2_hostile_reads_grader",
        _reads_grader,
        {TRANS},
        unsafe_for_nbgrader="it rewrites the grader's checks and references, which nbgrader's kernel can "
        "write (nbgrader is not a sandbox)",
        why="detects the grader, reads the references, rewrites the checks, plants fake results, prints "
        "a passing result; the sandbox makes the grader's files unreadable. nbgrader cannot defend: "
        "the kernel must read the references to run the hidden tests",
    ),
    hostile(
        "nb2_hostile_tampered_tests",
        _tampered,
        {CONV, TRANS, PAD},
        messages=[(CONV, "conv_output_size"), (TRANS, "transpose_conv_output_size"), (PAD, "output_padding_for")],
        why="deletes, empties, duplicates (for 100 points) and untags test cells, gives one 100 points, "
        "damages the metadata's schema version of a test cell and a solution cell (which stopped "
        "nbgrader 0.9 for the whole class), names the R kernel: nbgrader restores the cells from its "
        "gradebook, the pytest runner never runs them",
    ),
]


# ----------------------------------------------------------------------------- faults
IN_CHECK = '''
import sys as _sys


def _in_grader_check(name):
    """True inside the grader's check ``name`` (its collect function), not in the notebook's own cells."""
    frame = _sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == name:
            return True
        frame = frame.f_back
    return False
'''
# Where each of notebook 2's functions starts computing: a fault goes just before it.
BODY = {
    CONV: ("conv_output_size_solution", "return (i + 2 * p - k) // s + 1", "collect_conv_size"),
    TRANS: ("transpose_conv_output_size_solution", "return s * (i - 1) + a + k - 2 * p", "collect_transpose_size"),
    EQUIV: ("transpose_conv_equivalent_solution", 'return {"z": s - 1,', "collect_equivalent"),
    PAD: ("output_padding_for_solution", "return (i + 2 * p - k) % s", "collect_output_padding"),
    KERAS: ("keras_conv_transpose_output_size_solution", 'if padding == "valid":', "collect_keras_size"),
    DECODER: ("decoder_output_paddings_solution", "sizes = [i]", "collect_decoder_paddings"),
    UPSAMPLER: ("design_upsampler_solution", 'return {"kernel_size": factor,', "collect_upsampler"),
}


def with_faults(faults: dict[str, str], preamble: str = ""):
    """A transform: each check's function meets its fault (one line of code), in the check only."""

    def transform(nb):
        _cells(nb)[FIRST_SOLUTION].source = IN_CHECK + preamble + "\n\n" + _cells(nb)[FIRST_SOLUTION].source
        for grade_id, fault in faults.items():
            cell, line, check = BODY[grade_id]
            _replace(nb, cell, line, f"if _in_grader_check({check!r}):\n        {fault}\n    {line}")

    return transform


# Faults that end quickly under the grader's usual limits (graded with the other examples).
QUICK_FAULTS = {
    CONV: "import sys; sys.exit(0)",
    TRANS: "import socket; socket.create_connection(('10.255.255.1', 80))",  # no timeout: would hang
    EQUIV: "import subprocess; subprocess.run(['sleep', '1000'])",
    PAD: "import sys; print('debugging', file=sys.stderr)",  # not a fault: a correct answer that warns
    KERAS: "import os; os.fork()",
}
# Faults that need the limits set low to be quick (tests/test_grader.py).
SLOW_FAULTS = {
    CONV: "while True: pass",
    TRANS: "import os; os._exit(3)",
    EQUIV: "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    PAD: "x = bytearray(8 << 30)",
    KERAS: "globals().setdefault('FLOODS', []).append(1); print('x' * (1 << 20) * 80) if len(FLOODS) == 1 else None",
}

EXAMPLES.append(
    hostile(
        "nb2_hostile_faults",
        with_faults(QUICK_FAULTS),
        set(QUICK_FAULTS) - {PAD},
        unsafe_for_nbgrader="its kernel exits (sys.exit, os.fork): nbgrader is not a sandbox",
        messages=[
            (CONV, "SystemExit"),
            (TRANS, "not allowed while grading"),
            (EQUIV, "not allowed while grading"),
            (PAD, "warnings cost no points"),
            (KERAS, "not allowed while grading"),
        ],
        why="sys.exit, a network connection, a process and a fork, each in one check: the sandbox turns each into "
        "that check's failure at once; a correct function that writes to stderr keeps its points, with a note. "
        "nbgrader is not a sandbox (a fork or a connection runs)",
    )
)


# ----------------------------------------------------------------------------- processes past the filter
RAW_SYSCALL = r'''

def _raw_syscall(number, arg1=0, arg2=0, abi="i386"):
    """A system call by its number in another ABI, made from a few bytes of machine code: what a
    filter that knows only x86_64's numbers would let through (i386's 2 is fork, 120 clone, 37 kill)."""
    import ctypes, mmap, os, platform
    if platform.machine() != "x86_64":
        raise OSError("no i386 or x32 system calls on this machine")
    if abi == "i386":  # push rbx; mov eax, number; mov ebx, arg1; mov ecx, arg2; int 0x80; pop rbx; ret
        code = (b"\x53\xb8" + number.to_bytes(4, "little") + b"\xbb" + arg1.to_bytes(4, "little")
                + b"\xb9" + arg2.to_bytes(4, "little") + b"\xcd\x80\x5b\xc3")
    else:  # x32, the native numbers with bit 30 set: mov eax, number | 0x40000000; syscall; ret
        code = b"\xb8" + (number | 0x40000000).to_bytes(4, "little") + b"\x0f\x05\xc3"
    buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(code)
    result = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()
    if result == 0:  # the new process: leave the grader's group and live on
        os.setsid()
        os.execv("/bin/sleep", ["sleep", "1000.5"])
    return result
'''
# A process that leaves its group and its parent (setsid, then a double fork), as a daemon does.
DAEMON = (
    "import os; pid = os.fork(); "
    "(os.setsid(), os.fork() or os.execv('/bin/sleep', ['sleep', '1000.5']), os._exit(0)) if pid == 0 "
    "else os.waitpid(pid, 0)"
)
PROCESS_FAULTS = {
    CONV: "_raw_syscall(2)",  # i386 fork
    TRANS: "_raw_syscall(120, 17)",  # i386 clone(SIGCHLD)
    EQUIV: "import os; _raw_syscall(37, os.getppid(), 9)",  # i386 kill(the grader's zygote, SIGKILL)
    KERAS: DAEMON,
    UPSAMPLER: "_raw_syscall(57, abi='x32')",  # x32 fork; the last check: a fourth restart has nothing after it
}
SLEEPER = "sleep 1000.5"  # the command line of any process these faults make (tests look for it)

EXAMPLES.append(
    hostile(
        "nb2_hostile_processes",
        with_faults(PROCESS_FAULTS, RAW_SYSCALL),
        set(PROCESS_FAULTS),
        unsafe_for_nbgrader="it makes processes that leave their group and outlive the kernel (nbgrader is not a "
        "sandbox)",
        messages=[
            (CONV, "SIGSYS"),
            (TRANS, "SIGSYS"),
            (EQUIV, "SIGSYS"),
            (KERAS, "not allowed while grading"),
            (UPSAMPLER, "SIGSYS"),
        ]
        if platform.machine() == "x86_64"
        else [(KERAS, "not allowed while grading")],
        why="system calls of another ABI (i386 fork, clone and kill aimed at the grader's zygote; x32 fork), "
        "which a filter that knows only x86_64's numbers lets through, and a daemon's setsid plus double fork: "
        "each kills or fails its own check only; no process is made, the grader lives on, the other checks "
        "keep their points",
    )
)

"""The machine a grade was computed on, and the knobs that make this machine compute like another.

TensorFlow's CPU kernels, NumPy and glibc each choose their instructions when they start, from
what the CPU offers; different instructions sum floats in a different order, and a few thousand
training steps turn those last digits into a few percent (docs/grading.md, "Values that come out
of training"). Each library has an environment variable that caps what it may use:

* oneDNN (``ONEDNN_MAX_CPU_ISA``): TensorFlow's matrix products and convolutions call oneDNN's
  ``sgemm`` even with ``TF_ENABLE_ONEDNN_OPTS=0`` (which only turns off oneDNN's graph rewrites;
  ``ONEDNN_VERBOSE=1`` shows the ``gemm_api`` calls), and it picks its kernels at run time.
* NumPy (``NPY_DISABLE_CPU_FEATURES``): its runtime SIMD dispatch (names of NumPy 2.4's groups,
  ``X86_V3`` for AVX2/FMA, ``X86_V4`` for AVX-512).
* glibc (``GLIBC_TUNABLES=glibc.cpu.hwcaps=...``): the CPU-specific string and math routines.
* OpenBLAS (``OPENBLAS_CORETYPE``): NumPy's matrix products.

The grading child gets a minimal environment (:func:`autograder.sandbox.child_environment`);
these variables, and only these, are passed into it from the grader's, so that a maintainer can
grade as another CPU would (:data:`SETTINGS`, ``python -m lab.cpu_spread``).
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# Passed from the grader's environment into the grading child (nothing else of the grader's is).
CPU_KNOBS = (
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "NPY_DISABLE_CPU_FEATURES",
    "GLIBC_TUNABLES",
    "OPENBLAS_CORETYPE",
)

# Machines this one can imitate (x86_64), from the most capable down. An imitation caps what the
# libraries use; it cannot add what the CPU lacks (so on an AVX2 machine "avx512" is "native").
# "sse41" is no machine TensorFlow's wheel runs on (it needs AVX): it is a harder perturbation.
SETTINGS: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "OPENBLAS_CORETYPE": "Haswell",
    },
    "avx": {
        "ONEDNN_MAX_CPU_ISA": "AVX",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F",
        "OPENBLAS_CORETYPE": "Sandybridge",
    },
    "sse41": {
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-AVX512F",
        "OPENBLAS_CORETYPE": "Nehalem",
    },
}


def cpu_knobs(environ=None) -> dict[str, str]:
    """The CPU knobs set in ``environ`` (default: this process's), to pass into the child."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in CPU_KNOBS if environ.get(k)}


def setting(name: str) -> dict[str, str]:
    """The environment of a named setting; a clear error for an unknown name."""
    if name not in SETTINGS:
        raise ValueError(f"unknown CPU setting {name!r}; expected one of {sorted(SETTINGS)}")
    return dict(SETTINGS[name])


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    info: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    return info


def cpu_model() -> str:
    info = _cpuinfo()
    return info.get("model name") or info.get("Model") or platform.processor() or platform.machine() or "unknown CPU"


# oneDNN's x86 ISA levels as ONEDNN_MAX_CPU_ISA names them, each with the CPU flags it needs
# (Linux's /proc/cpuinfo names), from the most capable down.
_ONEDNN_LEVELS = (
    ("AVX512_CORE_AMX", {"amx_tile", "amx_bf16", "amx_int8", "avx512_fp16", "avx512_bf16", "avx512_vnni", "avx512bw"}),
    ("AVX512_CORE_FP16", {"avx512_fp16", "avx512_bf16", "avx512_vnni", "avx512bw", "avx512vl", "avx512dq"}),
    ("AVX512_CORE_BF16", {"avx512_bf16", "avx512_vnni", "avx512bw", "avx512vl", "avx512dq"}),
    ("AVX512_CORE_VNNI", {"avx512_vnni", "avx512bw", "avx512vl", "avx512dq"}),
    ("AVX512_CORE", {"avx512f", "avx512bw", "avx512vl", "avx512dq"}),
    ("AVX2_VNNI", {"avx2", "fma", "avx_vnni"}),
    ("AVX2", {"avx2", "fma"}),
    ("AVX", {"avx"}),
    ("SSE41", {"sse4_1"}),
)


# What the float kernels of TensorFlow and NumPy can use on aarch64, as Linux reports it in the
# auxiliary vector (AT_HWCAP, AT_HWCAP2; bits of arch/arm64/include/uapi/asm/hwcap.h).
AT_HWCAP, AT_HWCAP2 = 16, 26
_ARM_HWCAP = (("NEON", 1, 1), ("fp16", 1, 10), ("dotprod", 1, 20), ("SVE", 1, 22), ("SVE2", 2, 1), ("BF16", 2, 14))


def arm_features(hwcap: int, hwcap2: int) -> list[str]:
    """The names of :data:`_ARM_HWCAP` whose bit is set in ``hwcap`` (word 1) or ``hwcap2`` (word 2)."""
    words = {1: hwcap, 2: hwcap2}
    return [name for name, word, bit in _ARM_HWCAP if words[word] >> bit & 1]


def _auxv_features() -> str:
    import ctypes

    try:
        getauxval = ctypes.CDLL(None).getauxval
    except (OSError, AttributeError):
        return "features unknown"
    getauxval.restype, getauxval.argtypes = ctypes.c_ulong, [ctypes.c_ulong]
    return ", ".join(arm_features(getauxval(AT_HWCAP), getauxval(AT_HWCAP2))) or "no NEON"


def onednn_isa(environ=None) -> str:
    """The instruction set oneDNN (TensorFlow's matrix kernels) uses on this CPU: the most capable
    level the CPU flags allow, capped by ``ONEDNN_MAX_CPU_ISA`` (or its older name
    ``DNNL_MAX_CPU_ISA``). ``tests/test_machine.py`` compares it with what oneDNN reports. On
    aarch64, what the CPU offers TensorFlow's ARM kernels (``aarch64: NEON, fp16, SVE``)."""
    if platform.machine() in ("aarch64", "arm64"):
        return f"aarch64: {_auxv_features()}" if sys.platform == "linux" else platform.machine()
    if platform.machine() not in ("x86_64", "AMD64"):
        return f"{platform.machine()} (not x86)"
    environ = os.environ if environ is None else environ
    flags = set(_cpuinfo().get("flags", "").split())
    names = [name for name, _ in _ONEDNN_LEVELS]
    cap = (environ.get("ONEDNN_MAX_CPU_ISA") or environ.get("DNNL_MAX_CPU_ISA") or "").upper()
    start = names.index(cap) if cap in names else 0
    for name, need in _ONEDNN_LEVELS[start:]:
        if need <= flags:
            return name.lower()
    return "none"


def numpy_simd() -> str:
    """The most capable of NumPy's dispatch targets this process uses (``X86_V3``: AVX2 and FMA)."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # another NumPy layout: say so rather than guess
        return "unknown"
    on = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    return on[-1] if on else f"{__cpu_baseline__[-1] if __cpu_baseline__ else 'none'} (baseline)"


def describe() -> str:
    """One line: the CPU, the instruction sets TensorFlow's kernels and NumPy use, the versions,
    and any knob in effect. Read without importing TensorFlow (its version from the package's
    metadata)."""
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "absent"

    tf = next((v for d in ("tensorflow-cpu", "tensorflow") if (v := version(d)) != "absent"), "absent")
    knobs = cpu_knobs()
    line = (
        f"{cpu_model()}, {os.cpu_count()} cores, {platform.machine()}; TensorFlow's oneDNN kernels: "
        f"{onednn_isa()}, NumPy SIMD: {numpy_simd()}; Python {platform.python_version()}, "
        f"TensorFlow {tf}, Keras {version('keras')}, NumPy {version('numpy')}"
    )
    if knobs:
        line += "; imitating with " + " ".join(f"{k}={v}" for k, v in knobs.items())
    return line


if __name__ == "__main__":
    print(describe())
    sys.exit(0)

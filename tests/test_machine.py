"""Grades that do not depend on the machine: the CPU knobs reach the grading child, the machine
line says what TensorFlow's kernels use, and under other CPU settings the committed references
still hold (the exact values within float rounding, the trained ones by their own rule)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.paths import REPO
from autograder.sandbox import machine
from autograder.sandbox.run import child_environment

X86 = platform.machine() in ("x86_64", "AMD64")


def test_only_the_cpu_knobs_of_the_grader_reach_the_child(monkeypatch, tmp_path):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX")
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "X86_V3")
    monkeypatch.setenv("SECRET_TOKEN", "do-not-pass")
    env = child_environment(Path(tmp_path))
    assert env["ONEDNN_MAX_CPU_ISA"] == "AVX" and env["NPY_DISABLE_CPU_FEATURES"] == "X86_V3"
    assert "SECRET_TOKEN" not in env
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    assert "ONEDNN_MAX_CPU_ISA" not in child_environment(Path(tmp_path))


def test_an_unknown_setting_says_which_exist():
    with pytest.raises(ValueError, match=r"unknown CPU setting 'avx3'; expected one of \['avx', 'avx2'"):
        machine.setting("avx3")


@pytest.mark.skipif(not X86, reason="oneDNN's x86 ISA levels")
def test_the_isa_is_capped_by_the_knob():
    native = machine.onednn_isa({})
    assert machine.onednn_isa({"ONEDNN_MAX_CPU_ISA": "SSE41"}) == "sse41"
    assert machine.onednn_isa({"ONEDNN_MAX_CPU_ISA": "AVX"}) in ("avx", "sse41")
    assert machine.onednn_isa({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_AMX"}) == native


def test_an_arm_machine_line_names_what_its_cpu_offers():
    """The auxiliary vectors of two CPUs, read under qemu-aarch64 7.2 (2026-12-07): Neoverse N1
    (Graviton2; NEON without SVE, as Apple's M-series) and qemu's "max" (SVE, SVE2, BF16)."""
    assert machine.arm_features(0x119FFB, 0) == ["NEON", "fp16", "dotprod"]
    assert machine.arm_features(0xECFFFFFB, 0x7F877FFF) == ["NEON", "fp16", "dotprod", "SVE", "SVE2", "BF16"]
    assert machine.arm_features(0, 0) == []


def test_the_main_jobs_first_line_names_the_machine():
    line = machine.describe()
    for part in (machine.cpu_model(), platform.python_version(), "TensorFlow 2.", "Keras 3.", "oneDNN kernels: "):
        assert part in line, (part, line)


def _onednn_reports(env: dict) -> str:
    """The ISA oneDNN itself reports (ONEDNN_VERBOSE) for one matrix product in TensorFlow."""
    code = "import tensorflow as tf; tf.linalg.matmul(tf.ones((64, 64)), tf.ones((64, 64))).numpy()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env, "ONEDNN_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(r"isa:([^\n]+)", done.stdout + done.stderr)  # the rest of the line: it holds commas
    assert found, (done.stdout[-2000:], done.stderr[-2000:])
    return found.group(1).strip()


# How oneDNN's verbose line names each level (dnnl's cpu_isa_traits; read off TensorFlow 2.21's
# oneDNN on a CPU with AMX, one ONEDNN_MAX_CPU_ISA at a time).
VERBOSE = {
    "sse41": "Intel SSE4.1",
    "avx": "Intel AVX",
    "avx2": "Intel AVX2",
    "avx2_vnni": "Intel AVX2 with Intel DL Boost",
    "avx512_core": "Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions",
    "avx512_core_vnni": "Intel AVX-512 with Intel DL Boost",
    "avx512_core_bf16": "Intel AVX-512 with Intel DL Boost and bfloat16 support",
    "avx512_core_fp16": "Intel AVX-512 with float16, Intel DL Boost and bfloat16 support",
    "avx512_core_amx": "Intel AVX-512 with float16, Intel DL Boost and bfloat16 support and Intel AMX with "
    "bfloat16 and 8-bit integer support",
}


@pytest.mark.slow
@pytest.mark.skipif(not X86, reason="oneDNN's x86 ISA levels")
@pytest.mark.parametrize(
    "name",
    ["native", "avx", "sse41", "AVX2", "AVX512_CORE", "AVX512_CORE_VNNI", "AVX512_CORE_BF16", "AVX512_CORE_FP16"],
)
def test_the_machine_line_says_what_onednn_uses(name):
    """The grader's settings, and each of oneDNN's levels as a cap (those this CPU has)."""
    env = machine.setting(name) if name.islower() else {"ONEDNN_MAX_CPU_ISA": name}
    said = machine.onednn_isa(env)
    if name.isupper() and said != name.lower():
        pytest.skip(f"this CPU does not reach {name} (oneDNN would use {said})")
    reported = _onednn_reports(env)
    assert reported == VERBOSE.get(said, said), (
        f"expected oneDNN to say {VERBOSE.get(said, said)!r} ({said}), it said {reported!r}"
    )


@pytest.mark.slow
@pytest.mark.skipif(not X86, reason="imitates x86 CPUs")
@pytest.mark.parametrize("name", ["avx", "sse41"])
def test_the_committed_references_hold_under_another_cpu_setting(name):
    """Notebook 1's references (the exact values that moved most under these settings, and Part
    F's training, compared by its own rule) regenerated as a CPU with only ``name`` would compute
    them: no difference beyond the tolerances. Notebook 3's retrainings take 2 minutes under avx
    and 4 under sse41, more than the suite's 25 minutes hold: ``python -m lab.cpu_spread``
    regenerates them, with three seeds, under every setting (docs/grading.md)."""
    notebooks = ["1_residual_connections"]
    code = (
        "import sys; from autograder.assign import references; "
        f"p = references.check({notebooks!r}, report=lambda s: None); "
        "print('\\n'.join(p)); sys.exit(1 if p else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k not in machine.CPU_KNOBS} | machine.setting(name)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (name, done.stdout[-3000:], done.stderr[-3000:])

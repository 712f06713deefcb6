"""Hostile submissions: the sandbox holds, the grader's files stay as they were, feedback hides
the hidden checks, and grading the same submission again gives the same result.

The examples themselves (lab/examples/hostile.py) are graded with the other examples by
both runners (tests/test_examples.py), which checks that each fails exactly its checks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import batch
from autograder.checks import registry
from autograder.paths import ASSIGNMENT, REPO
from autograder.report.records import GRADED, NOT_GRADED, load_records
from autograder.sandbox.confine import landlock_abi
from lab import examples as ex
from lab.examples import hostile as hs

THREATS = [e.name for e in hs.EXAMPLES]

PROBE = textwrap.dedent("""
    import json, os, socket, sys
    from pathlib import Path
    scratch, secret, port, mode = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    applied = []
    if mode != "free":
        from autograder.sandbox.confine import confine
        applied = confine(scratch, [], processes=mode == "no seccomp")
    def attempt(fn):
        try:
            fn()
            return "ok"
        except OSError as exc:
            return type(exc).__name__
    def io_uring():
        import ctypes, platform
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
        fd = libc.syscall(425, 1, params)  # io_uring_setup, on x86_64 and aarch64 alike
        if fd >= 0:
            os.close(fd)
            return "ok"
        return {1: "PermissionError", 13: "PermissionError"}.get(ctypes.get_errno(), f"errno {ctypes.get_errno()}")
    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    print(json.dumps({
        "applied": applied,
        "read_secret": attempt(lambda: secret.read_text()),
        "write_scratch": attempt(lambda: (scratch / "x").write_text("x")),
        "write_outside": attempt(lambda: (secret.parent / "planted").write_text("x")),
        "connect": attempt(lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close()),
        "udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port))),
        "udp6": attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()),
        "io_uring": io_uring(),
        "fork": attempt(fork),
        "signal_parent": attempt(lambda: os.kill(os.getppid(), 0)),
    }))
""")


def probe(tmp_path, mode: str) -> dict:
    """What PROBE could do: ``mode`` is "free", "confined", or "no seccomp" (confined without the filter)."""
    scratch, secrets = tmp_path / f"scratch-{mode.replace(' ', '-')}", tmp_path / "grader"
    scratch.mkdir()
    secrets.mkdir(exist_ok=True)
    (secrets / "references.npz").write_text("the answers")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                PROBE,
                str(scratch),
                str(secrets / "references.npz"),
                str(server.getsockname()[1]),
                mode,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=scratch,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.skipif(landlock_abi() == 0, reason="this kernel has no Landlock: the README says what that leaves open")
def test_confinement_blocks_files_network_processes_and_signals(tmp_path):
    """The same probe, confined and not: what it can do without the sandbox, it cannot with it;
    under Landlock without the seccomp filter, UDP still goes out."""
    free, confined = probe(tmp_path, "free"), probe(tmp_path, "confined")
    free.pop("io_uring")  # without the sandbox it depends on the kernel (kernel.io_uring_disabled)
    assert free == {
        "applied": [],
        "read_secret": "ok",
        "write_scratch": "ok",
        "write_outside": "ok",
        "connect": "ok",
        "udp": "ok",
        "udp6": "ok",
        "fork": "ok",
        "signal_parent": "ok",
    }
    assert confined["write_scratch"] == "ok"
    blocked = {k: v for k, v in confined.items() if k not in ("applied", "write_scratch")}
    assert all(v == "PermissionError" for v in blocked.values()), confined
    assert {"no-capabilities", "seccomp:no-fork", "seccomp:no-network"} <= set(confined["applied"])
    assert any(a.startswith("landlock-abi") for a in confined["applied"])
    if landlock_abi() >= 6:
        assert {"landlock:tcp", "landlock:signals"} <= set(confined["applied"])
    # Landlock alone, even at ABI 4+, lets UDP out: the seccomp filter's socket rule stops it
    landlock_only = probe(tmp_path, "no seccomp")
    assert "seccomp:no-network" not in landlock_only["applied"]
    assert landlock_only["udp"] == landlock_only["udp6"] == "ok", landlock_only
    if landlock_abi() >= 4:
        assert landlock_only["connect"] == "PermissionError", landlock_only


def test_a_repository_under_a_readable_folder_stays_unreadable(tmp_path):
    """If the grader's repository sits under a folder the child may read (/opt, say), the child
    gets that folder's other entries instead, level by level, and the venv inside it."""
    from autograder.sandbox.confine import around

    repo = tmp_path / "opt" / "course" / "repo"
    for folder in (repo / "autograder", repo / ".venv", tmp_path / "opt" / "other", tmp_path / "opt" / "course" / "x"):
        folder.mkdir(parents=True)
    got = around([tmp_path / "opt", tmp_path / "usr", repo / ".venv", repo], repo)
    assert sorted(str(p.relative_to(tmp_path)) for p in got) == [
        "opt/course/repo/.venv",
        "opt/course/x",
        "opt/other",
        "usr",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("example", THREATS)
def test_hostile_examples_ran_confined(example, graded_by_pytest):
    isolation = graded_by_pytest[example]["results"]["extra_data"]["isolation"]
    applied = isolation[hs.NB]
    assert {"seccomp:no-fork", "no-capabilities", "reaper:no-orphans"} <= set(applied), applied
    if landlock_abi():
        assert any(a.startswith("landlock-abi") for a in applied), applied


@pytest.mark.slow
def test_a_notebook_for_another_kernel_is_graded_with_python_and_says_so(graded_by_pytest):
    results = graded_by_pytest["nb2_hostile_tampered_tests"]["results"]
    assert any("says its kernel is 'ir' (R): graded with Python 3" in p for p in results["extra_data"]["problems"])
    assert results["score"] > 0, "its correct functions earned their points"


@pytest.mark.slow
def test_the_grader_files_are_as_they_were_after_the_hostile_examples(graded_by_pytest, main_job):
    """nb2_hostile_reads_grader tried to change the checks, empty the references and plant
    results in /tmp; the graded examples (the fixture, in a fresh clone) ran before this test."""
    assert all(name in graded_by_pytest for name in THREATS)
    clone = main_job["clone"]
    assert main_job["full"]["status"] == "", f"the clone's files changed:\n{main_job['full']['status']}"
    for path in (clone / "autograder" / "checks").glob("nb2_*.py"):
        assert "judge_transpose_conv_output_size(*a): pass" not in path.read_text(), path
    for name in registry():
        with np.load(clone / "autograder" / "references" / f"{name}.npz", allow_pickle=False) as refs:
            assert refs.files, name
    assert not (clone / "autograder" / "references" / "results.json").exists()
    assert not (Path(tempfile.gettempdir()) / "nb2_transpose_conv_output_size.npz").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    landlock_abi() < 4,
    reason="--require-isolation needs Landlock 4+ (Linux 6.7): this example "
    "writes to the grader's files wherever it is not confined",
)
def test_pytest_runner_output_shows_failures_not_the_checks(tmp_path):
    """What a student reads from the pytest runner: which checks failed and why, not the
    checks' code, and not the fake 'PASSED' the submission printed."""
    example = next(e for e in hs.EXAMPLES if e.name == "nb2_hostile_reads_grader")
    ex.write_examples(tmp_path, [example.name])
    notebook = tmp_path / example.name / ASSIGNMENT / f"{hs.NB}.ipynb"
    # --require-isolation: this example writes to the grader's files wherever it is not confined
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "autograder",
            "-q",
            "-p",
            "no:cacheprovider",
            "--submission",
            str(notebook),
            "--results-json",
            str(tmp_path / "r.json"),
            "--require-isolation",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert hs.TRANS in out and "+2p instead of -2p" in out
    for secret in ("def collect", "def judge", "run_hidden_check", "references.npz", "PASSED 3/3"):
        assert secret not in out, secret
    data = json.loads((tmp_path / "r.json").read_text())
    assert [t["name"] for t in data["tests"] if t["score"] != t["max_score"]] == [hs.TRANS]


def test_require_isolation_refuses_a_machine_that_cannot_confine(tmp_path, monkeypatch, capsys):
    """--require-isolation: on a machine without Landlock (the probe simulated: only seccomp and
    capabilities) the batch grader grades nobody, exit 11, and says what is missing; on this
    machine, if it has Landlock, nothing is missing."""
    from autograder.sandbox import confine

    if landlock_abi() >= 1:
        applied, failure = confine.probe()
        assert failure == "" and confine.missing(applied) == [], (applied, failure)
    refused = ["landlock-failed:38", "no-capabilities", "seccomp:no-fork", "seccomp:no-network"]
    assert [m.split()[0] for m in confine.missing(refused)] == ["files", "no-orphans"]
    # a record graded before the filter refused sockets: Landlock's TCP rule alone lets UDP out
    earlier = ["landlock-abi6:files", "landlock:tcp", "no-capabilities", "seccomp:no-fork", "reaper:no-orphans"]
    assert [m.split()[0] for m in confine.missing(earlier)] == ["no-network"]
    ex.write_examples(tmp_path / "submitted", ["blank"], notebooks=[hs.NB])
    monkeypatch.setattr(confine, "probe", lambda: (["no-capabilities", "seccomp:no-fork"], ""))
    code = batch.main(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--require-isolation"])
    err = capsys.readouterr().err
    assert code == confine.EXIT_REFUSED == 11, code
    assert "refusing to grade" in err and "applied ['no-capabilities', 'seccomp:no-fork']" in err, err
    assert "files (Landlock" in err and "no-network (the seccomp" in err, err
    assert not (tmp_path / "out" / "students").exists(), "nobody is graded"
    monkeypatch.setattr(confine, "probe", lambda: (None, "the probe process failed (exit 1): ImportError: boom"))
    assert "cannot tell what this machine" in confine.refusal() and "boom" in confine.refusal()


def test_require_isolation_rejects_an_unconfined_child_and_regrades_old_records(tmp_path, monkeypatch):
    """Behind the probe, each result: a notebook graded by an unconfined child is 'could not
    grade' under --require-isolation, and a record graded earlier without isolation is regraded
    on a resumed run (without the flag it is kept)."""
    from autograder.sandbox.run import Limits

    ex.write_examples(tmp_path / "submitted", ["blank"], notebooks=[hs.NB])
    folder = tmp_path / "submitted" / "blank" / ASSIGNMENT
    record = batch.grade_student("blank", folder, Limits(confine=False), "print", require_isolation=True)
    assert record["status"] == NOT_GRADED, record["status"]
    assert (
        "--require-isolation: graded without" in record["results"]["output"]
        and "files (" in record["results"]["output"]
    )
    version = batch.grader_version()
    old = {
        "student": "blank",
        "fingerprint": batch.fingerprint(folder, version),
        "status": GRADED,
        "results": {"score": 0, "tests": [], "extra_data": {"isolation": {hs.NB: []}}},
        "notebook_of": {},
        "seconds": 1.0,
        "timestamp": "",
    }
    out = tmp_path / "out"
    batch._save(out, old)
    graded = []
    monkeypatch.setattr(batch, "grade_student", lambda s, *a: graded.append(s) or {**old, "student": s})
    batch.grade_class(tmp_path / "submitted", out, batch.Options(quiet=True))
    assert graded == [], "unchanged and graded: kept"
    batch.grade_class(tmp_path / "submitted", out, batch.Options(quiet=True, require_isolation=True))
    assert graded == ["blank"], "graded without isolation: regraded under --require-isolation"


@pytest.mark.slow
def test_the_same_submission_ten_times_gets_the_same_result_and_others_are_unharmed(tmp_path):
    """Ten copies of the faults example and one honest student, graded two at a time: the
    ten results are identical, word for word; the honest student gets full marks."""
    example = next(e for e in hs.EXAMPLES if e.name == "nb2_hostile_faults")
    submitted = tmp_path / "submitted"
    ex.write_examples(submitted, [example.name, "solution"], notebooks=[hs.NB])
    copies = [f"copy{k:02d}" for k in range(10)]
    (submitted / example.name).rename(submitted / copies[0])
    for name in copies[1:]:
        shutil.copytree(submitted / copies[0], submitted / name)
    out = tmp_path / "out"
    code = batch.main(["grade", str(submitted), "--out", str(out), "--jobs", "2"])
    records = load_records(out)
    assert code == 1, "graded, with failures"
    tests = [records[name]["results"]["tests"] for name in copies]
    assert all(t == tests[0] for t in tests), "the same submission, graded ten times, differs"
    failed = {t["name"] for t in tests[0] if t["score"] != t["max_score"]}
    assert failed & {c.grade_id for c in registry()[hs.NB].checks} == set(example.fails)
    honest = {t["name"]: t for t in records["solution"]["results"]["tests"]}
    assert all(honest[c.grade_id]["score"] == c.points for c in registry()[hs.NB].checks)


I386_FORK = textwrap.dedent("""
    import ctypes, mmap, os, sys
    from pathlib import Path
    if sys.argv[1] == "1":
        from autograder.sandbox.confine import confine
        confine(Path(sys.argv[2]), [])
    number = int(sys.argv[3])
    if sys.argv[4] == "int80":     # i386: mov eax, number; int 0x80; ret
        code = bytes([0xb8]) + number.to_bytes(4, "little") + bytes([0xcd, 0x80, 0xc3])
    else:                          # x32: mov eax, number | 0x40000000; syscall; ret
        code = bytes([0xb8]) + (number | 0x40000000).to_bytes(4, "little") + bytes([0x0f, 0x05, 0xc3])
    buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(code)
    result = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))()
    if result == 0:
        os._exit(0)
    print("returned", result, flush=True)
""")


@pytest.mark.skipif(__import__("platform").machine() != "x86_64", reason="i386 and x32 system calls are x86_64's")
@pytest.mark.parametrize(
    "abi, number", [("int80", 2), ("int80", 120), ("x32", 57)], ids=["i386-fork", "i386-clone", "x32-fork"]
)
def test_another_abis_system_calls_kill_a_confined_process(tmp_path, abi, number):
    """A process of another ABI's numbering (i386's int 0x80: 2 is fork, 120 clone; x32's bit 30)
    gets past a filter that only knows x86_64's numbers: confined, the call kills the process
    (SIGSYS) and no process is made. Unconfined, the i386 fork does make one (the hole shown)."""
    script = tmp_path / "abi.py"
    script.write_text(I386_FORK)
    run = lambda confined: subprocess.run(
        [sys.executable, str(script), str(int(confined)), str(tmp_path), str(number), abi],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if abi == "int80" and number == 2:
        assert "returned" in run(False).stdout, "unconfined, the i386 fork should make a process"
    confined = run(True)
    assert confined.returncode == -31 and "returned" not in confined.stdout, (confined.returncode, confined.stdout)


def sleepers() -> list[int]:
    """The pids of live processes the process faults made (their command line is hs.SLEEPER)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if cmdline == hs.SLEEPER and state != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(__import__("platform").machine() != "x86_64", reason="i386 and x32 system calls are x86_64's")
def test_processes_made_past_the_filter_cost_their_checks_and_leave_nothing(graded_by_pytest):
    """nb2_hostile_processes (graded with the example class): each system call of another ABI
    killed its own notebook process (SIGSYS), the kill aimed at the grader's zygote too, so the
    zygote lived on and the checks after each kill were graded; no process it tried to make runs."""
    results = graded_by_pytest["nb2_hostile_processes"]["results"]
    tests = {t["name"]: t for t in results["tests"]}
    for grade_id in (hs.CONV, hs.TRANS, hs.EQUIV, hs.UPSAMPLER):
        assert "killed by SIGSYS" in tests[grade_id]["output"], tests[grade_id]["output"]
    assert not any("zygote" in p for p in results["extra_data"]["problems"]), results["extra_data"]["problems"]
    for grade_id in (hs.PAD, hs.ARRAY, "nb2_conv_matrix", hs.DECODER):
        assert tests[grade_id]["score"] == tests[grade_id]["max_score"], tests[grade_id]
    assert sleepers() == []


def outside_the_grader(code: str, stdout=subprocess.DEVNULL) -> tuple[int, list[int]]:
    """Run ``code`` in a plain Python process (no pipes: a process it leaves would hold them
    open): its exit code, and the sleepers it left running (killed here)."""
    proc = subprocess.run(
        [sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL, timeout=60
    )
    time.sleep(0.5)
    made = sleepers()
    for pid in made:
        os.kill(pid, signal.SIGKILL)
    return proc.returncode, made


def i386_fork_makes_a_process(tmp_path) -> bool:
    """Whether an i386 ``fork`` (``int 0x80``) made from a 64-bit process runs here, outside the
    grader: x86_64 only, and only where the kernel emulates i386 calls (``ia32_emulation``) and
    no sandbox of the machine's refuses them."""
    if __import__("platform").machine() != "x86_64":
        return False
    out = tmp_path / "i386_fork.txt"
    with open(out, "w") as f:
        _, made = outside_the_grader(hs.RAW_SYSCALL + "\nprint(_raw_syscall(2), flush=True)", stdout=f)
    lines = out.read_text().split()
    return bool(made) and bool(lines) and lines[0].lstrip("-").isdigit() and int(lines[0]) > 0


# Each process fault once per notebook, not at every call: the checks call a function for every
# hidden case, and a fork of a process that holds TensorFlow costs the kernel tens of milliseconds
# (a fork at every call took the test to 62 s of system time alone, 2026-12-06; once: under 1 s).
ONCE = """

_ONCE_DONE = set()


def _once(code):
    if code not in _ONCE_DONE:
        _ONCE_DONE.add(code)
        exec(code, globals())
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="the reaper is the zygote's, on Linux")
def test_the_reaper_alone_leaves_no_process_behind(tmp_path):
    """Without the seccomp filter (processes allowed), a notebook whose functions start a daemon
    (setsid, then a double fork) and, on x86_64 where the kernel runs i386 calls, an i386 fork
    that leaves its group (each at its function's first call), still leaves no process behind:
    the zygote, their subreaper, kills them (the daemon as soon as it is orphaned; the other when
    its notebook ends, and the notebook's problems say so). The functions' answers are right, so
    they keep their points: making a process is not a mistake the grade counts when the grader
    allows it. The same code outside the grader leaves a process running (the hole the reaper
    closes)."""
    from autograder.grading import SubmissionGrader
    from autograder.sandbox.run import Limits

    faults = {hs.KERAS: f"_once({hs.DAEMON!r})"}
    if i386_fork_makes_a_process(tmp_path):  # not where the kernel has no i386 emulation, or a sandbox refuses it
        faults[hs.CONV] = "_once('_raw_syscall(2)')"
    example = dataclasses.replace(
        next(e for e in hs.EXAMPLES if e.name == "nb2_hostile_processes"),
        transform=hs.with_faults(faults, hs.RAW_SYSCALL + ONCE),
    )
    folder = tmp_path / "student" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(ex.apply(example), str(folder / f"{hs.NB}.ipynb"))

    code, made = outside_the_grader(hs.RAW_SYSCALL + "\n" + hs.DAEMON.replace("; ", "\n"))
    assert code == 0 and made, "outside the grader the daemon should live on"

    grader = SubmissionGrader(folder, Limits(no_fork=False, zygote=False))
    summary = grader.summary()
    assert sleepers() == [], "a process outlived its notebook"
    tests = {t.name: t for t in summary.tests}
    for grade_id in faults:
        assert tests[grade_id].score == tests[grade_id].max_score, (grade_id, tests[grade_id].output)
    assert "reaper:no-orphans" in grader.isolation[hs.NB] and "seccomp:no-fork" not in grader.isolation[hs.NB]
    if hs.CONV in faults:
        # the process made by the first call, still running when the notebook ended
        assert any(re.search(r"left [1-9]\d* process\(es\) running: they were killed", p) for p in summary.problems), (
            summary.problems
        )

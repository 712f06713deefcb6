"""Run a submitted notebook in a child process with limits, and read back plain data.

The child (:mod:`autograder.sandbox.child`) works in a scratch copy: the release's
shipped files (helpers, data) and the submitted notebook. It gets a wall-clock
limit, an address-space limit, a file-size limit and a minimal environment.
It sends back only ``.npz`` files, loaded here with ``allow_pickle=False``. With
``Limits.confine`` (the default) the child confines itself before running the notebook
(:mod:`autograder.sandbox.confine`: Landlock, no capabilities, no new processes).

If the child dies or hangs inside one check, that check gets the message and
the child is started again for the checks that remain (at most
``Limits.restarts`` times), so one broken function costs only its own points.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.checks import registry
from autograder.paths import RELEASE_DIR, REPO, SHIPPED_DATA
from autograder.sandbox.machine import cpu_knobs
from autograder.sandbox.plain import decode
from autograder.sandbox.zygote import Zygote, ZygoteGone, shared

GiB = 1 << 30


@dataclass
class Limits:
    # One child process, notebook and checks together, plus the time of the trainings a check
    # may add (wall_for: notebook 3's super-resolution retraining from other seeds).
    wall_seconds: float = 600.0
    memory_bytes: int = 4 * GiB  # address space (TensorFlow alone maps about 1.6 GiB)
    output_bytes: int = 64 << 20  # largest file the child may write (stdout flood)
    cell_timeout: float = 300.0  # the same per-cell limit as nbgrader_config.py
    check_timeout: float = 600.0  # caps every check's own time_limit (tests set it low)
    restarts: int = 3
    confine: bool = True  # Landlock, no capabilities, no new processes (autograder.sandbox.confine)
    no_fork: bool = True  # the seccomp filter; off only in the tests that show the reaper alone
    # Fork every child from one process that has imported TensorFlow once (autograder.sandbox.zygote),
    # instead of a zygote per notebook that imports it again (about 4 s of CPU per notebook). On
    # Linux a child always comes from a zygote, which kills what the child leaves behind.
    zygote: bool = sys.platform == "linux"
    # A check may reuse the solution's stored result for a submission provably equal to it
    # (notebook 3's retrainings); reference generation turns this off.
    reuse: bool = True
    # Every time limit above and each check's own, multiplied: for a maintainer's run on an emulated
    # CPU (scripts/arm64.sh), where the same arithmetic takes about 30 times longer. Never for grading.
    time_scale: float = 1.0

    def wall_for(self, spec) -> float:
        """The wall-clock limit of one child process of the notebook ``spec`` (a NotebookSpec)."""
        return (self.wall_seconds + spec.extra_trainings_seconds(self.check_timeout)) * self.time_scale


def wall_help() -> str:
    """The wall-clock limit's default, as the command lines' --time-limit help states it."""
    more = [
        f"notebook {name.split('_')[0]} gets {extra:g} more for its extra trainings"
        for name, spec in registry().items()
        if (extra := spec.extra_trainings_seconds(Limits.check_timeout))
    ]
    return f"default {Limits.wall_seconds:g}" + "".join(f"; {m}" for m in more)


@dataclass
class Outcome:
    """What one check's collect() produced in the child, before judging."""

    values: dict | None = None
    error: str | None = None  # why there are no values
    stderr: str = ""
    seconds: float = 0.0
    visible_failure: str | None = None  # how the test cell's visible assertions failed, if they did


@dataclass
class NotebookRun:
    name: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    cell_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # time limit, crash: one line each
    isolation: list[str] = field(default_factory=list)  # what autograder.sandbox.confine applied, and the reaper
    reaped: bool = False  # the child's parent killed whatever it left behind (autograder.sandbox.zygote)
    seconds: float = 0.0


def _rlimits(limits: Limits) -> dict[str, int]:
    return {"RLIMIT_AS": limits.memory_bytes, "RLIMIT_FSIZE": limits.output_bytes, "RLIMIT_CORE": 0}


def _limit_child(limits: Limits):
    def apply():
        os.setsid()
        for name, value in _rlimits(limits).items():
            resource.setrlimit(getattr(resource, name), (value, value))

    return apply


PER_CHILD = ("HOME", "TMPDIR", "MPLCONFIGDIR")  # set by each forked child


def child_environment(home: Path) -> dict:
    """A minimal environment: nothing of the grader's own (paths, tokens, CI flags) but the CPU
    knobs (:data:`autograder.sandbox.machine.CPU_KNOBS`), which make the child compute as another CPU would."""
    return {
        **cpu_knobs(),
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home.parent / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        # One thread per child: the batch grader runs a child per core, and single-threaded
        # training spends about 15% less CPU than two threads fighting over one core.
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        # joblib (scikit-learn's; Keras imports scikit-learn where it is installed, which the grader's
        # .venv/ keeps apart: requirements-data.txt) probes /dev/shm, which the sandbox closes, and warns
        # on stderr; a warning inside a check would fail it. There are no processes to share with.
        "JOBLIB_MULTIPROCESSING": "0",
    }


SCRATCH_PREFIX = "convnets-grade-"


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None if there is no
    such process: with the pid, it names one process even after pids are reused."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_tag() -> str:
    """``<pid>.<start time>`` of this grading process, in its scratch folders' names: a student's
    code cannot change the name (it may write only inside the folder)."""
    return f"{os.getpid()}.{_started(os.getpid()) or 0}"


def remove_stale_scratch() -> int:
    """Remove the scratch folders of grading processes that no longer run (a grader killed before
    it could clean up); return how many. Another grader's live folders are left alone."""
    removed = 0
    if sys.platform != "linux":
        return 0  # no /proc to tell a live grader from a dead one
    for folder in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        tag = folder.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        pid, _, started = tag.partition(".")
        if not pid.isdigit() or not started:
            continue  # not named by this grader
        if _started(int(pid)) == started:
            continue  # its grader is still running
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def prepare_scratch(notebook: Path, name: str) -> Path:
    """A private folder with the release's shipped files and the submitted notebook."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{_owner_tag()}-"))
    work = scratch / "work"
    shutil.copytree(RELEASE_DIR, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    shutil.copyfile(notebook, work / f"{name}.ipynb")
    (scratch / "out").mkdir()
    (scratch / "home").mkdir()
    (scratch / "tmp").mkdir()
    return scratch


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return f"killed by signal {-code}"
        if name == "SIGSYS":  # the seccomp filter's answer to another ABI's system call
            return "killed by SIGSYS (a system call the grader does not allow while grading)"
        return f"killed by {name}"
    return f"exited with code {code}"


def run_notebook(notebook: Path, name: str, limits: Limits | None = None) -> NotebookRun:
    """Execute ``notebook`` (stored under the assignment's name ``name``) in the sandbox."""
    limits = limits or Limits()
    spec = registry()[name]
    run = NotebookRun(name=name)
    scratch = prepare_scratch(notebook, name)
    started = time.monotonic()
    try:
        for attempt in range(limits.restarts + 1):
            remaining = [c.grade_id for c in spec.checks if c.grade_id not in run.outcomes]
            if not remaining:
                break
            _run_child(scratch, name, limits, run)
            if attempt == limits.restarts:
                for grade_id in remaining:
                    run.outcomes.setdefault(
                        grade_id, Outcome(error="not graded: the notebook's process failed too many times")
                    )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run.seconds = round(time.monotonic() - started, 3)
    return run


def _run_child(scratch: Path, name: str, limits: Limits, run: NotebookRun) -> None:
    out = scratch / "out"
    for stale in out.iterdir():
        stale.unlink()
    cmd = [
        sys.executable,
        "-m",
        "autograder.sandbox.child",
        "--notebook",
        str(scratch / "work" / f"{name}.ipynb"),
        "--name",
        name,
        "--out",
        str(out),
        "--skip",
        ",".join(run.outcomes),
        "--cell-timeout",
        str(limits.cell_timeout),
        "--check-timeout",
        str(limits.check_timeout),
    ]
    if limits.confine:
        cmd += ["--scratch", str(scratch), "--read", str(SHIPPED_DATA)]
    if not limits.reuse:
        cmd.append("--no-reuse")
    if not limits.no_fork:
        cmd.append("--allow-processes")
    if limits.time_scale != 1:
        cmd += ["--time-scale", str(limits.time_scale)]
    env = child_environment(scratch / "home")
    ending = _start_and_wait(cmd, scratch, env, limits, run, limits.wall_for(registry()[name]))

    progress = _read_progress(out)
    run.isolation = progress.get("isolation", run.isolation)
    if run.reaped and "reaper:no-orphans" not in run.isolation:
        run.isolation = [*run.isolation, "reaper:no-orphans"]
    run.cell_errors = progress.get("cell_errors", run.cell_errors)
    for path in sorted(out.glob("*.npz")):
        grade_id = path.stem
        try:
            values = decode(path)
        except Exception as exc:  # noqa: BLE001 - a malformed file is the submission's loss
            run.outcomes[grade_id] = Outcome(error=f"unreadable result ({type(exc).__name__})")
            continue
        error = values.pop("__error__", None)
        visible = values.pop("__visible__", None)
        stderr = values.pop("__stderr__", "")
        seconds = values.pop("__seconds__", 0.0)
        tb = values.pop("__traceback__", "")
        values.pop("__error_type__", None)
        if error and tb:
            error = f"{error}\n{tb}"
        run.outcomes[grade_id] = Outcome(
            values=None if error else values, error=error, stderr=stderr, seconds=seconds, visible_failure=visible
        )
    if ending is None:
        return
    phase, where = progress.get("phase"), progress.get("check")
    if phase == "check" and where and where not in run.outcomes:
        run.outcomes[where] = Outcome(error=f"{ending} while running this check")
        run.problems.append(f"{ending} during check {where}")
    elif phase in (None, "start", "notebook"):
        cell = progress.get("cell")
        msg = f"{ending} while running the notebook" + (f" (code cell {cell + 1})" if cell is not None else "")
        run.problems.append(msg)
        for check in registry()[name].checks:
            run.outcomes.setdefault(check.grade_id, Outcome(error=f"not graded: {msg}"))


def _start_and_wait(
    cmd: list[str], scratch: Path, env: dict, limits: Limits, run: NotebookRun, wall: float
) -> str | None:
    """Run the child to its end or its wall-clock limit; None if it exited 0, else how it ended.
    Whatever it left in its process group is killed; on Linux the zygote also kills whatever it
    left anywhere else (it is the children's subreaper: :mod:`autograder.sandbox.zygote`)."""
    if sys.platform == "linux":
        base = {k: v for k, v in env.items() if k not in PER_CHILD}
        try:
            zygote = shared(base) if limits.zygote else Zygote(base)  # a zygote of its own: one import
        except ZygoteGone:
            zygote = None
        try:
            pid = (
                zygote.spawn(cmd[3:], scratch / "work", env, scratch / "child.log", _rlimits(limits))
                if zygote
                else None
            )
        except ZygoteGone:
            pid = None
        if pid is not None:
            try:
                code = zygote.wait(pid, wall)
                ending = None if code == 0 else _describe_exit(code)
            except TimeoutError:
                _kill_group_of(pid)
                ending = f"time limit: stopped after {wall:g} s"
                try:
                    zygote.wait(pid, 30)
                except (TimeoutError, ZygoteGone):
                    pass
            except ZygoteGone:
                _kill_group_of(pid)
                ending = "the grader's zygote process died while this notebook ran"
            _kill_group_of(pid)
            if zygote.reaper:
                run.reaped = True
            if strays := zygote.left_behind(pid):
                run.problems.append(f"the notebook left {strays} process(es) running: they were killed")
            if not limits.zygote:
                zygote.close()
            return ending
        if zygote is not None and not limits.zygote:
            zygote.close()
    with open(scratch / "child.log", "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=scratch / "work",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=_limit_child(limits),
        )
        try:
            proc.wait(timeout=wall)
            ending = None if proc.returncode == 0 else _describe_exit(proc.returncode)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            ending = f"time limit: stopped after {wall:g} s"
        _kill_group_of(proc.pid)
    return ending


def _kill_group_of(pid: int) -> None:
    """SIGKILL to the process group ``pid`` leads (the child and anything it left running)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_progress(out: Path) -> dict:
    try:
        return json.loads((out / "progress.json").read_text())
    except (OSError, ValueError):
        return {}

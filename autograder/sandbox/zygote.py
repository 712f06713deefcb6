"""A process that has imported what every grading child needs, and forks one child per notebook.

A grading child (:mod:`autograder.sandbox.child`) spends about 4 s of CPU importing TensorFlow, Keras,
IPython and the checks before it runs a single cell. The zygote pays that once: it imports
them, then waits for requests; for each one it forks a child that sets its own limits and
environment, confines itself (:mod:`autograder.sandbox.confine`) and runs ``autograder.sandbox.child.main``,
exactly as a child started from scratch would. Every notebook still runs in a process of its
own, which nothing of another notebook has touched: the zygote never runs a cell, builds a
model or starts a TensorFlow thread pool (forking after that would not be safe), and it holds
nothing a child may not see (the checks' inputs, not the reference outputs).

The zygote is also the notebooks' **reaper**, a layer of its own beside the seccomp filter that
refuses new processes (:mod:`autograder.sandbox.confine`): it is the children's *subreaper*
(``PR_SET_CHILD_SUBREAPER``, Linux 3.4+), so that any process a notebook makes and leaves
behind (a double fork, a ``setsid``, a call the filter did not know) becomes the zygote's child
when its parent ends, instead of init's. The zygote kills every child of its own that is not a
notebook it started, as soon as it sees one, and always before it reports a notebook's end: no
process a notebook made outlives it, whatever the filter missed.

The zygote is single-threaded (a fork from a process with other threads can inherit a lock
that nobody will release) and speaks JSON lines: a request ``{"id", "argv", "cwd", "env",
"log", "limits"}`` on its stdin; on its stdout ``{"ready": pid, "reaper": bool}`` once, then
``{"id", "pid"}`` when a child started and ``{"pid", "status", "strays"}`` (the status as
``os.waitpid`` gives it; the number of left-behind processes killed) when it ended. The grader
side is :class:`Zygote`: one per grading process, shared by its threads, restarted if it dies.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path


# --------------------------------------------------------------------------- the zygote process
def _preload() -> None:
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401

    from autograder.checks import registry
    from autograder.sandbox import child

    registry()
    child._load_before_confining()


def _run_child(request: dict) -> None:
    """In the forked child: the limits, the environment and the files of a fresh child, then
    autograder.sandbox.child.main. Never returns."""
    code = 1
    try:
        os.setsid()
        for name, value in request["limits"].items():
            limit = getattr(resource, name)
            resource.setrlimit(limit, (value, value))
        os.chdir(request["cwd"])
        sys.path[0] = os.getcwd()  # as `python -m` puts the working folder first: the notebook's helpers
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # the zygote's choice is cached; this child's TMPDIR is its scratch folder
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in (log, null):
            os.close(fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        sys.argv = ["autograder.sandbox.child", *request["argv"]]
        from autograder.sandbox import child

        code = child.main(request["argv"]) or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported by the exit status; the traceback goes to the log
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


PR_SET_CHILD_SUBREAPER = 36


def become_reaper() -> bool:
    """Make this process the subreaper of its descendants (Linux 3.4+): orphans come to it."""
    if sys.platform != "linux":
        return False
    return _prctl(PR_SET_CHILD_SUBREAPER, 1) == 0


def _prctl(option: int, value: int) -> int:
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def children() -> set[int]:
    """The pids of this process's children (``/proc/self/task/*/children``, else a scan of ``/proc``)."""
    me, found, listed = os.getpid(), set(), False
    try:
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as f:
                    found |= {int(pid) for pid in f.read().split()}
                listed = True
            except OSError:
                pass
    except OSError:
        pass
    if listed:
        return found
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == me:
                found.add(int(entry))
    return found


def kill_strays(notebooks: set[int]) -> int:
    """SIGKILL every child of this process that is not one of ``notebooks``, and reap it; again
    until there is none (the strays' own children come here when their parent dies). Returns how
    many were killed."""
    killed = 0
    for _ in range(10_000):
        strays = children() - notebooks
        if not strays:
            break
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        killed += len(strays)
    return killed


PR_SET_PDEATHSIG = 1


def _die_with_parent(on: bool) -> None:
    """While the zygote imports TensorFlow (seconds, minutes on a loaded machine) it reads no
    request, so it would not see its grader end: the kernel kills it if the grader dies first.
    Only then: the signal follows the grader's *thread* that started the zygote, which waits
    for the zygote's first line and may end once it has it."""
    if sys.platform != "linux":
        return
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL if on else 0)


def _grader_gone(notebooks: set[int]) -> None:
    """Kill every notebook child (its whole session) and whatever else we started, then exit."""
    for pid in notebooks:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    kill_strays(set())
    os._exit(0)


def _tell(out, message: dict, notebooks: set[int]) -> None:
    """One line to the grader. A grader killed between two lines closes the pipe: writing then
    fails (BrokenPipeError) before the loop reads the end of stdin, and must not end the zygote
    with its children still running."""
    try:
        out.write(json.dumps(message) + "\n")
        out.flush()
    except (BrokenPipeError, OSError):
        _grader_gone(notebooks)


def serve() -> None:
    """The zygote's loop: fork a child per request, report each child's start and end, kill
    whatever a child leaves behind."""
    parent = os.getppid()
    _die_with_parent(True)
    if os.getppid() != parent:  # the grader ended before the line above
        os._exit(0)
    reaper = become_reaper()
    _preload()
    _die_with_parent(False)
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid(), "reaper": reaper}) + "\n")
    out.flush()
    buffer = b""
    notebooks: set[int] = set()
    stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.05 if notebooks else 1.0)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid not in notebooks:  # a left-behind process that ended on its own
                continue
            notebooks.discard(pid)
            strays = kill_strays(notebooks)  # before the grader hears that the notebook ended
            _tell(out, {"pid": pid, "status": status, "strays": strays}, notebooks)
        if reaper and notebooks:
            kill_strays(notebooks)  # an orphan while its notebook still runs (a double fork)
        if not ready:
            continue
        data = os.read(stdin.fileno(), 1 << 16)
        if not data:  # the grader is gone: so are we, and everything we started
            _grader_gone(notebooks)
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            out.flush()
            pid = os.fork()
            if pid == 0:
                _run_child(request)
            notebooks.add(pid)
            _tell(out, {"id": request["id"], "pid": pid}, notebooks)


# --------------------------------------------------------------------------- the grader's side
class ZygoteGone(RuntimeError):
    """The zygote process died: the grader starts another."""


class Zygote:
    """The grader's handle on a zygote process (thread-safe).

    ``spawn`` asks for a child and returns its pid; ``wait(pid, timeout)`` returns its exit code
    (negative: killed by that signal), or raises ``TimeoutError``.
    """

    def __init__(self, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.zygote"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[2],  # the repository
        )
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.pids: dict[int, int] = {}  # request id -> pid
        self.status: dict[int, int] = {}  # pid -> wait status
        self.next_id = 0
        self.dead = False
        first = self.proc.stdout.readline()
        if not first.startswith(b'{"ready"'):
            self.proc.kill()
            raise ZygoteGone(f"the zygote did not start ({first[:200]!r})")
        self.reaper = bool(json.loads(first).get("reaper"))  # it kills what its children leave behind
        self.strays: dict[int, int] = {}  # pid -> processes it left behind, killed
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            message = json.loads(line)
            with self.cond:
                if "id" in message:
                    self.pids[message["id"]] = message["pid"]
                else:
                    self.status[message["pid"]] = message["status"]
                    self.strays[message["pid"]] = message.get("strays", 0)
                self.cond.notify_all()
        with self.cond:
            self.dead = True
            self.cond.notify_all()

    def spawn(self, argv: list[str], cwd: Path, env: dict, log: Path, limits: dict[str, int]) -> int:
        with self.cond:
            if self.dead:
                raise ZygoteGone("the zygote process has ended")
            request_id = self.next_id
            self.next_id += 1
            request = {"id": request_id, "argv": argv, "cwd": str(cwd), "env": env, "log": str(log), "limits": limits}
            try:
                self.proc.stdin.write((json.dumps(request) + "\n").encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self.dead = True
                raise ZygoteGone(f"the zygote process has ended ({exc})") from None
            while request_id not in self.pids:
                if self.dead:
                    raise ZygoteGone("the zygote process ended before starting the child")
                self.cond.wait()
            return self.pids.pop(request_id)

    def wait(self, pid: int, timeout: float | None = None) -> int:
        with self.cond:
            if not self.cond.wait_for(lambda: pid in self.status or self.dead, timeout):
                raise TimeoutError(pid)
            if pid not in self.status:
                raise ZygoteGone("the zygote process ended while a child ran")
            status = self.status.pop(pid)
        return os.waitstatus_to_exitcode(status)

    def left_behind(self, pid: int) -> int:
        """How many processes the ended child ``pid`` left behind (the zygote killed them)."""
        with self.cond:
            return self.strays.pop(pid, 0)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_ZYGOTES: dict[str, Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Wait for the zygotes at exit, so that their CPU time (and their children's) is counted in
    this process's (``time``, ``getrusage(RUSAGE_CHILDREN)``)."""
    for zygote in list(_ZYGOTES.values()):
        zygote.close()


def shared(env: dict) -> Zygote:
    """The process's zygote for this environment (started on first use, again if it died)."""
    key = json.dumps(env, sort_keys=True)
    with _ZYGOTES_LOCK:
        zygote = _ZYGOTES.get(key)
        if zygote is None or zygote.dead or zygote.proc.poll() is not None:
            zygote = _ZYGOTES[key] = Zygote(env)
        return zygote


if __name__ == "__main__":
    serve()

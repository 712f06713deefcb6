"""The child process: runs one submitted notebook and the checks' ``collect`` steps.

Started only by :mod:`autograder.sandbox.run`, in a scratch folder, with resource
limits. It executes the notebook's code cells (not its test cells: the grader
brings its own checks; a locked cell runs as the release has it, as nbgrader restores
it), then runs every check on the notebook's namespace: first the visible assertions of
its test cell, as the release has them (so that no runner gives points that the test a
student sees takes away), then the check's ``collect``; each result goes as plain data
to ``OUT/<grade_id>.npz``.
Nothing else leaves this process; the judging happens in the parent. Before the
notebook's first cell, it loads what the checks need from the grader's repository and
then confines itself (:mod:`autograder.sandbox.confine`): from then on the repository cannot be
read, and nothing outside the scratch folder can be written.

Progress goes to ``OUT/progress.json`` so that the parent can say where a
submission hung or died.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from autograder.checks import registry
from autograder.messages import describe_error
from autograder.sandbox import clock
from autograder.sandbox.plain import encode, write_atomic


class TimeLimit(BaseException):
    """Raised by the alarm when a cell or a check runs past its limit (a BaseException, so
    that the checks' own ``except Exception`` around student calls cannot swallow it)."""


VISIBLE_KEY = "__visible__"  # the visible assertions' failure, when they failed


def _alarm(signum, frame):
    raise TimeLimit()


MESSAGE_CHARS = 500  # an error's message, as far as a result keeps it


def is_test_cell(cell, test_ids: set[str]) -> bool:
    """A test cell of the assignment: nbgrader marks it graded and not a solution;
    its grade_id also names one of our checks. Either is enough to skip it."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade_id") in test_ids:
        return True
    return bool(meta.get("grade")) and not meta.get("solution")


class Progress:
    def __init__(self, out: Path):
        self.path = out / "progress.json"
        self.state = {"phase": "start", "cell": None, "check": None, "cell_errors": [], "seconds": {}}

    def update(self, **kw):
        self.state.update(kw)
        write_atomic(self.path, json.dumps(self.state).encode())


def release_cells(name: str) -> dict[str, dict]:
    """``{grade_id: {"source", "locked", "test"}}`` of the release notebook (what students get:
    the visible part of each test cell, and the locked cells as nbgrader restores them)."""
    import nbformat

    from autograder.paths import RELEASE_DIR

    out = {}
    for cell in nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id"):
            out[meta["grade_id"]] = {
                "source": cell.source,
                "locked": bool(meta.get("locked")),
                "test": bool(meta.get("grade")) and not meta.get("solution"),
                "type": cell.cell_type,
            }
    return out


def execute_notebook(
    nb_path: Path,
    test_ids: set[str],
    cell_timeout: float,
    progress: Progress,
    demo_ids: frozenset[str] = frozenset(),
    release: dict | None = None,
) -> dict:
    """Run the notebook's non-test code cells in order in an IPython shell; an error
    in one cell is recorded and the next cell runs (as nbgrader does). Demo cells
    (locked training and plots that nothing graded uses) are skipped; a locked cell runs
    as the release has it (nbgrader's autograde restores locked cells the same way)."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    release = release or {}
    nb = nbformat.read(str(nb_path), as_version=4)
    shell = InteractiveShell.instance()
    shell.showtraceback = lambda *a, **k: None  # errors are recorded, not printed
    errors = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for index, cell in enumerate(code_cells):
        if is_test_cell(cell, test_ids) or not cell.source.strip():
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in demo_ids:
            continue
        original = release.get(grade_id)
        source = original["source"] if original and original["locked"] and original["type"] == "code" else cell.source
        progress.update(phase="notebook", cell=index)
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        try:
            result = shell.run_cell(source, store_history=False, silent=True)
            error = result.error_before_exec or result.error_in_exec
        except TimeLimit:
            error = TimeLimit(f"cell {index + 1} ran past the {cell_timeout:g} s limit")
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if isinstance(error, TimeLimit) and not str(error):
            error = TimeLimit(f"code cell {index + 1} ran past the {cell_timeout:g} s limit")
        if error is not None:
            errors.append(f"code cell {index + 1}: {describe_error(error, MESSAGE_CHARS)}")
            progress.update(cell_errors=errors)
        _close_figures()
    return shell.user_ns


def _close_figures():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def run_visible(code: str, ns: dict) -> None:
    """The visible assertions of a test cell, on a copy of the notebook's namespace (so that
    the variables they set do not change what the check then sees)."""
    if code.strip():
        exec(compile(code, "<the test cell's visible assertions>", "exec"), dict(ns))  # noqa: S102


def run_check(check, ns: dict, out: Path, time_limit: float, visible: str = "", reuse: bool = True) -> None:
    """Run one check with its own time limit, capturing stderr: its test cell's visible
    assertions (a failure is recorded), then its collect() (``reuse``: its option, Check.options).
    ``time_limit`` is per training for a check that trains several times (autograder.sandbox.clock)."""
    import keras

    keras.utils.set_random_seed(1234)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    result: dict = {}
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        os.dup2(err.fileno(), 2)
        clock.arm(time_limit, check.trainings)
        visible_failure = None
        try:
            try:
                run_visible(visible, ns)
            except Exception as exc:  # noqa: BLE001 - AssertionError, or the student's exception
                # Recorded, and the hidden cases run all the same: the judge's message, which names
                # the mistake, is the one to read when both fail.
                visible_failure = (describe_error(exc, MESSAGE_CHARS), _student_traceback(exc))
            keras.utils.set_random_seed(1234)
            values = check.collect_with(ns, reuse=reuse)
            payload = encode(values)  # fails here if collect returned non-plain data
        except TimeLimit:
            payload = None
            result["__error__"] = (
                f"time limit: the check ran past its limit of {clock.granted()} "
                f"(an infinite loop, or a much slower computation than needed)"
            )
        except BaseException as exc:  # noqa: BLE001
            payload = None
            result["__error__"] = describe_error(exc, MESSAGE_CHARS)
            result["__error_type__"] = type(exc).__name__
            result["__traceback__"] = _student_traceback(exc)
        finally:
            clock.disarm()
            sys.stderr.flush()
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
        err.seek(0)
        stderr = err.read(4000).decode("utf-8", "replace")
    _close_figures()
    if payload is not None:
        result = dict(_decode_payload(payload))
    if visible_failure is not None:
        result[VISIBLE_KEY] = visible_failure[0] + (f"\n{visible_failure[1]}" if visible_failure[1] else "")
    if stderr.strip():
        result["__stderr__"] = stderr
    result["__seconds__"] = round(time.monotonic() - started, 3)
    try:
        payload = encode(result)
    except Exception as exc:  # noqa: BLE001 - the grader's bug or a hostile value: never a crash
        payload = encode(
            {"__error__": f"the check's result could not be recorded: {describe_error(exc, MESSAGE_CHARS)}"}
        )
    write_atomic(out / f"{check.grade_id}.npz", payload)


def _decode_payload(payload: bytes):
    from autograder.sandbox.plain import decode

    return decode(payload).items()


def _student_traceback(exc: BaseException) -> str:
    """The last frames of the traceback that are in the student's code (cells)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith("<ipython-input") or "/ipykernel_" in f.filename or f.filename.startswith("<cell")
    ]
    return "".join(traceback.format_list(frames[-3:]))[-1500:]


def _load_before_confining() -> None:
    """What the checks need from the grader's repository, read before it becomes unreadable."""
    from autograder import checks
    from autograder.messages import utils
    from autograder.references import hidden_eval

    utils()
    hidden_eval.inputs()
    for preload in checks.PRELOADS:
        preload()
    import IPython.core.interactiveshell  # noqa: F401
    import nbformat  # noqa: F401


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notebook", required=True, type=Path)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--skip", default="", help="comma-separated grade_ids already graded")
    ap.add_argument("--cell-timeout", type=float, default=300.0)
    ap.add_argument("--check-timeout", type=float, default=600.0)
    ap.add_argument("--time-scale", type=float, default=1.0, help="multiplies every time limit (an emulated CPU)")
    ap.add_argument(
        "--scratch", type=Path, help="confine the process: write only here (see autograder.sandbox.confine)"
    )
    ap.add_argument("--read", type=Path, action="append", default=[], help="also readable when confined")
    ap.add_argument("--no-reuse", action="store_true", help="compute every result (reference generation)")
    ap.add_argument(
        "--allow-processes", action="store_true", help="confined, but without the seccomp filter (tests of the reaper)"
    )
    args = ap.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a flood of output fails a write, not the process
    warnings.simplefilter("default")
    spec = registry()[args.name]
    test_ids = {c.grade_id for c in spec.checks} | set(spec.manual)
    release = release_cells(args.name)
    skip = set(filter(None, args.skip.split(",")))
    progress = Progress(args.out)
    isolation = []
    if args.scratch:
        _load_before_confining()
        from autograder.sandbox.confine import confine

        isolation = confine(args.scratch, args.read, processes=args.allow_processes)
    progress.update(isolation=isolation)
    started = time.monotonic()
    cell_timeout = args.cell_timeout * args.time_scale
    ns = execute_notebook(args.notebook, test_ids, cell_timeout, progress, spec.demo_cells, release)
    progress.update(seconds={"notebook": round(time.monotonic() - started, 3)})
    for check in spec.checks:
        if check.grade_id in skip:
            continue
        progress.update(phase="check", check=check.grade_id)
        run_check(
            check,
            ns,
            args.out,
            min(check.time_limit, args.check_timeout) * args.time_scale,
            release.get(check.grade_id, {}).get("source", ""),
            reuse=not args.no_reuse,
        )
    progress.update(phase="done", check=None)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: TensorFlow's can take seconds


if __name__ == "__main__":
    sys.exit(main())

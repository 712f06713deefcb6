"""Gradescope: build the autograder bundle, and grade one submission inside Gradescope's container.

    python -m autograder.gradescope build [--out build/gradescope] [--time-limit 25]   # writes autograder.zip
    python -m autograder.gradescope run [--root /autograder] [--stop-after 1410]     # what run_autograder calls

``build`` writes ``autograder.zip``: ``setup.sh`` and ``run_autograder`` at its top (Gradescope's
layout), the grader (``autograder/``, with the reference outputs), the release's data and
notebooks' locked cells (``release/convnets/``), the data builders, ``requirements.txt`` and
``pyproject.toml``. No solution notebook, no test of this repository. Upload it as a
"Zip file upload" autograder on Gradescope's Ubuntu 24.04 base image (its Python 3.12 is one
the pins support); ``setup.sh`` makes ``.venv/`` from the pins once, when the image is built.

``run`` grades ``ROOT/submission`` and always writes ``ROOT/results/results.json`` (exit status 0
whatever happened: Gradescope shows a student a results file, never a crash):

* the notebooks are found wherever they are: at the top, in folders (``convnets/``, a folder a
  zip tool made), inside ``.zip`` files (unpacked safely: no path outside the folder, a size
  cap), under the names browsers and students give them (``2_transpose_convolution (1).ipynb``,
  ``Copy of ...``, another case); the output says which file was graded as which notebook;
* they are graded by the pytest runner (``pytest autograder --submission``), sandboxed as
  everywhere else, with the same checks and points;
* if the runner cannot write results (a submission with no notebook of the assignment, an
  unreadable one, a grader error), every check is listed with 0 points and the reason;
* grading stops 90 s before Gradescope's time limit (``build --time-limit``, in minutes, as set on
  Gradescope): the checks finished keep their points, the others are listed with 0 and why.

``results.json`` has Gradescope's fields: ``score``, ``tests`` (name, score, max_score, status,
output, visibility), ``output``, ``output_format`` and ``test_output_format`` (``text``),
``visibility``, ``stdout_visibility`` (``hidden``: the runner's console stays with the staff),
``execution_time`` and ``extra_data``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from autograder.checks import registry
from autograder.exitcodes import ExitCode, Parser
from autograder.own_data import GraderDataError, damaged, require_intact
from autograder.paths import ASSIGNMENT, REPO, pytest_runner_env
from autograder.sandbox.plain import write_atomic

BUNDLE_FILES = ["requirements.txt", "pyproject.toml", "nbgrader_config.py"]
BUNDLE_TREES = ["autograder", "release/convnets", "data", "source/convnets/convnets_utils.py"]
SKIP = re.compile(r"(__pycache__|\.pyc$|\.ipynb_checkpoints|^source/convnets/.*\.ipynb$)")
ZIP_MEMBER_CAP = 50 << 20  # bytes of one file unpacked from a student's zip
ZIP_TOTAL_CAP = 200 << 20
# Gradescope's time limit, as the instructors' guide advises setting it in the autograder's settings
# (`build --time-limit` writes another into run_autograder). run_autograder stops the pytest runner
# STOP_MARGIN seconds before it, so that results.json holds what was graded instead of Gradescope's
# bare timeout: pytest, interrupted, still writes the checks it finished; the rest score 0 and say why.
TIME_LIMIT_MINUTES = 25
STOP_MARGIN = 90  # seconds: the interrupted runner's cleanup and results, unpacking, Python's start
STOP_GRACE = 45  # seconds the interrupted runner gets to write its results before it is killed


def stop_after(minutes: float) -> int:
    """Seconds after which run_autograder stops grading, for Gradescope's limit of ``minutes``."""
    return int(minutes * 60 - STOP_MARGIN)


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (with network access).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(not ((3, 11, 5) <= sys.version_info[:3] < (3, 13)))'; then
  echo "setup.sh: expected Python 3.11.5+ or 3.12 (Gradescope's Ubuntu 24.04 base image has 3.12);" \\
       "found $("$PY" --version 2>&1). Pick that base image, or set PYTHON to such an interpreter." >&2
  exit 1
fi
# Debian and Ubuntu ship venv without ensurepip (in python3-venv): `-m venv --help` works there,
# making one does not.
if command -v apt-get > /dev/null && ! "$PY" -c 'import ensurepip, venv' > /dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q python3-venv
fi
"$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
.venv/bin/python -c "import tensorflow, keras, nbformat; print('setup.sh: ready, keras', keras.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as /autograder/run_autograder (a copy of
# /autograder/source/run_autograder) from /autograder: grade ROOT/submission and write
# ROOT/results/results.json (python -m autograder.gradescope --help says how). ROOT is the folder
# that holds source/ (GRADESCOPE_ROOT overrides it); the bundle is ROOT/source.
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/source/setup.sh" ]; then src="$here/source"; else src="$here"; fi
root="${GRADESCOPE_ROOT:-$(dirname "$src")}"
if [ ! -x "$src/.venv/bin/python" ]; then
  why="The autograder is not set up: $src/.venv/bin/python is missing (setup.sh did not run,"
  why="$why or failed, when the image was built). This is not your submission's fault: tell the course staff."
  echo "run_autograder: $why" >&2
  mkdir -p "$root/results"
  printf '{"score": 0, "output": "%s", "tests": [], "stdout_visibility": "hidden"}\\n' "$why" \\
    > "$root/results/results.json"
  exit 0
fi
cd "$src"
exec "$src/.venv/bin/python" -m autograder.gradescope run --root "$root" --stop-after {stop}
"""


# --------------------------------------------------------------------------- build
def bundle_members() -> list[tuple[Path, str]]:
    """``(file, name in the zip)`` for every file of the bundle (setup.sh and run_autograder aside)."""
    members = [(REPO / f, f) for f in BUNDLE_FILES]
    for tree in BUNDLE_TREES:
        root = REPO / tree
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            name = path.relative_to(REPO).as_posix()
            if not SKIP.search(name):
                members.append((path, name))
    return members


def build(out: Path, minutes: float = TIME_LIMIT_MINUTES) -> Path:
    """Write ``out/autograder.zip``; its run_autograder stops grading in time for Gradescope's
    limit of ``minutes`` (the autograder's settings on Gradescope must say the same)."""
    if stop_after(minutes) < 300:
        raise ValueError(f"leaves no time to grade: expected 7 minutes or more, received {minutes:g}")
    require_intact("Nothing was written: a bundle of these files would grade every student 0 on Gradescope")
    out.mkdir(parents=True, exist_ok=True)
    target = out / "autograder.zip"
    tmp = out / ".autograder.zip.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        run_autograder = RUN_AUTOGRADER.replace("{stop}", str(stop_after(minutes)))
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", run_autograder)):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable, as Gradescope requires
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path, name in bundle_members():
            zf.write(path, name)
    tmp.replace(target)
    return target


# --------------------------------------------------------------------------- finding notebooks
def canonical(filename: str) -> str | None:
    """The assignment notebook a file name stands for, or None: ``2_transpose_convolution (1).ipynb``,
    ``Copy of 2_Transpose_Convolution.ipynb`` and ``2_transpose_convolution-2.ipynb`` all stand for
    ``2_transpose_convolution``."""
    stem = filename[: -len(".ipynb")] if filename.lower().endswith(".ipynb") else None
    if stem is None:
        return None
    stem = re.sub(r"^(copy of |kopie von |copie de )", "", stem.strip(), flags=re.IGNORECASE)
    stem = re.sub(r"(\s*\(\d+\)|[-_ ]copy\d*|-\d+)$", "", stem, flags=re.IGNORECASE).strip()
    stem = re.sub(r"[\s-]+", "_", stem).lower()
    return stem if stem in registry() else None


def _hidden(parts) -> bool:
    """Inside a hidden folder (``.venv/``, ``.ipynb_checkpoints/``) or macOS's ``__MACOSX/``."""
    return any(p.startswith((".", "__MACOSX")) for p in parts)


def _graded_member(name: str) -> bool:
    """A zip member the grader reads: a notebook outside hidden folders (a student's ``.venv/``,
    ``.ipynb_checkpoints/``) and macOS's ``__MACOSX/``. Nothing else is unpacked, so a zip of a
    whole folder, with its environment, still reaches its notebooks within the caps."""
    parts = name.replace("\\", "/").split("/")
    return parts[-1].lower().endswith(".ipynb") and not _hidden(parts)


def unpack_zips(folder: Path, notes: list[str]) -> None:
    """Unpack the notebooks of every .zip under ``folder`` next to it (members that would land
    outside, or are too large, are skipped with a note)."""
    for archive in sorted(folder.rglob("*.zip")):
        dest = archive.with_name(archive.stem + ".unzipped")
        total = 0
        try:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    target = (dest / info.filename).resolve()
                    if info.is_dir() or not str(target).startswith(str(dest.resolve()) + os.sep):
                        continue
                    if not _graded_member(info.filename):
                        continue
                    total += info.file_size
                    if info.file_size > ZIP_MEMBER_CAP or total > ZIP_TOTAL_CAP:
                        notes.append(f"{archive.name}: {info.filename} not unpacked (too large)")
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
            notes.append(f"{archive.name} could not be unpacked ({type(exc).__name__}): its notebooks are not graded")


def collect(submission: Path, staging: Path) -> tuple[dict[str, str], list[str]]:
    """Copy the submission's notebooks to ``staging/<name>.ipynb``; return ``{name: file it came
    from}`` and notes (renamed files, duplicates, files that are not notebooks of the assignment)."""
    notes: list[str] = []
    work = staging.parent / "unpacked"
    shutil.copytree(submission, work, symlinks=True, dirs_exist_ok=True)  # links copied as links, never followed
    unpack_zips(work, notes)
    candidates: dict[str, list[Path]] = {}
    strangers = []
    for path in sorted(work.rglob("*")):
        parts = path.relative_to(work).parts
        if path.is_symlink() or not path.is_file() or _hidden(parts):
            continue
        if path.suffix.lower() == ".ipynb":
            name = canonical(path.name)
            if name:
                candidates.setdefault(name, []).append(path)
            else:
                strangers.append(path.relative_to(work).as_posix())
    staging.mkdir(parents=True, exist_ok=True)
    chosen = {}
    for name, paths in candidates.items():
        # the exact name first, then the most recently changed file
        best = sorted(paths, key=lambda p: (p.name != f"{name}.ipynb", -p.stat().st_mtime, len(p.parts)))[0]
        shutil.copyfile(best, staging / f"{name}.ipynb")
        rel = best.relative_to(work).as_posix()
        chosen[name] = rel
        if rel != f"{name}.ipynb":
            notes.append(f"graded {rel} as {name}.ipynb")
        if len(paths) > 1:
            others = ", ".join(p.relative_to(work).as_posix() for p in paths if p != best)
            notes.append(f"{len(paths)} files could be {name}.ipynb: graded {rel}, not {others}")
    if strangers:
        notes.append(f"not graded (not a notebook of this assignment): {', '.join(strangers)}")
    return chosen, notes


# --------------------------------------------------------------------------- run
def zero_results(why: str) -> dict:
    from autograder.grading import unreadable_result

    return unreadable_result(Path(ASSIGNMENT), why).gradescope()


def finish(results: dict, notes: list[str], started: float) -> dict:
    """Gradescope's top-level fields around the runner's results."""
    for test in results.get("tests", []):
        test["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
    output = "\n".join([*notes, results.get("output", "")]).strip()
    results.update(
        output=output,
        output_format="text",
        test_output_format="text",
        visibility="visible",
        stdout_visibility="hidden",
        execution_time=round(time.monotonic() - started, 1),
    )
    return results


def _pytest_runner(cmd: list[str], seconds: float) -> tuple[str, str, int | None, bool]:
    """Run the pytest runner for at most ``seconds``: ``(stdout, stderr, exit code, stopped)``.
    Past the limit it is interrupted (SIGINT: pytest ends the session, and its plugin writes the
    results of the checks it finished), then killed if it has not ended ``STOP_GRACE`` s later."""
    import signal

    proc = subprocess.Popen(
        cmd, cwd=REPO, env=pytest_runner_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=seconds)
        return out, err, proc.returncode, False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return out, err, proc.returncode, True


def _stopped(results: dict | None, seconds: float) -> dict:
    """What a run stopped at ``seconds`` gets: the checks it finished with their points, every other
    check of the assignment with 0 and why, and a line at the top that says so."""
    why = (
        f"Grading was stopped after {seconds:g} s, before Gradescope's time limit: the checks it had not "
        f"finished score 0. Tell the course staff; a notebook that runs top to bottom in a few minutes "
        f"on a laptop is graded well within the limit."
    )
    zero = zero_results(why)
    done = {t["name"]: t for t in (results or {}).get("tests", [])}
    tests = [done.get(t["name"], t) for t in zero["tests"]]
    out = dict(results or zero, tests=tests, score=round(sum(t["score"] for t in tests), 6))
    out["output"] = "\n".join(filter(None, [why, (results or {}).get("output", "")]))
    return out


def run(root: Path, seconds: float = stop_after(TIME_LIMIT_MINUTES)) -> dict:
    """Grade ``root/submission`` (for at most ``seconds``); write and return
    ``root/results/results.json``'s content."""
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="convnets-gradescope-") as tmp:
        staging = Path(tmp) / ASSIGNMENT
        try:
            chosen, notes = collect(root / "submission", staging)
        except OSError as exc:
            chosen, notes = {}, [f"the submission could not be read: {exc}"]
        expected = ", ".join(f"{n}.ipynb" for n in registry())
        if damaged_data := damaged():
            results = zero_results(
                "The autograder's own files are damaged, so it graded nothing: this is not your "
                "submission's fault; tell the course staff, who can regrade once the autograder is fixed. "
                f"(For the staff: {'; '.join(damaged_data)}; rebuild autograder.zip from a checkout where "
                "`python -m autograder.own_data` passes.)"
            )
        elif not chosen:
            results = zero_results(f"no notebook of this assignment in the submission: expected {expected}")
        else:
            raw = Path(tmp) / "results.json"
            cmd = [sys.executable, "-m", "pytest", "autograder", "--submission", str(staging)]
            cmd += ["--results-json", str(raw), "-q", "-p", "no:cacheprovider"]
            try:
                left = max(1.0, seconds - (time.monotonic() - started))
                out, err, code, stopped = _pytest_runner(cmd, left)
                print(out[-20000:], err[-5000:], sep="\n")  # the staff's log (stdout_visibility)
                try:
                    results = json.loads(raw.read_text()) if raw.is_file() else None
                except ValueError:
                    results = None
                if stopped:
                    results = _stopped(results, seconds)
                elif results is None:
                    last = (out.strip().splitlines() or ["(no output)"])[-1]
                    results = zero_results(f"the autograder could not grade this submission (exit {code}): {last}")
            except OSError as exc:
                results = zero_results(f"the autograder could not grade this submission: {type(exc).__name__}: {exc}")
    results = finish(results, notes, started)
    write_atomic(results_path, (json.dumps(results, indent=2) + "\n").encode())
    return results


def main(argv=None) -> int:
    ap = Parser(
        prog="python -m autograder.gradescope",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write autograder.zip for Gradescope")
    b.add_argument("--out", type=Path, default=REPO / "build" / "gradescope")
    r = sub.add_parser(
        "run", help="grade ROOT/submission, write ROOT/results/results.json (Gradescope's run_autograder)"
    )
    r.add_argument("--root", type=Path, default=Path("/autograder"))
    r.add_argument(
        "--stop-after",
        type=float,
        default=stop_after(TIME_LIMIT_MINUTES),
        metavar="SECONDS",
        help="stop grading after this long and report what was graded (default: Gradescope's limit "
        f"of {TIME_LIMIT_MINUTES} minutes less {STOP_MARGIN} s; build --time-limit sets it)",
    )
    b.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT_MINUTES,
        metavar="MINUTES",
        help=f"the time limit set in the autograder's settings on Gradescope (default {TIME_LIMIT_MINUTES})",
    )
    args = ap.parse_args(argv)
    if args.command == "build":
        try:
            target = build(args.out, args.time_limit)
        except ValueError as exc:  # the one rule, build's: a limit that leaves no time to grade
            ap.error(f"--time-limit: {exc}")
        except GraderDataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.GRADER_DATA
        print(
            f"wrote {target} ({target.stat().st_size >> 20} MiB): upload it as the assignment's autograder, "
            f"and set its time limit on Gradescope to {args.time_limit:g} minutes"
        )
        return ExitCode.OK
    if not (args.root / "submission").is_dir():
        ap.error(f"--root {args.root}: expected a folder with submission/ in it (Gradescope's /autograder)")
    try:
        results = run(args.root, args.stop_after)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results file whatever happens
        results = finish(zero_results(f"autograder error: {type(exc).__name__}: {exc}"), [], time.monotonic())
        write_atomic(args.root / "results" / "results.json", (json.dumps(results, indent=2) + "\n").encode())
    print(f"{results['score']:g} points; results in {args.root / 'results' / 'results.json'}")
    return ExitCode.OK  # Gradescope reads results.json; a non-zero status would only hide it


if __name__ == "__main__":
    sys.exit(main())

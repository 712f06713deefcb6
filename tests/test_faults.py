"""Faults of the grader itself: the batch grader killed (SIGKILL) at random moments and resumed
gives the grades of a run that was not interrupted, with no record lost, doubled or half
written, no process and no scratch folder left behind; a full disk or a read-only output
folder is reported before any work is lost, and the same command, run again once there is
room, grades only the students left.

The batch grader runs as the TA runs it (``python -m autograder.batch grade``), in its own
process, with a private TMPDIR so that its scratch folders can be counted exactly."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import nbformat
import pytest

from autograder import batch
from autograder.exitcodes import ExitCode
from autograder.paths import ASSIGNMENT, REPO
from autograder.report.records import load_records
from autograder.sandbox.run import SCRATCH_PREFIX
from lab import examples as ex
from lab.examples import hostile as hs

NB = "2_transpose_convolution"
# Correct, blank, wrong, and faults the sandbox stops (nb2_hostile_faults: sys.exit, a connection
# that would never answer, `sleep 1000`, os.fork); with SLOW below, the outcomes a grader can be
# killed in.
CLASS = ["solution", "blank", "nb2_round_not_floor_and_plus_2p", "nb2_hostile_faults"]
SEED = 20261130


# Faults that only the limits stop: a check that never returns (asleep, so that it costs the
# machine no CPU while the other job grades), os._exit, SIGKILL, 8 GiB, a flood.
FAULTS = {**hs.SLOW_FAULTS, hs.CONV: "import time; time.sleep(1000)"}
SLOW = hs.hostile("asleep_and_crashing", hs.with_faults(FAULTS), set(FAULTS))


def write_class(root: Path, faults: bool = True) -> Path:
    submitted = root / "submitted"
    ex.write_examples(submitted, CLASS if faults else CLASS[:3], notebooks=[NB])
    if not faults:
        return submitted
    (submitted / SLOW.name / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(ex.apply(SLOW), str(submitted / SLOW.name / ASSIGNMENT / f"{NB}.ipynb"))
    return submitted


def grader(submitted: Path, out: Path, tmpdir: Path) -> subprocess.Popen:
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "autograder.batch", "grade", str(submitted), "--out", str(out), "--jobs", "2"]
        + ["--time-limit", "20"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def descendants(pid: int) -> set[tuple[int, str]]:
    """``{(pid, start time)}`` of every process below ``pid`` (from /proc)."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                try:
                    started = Path(f"/proc/{kid}/stat").read_text().rsplit(")", 1)[1].split()[19]
                except (OSError, IndexError):
                    continue
                found.add((kid, started))
                todo.append(kid)
    return found


def alive(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    out = set()
    for pid, started in processes:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19] == started:
                out.add((pid, started))
        except (OSError, IndexError):
            pass
    return out


def grades(out: Path) -> dict[str, tuple]:
    """What a student is given, per student: status, score and each check's points."""
    return {
        student: (
            record["status"],
            record["results"]["score"],
            tuple((t["name"], t["score"], t["max_score"]) for t in record["results"]["tests"]),
        )
        for student, record in load_records(out).items()
    }


def assert_outputs_whole(out: Path, students: list[str]) -> None:
    assert not [p.name for p in out.rglob("*.tmp")], "a temporary file was left"
    for student in students:
        json.loads((out / "students" / f"{student}.json").read_text())
        json.loads((out / "results" / student / "results.json").read_text())
    suites = [s.get("name") for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")]
    assert suites == students, suites
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(students), rows


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="counts processes in /proc")
def test_killed_three_times_then_resumed_gives_the_grades_of_an_uninterrupted_run(tmp_path):
    submitted = write_class(tmp_path)
    students = sorted(p.name for p in submitted.iterdir())
    scratch = tmp_path / "tmp"

    # The uninterrupted run goes on beside the killed ones (its own TMPDIR): most of its time is
    # a check asleep until its time limit.
    whole = grader(submitted, tmp_path / "whole", tmp_path / "tmp-whole")

    rng = random.Random(SEED)
    out = tmp_path / "interrupted"

    def saved() -> int:
        return len(list((out / "students").glob("*.json"))) if (out / "students").is_dir() else 0

    # Three moments, each waited for (a loaded machine starts TensorFlow slowly), then a seeded
    # delay: while the grader starts, while a notebook is being graded, just after a record is saved.
    moments = [
        ("start-up", lambda run, before: True, rng.uniform(0.5, 3.0)),
        ("grading a notebook", lambda run, before: len(descendants(run.pid)) >= 2, rng.uniform(0.0, 2.0)),
        ("after a save", lambda run, before: saved() > before, rng.uniform(0.0, 0.3)),
    ]
    kills = []
    for moment, ready, delay in moments:
        before = saved()
        run = grader(submitted, out, scratch)
        deadline = time.monotonic() + 300
        while run.poll() is None and not ready(run, before) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(delay)
        while run.poll() is None and not ready(run, before) and time.monotonic() < deadline:
            time.sleep(0.01)  # the notebook ended during the delay: the next one
        below = descendants(run.pid)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
        kills.append({"moment": moment, "records before": before, "records after": saved(), "processes": len(below)})
        deadline = time.monotonic() + 60  # a loaded machine (the suite's main job runs meanwhile)
        while alive(below) and time.monotonic() < deadline:
            time.sleep(0.2)  # the zygote sees its grader gone (stdin closed) and kills its children
        assert not alive(below), f"processes outlived the killed grader: {alive(below)}"
    log = whole.communicate(timeout=900)[0]
    assert whole.returncode == ExitCode.CHECKS_FAILED, log  # graded, and some students lost points
    expected = grades(tmp_path / "whole")
    assert sorted(expected) == students, log
    resumed = grader(submitted, out, scratch)
    log = resumed.communicate(timeout=900)[0]
    assert resumed.returncode == whole.returncode, log
    assert f"{len(students)} submissions" in log and "already graded" in log, log
    assert grades(out) == expected, (kills, log)
    print(f"killed at {kills}")
    assert kills[1]["processes"] >= 2, f"the second kill should land while a notebook is graded: {kills}"
    assert_outputs_whole(out, students)
    left = [p.name for tmp in (scratch, tmp_path / "tmp-whole") for p in tmp.glob(SCRATCH_PREFIX + "*")]
    assert left == [], f"scratch folders left after kills {kills}: {left}"


def _unshare_works() -> bool:
    if sys.platform != "linux" or not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && echo ok"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() == "ok"


def in_a_small_disk(script: str, mount: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``script`` (sh) where ``mount`` is a tmpfs of its own (a user and mount namespace)."""
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(cwd / "tmp")},
        capture_output=True,
        text=True,
        timeout=900,
    )


needs_unshare = pytest.mark.skipif(not _unshare_works(), reason="needs unshare -rm (user and mount namespaces)")


@pytest.mark.slow
@needs_unshare
@pytest.mark.parametrize(
    "options, why",
    [("size=512k", "No space left on device"), ("ro", "Read-only file system")],
    ids=["full-disk", "read-only"],
)
def test_a_folder_that_cannot_take_the_results_is_reported_before_anyone_is_graded(tmp_path, options, why):
    submitted = write_class(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "tmp").mkdir()
    started = time.monotonic()
    done = in_a_small_disk(
        f"mount -t tmpfs -o {options} tmpfs {out} && "
        f"{sys.executable} -m autograder.batch grade {submitted} --out {out} --jobs 2",
        out,
        tmp_path,
    )
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == ExitCode.NOT_GRADED, done.stderr
    assert last.startswith("error: cannot write the results under") and why in last, last
    assert "nothing was graded" in last, last
    assert time.monotonic() - started < 60, "it stopped before grading anyone"


@pytest.mark.slow
@needs_unshare
def test_a_disk_that_fills_up_midway_keeps_every_saved_record_and_the_rerun_grades_the_rest(tmp_path):
    """A tmpfs with room for a few files only (nr_inodes): the run stops at the first record it
    cannot save, says how many were saved and how many are left; after the folder is given more
    room, the same command grades only those left, and every student has one whole record."""
    submitted = write_class(tmp_path, faults=False)
    students = sorted(p.name for p in submitted.iterdir())
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "tmp").mkdir()
    grade = f"{sys.executable} -m autograder.batch grade {submitted} --out {out} --jobs 2 --time-limit 20"
    done = in_a_small_disk(
        f"mount -t tmpfs -o nr_inodes=9 tmpfs {out} && {{ {grade}; echo exit=$?; }} && "
        f"mount -o remount,nr_inodes=10000 {out} && {{ {grade}; ls {out}/students > {tmp_path}/listing; }}",
        out,
        tmp_path,
    )
    _, _, second = done.stdout.partition("exit=")
    assert second.startswith(str(int(ExitCode.NOT_GRADED))), (done.stdout, done.stderr)
    stop = next(line for line in done.stderr.splitlines() if line.startswith("error: stopped grading"))
    assert "No space left on device" in stop and "run the same command again" in stop, stop
    saved = int(stop.split(" records were saved")[0].rsplit(" ", 1)[-1])
    assert 0 < saved < len(students), stop
    assert f"{saved} already graded and unchanged, {len(students) - saved} to grade" in done.stderr, done.stderr
    listing = (tmp_path / "listing").read_text().split()
    assert sorted(listing) == sorted(f"{s}.json" for s in students), listing
    assert done.returncode == 0, done.stderr  # the listing was written


@pytest.mark.skipif(sys.platform != "linux", reason="tells live processes from /proc")
def test_a_killed_runs_temporary_files_are_removed_and_a_live_ones_kept(tmp_path):
    """What a grader killed while it probed the folder or wrote a record leaves (the probe, half a
    record under a temporary name) is removed by the next run; a running grader's is not."""
    dead = next(pid for pid in range(4_000_000, 3_000_000, -1) if not Path(f"/proc/{pid}").exists())
    live = os.getppid()
    (tmp_path / "students").mkdir()
    (tmp_path / "results" / "alice").mkdir(parents=True)
    left = [
        tmp_path / "students" / f".room.{dead}.0.tmp",
        tmp_path / "students" / f".alice.json.{dead}.140.tmp",
        tmp_path / "results" / "alice" / f".results.json.{dead}.140.tmp",
    ]
    kept = [tmp_path / "students" / f".bob.json.{live}.7.tmp", tmp_path / "students" / "carol.json"]
    for path in left + kept:
        path.write_text("{")
    batch._remove_leftovers(tmp_path)
    assert [p.name for p in left if p.exists()] == [] and all(p.exists() for p in kept)

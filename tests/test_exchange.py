"""The nbgrader exchange end to end, as a JupyterHub course runs it, with a local exchange folder:
the instructor's ``release_assignment``; each student's ``fetch_assignment``, work and ``submit``
(one of them twice); ``collect``; the batch grader; ``convnets-gradebook``; ``generate_feedback``,
``release_feedback``; and each student's ``fetch_feedback``, which must show the score their
notebook earned. Every step is the real command, run where its user runs it (the course folder,
a student's home), with the course and the exchange named on the command line as a hub's
``nbgrader_config.py`` would name them."""

from __future__ import annotations

import csv
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.assign.build import bin_path, nbgrader_env
from autograder.checks import registry
from autograder.exitcodes import ExitCode
from autograder.paths import ASSIGNMENT, REPO
from lab import examples as ex

pytestmark = pytest.mark.slow
COURSE_ID = "week5-convnets"
NB = "2_transpose_convolution"
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails and not e.threat)
NB_POINTS = registry()[NB].points
LOST = registry()[NB].points_of(MISTAKE.fails)
# student: (what they submit, in order; the notebook 2 points it earns). The other notebooks are
# handed in as fetched (0 points).
STUDENTS = {
    "ada": (["solution"], NB_POINTS),
    "ben": (["blank", "mistake"], NB_POINTS - LOST),  # submitted twice: the later one is graded
    "cy": (["blank"], 0),
}


# A student's server on a hub (JupyterHub's docker and Kubernetes spawners): the process runs as
# the unprivileged user "jovyan", and nbgrader names the student by JUPYTERHUB_USER. Imitated with
# a uid no one has, named jovyan in a copy of /etc/passwd bound over it in a mount namespace.
JOVYAN = next(u for u in range(61000, 62000) if u not in {p.pw_uid for p in pwd.getpwall()})
USERS_GID = 100


def _can_be_jovyan() -> str:
    """Why the round cannot run here ('' when it can)."""
    if os.geteuid() != 0:
        return "the students' processes are run as another user: needs root"
    if not (shutil.which("unshare") and shutil.which("setpriv")):
        return "needs unshare and setpriv (util-linux)"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"unshare -m fails here: {probe.stderr.strip()}"


@pytest.fixture
def world():
    """A folder every user can enter (pytest's tmp_path is the owner's alone), and the copy of
    /etc/passwd that names the students' uid jovyan."""
    why = _can_be_jovyan()
    if why:
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="convnets-exchange-"))
    root.chmod(0o755)
    passwd = root / "passwd"
    passwd.write_text(Path("/etc/passwd").read_text() + f"jovyan:x:{JOVYAN}:{USERS_GID}::/home/jovyan:/bin/sh\n")
    passwd.chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _run(cmd: list[str], cwd: Path, user: str | None = None, code: int = 0) -> subprocess.CompletedProcess:
    env = nbgrader_env()
    if user:
        env.update(JUPYTERHUB_USER=user, HOME=str(cwd), USER="jovyan", LOGNAME="jovyan")
        become = f"--reuid={JOVYAN} --regid={USERS_GID} --clear-groups"
        passwd = cwd.parent.parent / "passwd"
        script = f'mount --bind "$0" /etc/passwd && exec setpriv {become} "$@"'
        cmd = ["unshare", "-m", "sh", "-c", script, str(passwd), *cmd]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == code, f"{' '.join(cmd[:3])} (in {cwd}) exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


def _nbgrader(step: str, cwd: Path, exchange: Path, user: str | None = None, *extra: str):
    where = [f"--Exchange.root={exchange}", f"--course={COURSE_ID}"]
    return _run([bin_path("nbgrader"), step, ASSIGNMENT, *where, *extra], cwd, user)


def _work(home: Path, kind: str) -> None:
    """What the student does to the fetched notebook 2 before submitting."""
    path = home / ASSIGNMENT / f"{NB}.ipynb"
    nb = {"solution": lambda: ex.solution_notebook(NB), "mistake": lambda: ex.apply(MISTAKE)}.get(kind)
    if nb is not None:
        nbformat.write(nb(), str(path))
        os.chown(path, JOVYAN, USERS_GID)


def test_the_exchange_round_from_release_to_fetched_feedback(world):
    exchange, course, homes = world / "exchange", world / "course", world / "home"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's documented set-up of a shared exchange: writable by every user
    course.mkdir()
    (course / "source").symlink_to(REPO / "source")
    (course / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())

    # The instructor: generate (records the test cells in gradebook.db) and release.
    _run([bin_path("nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
    _nbgrader("release_assignment", course, exchange)
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{NB}.ipynb").is_file()

    # Each student, in their own home: fetch, work, submit.
    for student, (kinds, _) in STUDENTS.items():
        home = homes / student
        home.mkdir(parents=True)
        os.chown(home, JOVYAN, USERS_GID)
        _nbgrader("fetch_assignment", home, exchange, student)
        fetched = sorted(p.name for p in (home / ASSIGNMENT).iterdir())
        assert "convnets_utils.py" in fetched and f"{NB}.ipynb" in fetched, fetched
        for kind in kinds:
            _work(home, kind)
            _nbgrader("submit", home, exchange, student)
    inbound = sorted(p.name.split("+")[0] for p in (exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(s for s, (kinds, _) in STUDENTS.items() for _ in kinds), inbound

    # The instructor: collect (the latest submission of each), grade, enter, give feedback.
    _nbgrader("collect", course, exchange)
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(STUDENTS)
    grades = world / "grades"
    grade = [bin_path("convnets-grade-class"), "grade", str(submitted), "--out", str(grades), "--jobs", "2"]
    _run(grade, course, code=ExitCode.CHECKS_FAILED)  # 1: some checks failed (ben's, cy's)
    for student, (_, points) in STUDENTS.items():
        rows = list(csv.DictReader((grades / "grades.csv").open()))
        assert {r["student_id"] for r in rows} == set(STUDENTS)
        assert float(next(r for r in rows if r["student_id"] == student)["raw_score"]) == points, (student, rows)
    _run([bin_path("convnets-gradebook"), str(course), "--records", str(grades)], course)
    _run([bin_path("nbgrader"), "generate_feedback", ASSIGNMENT], course)
    _nbgrader("release_feedback", course, exchange)

    # Each student: fetch the feedback; it shows the score their notebook 2 earned.
    for student, (_, points) in STUDENTS.items():
        home = homes / student
        _nbgrader("fetch_feedback", home, exchange, student)
        pages = sorted((home / ASSIGNMENT / "feedback").glob(f"*/{NB}.html"))
        assert len(pages) == 1, f"{student}: expected one feedback page for {NB}, found {pages}"
        text = pages[0].read_text(encoding="utf-8")
        assert "run_hidden_check" not in text and "references.npz" not in text
        shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
        assert shown, f"{student}: the feedback page shows no score"
        written = sum(
            float(c.metadata["nbgrader"]["points"])
            for c in nbformat.read(str(REPO / "source" / ASSIGNMENT / f"{NB}.ipynb"), as_version=4).cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
        )
        assert float(shown.group(1)) == points, f"{student}: feedback shows {shown.group(0)}, earned {points}"
        assert float(shown.group(2)) == NB_POINTS + written, shown.group(0)

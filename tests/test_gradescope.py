"""The Gradescope bundle: its layout, what it leaves out, and ``run_autograder`` graded end to end
from the unpacked bundle (not this checkout) on submissions laid out the ways students hand
them in."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import gradescope as gs
from autograder.checks import max_points, registry
from autograder.paths import REPO
from lab import examples as ex

NB = "2_transpose_convolution"
MISTAKE = next(e for e in ex.all_examples() if e.notebook == NB and e.fails and not e.threat)
ALL_CHECKS = [c.grade_id for spec in registry().values() for c in spec.checks]
NB2_CHECKS = [c.grade_id for c in registry()[NB].checks]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gs.build(tmp_path_factory.mktemp("gradescope"))


def test_the_bundle_has_gradescope_layout_and_no_solution(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        scripts = {n: zf.read(n).decode() for n in ("setup.sh", "run_autograder")}
    for script in ("setup.sh", "run_autograder"):
        assert script in names and modes[script] & stat.S_IXUSR, f"{script} must be at the top, executable"
    assert {f"autograder/references/{n}.npz" for n in registry()} <= names
    assert "release/convnets/data/digits.npz" in names and "requirements.txt" in names
    leaks = sorted(n for n in names if n.startswith(("source/", "tests/")) and not n.endswith("convnets_utils.py"))
    assert leaks == [], f"the bundle holds solutions or this repository's tests: {leaks}"
    assert not [n for n in names if "__pycache__" in n]
    for name, text in scripts.items():
        check = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
        assert check.returncode == 0, (name, check.stderr)
    stop = gs.stop_after(gs.TIME_LIMIT_MINUTES)
    assert f"--stop-after {stop}" in scripts["run_autograder"], "run_autograder stops before Gradescope's limit"


def test_the_bundles_stop_follows_the_time_limit_gradescope_is_given(tmp_path):
    """build --time-limit 40 (Gradescope's setting): run_autograder stops 90 s before 40 minutes; a
    limit too short to grade anything is refused, saying what it expected."""
    with zipfile.ZipFile(gs.build(tmp_path / "40", minutes=40)) as zf:
        assert "--stop-after 2310" in zf.read("run_autograder").decode()
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "autograder.gradescope", "build", "--time-limit", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "expected 7 minutes or more" in done.stderr and "received 5" in done.stderr


@pytest.mark.slow
def test_a_run_stopped_before_gradescopes_limit_keeps_what_it_graded(tmp_path):
    """A submission whose notebook 3 hangs in its first answer cell (the cell limit is 300 s), graded with
    a stop at 40 s: notebook 2, graded before it, keeps its points; every check of notebook 3 and
    of the missing notebooks is listed with 0, and the output says grading was stopped and why."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    nbformat.write(ex.solution_notebook(NB), str(root / "submission" / f"{NB}.ipynb"))
    hang = ex.solution_notebook("3_image_to_image")
    first = next(c for c in hang.cells if c.metadata.get("nbgrader", {}).get("solution"))  # the student's code
    first.source = "while True:\n    pass\n" + first.source
    nbformat.write(hang, str(root / "submission" / "3_image_to_image.ipynb"))
    results = gs.run(root, seconds=40)
    assert results == json.loads((root / "results" / "results.json").read_text())
    scores = {t["name"]: t for t in results["tests"]}
    assert list(scores) == ALL_CHECKS, "every check of the assignment is listed"
    nb2_points = sum(c.points for c in registry()[NB].checks)
    assert results["score"] == nb2_points, (results["score"], nb2_points, results["output"][:500])
    assert all(scores[g]["score"] == scores[g]["max_score"] for g in NB2_CHECKS)
    assert results["output"].startswith("Grading was stopped after 40 s"), results["output"][:300]
    for check in registry()["3_image_to_image"].checks:
        assert scores[check.grade_id]["score"] == 0 and "stopped" in scores[check.grade_id]["output"], check.grade_id
    assert results["execution_time"] < 40 + gs.STOP_GRACE + 30, results["execution_time"]


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("2_transpose_convolution.ipynb", NB),
        ("2_transpose_convolution (1).ipynb", NB),
        ("2_transpose_convolution (12).ipynb", NB),
        ("Copy of 2_Transpose_Convolution.ipynb", NB),
        ("2_transpose_convolution-2.ipynb", NB),
        ("2 transpose convolution.ipynb", NB),
        ("2_transpose_convolution.py", None),
        ("homework.ipynb", None),
        ("3_transpose_convolution.ipynb", None),
    ],
)
def test_file_names_students_hand_in_are_recognised(filename, expected):
    assert gs.canonical(filename) == expected


def test_a_zip_of_the_whole_folder_reaches_its_notebooks_past_the_environment(tmp_path, monkeypatch):
    """A student zips the assignment folder with the .venv/ the guide had them make (over 1 GB,
    sorted before the notebooks): only notebooks are unpacked, so the caps are not spent on it;
    a notebook too large is still refused with a note."""
    monkeypatch.setattr(gs, "ZIP_TOTAL_CAP", 1 << 20)
    monkeypatch.setattr(gs, "ZIP_MEMBER_CAP", 1 << 20)
    submission = tmp_path / "submission"
    submission.mkdir()
    with zipfile.ZipFile(submission / "convnets.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("convnets/.venv/lib/python3.12/site-packages/tensorflow/libtf.so", b"\0" * (3 << 20))
        zf.writestr("convnets/.venv/share/jupyter/example.ipynb", "{}")
        zf.writestr("convnets/data/segmentation.npz", b"\0" * (2 << 20))
        zf.writestr(f"convnets/{NB}.ipynb", nbformat.writes(ex.solution_notebook(NB)))
        zf.writestr("convnets/3_image_to_image.ipynb", b" " * (2 << 20))
    chosen, notes = gs.collect(submission, tmp_path / "staging")
    assert chosen == {NB: f"convnets.unzipped/convnets/{NB}.ipynb"}, (chosen, notes)
    assert (tmp_path / "staging" / f"{NB}.ipynb").is_file()
    assert notes == [
        "convnets.zip: convnets/3_image_to_image.ipynb not unpacked (too large)",
        f"graded convnets.unzipped/convnets/{NB}.ipynb as {NB}.ipynb",
    ], notes


def _submission(root: Path, layout: str) -> None:
    sub = root / "submission"
    sub.mkdir(parents=True)
    if layout == "perfect: the four notebooks":
        for name in registry():
            nbformat.write(ex.solution_notebook(name), str(sub / f"{name}.ipynb"))
    elif layout == "solution zipped, renamed, in folders":
        inner = root / "zipme" / "hw5" / "convnets"
        inner.mkdir(parents=True)
        nbformat.write(ex.solution_notebook(NB), str(inner / f"{NB} (1).ipynb"))
        (inner / ".ipynb_checkpoints").mkdir()
        (inner / ".ipynb_checkpoints" / f"{NB}-checkpoint.ipynb").write_text("{}")
        shutil.make_archive(str(sub / "submission"), "zip", root / "zipme")
        shutil.rmtree(root / "zipme")
    elif layout == "renamed by the browser":
        nbformat.write(ex.solution_notebook(NB), str(sub / f"Copy of {NB.title()} (2).ipynb"))
    elif layout == "blank":
        nbformat.write(ex.blank_notebook(NB), str(sub / f"{NB}.ipynb"))
    elif layout == "mistake":
        nbformat.write(ex.apply(MISTAKE), str(sub / f"{NB}.ipynb"))
    elif layout == "misnamed":
        nbformat.write(ex.solution_notebook(NB), str(sub / "homework.ipynb"))
    elif layout == "unreadable":
        (sub / f"{NB}.ipynb").write_text("{ this is not JSON")
    elif layout == "empty":
        pass


OTHERS = [c.grade_id for name, spec in registry().items() if name != NB for c in spec.checks]
LAYOUTS = {  # layout: (checks lost, words in the output)
    "perfect: the four notebooks": (set(), []),
    "solution zipped, renamed, in folders": (set(OTHERS), [f"as {NB}.ipynb"]),
    "renamed by the browser": (set(OTHERS), [f"as {NB}.ipynb"]),
    "blank": (set(ALL_CHECKS), []),
    "mistake": (set(MISTAKE.fails) | set(OTHERS), []),
    "misnamed": (set(ALL_CHECKS), ["no notebook of this assignment", "homework.ipynb"]),
    "unreadable": (set(ALL_CHECKS), ["unreadable"]),
    "empty": (set(ALL_CHECKS), ["no notebook of this assignment"]),
}
# Gradescope's autograder specification (gradescope-autograders.readthedocs.io, "Specifications"):
# results.json's fields, what a test's visibility and status may be.
TOP_FIELDS = ("score", "tests", "output", "output_format", "visibility", "stdout_visibility", "execution_time")
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
RESULTS_CAP = 1 << 20  # bytes: far above what a results file of this assignment needs


def gradescope_tree(bundle: Path, root: Path) -> Path:
    """The tree Gradescope's specification lays out: the bundle unpacked into ROOT/source, its
    run_autograder copied to ROOT/run_autograder, and ROOT/submission, ROOT/results beside them.
    setup.sh would make ROOT/source/.venv from the pins (it needs the network, and is run for
    real by tests/test_gradescope_image.py); here it is this checkout's, made from the same pins."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(source)
    for script in ("run_autograder", "setup.sh"):
        (source / script).chmod(0o755)
    (source / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    return source


def check_results(results: dict, lost: set, words: list, what: str) -> None:
    for key in TOP_FIELDS:
        assert key in results, (what, key)
    assert [t["name"] for t in results["tests"]] == ALL_CHECKS, what
    assert results["visibility"] in VISIBILITIES and results["stdout_visibility"] in VISIBILITIES, what
    for test in results["tests"]:
        assert test["visibility"] in VISIBILITIES and test["status"] in ("passed", "failed"), (what, test)
        assert 0 <= test["score"] <= test["max_score"], (what, test)
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9
    assert sum(t["max_score"] for t in results["tests"]) == max_points()[0]
    failed = {t["name"] for t in results["tests"] if t["status"] == "failed"}
    assert failed == lost, (what, sorted(failed ^ lost), results["output"][-3000:])
    for word in words:
        assert word in results["output"], (what, word, results["output"])


def all_checks():
    return [c for spec in registry().values() for c in spec.checks]


@pytest.mark.slow
def test_run_autograder_where_gradescope_copies_it_always_writes_results(bundle, tmp_path):
    """Each layout graded as Gradescope runs it: ``/autograder/run_autograder`` (the copy), from
    ``/autograder``, with no environment of ours: exit 0, a results.json with the specification's
    fields, every check of the assignment listed, and the points the submission earns. The
    grader that runs is the bundle's, not this checkout's."""
    root = tmp_path / "autograder"
    source = gradescope_tree(bundle, root)
    where = subprocess.run(
        [str(source / ".venv" / "bin" / "python"), "-c", "import autograder; print(autograder.__file__)"],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(source)), f"the grader must come from the bundle: {where.stdout}"
    env = {k: v for k, v in os.environ.items() if k != "GRADESCOPE_ROOT"}
    for layout, (lost, words) in LAYOUTS.items():
        for old in ("submission", "results"):  # Gradescope starts every submission in a fresh container
            shutil.rmtree(root / old, ignore_errors=True)
        _submission(root, layout)
        (root / "results").mkdir()
        done = subprocess.run(
            [str(root / "run_autograder")],  # Gradescope's /autograder/run_autograder
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, (layout, done.stdout[-2000:], done.stderr[-2000:])
        path = root / "results" / "results.json"
        assert path.stat().st_size < RESULTS_CAP, layout
        check_results(json.loads(path.read_text()), lost, words, layout)


@pytest.mark.slow
def test_run_autograder_also_runs_where_it_is_unpacked(bundle, tmp_path):
    """``source/run_autograder`` run in place (as an instructor tries the bundle) grades the same
    way, ROOT being the folder that holds source/."""
    root = tmp_path / "autograder"
    gradescope_tree(bundle, root)
    _submission(root, "mistake")
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    results = json.loads((root / "results" / "results.json").read_text())
    check_results(results, set(MISTAKE.fails) | set(OTHERS), [], "in place")


def test_run_autograder_without_setup_writes_results_that_say_so(bundle, tmp_path):
    """An image whose setup.sh failed: run_autograder cannot start Python, and still writes a
    results.json that tells the student it is not their fault (exit 0, Gradescope shows it)."""
    root = tmp_path / "autograder"
    source = root / "source"
    with zipfile.ZipFile(bundle) as zf:
        zf.extract("run_autograder", source)
        zf.extract("setup.sh", source)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    _submission(root, "blank")
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "setup.sh did not run" in results["output"], results
    assert "not your submission's fault" in results["output"]


IMAGE_OPT_IN = "CONVNETS_IMAGE_TEST"


@pytest.mark.slow
def test_setup_sh_builds_the_image_in_a_clean_ubuntu_and_run_autograder_grades_there(tmp_path):
    """scripts/gradescope-image.sh: setup.sh run as root in a clean Ubuntu 24.04 made by
    debootstrap (no venv module's ensurepip, no pip cache, the pins from PyPI), then run_autograder
    from /autograder for a perfect and a blank notebook 2. It downloads Ubuntu and every pin and
    builds a 2.6 GB image (about 3 minutes here, docs/instructors.md), so it runs when asked:
    CONVNETS_IMAGE_TEST=1."""
    if os.environ.get(IMAGE_OPT_IN) != "1":
        pytest.skip(f"builds a 2.6 GB Ubuntu image from the network (about 3 min): set {IMAGE_OPT_IN}=1")
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        pytest.skip("needs root and debootstrap (apt-get install debootstrap) to build a root file system")
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "gradescope-image.sh"), str(tmp_path / "image")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(done.stdout)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    graded = [line for line in done.stdout.splitlines() if line.startswith("graded in the image")]
    assert len(graded) == 2 and "image: Ubuntu 24.04" in done.stdout, done.stdout

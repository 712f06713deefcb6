"""The grader itself: bad input, faults in student code, the process boundary, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder.exitcodes import ExitCode
from autograder.grading import SubmissionError, SubmissionGrader, find_notebooks, grade_submission
from autograder.paths import REPO
from autograder.sandbox.plain import decode, encode, to_plain
from autograder.sandbox.run import Limits, run_notebook
from lab import examples as ex
from lab.examples import hostile as hs
from tests.helpers import write_example

NB1 = "1_residual_connections"


def run_cli(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "autograder", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


# ----------------------------------------------------------------------------- plain data
def test_only_plain_data_crosses_the_boundary():
    class Liar:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError, match="Liar"):
        encode({"x": Liar()})
    with pytest.raises(TypeError):
        encode({"x": np.array([Liar()], dtype=object)})

    class SneakyInt(int):
        def __eq__(self, other):
            return True

    value = to_plain(SneakyInt(3))
    assert type(value) is int and value == 3 and not value == 4
    roundtrip = decode(encode({"a": np.arange(3.0), "b": True, "c": 7, "d": "text", "e": [1, 2]}))
    assert roundtrip["b"] is True and roundtrip["c"] == 7 and roundtrip["d"] == "text"
    assert roundtrip["a"].dtype == np.float64 and list(roundtrip["e"]) == [1, 2]


def test_decode_refuses_pickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        decode(path)


# ----------------------------------------------------------------------------- reading submissions
def test_unreadable_submissions_are_refused_with_a_reason(tmp_path):
    with pytest.raises(SubmissionError, match="does not exist"):
        find_notebooks(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(SubmissionError, match="not a notebook"):
        find_notebooks(tmp_path / "notes.txt")
    (tmp_path / "homework.ipynb").write_text("{}")
    with pytest.raises(SubmissionError, match="not a notebook of this assignment"):
        find_notebooks(tmp_path / "homework.ipynb")
    broken = tmp_path / f"{NB1}.ipynb"
    broken.write_text("{ this is not json")
    with pytest.raises(SubmissionError, match="unreadable notebook"):
        SubmissionGrader(broken)
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    broken.write_text(json.dumps(v3))
    with pytest.raises(SubmissionError, match="nbformat 3"):
        SubmissionGrader(broken)


def test_cli_exit_codes_and_results_json_for_unreadable(tmp_path):
    results = tmp_path / "results.json"
    proc = run_cli("--submission", str(tmp_path / "missing"), "--results-json", str(results))
    assert proc.returncode == ExitCode.NOT_GRADED == 10, proc.stdout + proc.stderr
    assert "cannot grade this submission" in proc.stdout + proc.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 0 and all(t["score"] == 0 for t in data["tests"]) and data["tests"]
    proc = run_cli()
    assert proc.returncode == ExitCode.USAGE == 12 and "--submission" in proc.stdout + proc.stderr
    proc = run_cli("--help")
    assert proc.returncode == 0 and "Week 5 ConvNets autograder" in proc.stdout and "--submission" in proc.stdout


# ----------------------------------------------------------------------------- faults
NB2 = "2_transpose_convolution"


@pytest.mark.slow
def test_each_fault_costs_only_the_check_that_meets_it(tmp_path):
    """A hang, os._exit, SIGKILL, memory over the limit and a flood of output, each in the check
    of one function: each check gets 0 and says which limit it met; the untouched check passes
    (the child is restarted after each crash). The quick faults (sys.exit, network, processes,
    stderr) are the example nb2_hostile_faults, graded with the other examples."""
    faults = hs.SLOW_FAULTS
    example = hs.hostile("slow_faults", hs.with_faults(faults), set(faults))
    result = grade_submission(write_example(tmp_path, example), Limits(check_timeout=10, wall_seconds=240))
    scores = {t.name: t for t in result.tests}
    expect = {
        hs.CONV: "time limit",
        hs.TRANS: "exited with code 3",
        hs.EQUIV: "killed by SIGKILL",
        hs.PAD: "memory limit",
        hs.KERAS: "output limit",
    }
    assert set(expect) == set(faults)
    for grade_id, text in expect.items():
        assert scores[grade_id].score == 0 and text in scores[grade_id].output, (grade_id, scores[grade_id].output)
    assert scores[hs.ARRAY].score == scores[hs.ARRAY].max_score, scores[hs.ARRAY].output
    assert 10 <= scores[hs.CONV].seconds < 20, "the hang's check is recorded with its time in the child"


@pytest.mark.slow
def test_a_hang_in_the_notebook_body_is_stopped_and_reported(tmp_path):
    """conv_output_size hangs on the notebook's own example (4, 3, 1, 0): that cell is stopped
    at the cell limit, the notebook goes on, and only the checks that meet the hang fail. The
    limits are given a third of their size and a time scale of 3 (an emulated CPU's), so the
    scale is shown to reach the cell's limit in the child: 4 s times 3."""
    nb = ex.solution_notebook(NB2)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "conv_output_size_solution")
    line = "    return (i + 2 * p - k) // s + 1"
    cell.source = cell.source.replace(line, "    while (i, k, s, p) == (4, 3, 1, 0): pass\n" + line)
    path = tmp_path / f"{NB2}.ipynb"
    nbformat.write(nb, str(path))
    run = run_notebook(path, NB2, Limits(cell_timeout=4, check_timeout=2, wall_seconds=60, time_scale=3))
    assert any("ran past the 12 s limit" in e for e in run.cell_errors), run.cell_errors
    assert len(run.cell_errors) == 1, f"only the cell that calls conv_output_size(4, 3, 1, 0): {run.cell_errors}"
    assert all(o.error is None for gid, o in run.outcomes.items() if gid != hs.CONV), run.outcomes


@pytest.mark.slow
def test_a_folder_with_one_broken_notebook_grades_the_rest(tmp_path):
    """A broken notebook is reported and scores 0; the others are graded as usual."""
    from autograder.checks import registry

    names = list(registry())
    ex.write_examples(tmp_path, ["solution"], notebooks=names[:1])
    folder = tmp_path / "solution" / "convnets"
    if len(names) > 1:
        (folder / f"{names[1]}.ipynb").write_text("not json")
    result = grade_submission(folder)
    by_nb = {}
    for t in result.tests:
        by_nb.setdefault(t.notebook, []).append(t)
    assert all(t.score == t.max_score for t in by_nb[names[0]])
    for name in names[1:]:
        assert all(t.score == 0 for t in by_nb[name])
    if len(names) > 1:
        assert any("unreadable notebook" in p for p in result.problems)


def test_results_json_lists_manual_answers_as_awaiting(tmp_path):
    from autograder.grading import CheckResult, SubmissionResult

    result = SubmissionResult(
        path="x",
        tests=[CheckResult("nb1_deep_net", NB1, 5.0, 5.0, "", seconds=2.5), CheckResult("nb1_other", NB1, 0, 1, "")],
        manual=[{"name": "nb1_why_shortcut", "notebook": NB1, "max_score": 3}],
    )
    data = result.gradescope()
    assert data["score"] == 5.0 and [t["name"] for t in data["tests"]] == ["nb1_deep_net", "nb1_other"]
    assert set(data["tests"][0]) == {"name", "score", "max_score", "output", "visibility"}
    assert data["extra_data"]["seconds"] == {"nb1_deep_net": 2.5}  # a check's time, outside the graded tests
    assert "Awaiting a grader" in data["output"] and "nb1_why_shortcut" in data["output"]


@pytest.mark.slow
def test_the_pytest_command_gives_what_the_comparison_reported(full_scores, main_job, tmp_path):
    """The example class is graded in-process (the batch grader's way); the pytest command, run
    on one of its examples, writes the same scores and messages and exits as reported."""
    example = "nb2_round_not_floor_and_plus_2p"
    folder = main_job["clone"] / "build" / "full" / "submitted" / example / "convnets"
    results = tmp_path / "results.json"
    proc = run_cli("--submission", str(folder), "--results-json", str(results), cwd=main_job["clone"])
    assert proc.returncode == full_scores[example]["exit"] == 1, proc.stdout[-2000:]
    by_cli = {
        t["name"]: (t["score"], t["output"])
        for t in json.loads(results.read_text())["tests"]
        if t["name"].startswith("nb2_")
    }
    reported = {
        t["name"]: (t["score"], t["output"])
        for t in full_scores[example]["results"]["tests"]
        if t["name"].startswith("nb2_")
    }
    assert by_cli == reported


def _sleeping_check(trainings: int, asks: int):
    """A check whose collect() 'trains' three times, 0.75 s each, asking for more time ``asks``
    times (autograder.sandbox.clock.another_training)."""
    import time

    from autograder.sandbox import clock
    from autograder.spec import Check

    def collect(ns):
        granted = []
        for i in range(3):
            if i:
                granted.append(clock.another_training() if i <= asks else False)
            time.sleep(0.75)
        return {"granted": np.asarray(granted, dtype=bool)}

    return Check("clock_probe", "none", 1, "a probe of the clock", collect, lambda r, e: None, trainings=trainings)


@pytest.mark.parametrize(
    ("trainings", "asks", "granted"),
    [(3, 2, [True, True]), (1, 2, None), (3, 0, None), (2, 2, None)],
    ids=["three-trainings-asked-for", "one-training-allowed", "more-time-never-asked", "two-of-three-allowed"],
)
def test_a_check_that_trains_several_times_gets_its_limit_for_each_training(tmp_path, trainings, asks, granted):
    """1 s a training: three trainings of 0.75 s pass when the check may train three times and asks
    before each extra one; they run past the limit when it may not, or does not ask (2.25 s > 1 s), or
    may train only twice (2.25 s > 2 s), and the message states the limit it had."""
    import signal

    from autograder.sandbox import child

    signal.signal(signal.SIGALRM, child._alarm)
    child.run_check(_sleeping_check(trainings, asks), {}, tmp_path, 1.0)
    values = decode(tmp_path / "clock_probe.npz")
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0, "the clock is left running"
    if granted is not None:
        assert "__error__" not in values, values
        assert values["granted"].tolist() == granted
    elif trainings == 2:
        stated = "time limit: the check ran past its limit of 2 s (1 s for each of its 2 trainings)"
        assert values["__error__"].startswith(stated), values
    else:
        assert values["__error__"].startswith("time limit: the check ran past its limit of 1 s "), values


def test_the_notebooks_process_and_nbgraders_cell_get_the_time_of_every_training():
    """Notebook 3's super-resolution retraining may train 3 models of 360 s each: its notebook's process
    is given 2 x 360 s more than the others', and nbgrader (its real configuration, nbgrader_config.py)
    gives that check's hidden test cell 3 x 360 s, the segmentation's 360 s, and any other cell 300 s."""
    from nbgrader.preprocessors import Execute
    from traitlets.config import PyFileConfigLoader

    from autograder.checks import registry

    limits = Limits()
    walls = {name: limits.wall_for(spec) for name, spec in registry().items()}
    assert walls == {name: 600.0 if not name.startswith("3_") else 600.0 + 2 * 360.0 for name in registry()}
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    execute = Execute(config=config)
    seen = {}
    for cell in nbformat.read(str(REPO / "source" / "convnets" / "3_image_to_image.ipynb"), as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        seen[grade_id if grade_id.startswith("nb3_trained") else cell.cell_type] = execute._get_timeout(cell)
    assert seen == {"markdown": 300, "code": 300, "nb3_trained_segmentation": 360, "nb3_trained_superres": 1080}


# ----------------------------------------------------------------------------- start-up
def test_reading_notebooks_does_not_compile_jsonschemas_iri_grammar():
    """A process that imports the grader, then nbformat, validates notebooks as before without
    importing rfc3987_syntax (a Lark grammar compiled at import, over a second of CPU in every
    grading process); a later ``import rfc3987_syntax`` still works. The same lines without ``import
    autograder`` first show the cost is there to avoid: that process does import it."""
    probe = (
        "import sys, time\n"
        "FIRST"
        "import nbformat\n"
        "loaded = 'rfc3987_syntax' in sys.modules\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.from_dict({**nb, 'cells': [{'cell_type': 'code'}]})\n"
        "try:\n"
        "    nbformat.validate(bad)\n"
        "    rejected = False\n"
        "except nbformat.ValidationError:\n"
        "    rejected = True\n"
        "import rfc3987_syntax\n"
        "print(loaded, rejected)\n"
    )

    def run(first: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe.replace("FIRST", first)], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.split()

    assert run("import autograder\n") == ["False", "True"]
    assert run("") == ["True", "True"]

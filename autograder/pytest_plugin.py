"""The pytest runner: ``pytest autograder --submission PATH [--results-json FILE]``.

One pytest test per auto-graded check, named by its nbgrader ``grade_id``.
Student code runs in a sandboxed child process per notebook (see
:mod:`autograder.sandbox.run`); the tests only judge plain data here.

Exit codes (autograder/exitcodes.py): 0 every check passed, 1 some failed (pytest's own
codes), 10 the submission cannot be read (missing path, not a notebook, no notebook of
this assignment, or no readable notebook; ``results.json`` is written in these cases
too when ``--results-json`` is given), 11 ``--require-isolation`` and this machine cannot
confine the student's process (or a notebook's child was not confined): nothing is
graded and no ``results.json`` is written, so that the machine's fault is never
recorded as a student's 0; 12 no ``--submission``; 13 the grader's own data or reference
outputs are damaged (:mod:`autograder.own_data`): nothing graded, no ``results.json``, for
the same reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.exitcodes import ExitCode, positive
from autograder.grading import SubmissionError, SubmissionGrader, summary_line, unreadable_result, write_results_json
from autograder.own_data import GraderDataError
from autograder.sandbox.confine import EXIT_REFUSED, graded_without, refusal
from autograder.sandbox.run import GiB, Limits, wall_help

EXIT_UNREADABLE = ExitCode.NOT_GRADED
_STATE_KEY = pytest.StashKey[SubmissionGrader]()


def pytest_addoption(parser):
    group = parser.getgroup("convnets", "Week 5 ConvNets autograder")
    group.addoption(
        "--submission",
        metavar="PATH",
        help="a folder of submitted notebooks, or one notebook (then only its checks count)",
    )
    group.addoption("--results-json", metavar="FILE", help="write a Gradescope-style results.json here")
    group.addoption(
        "--time-limit",
        type=positive(float, "seconds"),
        default=Limits.wall_seconds,
        metavar="SECONDS",
        help=f"wall-clock limit per notebook process ({wall_help()})",
    )
    group.addoption(
        "--memory-limit",
        type=positive(float, "GiB"),
        default=Limits.memory_bytes / GiB,
        metavar="GIB",
        help=f"address-space limit per notebook process (default {Limits.memory_bytes / GiB:g})",
    )
    group.addoption(
        "--require-isolation",
        action="store_true",
        help="grade nothing (exit 11) unless this machine can confine the student's process fully",
    )


def pytest_configure(config):
    if config.getoption("help") or config.getoption("version", False):
        return  # pytest prints the options (ours under "Week 5 ConvNets autograder") or its version
    submission = config.getoption("--submission")
    if submission is None:
        pytest.exit(
            "the autograder needs --submission PATH: a folder of submitted notebooks or one .ipynb file "
            "(pytest autograder --help lists the options)",
            returncode=ExitCode.USAGE,
        )
    limits = Limits(
        wall_seconds=config.getoption("--time-limit"), memory_bytes=int(config.getoption("--memory-limit") * GiB)
    )
    if config.getoption("--require-isolation"):
        why = refusal()
        if why:
            pytest.exit(why, returncode=EXIT_REFUSED)
    try:
        grader = SubmissionGrader(Path(submission), limits)
    except GraderDataError as exc:  # the grader's fault, not the student's: record nothing
        pytest.exit(f"nothing graded, no results.json written: {exc}", returncode=ExitCode.GRADER_DATA)
    except SubmissionError as exc:
        results = config.getoption("--results-json")
        if results:
            write_results_json(unreadable_result(Path(submission), str(exc)), Path(results))
        pytest.exit(f"cannot grade this submission: {exc}", returncode=EXIT_UNREADABLE)
    config.stash[_STATE_KEY] = grader


def pytest_generate_tests(metafunc):
    if "grade_id" in metafunc.fixturenames:
        ids = metafunc.config.stash[_STATE_KEY].check_ids()
        metafunc.parametrize("grade_id", ids, ids=ids)


@pytest.fixture(scope="session")
def submission_grader(request) -> SubmissionGrader:
    return request.config.stash[_STATE_KEY]


def pytest_sessionfinish(session, exitstatus):
    grader = session.config.stash.get(_STATE_KEY, None)
    results = session.config.getoption("--results-json")
    if grader is not None and session.config.getoption("--require-isolation"):
        why = graded_without(grader.isolation)
        if why:  # the probe said yes, a child says otherwise: record nothing
            session.config.stash[_STATE_KEY] = None
            session.exitstatus = EXIT_REFUSED
            print(f"{why}; no results.json written")
            return
    if grader is not None and results:
        write_results_json(grader.summary(only_graded=True), Path(results))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    grader = config.stash.get(_STATE_KEY, None)
    if grader is None:
        return
    summary = grader.summary(only_graded=True)
    terminalreporter.section("convnets autograder")
    for test in summary.tests:
        terminalreporter.write_line(f"{test.name:32s} {test.score:g} / {test.max_score:g}")
    terminalreporter.write_line(f"total: {summary_line(summary)}")
    for line in summary.gradescope().get("output", "").splitlines():
        terminalreporter.write_line(line)

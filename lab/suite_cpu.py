"""Where the test suite's CPU goes: a pytest plugin that prints each test's CPU seconds.

    bash test.sh -p lab.suite_cpu          # the whole suite; the table comes last

For each test (setup, call and teardown together) it counts the CPU time, user and system, of
the pytest process and of every child process that ended and was waited for during the test
(``getrusage``: ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``). A child still running when its test
ends is counted by the test during which it is waited for: the main job, which the suite starts
in the background (tests/conftest.py), is counted by the first test that needs it
(``test_pytest_runner_grades_example[solution]``'s setup), apart from its first run, ``bash
run.sh``, which lands on whatever test runs when it ends. On 2 cores the suite's wall time is
about its CPU time over 2 when the cores are kept busy: the table's total says how busy they were.
"""

from __future__ import annotations

import resource
import time

import pytest

ROWS: list[tuple[str, float, float, float]] = []  # (test, wall s, user s, system s)
SHOWN = 30


def _cpu() -> tuple[float, float]:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + children.ru_utime, me.ru_stime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    user, system, started = *_cpu(), time.monotonic()
    yield
    user_after, system_after = _cpu()
    ROWS.append((item.nodeid, time.monotonic() - started, user_after - user, system_after - system))


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    write = terminalreporter.write_line
    wall = sum(r[1] for r in ROWS)
    cpu = sum(r[2] + r[3] for r in ROWS)
    terminalreporter.section(f"CPU seconds of the {min(SHOWN, len(ROWS))} costliest tests (lab.suite_cpu)")
    write(f"{'CPU s':>8} {'user':>8} {'system':>7} {'wall s':>7}  test")
    for test, seconds, user, system in sorted(ROWS, key=lambda r: -(r[2] + r[3]))[:SHOWN]:
        write(f"{user + system:8.1f} {user:8.1f} {system:7.1f} {seconds:7.1f}  {test}")
    write(
        f"all {len(ROWS)} tests: {cpu:.0f} CPU s in {wall:.0f} s of wall time ({cpu / wall:.2f} cores busy on average)"
    )

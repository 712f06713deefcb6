"""Every exit code of the grader's commands, in one table (printed in the README).

pytest owns 0-5 (0 all passed, 1 tests failed, 2 interrupted, 3 internal error, 4 usage
error, 5 no tests): the pytest runner keeps 0 and 1 with pytest's meaning, and every code
of our own is 10 or more, so that a script can tell the grader's answer from pytest's.
"""

from __future__ import annotations

import argparse
import math
import sys
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every check passed / everything as expected
    CHECKS_FAILED = 1  # graded; some checks failed (or, for the main job: not as expected)
    NOT_GRADED = 10  # the submission cannot be read, or some submission of a class could not be graded
    NOT_CONFINED = 11  # --require-isolation, and this machine cannot confine the student's process
    USAGE = 12  # wrong arguments, a folder that does not exist: nothing was done
    GRADER_DATA = 13  # the grader's own data or references are damaged (autograder/own_data.py): nothing was graded


class Parser(argparse.ArgumentParser):
    """argparse with our usage code (12) instead of argparse's 2, and the message on stderr."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def positive(kind: type = float, unit: str = ""):
    """An argparse ``type``: a finite number above 0 (``int`` or ``float``, in ``unit``), or a usage
    error that says what was expected and what was received (``--jobs 0``, ``--time-limit -5``)."""

    def parse(text: str):
        wanted = "a whole number above 0" if kind is int else f"a number{f' of {unit}' if unit else ''} above 0"
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, received {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected {wanted}, received {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def usage_error(message: str) -> SystemExit:
    """A SystemExit that prints ``message`` and exits with the usage code."""
    print(message, file=sys.stderr)
    return SystemExit(ExitCode.USAGE)


TABLE = [
    (ExitCode.OK, "every check passed; for the main job and compare: everything as expected"),
    (ExitCode.CHECKS_FAILED, "graded, some checks failed; for the main job and compare: something was not as expected"),
    (
        ExitCode.NOT_GRADED,
        "the submission cannot be read (results.json still written); for a class: some "
        "submission could not be graded (the others are)",
    ),
    (
        ExitCode.NOT_CONFINED,
        "--require-isolation, and this machine cannot confine the child: nothing graded, no results.json",
    ),
    (ExitCode.USAGE, "wrong arguments or a missing folder: nothing done (pytest's own usage error is 4)"),
    (
        ExitCode.GRADER_DATA,
        "the grader's own files are damaged (data against data/SHA256SUMS, references unreadable; "
        "autograder/own_data.py): nothing graded, no results.json",
    ),
]

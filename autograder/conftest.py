"""Makes ``pytest autograder --submission PATH`` the pytest runner (hooks in pytest_plugin)."""

from autograder.pytest_plugin import (  # noqa: F401
    pytest_addoption,
    pytest_configure,
    pytest_generate_tests,
    pytest_sessionfinish,
    pytest_terminal_summary,
    submission_grader,
)

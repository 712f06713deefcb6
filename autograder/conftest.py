"""Makes ``pytest autograder --submission PATH`` the pytest runner (hooks in pytest_plugin)."""
from autograder.pytest_plugin import (pytest_addoption, pytest_configure,  # noqa: F401
                                      pytest_generate_tests, pytest_sessionfinish, pytest_terminal_summary,
                                      submission_grader)

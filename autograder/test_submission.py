"""One test per auto-graded check of the submission (see autograder/pytest_plugin.py)."""

import pytest


def test_check(grade_id, submission_grader):
    result = submission_grader.result(grade_id)
    if result.score < result.max_score:
        pytest.fail(result.output, pytrace=False)

"""Both runners give every example submission exactly the points it deserves, and agree."""

from __future__ import annotations

import pytest

from autograder.checks import registry
from lab.examples import IN_A_HURRY, all_examples, expected_failures, in_a_hurry, nbgrader_sample, solution_notebook
from tests.helpers import nbgrader_examples

EXAMPLES = ["solution", "blank"] + [e.name for e in all_examples()]


def _example(name: str):
    return next((e for e in all_examples() if e.name == name), None)


def expected(example: str) -> tuple[list[str], set[str]]:
    """The checks an example is graded on (its notebooks) and those it must fail."""
    fails = expected_failures(example)
    ids = [c.grade_id for name in fails for c in registry()[name].checks]
    return ids, set().union(*fails.values())


def test_enough_examples_per_notebook():
    """At least eight realistic mistakes per notebook, each example failing something."""
    for name in registry():
        mistakes = [e for e in all_examples() if e.notebook == name and e.fails and not e.threat]
        assert sum(e.mistakes for e in mistakes) >= 8, f"{name}: expected at least 8 mistakes, found {len(mistakes)}"
        assert all(e.mistakes >= 1 for e in mistakes)


def test_the_demos_are_turned_down_where_the_notebooks_set_them():
    """Every line IN_A_HURRY lowers is in exactly one code cell of the solution's notebook, and a
    notebook whose settings line changed is an error, not a silently slower run."""
    for name in IN_A_HURRY:
        nb = in_a_hurry(solution_notebook(name), name, strict=True)
        code = "".join(c.source for c in nb.cells if c.cell_type == "code")
        assert all(new in code and old not in code for old, new in IN_A_HURRY[name]), name
    with pytest.raises(ValueError, match="expected exactly one"):
        in_a_hurry(nb, name, strict=True)  # already lowered: the notebook's own line is gone


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_pytest_runner_grades_example(example, graded_by_pytest):
    """A folder is graded whole: the notebooks an example holds get exactly the points they
    deserve, the ones it lacks score 0 as missing."""
    ids, must_fail = expected(example)
    graded = graded_by_pytest[example]
    scores = {t["name"]: t for t in graded["results"]["tests"]}
    all_ids = [c.grade_id for spec in registry().values() for c in spec.checks]
    assert sorted(scores) == sorted(all_ids), f"{example}: graded checks {sorted(scores)}"
    failed = {i for i in ids if scores[i]["score"] != scores[i]["max_score"]}
    assert failed == must_fail, (
        f"{example}: expected to fail exactly {sorted(must_fail)}, failed {sorted(failed)}; "
        f"messages: { {i: scores[i]['output'][:300] for i in failed ^ must_fail} }"
    )
    for i in failed:
        assert scores[i]["score"] == 0 and scores[i]["output"], f"{example}/{i}: a failure needs 0 points and a message"
    for i, text in _example(example).messages if _example(example) else ():
        assert text in scores[i]["output"], f"{example}/{i}: expected {text!r} in the message {scores[i]['output']!r}"
    for i in set(all_ids) - set(ids):
        assert scores[i]["score"] == 0 and "missing notebook" in scores[i]["output"]
    assert graded["results"]["score"] == sum(t["score"] for t in scores.values())
    everything_passed = not must_fail and set(ids) == set(all_ids)
    assert graded["exit"] == (0 if everything_passed else 1), f"{example}: exit code {graded['exit']}"


def test_nbgrader_grades_every_example_it_can_run_safely():
    """nbgrader grades every example but those that would exit its kernel or write the
    grader's files (it is not a sandbox), and each of those says why."""
    chosen = set(nbgrader_examples())
    for example in all_examples():
        assert (example.name in chosen) != bool(example.unsafe_for_nbgrader), example.name
    unsafe = [e for e in all_examples() if e.unsafe_for_nbgrader]
    assert unsafe and all(e.threat for e in unsafe), "only hostile examples are unsafe for nbgrader"


def test_the_nbgrader_sample_sees_every_check_pass_and_fail_and_every_answer_that_must_keep_its_points():
    """The suite's nbgrader sample (``run.sh --full --nbgrader sample``) leaves out only
    examples that repeat a failure: the solution and the blank release, every example that must
    keep all its points, every answer written from public code, every hostile example nbgrader
    can run and the visible-only mistake are in it, and every check that an example of the
    class fails is failed by an example of the sample."""
    from lab.examples import nbgrader_sample, public

    sample = nbgrader_sample()
    assert len(sample) == len(set(sample)) and set(sample) <= set(nbgrader_examples())
    assert {"solution", "blank"} <= set(sample)
    safe = [e for e in all_examples() if not e.unsafe_for_nbgrader]
    must = {e.name for e in safe if not e.fails or e.name in public.IDIOMS or e.threat or e.visible_only}
    assert must <= set(sample), sorted(must - set(sample))
    assert any(e.visible_only for e in safe), "the visible-only example is marked"
    failed_in_class = set().union(*(e.fails for e in safe))
    failed_in_sample = set().union(*(e.fails for e in safe if e.name in sample))
    assert failed_in_sample == failed_in_class, sorted(failed_in_class - failed_in_sample)
    assert len(sample) < len(nbgrader_examples()), "the sample should leave repeated failures out"


@pytest.mark.slow
@pytest.mark.parametrize("example", nbgrader_sample())
def test_nbgrader_agrees(example, graded_by_pytest, graded_by_nbgrader):
    ids, must_fail = expected(example)
    by_pytest = {t["name"]: t["score"] for t in graded_by_pytest[example]["results"]["tests"]}
    by_nbgrader = graded_by_nbgrader[example]
    failed = {i for i in ids if by_nbgrader.get(i, 0.0) == 0.0}
    assert failed == must_fail, f"{example}: nbgrader failed {sorted(failed)}, expected {sorted(must_fail)}"
    assert {i: by_nbgrader[i] for i in ids} == {i: by_pytest[i] for i in ids}

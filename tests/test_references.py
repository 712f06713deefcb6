"""The committed reference outputs are what the source solutions produce now, and they
judge the solution as passing and the blank release as failing every check."""

from __future__ import annotations

import pytest

from autograder.assign import references
from autograder.checks import registry
from autograder.references import load_references


@pytest.mark.slow
@pytest.mark.parametrize("name", [*registry(), "retrain.npz"])
def test_references_regenerate_to_the_committed_ones(name, main_job):
    """The main job regenerates every notebook's references from the source solutions (in the
    sandbox, reuse off) and compares them with the committed files, writing nothing; this reads
    its report rather than regenerating them a third time."""
    report = main_job["quick"]["stdout"]
    line = next((x.strip() for x in report.splitlines() if x.strip().startswith(f"{name}: ")), None)
    assert line in (f"{name}: references match", f"{name}: matches"), (
        f"run `python -m autograder.assign.references`:\n{report[-3000:]}"
    )


@pytest.mark.parametrize("name", list(registry()))
def test_every_check_has_references(name):
    refs = load_references(name)
    for check in registry()[name].checks:
        assert refs.get(check.grade_id), f"{check.grade_id}: no reference values"


def test_hidden_evaluation_data_regenerates_and_is_not_shipped():
    """Notebook 3's hidden scenes and patches: rebuilt from the grader's seeds, equal to the
    committed file, and nowhere in release/ (only their inputs ever reach the child)."""
    from autograder.paths import RELEASE_DIR
    from autograder.references import hidden_eval
    from autograder.sandbox.plain import decode

    diff = references.differences({"hidden": hidden_eval.build()}, {"hidden": decode(hidden_eval.PATH)})
    assert not diff, "run `python -m autograder.assign.references`:\n" + "\n".join(diff)
    assert not [p for p in RELEASE_DIR.rglob("*") if "hidden" in p.name], "hidden data in the release"
    assert set(hidden_eval.inputs()) == {"seg_x", "sr_lr"}, "the child's copy holds inputs only"

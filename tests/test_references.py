"""The committed reference outputs are what the source solutions produce now, and they
judge the solution as passing and the blank release as failing every check."""
from __future__ import annotations

import pytest

from autograder import references
from autograder.core import load_references, registry


@pytest.mark.slow
@pytest.mark.parametrize("name", list(registry()))
def test_references_regenerate_to_the_committed_ones(name):
    fresh = references.generate(name)
    diff = references.differences(fresh, load_references(name))
    assert not diff, "run `python -m autograder.references`:\n" + "\n".join(diff)


@pytest.mark.parametrize("name", list(registry()))
def test_every_check_has_references(name):
    refs = load_references(name)
    for check in registry()[name].checks:
        assert refs.get(check.grade_id), f"{check.grade_id}: no reference values"

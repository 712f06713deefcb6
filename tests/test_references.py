"""The committed reference outputs are what the source solutions produce now, and they
judge the solution as passing and the blank release as failing every check."""
from __future__ import annotations

import pytest

from autograder import references
from autograder.core import load_references, registry


@pytest.fixture(scope="module")
def regenerated() -> dict[str, dict]:
    """Every notebook's references, regenerated from the source solutions, two at a time
    (each runs in its own sandboxed child)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    names = list(registry())
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(names, pool.map(references.generate, names)))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(registry()))
def test_references_regenerate_to_the_committed_ones(name, regenerated):
    fresh = regenerated[name]
    diff = references.differences(fresh, load_references(name))
    assert not diff, "run `python -m autograder.references`:\n" + "\n".join(diff)


@pytest.mark.parametrize("name", list(registry()))
def test_every_check_has_references(name):
    refs = load_references(name)
    for check in registry()[name].checks:
        assert refs.get(check.grade_id), f"{check.grade_id}: no reference values"


def test_hidden_evaluation_data_regenerates_and_is_not_shipped():
    """Notebook 3's hidden scenes and patches: rebuilt from the grader's seeds, equal to the
    committed file, and nowhere in release/ (only their inputs ever reach the child)."""
    from autograder import hidden
    from autograder.core import RELEASE_DIR, decode

    diff = references.differences({"hidden": hidden.build()}, {"hidden": decode(hidden.PATH)})
    assert not diff, "run `python -m autograder.references`:\n" + "\n".join(diff)
    assert not [p for p in RELEASE_DIR.rglob("*") if "hidden" in p.name], "hidden data in the release"
    assert set(hidden.inputs()) == {"seg_x", "sr_lr"}, "the child's copy holds inputs only"

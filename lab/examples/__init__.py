"""The example class: submissions built from source/ and release/ (solution, blank, mistakes,
valid variations, hostile submissions), and what each must score.

    python -m lab.examples OUT    # writes OUT/<example>/convnets/<notebook>.ipynb and OUT/examples.json

* ``solution``: the release notebooks with every solution cell filled in from
  source/ (the ``### BEGIN/END SOLUTION`` lines dropped), as a student who
  solved everything would hand them in.
* ``blank``: the release notebooks as they are.
* one example per :class:`Example` in each notebook's module (``nb1_residual_connections.py``
  ... ``nb4_visualizing_convnets.py``: realistic mistakes and valid variations), in
  ``public.py`` (answers written from public code) and in ``hostile.py`` (submissions that try to get points they do not
  earn): the solution with a few lines changed. Each names the checks it must fail; a
  valid variation fails none.

The folder layout is nbgrader's ``submitted/<student>/convnets/``, so the same folder is
graded by both runners. ``examples.json`` (the manifest) says what each example must
score, and which examples nbgrader cannot be asked to grade, and why
(:func:`manifest`); ``python -m lab.compare --expect`` reads it.
"""

from __future__ import annotations

import copy
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from autograder.checks import registry
from autograder.paths import ASSIGNMENT, RELEASE_DIR, SOURCE_DIR

# One module per notebook, named like its check module: "nb" + the notebook's name.
MODULES = tuple(f"nb{name}" for name in registry()) + ("public", "hostile")


@dataclass(frozen=True)
class Example:
    name: str
    notebook: str
    cell: str  # grade_id of the solution cell to change
    edits: tuple[tuple[str | None, str], ...]  # (old, new), each must apply once; old None: whole cell
    fails: frozenset[str] = field(default_factory=frozenset)  # check grade_ids it must fail
    why: str = ""
    # Edits anywhere in the notebook: (old, new), old must occur in exactly one cell, once.
    # Notebook 3's examples use it to train for one epoch, as a student on a slow laptop may.
    notebook_edits: tuple[tuple[str, str], ...] = ()
    # Why nbgrader must never be asked to grade it (its kernel exits, or it would change the
    # grader's files): nbgrader is not a sandbox. Empty: both runners grade it.
    unsafe_for_nbgrader: str = ""
    # How many distinct mistakes it holds (notebook 3 puts two mistakes in different
    # functions into one submission, to grade its costly retraining fewer times).
    mistakes: int = 1
    # Whole solution cells replaced: (grade_id, new source), for answers written another way
    # (public.py: one submission holds several answers, each in its own function's cell).
    cells: tuple[tuple[str, str], ...] = ()
    # A hostile submission (hostile.py): what it tries, a change to the
    # whole notebook after the edits, and (grade_id, text) its message must contain.
    threat: str = ""
    transform: Callable | None = None
    messages: tuple[tuple[str, str], ...] = ()
    # Its mistake is seen only by the test cell's visible assertions (the hidden cases pass):
    # the example that shows both runners run them, so nbgrader always grades it.
    visible_only: bool = False
    # Estimated seconds its checks take, when far above its notebook's (GRADING_SECONDS): an
    # encoder-decoder of notebook 3 that is retrained, and costlier than the solution's. 0: the
    # notebook's figure. Only the order of grading (the costliest first) and nbgrader's shards use it.
    seconds: float = 0.0


def mistake(
    notebook: str, name: str, cell: str, edits, fails, why: str = "", also=(), cells=(), seconds: float = 0.0
) -> Example:
    """An example made from the solution of ``notebook`` by changing it as a student would.

    ``cell``: the grade_id of the solution cell ``edits`` change, each ``(old, new)`` applying
    once (``old`` None: the whole cell); ``also``: more ``(old, new)`` edits anywhere in the
    notebook (a second mistake in another function, or training for one epoch); ``cells``: whole
    solution cells replaced, ``(grade_id, new source)``. ``fails``: the checks it must fail
    (empty: a correct answer written another way, which must keep every point). Each module
    binds its notebook once: ``mistake = functools.partial(examples.mistake, NB)``."""
    fails = frozenset(fails)
    return Example(
        name=name,
        notebook=notebook,
        cell=cell,
        edits=tuple(edits),
        fails=fails,
        why=why,
        notebook_edits=tuple(also),
        cells=tuple(cells),
        mistakes=(1 + len(also)) if fails else 0,
        seconds=seconds,
    )


def paired(first: Example, second: Example) -> Example:
    """One submission holding two mistakes in different functions (graded once, not twice):
    ``second``'s edits apply wherever their text occurs (once) in the notebook."""
    assert first.notebook == second.notebook and first.cell != second.cell, (first.name, second.name)
    prefix = first.name.split("_")[0] + "_"
    return Example(
        name=f"{first.name}_and_{second.name.removeprefix(prefix)}",
        notebook=first.notebook,
        cell=first.cell,
        edits=first.edits,
        fails=first.fails | second.fails,
        why=f"{first.why}; {second.why}",
        notebook_edits=first.notebook_edits + second.edits,
        unsafe_for_nbgrader=first.unsafe_for_nbgrader or second.unsafe_for_nbgrader,
        mistakes=first.mistakes + second.mistakes,
        seconds=first.seconds + second.seconds,
    )


def _strip_solution_markers(source: str) -> str:
    return "\n".join(
        line for line in source.split("\n") if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def _cells_by_id(nb) -> dict:
    return {
        c.metadata.get("nbgrader", {}).get("grade_id"): c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    }


def solution_notebook(name: str):
    """The release notebook with the source's solutions filled in."""
    release = nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4)
    source = _cells_by_id(nbformat.read(str(SOURCE_DIR / f"{name}.ipynb"), as_version=4))
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = _strip_solution_markers(source[meta["grade_id"]].source).strip("\n")
    return release


def blank_notebook(name: str):
    return nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4)


def apply(example: Example):
    nb = copy.deepcopy(solution_notebook(example.notebook))
    by_id = _cells_by_id(nb)
    for grade_id, source in ((example.cell, None), *example.cells):
        if grade_id not in by_id or (source is not None and not by_id[grade_id].metadata["nbgrader"].get("solution")):
            raise KeyError(f"{example.name}: no solution cell {grade_id!r} in {example.notebook}")
        if source is not None:
            by_id[grade_id].source = source.strip("\n")
    cell = by_id[example.cell]
    for old, new in example.edits:
        if old is None:
            cell.source = new.strip("\n")
            continue
        count = cell.source.count(old)
        if count != 1:
            raise ValueError(
                f"{example.name}: {old!r} occurs {count} times in cell {example.cell} "
                f"(expected exactly once): update the example to the current solution"
            )
        cell.source = cell.source.replace(old, new)
    for old, new in example.notebook_edits:
        found = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if len(found) != 1 or found[0].source.count(old) != 1:
            raise ValueError(
                f"{example.name}: {old!r} should occur once in one code cell of "
                f"{example.notebook}: update the example to the current notebook"
            )
        found[0].source = found[0].source.replace(old, new)
    in_a_hurry(nb, example.notebook)
    if example.transform is not None:
        example.transform(nb)
    return nb


# Every example (but the solution and the blank release) turns down the notebook's own demos in
# the unlocked settings cells, as a student in a hurry may: nothing graded uses them, and
# nbgrader, which runs every cell, grades the example class minutes faster.
IN_A_HURRY = {
    "1_residual_connections": [
        ("TRAIN_EPOCHS, TRAIN_BATCH = 3, 64", "TRAIN_EPOCHS, TRAIN_BATCH = 0, 64"),
        ("TRY_EPOCHS = 2", "TRY_EPOCHS = 0"),
    ],
    "3_image_to_image": [
        (
            "SEG_FILTERS, SEG_EPOCHS, SEG_BATCH, SEG_LR = (32, 64, 128), 4, 16, 3e-3",
            "SEG_FILTERS, SEG_EPOCHS, SEG_BATCH, SEG_LR = (32, 64, 128), 0, 16, 3e-3",
        ),
        (
            "SR_FILTERS, SR_EPOCHS, SR_BATCH, SR_LR = (32, 64), 2, 16, 2e-3",
            "SR_FILTERS, SR_EPOCHS, SR_BATCH, SR_LR = (32, 64), 0, 16, 2e-3",
        ),
    ],
    "4_visualizing_convnets": [("POINTING_IMAGES = 150", "POINTING_IMAGES = 4")],
}


def in_a_hurry(nb, notebook: str, strict: bool = False):
    """``nb`` (notebook ``notebook``) with its demos turned down by :data:`IN_A_HURRY`'s lines, in
    place. An example may have rewritten a settings cell, so a line that is not in exactly one code
    cell is left alone; with ``strict`` it is an error (the notebook's settings changed: update
    :data:`IN_A_HURRY`)."""
    for old, new in IN_A_HURRY.get(notebook, ()):
        found = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if len(found) == 1:
            found[0].source = found[0].source.replace(old, new)
        elif strict:
            raise ValueError(
                f"{notebook}: {old!r} is in {len(found)} code cells (expected exactly one): "
                "update lab.examples.IN_A_HURRY to the notebook's settings"
            )
    return nb


def all_examples() -> list[Example]:
    """The mistakes and variations of every notebook, then the hostile submissions."""
    out = []
    for name in MODULES:
        out += importlib.import_module(f"lab.examples.{name}").EXAMPLES
    return out


def expected_failures(example_name: str) -> dict[str, set[str]]:
    """``{notebook: failing check ids}`` for one example name (solution/blank included)."""
    if example_name == "solution":
        return {name: set() for name in registry()}
    if example_name == "blank":
        return {name: {c.grade_id for c in spec.checks} for name, spec in registry().items()}
    ex = next(e for e in all_examples() if e.name == example_name)
    return {ex.notebook: set(ex.fails)}


# Rough seconds each runner spends grading one example's notebook on the 2-core CI machine
# (nbgrader's measured on 2026-11-30 in a `run.sh --full`), only to start the costliest examples first and to
# balance nbgrader's shards: a wrong figure costs time, never a grade. The pytest runner forks
# each notebook from a zygote that imported TensorFlow (its figures: each notebook's GRADING_SECONDS in
# autograder/checks/); nbgrader starts a kernel that imports it for every notebook.
GRADING_SECONDS = {name: spec.seconds for name, spec in registry().items()}
NBGRADER_SECONDS = {
    "1_residual_connections": 10,
    "2_transpose_convolution": 7,
    "3_image_to_image": 40,
    "4_visualizing_convnets": 11,
}
BLANK_SECONDS = 5  # a blank notebook stops at its first NotImplementedError
OWN_TRAINING_SECONDS = 70  # nbgrader also runs the solution's own training cells (the pytest runner skips them)


def grading_cost(name: str, nbgrader: bool = False) -> float:
    """Estimated seconds to grade the example ``name`` (see GRADING_SECONDS)."""
    seconds = NBGRADER_SECONDS if nbgrader else GRADING_SECONDS
    if name == "blank":
        return BLANK_SECONDS * len(registry())
    if name == "solution":
        return sum(seconds[nb] for nb in registry()) + (OWN_TRAINING_SECONDS if nbgrader else 0)
    example = next((e for e in all_examples() if e.name == name), None)
    if example is None:
        raise KeyError(
            f"no example named {name!r}: expected 'solution', 'blank' or a name in "
            f"lab/examples/{{{','.join(MODULES)}}}.py"
        )
    if not example.seconds:
        return seconds[example.notebook]
    return example.seconds + (seconds[example.notebook] if nbgrader else 0)  # nbgrader: its kernel and cells too


def nbgrader_sample() -> list[str]:
    """The part of the example class that the test suite gives nbgrader
    (``python -m lab --full --nbgrader sample``; ``bash run.sh --full`` gives it all).

    Both runners judge with the same code; what can make them differ is what runs around it
    (nbgrader runs the student's kernel, the test cells, the notebook's own cells). So nbgrader
    grades: the solution and the blank release; every example that must keep all its points (a
    correct answer written another way) and every answer written from public code, where a
    visible assertion or the kernel could take points the hidden check gives; every hostile
    example it can run safely; the example only a visible assertion catches; and, for each
    check that an example of the class fails, the example that fails it at the least
    estimated nbgrader cost (so every check is seen failing under nbgrader too). Examples that
    only repeat a failure already covered are left to ``bash run.sh --full``."""
    from lab.examples import public

    candidates = [e for e in all_examples() if not e.unsafe_for_nbgrader]
    chosen = [e for e in candidates if not e.fails or e.name in public.IDIOMS or e.threat or e.visible_only]
    seen = set().union(*(e.fails for e in chosen))
    rest = [e for e in candidates if e not in chosen]
    for grade_id in sorted(set().union(*(e.fails for e in rest)) - seen):
        if grade_id in seen:
            continue
        best = min(
            (e for e in rest if grade_id in e.fails),
            key=lambda e: (grading_cost(e.name, nbgrader=True) / len(e.fails - seen), e.name),
        )
        chosen.append(best)
        rest.remove(best)
        seen |= best.fails
    return ["solution", "blank"] + sorted(e.name for e in chosen)


def write_examples(out: Path, names: list[str] | None = None, notebooks: list[str] | None = None) -> list[str]:
    """Write the examples (all, or ``names``) under ``out`` in nbgrader's submitted layout."""
    notebooks = notebooks or list(registry())
    written = []
    plan = {"solution": None, "blank": None, **{e.name: e for e in all_examples()}}
    for ex_name, ex in plan.items():
        if names and ex_name not in names:
            continue
        if ex is not None and ex.notebook not in notebooks:
            continue
        folder = out / ex_name / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        if ex is None:
            for nb_name in notebooks:
                nb = solution_notebook(nb_name) if ex_name == "solution" else blank_notebook(nb_name)
                nbformat.write(nb, str(folder / f"{nb_name}.ipynb"))
        else:
            nbformat.write(apply(ex), str(folder / f"{ex.notebook}.ipynb"))
        written.append(ex_name)
    return written


def manifest(names: list[str], notebooks: list[str] | None = None) -> dict[str, dict]:
    """What each example must score: ``{example: {"notebooks": [...], "fails": [grade_id, ...],
    "nbgrader": "" or why nbgrader is not asked to grade it, "why": what it shows}}`` (the solution
    and the blank release hand in ``notebooks``, by default all)."""
    by_name = {e.name: e for e in all_examples()}
    out = {}
    for name in names:
        fails = {nb: ids for nb, ids in expected_failures(name).items() if notebooks is None or nb in notebooks}
        ex = by_name.get(name)
        out[name] = {
            "notebooks": sorted(fails),
            "fails": sorted(set().union(*fails.values())),
            "nbgrader": ex.unsafe_for_nbgrader if ex else "",
            "why": ex.why
            if ex
            else ("every answer of the source" if name == "solution" else "the release as students receive it"),
        }
    return out


def write_manifest(out: Path, names: list[str], notebooks: list[str] | None = None) -> Path:
    path = out / "examples.json"
    path.write_text(json.dumps(manifest(names, notebooks), indent=1) + "\n")
    return path

"""Damaged notebooks, generated from a real submission: the grader always finishes, and each
notebook is graded or reported unreadable with a one-line reason; no grader traceback reaches a
student, and the other students of the class are graded as usual.

Hypothesis (fixed seed, no database) draws the damage: keys missing from cells or of the wrong
type, nbgrader metadata of other types, huge or binary sources, deep nesting, duplicated cell ids
and grade ids, outputs that are not outputs, a damaged top level. Each damaged notebook 2 (the
cheapest to grade) is graded by the pytest runner's engine as it is drawn; then the whole lot,
with an honest student, by the batch grader, whose JUnit file and CSV must parse.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import batch
from autograder.checks import registry
from autograder.grading import SubmissionError, SubmissionGrader
from autograder.messages import printable
from autograder.paths import ASSIGNMENT
from lab import examples as ex

NB = "2_transpose_convolution"
SOLUTION = json.loads(nbformat.writes(ex.solution_notebook(NB)))
CELLS = len(SOLUTION["cells"])
GRADED = [i for i, c in enumerate(SOLUTION["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")]
CELL_KEYS = ["source", "metadata", "cell_type", "outputs", "execution_count", "id", "attachments"]

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _nested(depth: int):
    value: object = "deep"
    for level in range(depth):
        value = {"x": value} if level % 2 else [value]
    return value


# Each damage is (name, *arguments); apply() carries it out on a notebook's JSON.
damage = st.one_of(
    st.tuples(st.just("drop key"), st.integers(0, CELLS - 1), st.sampled_from(CELL_KEYS)),
    st.tuples(st.just("wrong type"), st.integers(0, CELLS - 1), st.sampled_from(CELL_KEYS), junk),
    st.tuples(st.just("nbgrader metadata"), st.sampled_from(GRADED), junk),
    st.tuples(
        st.just("nbgrader field"),
        st.sampled_from(GRADED),
        st.sampled_from(["grade_id", "points", "grade", "solution", "locked", "schema_version", "cell_type"]),
        junk,
    ),
    st.tuples(st.just("huge source"), st.integers(0, CELLS - 1), st.integers(1, 8)),
    st.tuples(st.just("binary source"), st.integers(0, CELLS - 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("control characters"), st.integers(0, CELLS - 1), st.text(st.characters(max_codepoint=31))),
    st.tuples(st.just("deep nesting"), st.sampled_from([50, 500, 5000, 50_000])),
    st.tuples(st.just("duplicate id"), st.integers(0, CELLS - 1), st.integers(0, CELLS - 1)),
    st.tuples(st.just("duplicate graded cell"), st.sampled_from(GRADED)),
    st.tuples(st.just("bad outputs"), st.integers(0, CELLS - 1), junk),
    st.tuples(st.just("bad output"), st.integers(0, CELLS - 1), junk),
    st.tuples(st.just("top level"), st.sampled_from(["cells", "metadata", "nbformat", "nbformat_minor"]), junk),
)


def apply(damages) -> bytes:
    """The solution notebook's file, with ``damages`` done to it."""
    nb = copy.deepcopy(SOLUTION)
    raw: list[tuple[int, bytes]] = []
    for kind, *args in damages:
        cells = nb["cells"] if isinstance(nb.get("cells"), list) else []
        cell = cells[args[0] % len(cells)] if cells and isinstance(args[0], int) else {}
        if not isinstance(cell, dict):
            continue
        if kind == "drop key":
            cell.pop(args[1], None)
        elif kind == "wrong type":
            cell[args[1]] = args[2]
        elif kind == "nbgrader metadata" and isinstance(cell.get("metadata"), dict):
            cell["metadata"]["nbgrader"] = args[1]
        elif kind == "nbgrader field" and isinstance(cell.get("metadata", {}).get("nbgrader"), dict):
            cell["metadata"]["nbgrader"][args[1]] = args[2]
        elif kind == "huge source":
            cell["source"] = "# " + "x" * (args[1] << 20) + "\n" + str(cell.get("source", ""))
        elif kind == "binary source":
            raw.append((args[0] % max(1, len(cells)), args[1]))
            cell["source"] = f"# RAW{len(raw) - 1}\n" + str(cell.get("source", ""))
        elif kind == "control characters":
            cell["source"] = "# " + args[1] + "\n" + str(cell.get("source", ""))
        elif kind == "deep nesting":
            nb["metadata"] = nb["metadata"] if isinstance(nb.get("metadata"), dict) else {}
            nb["metadata"]["deep"] = _nested(args[0])
        elif kind == "duplicate id" and cells:
            other = cells[args[1] % len(cells)]
            if isinstance(other, dict) and "id" in other:
                cell["id"] = other["id"]
        elif kind == "duplicate graded cell":
            cells.insert(args[0] % len(cells) + 1, copy.deepcopy(cell))
        elif kind == "bad outputs":
            cell["outputs"] = args[1]
        elif kind == "bad output":
            cell["outputs"] = [args[1], {"output_type": "stream"}, {"output_type": "nonsense", "data": args[1]}]
        elif kind == "top level":
            nb[args[0]] = args[1]
    try:
        text = json.dumps(nb, ensure_ascii=False, indent=1)
    except (RecursionError, ValueError):  # nesting too deep for json itself: write it by hand
        text = json.dumps(SOLUTION)[:-1] + ', "deep": ' + "[" * 50_000 + "]" * 50_000 + "}"
    data = text.encode("utf-8", "surrogatepass")
    for k, payload in raw:
        data = data.replace(f"# RAW{k}".encode(), b"# " + payload.replace(b'"', b"").replace(b"\\", b""), 1)
    return data


DRAWN: list[tuple[list, bytes]] = []


def grader_leaked(text: str) -> bool:
    """The grader's own traceback or an internal error in what a student reads."""
    return "internal grader error" in text or "autograder/" in text or "Traceback (most recent call last)" in text


@pytest.mark.slow
@settings(
    max_examples=14,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(damages=st.lists(damage, min_size=1, max_size=3))
def test_a_damaged_notebook_is_graded_or_reported_in_one_line(damages, tmp_path_factory):
    data = apply(damages)
    folder = tmp_path_factory.mktemp("student") / ASSIGNMENT
    folder.mkdir()
    (folder / f"{NB}.ipynb").write_bytes(data)
    try:
        grader = SubmissionGrader(folder)
    except SubmissionError as exc:
        why = str(exc)
        DRAWN.append((damages, data, "unreadable"))
        assert why.startswith("unreadable notebook") and "\n" not in why and not grader_leaked(why), why
        return
    result = grader.summary()
    DRAWN.append((damages, data, f"graded {result.score:g}"))
    checks = registry()[NB].checks
    tests = [t for t in result.tests if t.notebook == NB]
    assert [t.name for t in tests] == [c.grade_id for c in checks], "one result per check, in order"
    for test in tests:
        assert 0 <= test.score <= test.max_score
        assert not grader_leaked(test.output), (damages, test.name, test.output)
    for problem in result.problems:
        assert "\n" not in problem and not grader_leaked(problem), (damages, problem)


# A student whose code raises and prints what no output format takes as it is, in a folder whose
# name no output format takes either.
NASTY_FOLDER = "Zoë \x01<b>&amp; ]]> \x1b[31m"
NASTY_FAULT = (
    "import sys; sys.stderr.buffer.write(b'\\xff\\xfe\\x00 bad'); sys.stderr.flush(); print('\\x00\\x1b' * 5); "
    "raise ValueError('\\x1b[31m bad\\x00 \\ud800 ]]> <script>alert(1)</script> \\x07' + 'x' * 100000)"
)


@pytest.mark.slow
def test_the_damaged_notebooks_and_an_honest_student_graded_as_a_class(tmp_path):
    """Every notebook the test above drew, in one class with the solution and a student whose code
    raises control characters, NUL, a lone surrogate, ']]>', HTML and a 100 000-character line,
    writes invalid UTF-8, from a folder with such a name, by the batch grader: every student has
    a record, the honest one full marks, the nasty one loses only the check that raised; the
    class's files parse and hold no raw control character."""
    from lab.examples import hostile as hs

    if not DRAWN:
        pytest.skip("runs after test_a_damaged_notebook_is_graded_or_reported_in_one_line, which draws the class")
    submitted = tmp_path / "submitted"
    ex.write_examples(submitted, ["solution"], notebooks=[NB])
    kinds = [kind.split()[0] for _, _, kind in DRAWN]
    print("\n".join(f"{kind:12s} {damages}"[:200] for damages, _, kind in DRAWN))
    assert "graded" in kinds and "unreadable" in kinds, f"the damage drawn should give both outcomes: {kinds}"
    for k, (_, data, _) in enumerate(DRAWN):
        folder = submitted / f"damaged{k:02d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{NB}.ipynb").write_bytes(data)
    nasty = hs.hostile("nasty", hs.with_faults({hs.CONV: NASTY_FAULT}), {hs.CONV})
    (submitted / NASTY_FOLDER / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(ex.apply(nasty), str(submitted / NASTY_FOLDER / ASSIGNMENT / f"{NB}.ipynb"))
    out = tmp_path / "out"
    code = batch.main(["grade", str(submitted), "--out", str(out), "--jobs", "2"])
    records = batch.load_records(out)
    assert code in (1, 10) and set(records) == {p.name for p in submitted.iterdir()}
    honest = records["solution"]["results"]["tests"]
    assert all(t["score"] == t["max_score"] for t in honest if t["name"].startswith("nb2_")), honest
    nasty_tests = [t for t in records[NASTY_FOLDER]["results"]["tests"] if t["name"].startswith("nb2_")]
    lost = {t["name"] for t in nasty_tests if t["score"] < t["max_score"]}
    assert lost == {hs.CONV}, nasty_tests
    raised = next(t["output"] for t in nasty_tests if t["name"] == hs.CONV)
    assert "ValueError" in raised and len(raised) < 5000 and "\x00" not in raised and "\x1b" not in raised, raised
    for path in [out / "junit.xml", out / "grades.csv", out / "report.html", *out.glob("results/*/results.json")]:
        text = path.read_text(encoding="utf-8")  # valid UTF-8
        assert not any(ch in text for ch in "\x00\x01\x07\x1b"), f"a raw control character in {path}"
    for student, record in records.items():
        for test in record["results"]["tests"]:
            assert not grader_leaked(test["output"]), (student, test)
    ET.parse(out / "junit.xml")
    rows = list(csv.DictReader(open(out / "grades.csv", newline="")))
    assert sorted(r["student_id"] for r in rows) == sorted(map(printable, records))
    assert Path(out / "report.html").read_text().count("<tr>") >= len(records)

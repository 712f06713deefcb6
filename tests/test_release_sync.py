"""release/ is what nbgrader makes of source/, and nothing in it gives an answer away."""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.assign import build
from autograder.checks import max_points, registry
from autograder.paths import RELEASE_DIR, REPO, SOURCE_DIR

LEAK_MARKERS = [
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "run_hidden_check",
    "import autograder",
    "from autograder",
    "Model answer",
]


@pytest.mark.slow
def test_release_and_text_mirrors_are_regenerated_from_source():
    problems = build.check()
    assert not problems, "run `python -m autograder.assign.build`:\n" + "\n".join(problems)


def split_regions(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution or hidden-test regions, lines outside them) of one cell."""
    inside, outside, region = [], [], False
    for line in source.split("\n"):
        if "### BEGIN SOLUTION" in line or "### BEGIN HIDDEN TESTS" in line:
            region = True
        elif "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
            region = False
        else:
            (inside if region else outside).append(line.strip())
    return inside, outside


@pytest.mark.parametrize("name", list(registry()))
def test_release_has_no_solution_or_hidden_test(name):
    text = (RELEASE_DIR / f"{name}.ipynb").read_text()
    for marker in LEAK_MARKERS:
        assert marker not in text, f"release/{name}.ipynb contains {marker!r}"
    secret, public = set(), set()
    for cell in nbformat.read(str(SOURCE_DIR / f"{name}.ipynb"), as_version=4).cells:
        inside, outside = split_regions(cell.source)
        secret.update(line for line in inside if len(line) > 12)
        public.update(outside)
    released = {
        line.strip()
        for cell in nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4).cells
        for line in cell.source.split("\n")
    }
    leaked = sorted((secret - public) & released)
    assert not leaked, f"release/{name}.ipynb contains solution or hidden-test lines: {leaked[:5]}"


def test_release_ships_no_reference_outputs_or_grader():
    shipped = {p.relative_to(RELEASE_DIR).as_posix() for p in RELEASE_DIR.rglob("*") if p.is_file()}
    sums = {line.split()[1] for line in (REPO / "data" / "SHA256SUMS").read_text().splitlines()}
    allowed = (
        {f"{n}.ipynb" for n in registry()}
        | {"README.md", "convnets_utils.py", "requirements.txt"}
        | {f"data/{n}" for n in sums}
    )
    assert shipped <= allowed, f"unexpected files in release/convnets: {sorted(shipped - allowed)}"
    assert not any("references" in s or s.endswith(".py") and s != "convnets_utils.py" for s in shipped)


def test_release_cells_are_clean():
    """No outputs, and nbgrader's checksums on every graded or locked cell."""
    for name in registry():
        nb = json.loads((RELEASE_DIR / f"{name}.ipynb").read_text())
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{name}: a released cell has outputs"
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") or meta.get("locked"):
                assert "checksum" in meta, f"{name}/{meta.get('grade_id')}: no nbgrader checksum"


def test_a_mirror_edited_by_hand_is_never_overwritten_silently(tmp_path, monkeypatch, capsys):
    """Only the notebook changed: the mirror follows it. The mirror changed (by hand): nothing is
    written, and the message names the two ways; --from-text carries the edit into the notebook."""
    import shutil

    name = list(registry())[1]
    source, text = tmp_path / "convnets", tmp_path / "text"
    source.mkdir()
    text.mkdir()
    shutil.copy(SOURCE_DIR / f"{name}.ipynb", source)
    shutil.copy(build.TEXT_DIR / f"{name}.py", text)
    monkeypatch.setattr(build, "SOURCE_DIR", source)
    monkeypatch.setattr(build, "TEXT_DIR", text)
    monkeypatch.setattr(build, "SYNC_FILE", text / "sync.json")
    monkeypatch.setattr(build, "REPO", tmp_path)
    assert build.sync_mirrors([name]) == []  # in sync: recorded
    nb = nbformat.read(str(source / f"{name}.ipynb"), as_version=4)
    nb.cells[0].source += "\n\nA sentence added in Jupyter."
    nbformat.write(nb, str(source / f"{name}.ipynb"))
    assert build.sync_mirrors([name]) == []  # the notebook changed: the mirror follows
    assert "A sentence added in Jupyter." in (text / f"{name}.py").read_text()
    mirror = text / f"{name}.py"
    mirror.write_text(mirror.read_text().replace("A sentence added in Jupyter.", "A sentence edited as text."))
    problems = build.sync_mirrors([name])
    assert len(problems) == 1 and "edited by hand" in problems[0] and "--from-text" in problems[0]
    assert "A sentence edited as text." in mirror.read_text()  # not overwritten
    assert build.sync_mirrors([name], "from-text") == []
    cells = nbformat.read(str(source / f"{name}.ipynb"), as_version=4).cells
    assert "A sentence edited as text." in cells[0].source and cells[0].id == nb.cells[0].id


def test_the_students_guide_states_the_graders_own_limits_and_points():
    """release/convnets/README.md: the limits and points it gives the students are the grader's."""
    import re

    from autograder.sandbox.run import Limits
    from autograder.spec import Check

    text = (RELEASE_DIR / "README.md").read_text(encoding="utf-8")
    limits, default = Limits(), Check.__dataclass_fields__["time_limit"].default
    longest = max((c for spec in registry().values() for c in spec.checks), key=lambda c: c.time_limit)
    most = max(c.trainings for spec in registry().values() for c in spec.checks)
    nb3 = registry()["3_image_to_image"]
    stated = {
        "one cell": f"{limits.cell_timeout:.0f} s",
        "one check of a graded function": f"{default:.0f} s (notebook 3's two retrainings: {longest.time_limit:.0f} s "
        f"for each model they train; the super-resolution one trains up to {most})",
        "one notebook and its checks together": f"{limits.wall_seconds:.0f} s (notebook 3: "
        f"{limits.wall_for(nb3):.0f} s, its retrainings' extra models included)",
        "memory": f"{limits.memory_bytes / 2**30:.0f} GiB (address space",
    }
    for what, value in stated.items():
        assert f"| {what} | {value}" in text, f"the guide should say '{what}: {value}' (the grader's value)"
    from autograder.nbgrader.cell import CELL_SECONDS

    assert limits.cell_timeout == CELL_SECONDS, "nbgrader's cell limit and the pytest runner's differ"
    auto = max_points()[0]
    written = sum(
        float(cell.metadata["nbgrader"]["points"])
        for name in registry()
        for cell in nbformat.read(str(REPO / "source" / "convnets" / f"{name}.ipynb"), as_version=4).cells
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade")
    )
    said = re.search(r"(\d+) points are graded automatically and (\d+) by the course staff: (\d+) in all", text)
    assert said, "the guide should say how many points are graded automatically and by the staff"
    assert tuple(map(float, said.groups())) == (auto, written, auto + written), (said.groups(), auto, written)


_READER = """
import sys
from pathlib import Path
from autograder.sandbox.confine import confine
scratch, data = Path(sys.argv[1]), Path(sys.argv[2])
applied = confine(scratch, [data])
print(" ".join(applied), flush=True)
sys.stdin.readline()  # the parent builds the folder again meanwhile
for name in ("same.npz", "changed.npz"):
    try:
        print(name, (data / name).read_text(), flush=True)
    except OSError as exc:
        print(name, type(exc).__name__, flush=True)
"""


def _read_after_a_rebuild(tmp_path, rebuild) -> list[str]:
    """A confined reader granted ``data`` (as a grading child is granted the shipped data), the
    folder rebuilt by ``rebuild(fresh, data)`` while it runs, then read: what it read, by file."""
    import subprocess
    import sys

    data, fresh, scratch = tmp_path / "release" / "data", tmp_path / "fresh" / "data", tmp_path / "scratch"
    for folder, changed in ((data, "old"), (fresh, "new")):
        folder.mkdir(parents=True)
        (folder / "same.npz").write_text("same")
        (folder / "changed.npz").write_text(changed)
    (data / "gone.npz").write_text("gone")
    scratch.mkdir()
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(scratch), str(data)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    applied = reader.stdout.readline().split()
    if not any(a.startswith("landlock") for a in applied):
        reader.kill()
        pytest.skip(f"no Landlock on this kernel (applied: {applied})")
    rebuild(fresh, data)
    out, err = reader.communicate("go\n", timeout=60)
    assert reader.returncode == 0, err[-2000:]
    return out.splitlines()


def test_building_release_again_while_a_grader_reads_it_keeps_its_folders(tmp_path):
    """release/ built again (one data file changed, one gone) while a grading child reads the
    shipped data: the child reads the unchanged file and the new version of the changed one.
    Removing the folder and copying it anew, as the build did before, makes it another folder,
    which Landlock refuses to the child."""
    import shutil

    def replaced(fresh, data):
        shutil.rmtree(data)
        shutil.copytree(fresh, data)

    assert _read_after_a_rebuild(tmp_path / "a", build.sync_tree) == ["same.npz same", "changed.npz new"]
    assert not (tmp_path / "a" / "release" / "data" / "gone.npz").exists()
    refused = ["same.npz PermissionError", "changed.npz PermissionError"]
    assert _read_after_a_rebuild(tmp_path / "b", replaced) == refused


def test_a_partial_build_leaves_the_other_notebooks_and_writes_only_what_changed(tmp_path):
    fresh, out = tmp_path / "fresh", tmp_path / "out"
    for folder, text in ((fresh, "new"), (out, "old")):
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "x.npz").write_text("same")
        (folder / "1_a.ipynb").write_text(text)
        (folder / "2_b.ipynb").write_text(text)
    (out / "stale.txt").write_text("from an older build")
    written = build.sync_tree(fresh, out, leave=lambda rel: rel.suffix == ".ipynb" and rel.stem != "1_a")
    assert [str(p) for p in written] == ["1_a.ipynb"]
    assert (out / "1_a.ipynb").read_text() == "new" and (out / "2_b.ipynb").read_text() == "old"
    assert not (out / "stale.txt").exists() and (out / "data" / "x.npz").read_text() == "same"

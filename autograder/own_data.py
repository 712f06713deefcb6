"""The grader's own data, checked before anyone is graded.

Every notebook reads the shipped data (``release/convnets/data/``, the copy the grading child may
read; ``data/``, which nbgrader's course folder links to). A file that is not the one the grader was
built with (a Git LFS pointer left by a clone without ``git lfs pull``, a file edited or cut short by
hand) makes the locked cells fail in every notebook, and each student would lose the points with a
message about their own code. So the graders check these files against ``data/SHA256SUMS`` first,
and grade nobody while one differs:

* the batch grader, the pytest runner and the comparison (through :class:`SubmissionGrader`);
* nbgrader's ``autograde`` and ``generate_assignment`` (which would release the damaged file to the
  students) run from the command line, the grader's nbgrader runner among them: ``nbgrader_config.py``
  stops them; formgrader's autograde button, inside the Jupyter server, which read that file when it
  started, is refused each submission by the first of autograde's steps
  (:class:`autograder.nbgrader.preprocessors.RequireIntactData`);
* Gradescope's ``run_autograder``, which tells the student it is not their fault.

``python -m autograder.own_data`` runs the check alone.

The reference outputs (``autograder/references/``) are checked too, for being there and readable
whole (a pointer, a cut file); no list of their digests is committed.

Each file is read once per process for a given size and modification time."""

from __future__ import annotations

import functools
import importlib.util
import zipfile
from pathlib import Path

from autograder.paths import REFERENCES_DIR, REPO, SHIPPED_DATA

SUMS = REPO / "data" / "SHA256SUMS"
SOURCE_SIDE = (REPO / "data",)  # what source/convnets/data links to, and nbgrader copies to each student
FOLDERS = (SHIPPED_DATA, *SOURCE_SIDE)  # and the copy in release/, which the grading child reads
LFS_POINTER = b"version https://git-lfs"
_digests: dict[tuple[str, int, int], str] = {}
_checked: dict[tuple[str, str, int, int], str | None] = {}


class GraderDataError(RuntimeError):
    """The grader's own data differ from ``data/SHA256SUMS``, or a reference output is missing or
    unreadable: nobody is graded (it is not the students' fault), nothing is written, and the message
    says which file and how to restore it."""


def _shown(path: Path) -> str:
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)


@functools.cache
def data_builder():
    """``data/build.py`` as a module: what writes SHA256SUMS also reads it (``read_sums``, ``sha256``,
    and ``check()``, which the main job runs)."""
    spec = importlib.util.spec_from_file_location("_convnets_data_build", REPO / "data" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        _digests[key] = data_builder().sha256(path)
    return _digests[key]


def _what_it_is(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(len(LFS_POINTER))
    size = path.stat().st_size
    if head == LFS_POINTER:
        return f"a Git LFS pointer of {size} bytes (the clone did not fetch the file: `git lfs pull`)"
    return f"a file of {size} bytes (sha256 {_digest(path)[:12]}...)"


def damaged(
    folders: tuple[Path, ...] = FOLDERS, sums: Path = SUMS, references: Path | None = REFERENCES_DIR
) -> list[str]:
    """One line per shipped file that is missing or differs from ``data/SHA256SUMS``: where,
    what was expected and what was found. Empty when every file is the one the grader was built
    with (or when there is no SHA256SUMS to check against: a grader installed without ``data/``);
    ``folders``: where to look (by default release/convnets/data/ and data/); ``sums``: the list.
    With ``references`` (a folder), also the reference outputs there that are missing or cannot be
    read whole (:func:`unreadable_references`)."""
    problems = unreadable_references(references) if references is not None else []
    if not sums.is_file():
        return problems
    for name, digest in data_builder().read_sums(sums).items():
        for folder in folders:
            path = folder / name
            where = _shown(path)
            try:
                if not path.is_file():
                    problems.append(f"{where}: missing (expected the file with sha256 {digest[:12]}...)")
                elif _digest(path) != digest:
                    problems.append(f"{where}: expected sha256 {digest[:12]}..., found {_what_it_is(path)}")
            except OSError as exc:  # unreadable (permissions), or gone while read
                problems.append(f"{where}: cannot be read ({exc.strerror or exc})")
    return problems


def _unreadable(path: Path) -> str | None:
    """Why the zip file ``path`` cannot be read whole (None if it can), once per size and mtime."""
    st = path.stat()
    key = ("zip", str(path), st.st_size, st.st_mtime_ns)
    if key not in _checked:
        try:
            with zipfile.ZipFile(path) as zf:
                _checked[key] = zf.testzip()  # the first member whose CRC fails, or None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            _checked[key] = f"not a .npz: {exc}"
    return _checked[key]


def unreadable_references(folder: Path = REFERENCES_DIR) -> list[str]:
    """One line per reference file (each notebook's, and every other ``.npz`` there) that is missing
    or not a whole ``.npz`` (every member's CRC is read). No list of their digests is committed (the
    build writes them), so a file that reads but holds other values is not found here."""
    from autograder.checks import registry

    names = sorted({f"{n}.npz" for n in registry()} | {p.name for p in folder.glob("*.npz")})
    problems = []
    for name in names:
        path = folder / name
        if not path.is_file():
            problems.append(f"{_shown(path)}: missing (`python -m autograder.assign.references` writes it)")
            continue
        try:
            bad = _unreadable(path)
            if bad:
                problems.append(f"{_shown(path)}: cannot be read whole ({bad}): {_what_it_is(path)}")
        except OSError as exc:
            problems.append(f"{_shown(path)}: cannot be read ({exc.strerror or exc})")
    return problems


GRADING = "Nobody was graded: every student would have lost points for it"


def require_intact(
    refused: str = GRADING,
    folders: tuple[Path, ...] = FOLDERS,
    sums: Path = SUMS,
    references: Path | None = REFERENCES_DIR,
) -> None:
    """Raise :class:`GraderDataError` unless every shipped file is the one the grader was built with;
    ``refused`` says what was not done and why (by default: the grading); ``folders``, ``sums``
    and ``references`` as for :func:`damaged`."""
    problems = damaged(folders, sums, references)
    if problems:
        raise GraderDataError(
            f"the grader's own files are damaged (its data checked against {_shown(sums)}, its reference "
            "outputs read whole): " + "; ".join(problems) + f". {refused}. Restore the files "
            "(`git lfs pull`, or `git checkout -- data release/convnets/data autograder/references`; after "
            "`python data/build.py`, "
            "`convnets-build` copies data/ into release/), check them with `python -m autograder.own_data`, "
            "then run the command again."
        )


def main() -> int:
    """``python -m autograder.own_data``: say whether the grader's data and reference outputs are
    intact (exit 0) or not (13, one line a file)."""
    from autograder.exitcodes import ExitCode

    problems = damaged()
    if problems:
        print("\n".join(["the grader's own files are damaged:", *problems]))
        return ExitCode.GRADER_DATA
    files = len(data_builder().read_sums(SUMS)) if SUMS.is_file() else 0
    references = len(list(REFERENCES_DIR.glob("*.npz")))
    print(
        f"the grader's own files are intact: {files} data files match {_shown(SUMS)}, "
        f"{references} reference files read whole"
    )
    return ExitCode.OK


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate everything derived from ``source/``: one command.

    python -m autograder.assign.build                   # release/, source/text/ mirrors, then references
    python -m autograder.assign.build --check           # regenerate into a temporary folder and compare
    python -m autograder.assign.build --from-text       # a mirror was edited by hand: carry it into the notebook
    python -m autograder.assign.build --from-notebooks  # discard hand edits of the mirrors

A text mirror is never overwritten silently. ``source/text/sync.json`` records both files as
last synchronised; when only the notebook changed since, the mirror is regenerated from it;
when the mirror changed (edited by hand), or both did, nothing is written and the message
says which of the two flags to use.

``release/convnets/`` is made by ``nbgrader generate_assignment`` (solutions
and hidden tests removed, data files copied), run in a temporary course folder
so that no gradebook is left behind. ``source/text/*.py`` are jupytext
percent-format mirrors of the source notebooks, for reviewing changes as diffs.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.checks import registry
from autograder.exitcodes import Parser
from autograder.own_data import data_builder  # noqa: F401 - data/build.py as a module, for the main job
from autograder.paths import ASSIGNMENT, REPO, SOURCE_DIR

TEXT_DIR = REPO / "source" / "text"


def bin_path(name: str) -> str:
    """A console script installed next to this Python (the venv's nbgrader, jupytext)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def nbgrader_command(*args: str) -> list[str]:
    """``nbgrader ARGS`` as the grader's tools run it (autograder/nbgrader/__main__.py: the same
    application, started about 1.7 s sooner); with ``nbgrader_env()``."""
    return [sys.executable, "-m", "autograder.nbgrader", *args]


def nbgrader_env() -> dict:
    """nbgrader runs `alembic` and kernels from PATH: put this Python's bin folder first; and
    its kernels (the hidden tests) import this repository's grader, whatever is installed."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def generate_release(dest: Path, only: list[str] | None = None) -> Path:
    """Run nbgrader generate_assignment on source/ into ``dest/<assignment>``.

    With ``only``, just those notebooks (and every shipped file) are replaced in ``dest``.
    """
    with tempfile.TemporaryDirectory(prefix="convnets-release-") as tmp:
        root = Path(tmp)
        (root / "source").symlink_to(REPO / "source")
        shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        proc = subprocess.run(
            nbgrader_command("generate_assignment", ASSIGNMENT, "--force", "--no-db"),
            cwd=root,
            capture_output=True,
            text=True,
            env=nbgrader_env(),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{proc.stdout}\n{proc.stderr}")
        out, fresh = dest / ASSIGNMENT, root / "release" / ASSIGNMENT
        if only:
            sync_tree(fresh, out, leave=lambda rel: rel.suffix == ".ipynb" and rel.stem not in only)
        else:
            sync_tree(fresh, out)
    return out


def sync_tree(fresh: Path, out: Path, leave=lambda rel: False) -> list[Path]:
    """Make ``out`` hold what ``fresh`` holds, changing only what differs; returns what it wrote.

    A file whose bytes are the same is left as it is, a changed one is replaced whole (written
    beside it, then renamed over it), a file ``fresh`` lacks is removed, and folders stay where
    they are; a file for which ``leave(rel)`` is true (``rel`` relative to both) is not touched.
    A grader that is running while release/ is built again, as a TA's batch may be when the
    instructor rebuilds, keeps reading the folders it was given: its sandbox is granted the
    shipped data's folder itself (Landlock grants a folder, not a path), and a folder removed
    and made again would be another folder, refused to it mid-run."""
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(fresh.rglob("*")):
        rel = path.relative_to(fresh)
        target = out / rel
        if leave(rel):
            continue
        if path.is_dir():
            if target.exists() and not target.is_dir():
                target.unlink()
            target.mkdir(exist_ok=True)
            continue
        if target.is_dir():
            shutil.rmtree(target)
        elif target.is_file() and filecmp.cmp(path, target, shallow=False):
            continue
        partial = target.with_name(f".{target.name}.partial")
        shutil.copy2(path, partial)
        os.replace(partial, target)
        written.append(rel)
    for path in sorted(out.rglob("*"), reverse=True):  # the deepest first
        rel = path.relative_to(out)
        if (fresh / rel).exists() or leave(rel) or any(leave(p.relative_to(out)) for p in path.rglob("*")):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return written


def text_mirror(notebook: Path) -> str:
    proc = subprocess.run(
        [bin_path("jupytext"), "--to", "py:percent", "--output", "-", str(notebook)],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def compare_trees(a: Path, b: Path) -> list[str]:
    """Files that differ between two folders, one line each."""
    problems = []
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(files_a ^ files_b):
        problems.append(f"{rel}: only in {'the regenerated' if rel in files_a else 'the committed'} release")
    for rel in sorted(files_a & files_b):
        if not filecmp.cmp(a / rel, b / rel, shallow=False):
            problems.append(f"{rel}: differs from what nbgrader generates from source/")
    return problems


def check() -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_release(Path(tmp))
        problems += compare_trees(fresh, REPO / "release" / ASSIGNMENT)
    for spec in registry().values():
        mirror = TEXT_DIR / f"{spec.name}.py"
        if not mirror.exists() or mirror.read_text() != text_mirror(SOURCE_DIR / spec.filename):
            problems.append(
                f"source/text/{spec.name}.py is not the jupytext mirror of the source notebook "
                f"(python -m autograder.assign.build says which way to synchronise them)"
            )
    return problems


SYNC_FILE = TEXT_DIR / "sync.json"


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def sync_mirrors(names: list[str], direction: str | None = None) -> list[str]:
    """Bring each mirror and its notebook in line; return the problems (nothing written for them).

    ``direction``: None (only the way that loses nothing), "from-text" (the mirror into the
    notebook, keeping cell ids and metadata) or "from-notebooks" (the notebook into the mirror)."""
    import json

    stamps = json.loads(SYNC_FILE.read_text()) if SYNC_FILE.exists() else {}
    problems = []
    for name in names:
        notebook, mirror = SOURCE_DIR / registry()[name].filename, TEXT_DIR / f"{name}.py"
        stamp = stamps.get(name, {})
        if direction == "from-text":
            subprocess.run(
                [bin_path("jupytext"), "--update", "--to", "ipynb", "--output", str(notebook), str(mirror)],
                check=True,
                capture_output=True,
            )
            print(f"{notebook.relative_to(REPO)}: updated from {mirror.relative_to(REPO)}")
        expected = text_mirror(notebook)
        if mirror.exists() and mirror.read_text() == expected:
            pass
        elif (
            direction == "from-notebooks"
            or (not mirror.exists())
            or (_sha(mirror) == stamp.get("mirror") and _sha(notebook) != stamp.get("notebook"))
        ):
            mirror.write_text(expected)
            print(f"{mirror.relative_to(REPO)}: regenerated from {notebook.relative_to(REPO)}")
        else:
            edited = (
                "was edited by hand"
                if _sha(notebook) == stamp.get("notebook")
                else ("and the notebook both changed" if stamp else "differs from its notebook")
            )
            problems.append(
                f"{mirror.relative_to(REPO)} {edited}: nothing written. To carry the text into the "
                f"notebook: python -m autograder.assign.build --from-text; to discard the text's changes: "
                f"python -m autograder.assign.build --from-notebooks"
            )
            continue
        stamps[name] = {"notebook": _sha(notebook), "mirror": _sha(mirror)}
    SYNC_FILE.write_text(json.dumps(stamps, indent=1, sort_keys=True) + "\n")
    return problems


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare, write nothing")
    ap.add_argument("--no-references", action="store_true", help="skip regenerating the reference outputs")
    ap.add_argument("--notebook", action="append", help="only these notebooks (default: all)")
    way = ap.add_mutually_exclusive_group()
    way.add_argument(
        "--from-text",
        action="store_const",
        const="from-text",
        dest="direction",
        help="carry hand edits of source/text/*.py into the notebooks (jupytext --update)",
    )
    way.add_argument(
        "--from-notebooks",
        action="store_const",
        const="from-notebooks",
        dest="direction",
        help="regenerate the mirrors from the notebooks, discarding hand edits",
    )
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "release/ and source/text/ are in sync with source/")
        return 1 if problems else 0
    names = args.notebook or list(registry())
    TEXT_DIR.mkdir(exist_ok=True)
    problems = sync_mirrors(names, args.direction)
    if problems:
        print("\n".join(problems))
        return 1
    out = generate_release(REPO / "release", args.notebook)
    print(f"regenerated {out.relative_to(REPO)}/ with nbgrader: {', '.join(sorted(os.listdir(out)))}")
    if not args.no_references:
        from autograder.assign import references

        return references.main([arg for name in names for arg in ("--notebook", name)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

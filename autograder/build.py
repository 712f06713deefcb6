"""Regenerate everything derived from ``source/``: one command.

    python -m autograder.build          # release/, source/text/ mirrors, then references
    python -m autograder.build --check  # regenerate into a temporary folder and compare

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

from autograder.core import ASSIGNMENT, REPO, SOURCE_DIR, registry

TEXT_DIR = REPO / "source" / "text"


def bin_path(name: str) -> str:
    """A console script installed next to this Python (the venv's nbgrader, jupytext)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def nbgrader_env() -> dict:
    """nbgrader runs `alembic` and kernels from PATH: put this Python's bin folder first."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate_release(dest: Path, only: list[str] | None = None) -> Path:
    """Run nbgrader generate_assignment on source/ into ``dest/<assignment>``.

    With ``only``, just those notebooks (and every shipped file) are replaced in ``dest``.
    """
    with tempfile.TemporaryDirectory(prefix="convnets-release-") as tmp:
        root = Path(tmp)
        (root / "source").symlink_to(REPO / "source")
        shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        proc = subprocess.run([bin_path("nbgrader"), "generate_assignment", ASSIGNMENT, "--force", "--no-db"],
                              cwd=root, capture_output=True, text=True, env=nbgrader_env())
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{proc.stdout}\n{proc.stderr}")
        out, fresh = dest / ASSIGNMENT, root / "release" / ASSIGNMENT
        if only:
            shutil.copytree(fresh, out, dirs_exist_ok=True,
                            ignore=lambda d, names: [n for n in names if n.endswith(".ipynb")
                                                     and n[:-len(".ipynb")] not in only])
        else:
            if out.exists():
                shutil.rmtree(out)
            shutil.copytree(fresh, out)
    return out


def text_mirror(notebook: Path) -> str:
    proc = subprocess.run([bin_path("jupytext"), "--to", "py:percent", "--output", "-", str(notebook)],
                          capture_output=True, text=True, check=True)
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
            problems.append(f"source/text/{spec.name}.py is not the jupytext mirror of the source notebook")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare, write nothing")
    ap.add_argument("--no-references", action="store_true", help="skip regenerating the reference outputs")
    ap.add_argument("--notebook", action="append", help="only these notebooks (default: all)")
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "release/ and source/text/ are in sync with source/")
        return 1 if problems else 0
    names = args.notebook or list(registry())
    TEXT_DIR.mkdir(exist_ok=True)
    for name in names:
        (TEXT_DIR / f"{name}.py").write_text(text_mirror(SOURCE_DIR / registry()[name].filename))
    out = generate_release(REPO / "release", args.notebook)
    print(f"regenerated {out.relative_to(REPO)}/ with nbgrader: "
          f"{', '.join(sorted(os.listdir(out)))}")
    if not args.no_references:
        from autograder import references
        return references.main([arg for name in names for arg in ("--notebook", name)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

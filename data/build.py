"""Build every dataset and fixed model the assignment ships, offline and seeded.

    python data/build.py            # build all, then rewrite data/SHA256SUMS
    python data/build.py digits     # build only the named builders
    python data/build.py --check    # verify data/SHA256SUMS against the files

Each builder is a module ``data/builders/<name>.py`` with a ``build(out_dir)``
function that writes its files into ``out_dir`` and returns their names. The
sources are packages that ship their data (scikit-learn, scikit-image): nothing
is downloaded. Every shipped file is also linked from ``source/convnets/data/``
so that nbgrader copies it into the student release.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
REPO = DATA_DIR.parent
SOURCE_DATA = REPO / "source" / "convnets" / "data"
SUMS = DATA_DIR / "SHA256SUMS"
# Builder order matters only for speed of feedback: cheap ones first.
BUILDERS = ["digits", "shapes_classifier", "shapes_segmentation", "superres_patches"]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_sums(path: Path = SUMS) -> dict[str, str]:
    """``{file name: sha256}`` from ``path`` (by default data/SHA256SUMS), sha256sum's format."""
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        out[name.lstrip("*")] = digest
    return out


def write_sums(sums: dict[str, str]) -> None:
    SUMS.write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))


def link_into_source(name: str) -> None:
    """Link data/<name> from source/convnets/data/ (nbgrader copies the target)."""
    SOURCE_DATA.mkdir(parents=True, exist_ok=True)
    link = SOURCE_DATA / name
    target = os.path.relpath(DATA_DIR / name, SOURCE_DATA)
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


def check() -> list[str]:
    """Return one line per problem: missing file, checksum mismatch, missing link."""
    problems = []
    sums = read_sums()
    if not sums:
        problems.append(f"{SUMS} is missing or empty: run `python data/build.py`")
    for name, digest in sums.items():
        path = DATA_DIR / name
        if not path.exists():
            problems.append(f"{name}: listed in SHA256SUMS but missing")
        elif sha256(path) != digest:
            problems.append(f"{name}: sha256 {sha256(path)[:12]}... != SHA256SUMS {digest[:12]}...")
        if not (SOURCE_DATA / name).exists():
            problems.append(f"{name}: no link source/convnets/data/{name} (run `python data/build.py`)")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"builders to run (default: all of {BUILDERS})")
    ap.add_argument("--check", action="store_true", help="only verify the checksums")
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or f"data OK: {len(read_sums())} files match {SUMS.name}")
        return 1 if problems else 0
    unknown = sorted(set(args.names) - set(BUILDERS))
    if unknown:
        ap.error(f"unknown builder(s) {unknown}; expected some of {BUILDERS}")
    sys.path.insert(0, str(DATA_DIR))
    sums = read_sums()
    for name in args.names or BUILDERS:
        module = importlib.import_module(f"builders.{name}")
        for filename in module.build(DATA_DIR):
            sums[filename] = sha256(DATA_DIR / filename)
            link_into_source(filename)
            print(f"built data/{filename}  sha256 {sums[filename][:12]}")
    write_sums(sums)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The packages installed in this Python that requirements.txt does not pin (pip, setuptools and
the project itself aside); with ``--uninstall``, uninstall them. scripts/venv.sh runs it after
installing the pins, so that an older .venv/ ends up with what a new one would have."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
ALWAYS = {"pip", "setuptools", "wheel"}


def pinned(path: Path = REPO / "requirements.txt") -> set[str]:
    """The names requirements.txt pins, whatever their markers, canonicalized as pip does."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {canonicalize_name(Requirement(line).name) for line in lines if line}


def extras() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    keep = pinned() | ALWAYS | {canonicalize_name(project)}
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions() if d.metadata["Name"]}
    return sorted(installed - keep)


def main() -> int:
    found = extras()
    if "--uninstall" in sys.argv[1:] and found:
        print("Uninstalling what requirements.txt no longer pins:", " ".join(found))
        return subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "-y", *found]).returncode
    print("\n".join(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where things are: the repository, its source notebooks, the release students get, the
grader's copy of the shipped data, and the reference outputs."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "source" / "convnets"
RELEASE_DIR = REPO / "release" / "convnets"
SHIPPED_DATA = RELEASE_DIR / "data"  # the grader's own copy of the data students get (committed)
REFERENCES_DIR = Path(__file__).resolve().parent / "references"
ASSIGNMENT = "convnets"

"""One module per dataset: each has ``build(out_dir) -> list[str]`` (see data/build.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# scripts/venv.sh installs scikit-learn here, apart from the grader's packages (requirements-data.txt).
DATA_SOURCES = Path(__file__).resolve().parents[2] / ".venv" / "data-sources"


def data_source(module: str):
    """``import module`` from a data source (scikit-learn), which lives in .venv/data-sources/, off
    sys.path: the folder is on sys.path only while the module is imported, so that Keras, which
    imports scikit-learn whenever it finds it, does not find it in other processes. A Python that
    has scikit-learn installed the usual way imports it from there."""
    added = DATA_SOURCES.is_dir() and str(DATA_SOURCES) not in sys.path
    if added:
        sys.path.append(str(DATA_SOURCES))
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"the data builders need {exc.name} (scikit-learn, pinned in requirements-data.txt): expected it in "
            f"{DATA_SOURCES} (bash scripts/venv.sh installs it there) or installed in this Python "
            f"({sys.executable}); found neither"
        ) from exc
    finally:
        if added:
            sys.path.remove(str(DATA_SOURCES))

#!/usr/bin/env bash
# Create or update .venv/ from the pinned requirements (only when they changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-data.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "Setting up .venv/ from requirements.txt (one time; about a minute)..."
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
# What the pins no longer list leaves (an older .venv/ had scikit-learn here, see requirements-data.txt).
.venv/bin/python scripts/venv_extras.py --uninstall
# The data builders' source, apart from the grader's packages: data/builders/__init__.py.
rm -rf .venv/data-sources
.venv/bin/python -m pip install --quiet --no-deps --target .venv/data-sources -r requirements-data.txt
echo "$want" > "$stamp"

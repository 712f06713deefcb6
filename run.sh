#!/usr/bin/env bash
# The main job: set up .venv/ from the pins, then check the package and grade example
# submissions (python -m lab; `bash run.sh --full` grades the whole example class
# with both runners). It writes nothing outside .venv/ and build/.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/venv.sh
exec .venv/bin/python -m lab "$@"

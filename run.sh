#!/usr/bin/env bash
# The main job: set up .venv/, check the data, regenerate release/ and the reference
# outputs from source/, build the example class and grade it with both runners.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/venv.sh
PY=.venv/bin/python
$PY data/build.py --check
$PY -m autograder.build
rm -rf build/examples && mkdir -p build/examples
$PY tests/example_submissions.py build/examples/submitted > /dev/null
echo "Grading $(ls build/examples/submitted | wc -l) example submissions with pytest and with nbgrader..."
$PY -m autograder.compare build/examples/submitted --json build/examples/scores.json

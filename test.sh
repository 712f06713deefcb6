#!/usr/bin/env bash
# The test suite: set up .venv/ if needed, then run every test (slow ones included).
# Extra arguments go to pytest, e.g. `bash test.sh -m "not slow"` for the quick ones.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/venv.sh
exec .venv/bin/python -m pytest "$@"

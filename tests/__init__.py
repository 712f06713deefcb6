"""The package's own tests (run with `bash test.sh`); shared helpers in tests/helpers.py."""

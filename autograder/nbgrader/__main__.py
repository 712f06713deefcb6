"""``python -m autograder.nbgrader ARGS`` is ``nbgrader ARGS``, the command the grader's own tools
run (autograde's course folders, the release build): nbgrader's application with the same
arguments, in a process that imported ``autograder`` first (as ``-m`` does: its package comes
first), so jsonschema comes without the IRI grammar it would compile at import and nbgrader never
uses (see autograder/__init__.py): ``generate_assignment`` took 1.7 s of CPU instead of 3.3 (an
idle 2-core AMD EPYC, 2026-12-07)."""

import sys

from nbgrader.apps.nbgraderapp import main

if __name__ == "__main__":
    sys.argv[0] = "nbgrader"
    sys.exit(main())

"""Grader of the Week 5 ConvNets assignment.

* ``autograder.checks``: every graded check, written once (collect + judge).
* ``autograder.nbgrader_cell.run_hidden_check``: runs a check inside nbgrader's kernel.
* ``pytest autograder --submission PATH``: runs the same checks, student code sandboxed.
* ``python -m autograder.references``: regenerates the reference outputs from ``source/``.
"""

import os as _os

# The grader imports TensorFlow only to write references and benchmarks; keep its logs quiet.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # same digits on every CPU (see convnets_utils)

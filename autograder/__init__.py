"""Grader of the Week 5 ConvNets assignment: how a submission becomes a grade.

Read the folders in the order the data flows::

    assign/      source/ -> release/, the text mirrors and the references       (instructor, once)
    checks/      what is graded: per notebook, collect (student side) + judge     (written once)
    references/  what it is compared with: the solutions' outputs, the hidden evaluation data
    sandbox/     where student code runs: a confined child, forked by a zygote; plain data back
    grading.py   one submission: its notebooks through the sandbox, judged here  (pytest runner:
                 pytest_plugin.py, conftest.py, test_submission.py; Gradescope: gradescope.py)
    nbgrader/    the other runner: the hidden cell, the preprocessors, autograde, the gradebook
    batch.py     a class: every submission through grading.py, resumable, all cores
    report/      what people read: grades.csv, checks.csv, junit.xml, report.html, feedback

``paths``, ``spec`` (a :class:`~autograder.spec.Check`), ``messages``, ``exitcodes`` and
``progress`` are shared by all of them. The maintainers' tools (the example class, the main job,
the runner comparison, the benchmark) are in ``lab/`` beside this package, not in it.
"""

import os as _os

# The grader imports TensorFlow only to write references and benchmarks; keep its logs quiet.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # same digits on every CPU (see convnets_utils)

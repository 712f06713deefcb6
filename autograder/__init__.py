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
import sys as _sys

# The grader imports TensorFlow only to write references and benchmarks; keep its logs quiet.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # same digits on every CPU (see convnets_utils)


def _jsonschema_without_its_iri_grammar() -> None:
    """Every process of the grader reads notebooks with nbformat, which imports jsonschema, which
    imports ``rfc3987_syntax`` when it is installed (jupyter-events, which nbgrader needs, asks
    for it); that module compiles a Lark grammar as it is imported: about 1.3 s of CPU in each
    process (`python -c "import nbformat"` 1.4 s, 0.16 s after `import autograder`; an idle 2-core
    AMD EPYC, 2026-12-07), twice for every submission the pytest runner or Gradescope grades (the
    grader and its zygote). jsonschema uses it only for the "iri" and "iri-reference" formats;
    nbformat's schema has no format and nbformat checks none. So jsonschema is imported here
    without it, once, and nothing else changes: ``import rfc3987_syntax`` itself still works
    afterwards."""
    if "jsonschema" in _sys.modules or "rfc3987_syntax" in _sys.modules:
        return
    _sys.modules["rfc3987_syntax"] = None  # what `import` reads as "not installed"
    try:
        import jsonschema._format  # noqa: F401 - where the optional import is, at its module's import
    except ImportError:  # jsonschema missing: nbformat will say so when it is imported
        pass
    finally:
        del _sys.modules["rfc3987_syntax"]


_jsonschema_without_its_iri_grammar()

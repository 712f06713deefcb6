"""The assignment's notebooks, in order, with their auto-graded checks and manual answers.

A later notebook adds its module here; nothing else in the grader changes.
"""
from autograder.core import NotebookSpec
from autograder.checks import nb1_residual

_MODULES = [nb1_residual]

NOTEBOOKS = {m.NOTEBOOK: NotebookSpec(name=m.NOTEBOOK, checks=list(m.CHECKS), manual=dict(m.MANUAL))
             for m in _MODULES}

"""Stage 0, the instructor's: everything derived from ``source/`` (``convnets-build``).

* :mod:`.build`: ``release/`` (nbgrader's generate_assignment), the text mirrors, then the references;
* :mod:`.references`: the reference outputs, each notebook's source solution run in the sandbox
  and its checks' ``collect`` stored (``autograder/references/*.npz``), and the hidden evaluation data.
"""

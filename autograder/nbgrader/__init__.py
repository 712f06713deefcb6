"""The nbgrader runner: the same checks inside nbgrader's kernels (nbgrader is not a sandbox).

* :mod:`.cell`: ``run_hidden_check``, the hidden half of every test cell in ``source/``;
* :mod:`.preprocessors`: the repairs ``nbgrader_config.py`` adds to autograde;
* :mod:`.runner`: ``nbgrader autograde`` in a temporary course folder, and the scores it gives;
* :mod:`.gradebook`: the batch grader's records into a course's gradebook (formgrader, export).
"""

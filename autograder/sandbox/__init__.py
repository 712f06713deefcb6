"""Stage 2: where student code runs, and what comes back from it.

* :mod:`.run`: one notebook in a child process with time, memory and output limits; its results read back;
* :mod:`.zygote`: a process that has imported TensorFlow and forks one child per notebook;
* :mod:`.child`: the child: the notebook's cells, then each check's ``collect``;
* :mod:`.confine`: Landlock, seccomp and no capabilities, before the child runs a line of the student's;
* :mod:`.plain`: the plain data that crosses the border (no pickle), written atomically;
* :mod:`.machine`: the CPU knobs the child is given, and the machine a grade was computed on.
"""

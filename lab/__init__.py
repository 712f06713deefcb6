"""The maintainers' lab: what shows the grader works, kept out of what grades students.

* ``python -m lab`` (``bash run.sh``): the main job: the package checked, example submissions graded;
* :mod:`lab.examples`: the example class (mistakes, valid variations, public-code answers, hostile
  submissions) with the score each must get;
* :mod:`lab.compare`: a class graded by both runners, one table;
* :mod:`lab.bench`: the speed and memory figures of docs/benchmarks.md;
* :mod:`lab.cpu_spread`: the trained values across CPU settings and seeds (docs/grading.md).

Run from the repository (it is not installed, and never in the Gradescope bundle or the wheel).
"""

import autograder  # noqa: E402, F401 - first, so that reading notebooks starts quickly (see there)

"""Benchmark: whole-process times of the two runners and of the notebooks themselves.

    python -m autograder.bench [--repeat N]

Prints, for the solution submission of every notebook (each a separate process,
wall-clock, best of N):
* the baseline: a Python process that only imports TensorFlow and Keras;
* the notebook run top to bottom in a Jupyter kernel (``jupyter nbconvert --execute``);
* ``pytest autograder --submission <that notebook>``;
* ``nbgrader autograde`` of the same notebook (``generate_assignment`` excluded);
and the ratios to the baseline and between the runners. Figures, not assertions:
compare them with the targets in the README.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.build import bin_path, nbgrader_env
from autograder.core import ASSIGNMENT, REPO, RELEASE_DIR, registry


def timed(cmd: list[str], cwd: Path, env=None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def best(n: int, fn) -> float:
    return min(fn() for _ in range(n))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="take the best of N runs (default 1)")
    ap.add_argument("--notebook", action="append", help="only these notebooks")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))
    import example_submissions

    names = args.notebook or list(registry())
    work = Path(tempfile.mkdtemp(prefix="convnets-bench-"))
    example_submissions.write_examples(work / "submitted", ["solution"], notebooks=names)
    folder = work / "submitted" / "solution" / ASSIGNMENT
    py = sys.executable
    baseline = best(args.repeat, lambda: timed([py, "-c", "import tensorflow, keras"], REPO))
    print(f"baseline (python -c 'import tensorflow, keras'): {baseline:6.1f} s")
    print(f"{'notebook':28s} {'run in kernel':>14s} {'pytest runner':>14s} {'nbgrader':>10s} "
          f"{'pytest/nbgrader':>16s}")
    # nbgrader needs a course folder with a gradebook that knows the assignment.
    course = work / "course"
    course.mkdir()
    (course / "source").symlink_to(REPO / "source")
    shutil.copy(REPO / "nbgrader_config.py", course)
    subprocess.run([bin_path("nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], cwd=course,
                   env=nbgrader_env(), capture_output=True, check=True)
    for name in names:
        nb = folder / f"{name}.ipynb"
        kernel_dir = work / f"kernel-{name}"
        shutil.copytree(RELEASE_DIR, kernel_dir)
        shutil.copy(nb, kernel_dir / nb.name)
        t_kernel = best(args.repeat, lambda: timed(
            [bin_path("jupyter"), "nbconvert", "--to", "notebook", "--execute", "--output", "executed.ipynb",
             "--ExecutePreprocessor.timeout=600", nb.name], kernel_dir, nbgrader_env()))
        t_pytest = best(args.repeat, lambda: timed(
            [py, "-m", "pytest", "autograder", "--submission", str(nb), "-q", "-p", "no:cacheprovider"], REPO))

        def nbgrader_once():
            sub = course / "submitted" / "solution" / ASSIGNMENT
            if sub.exists():
                shutil.rmtree(sub)
            sub.mkdir(parents=True)
            shutil.copy(nb, sub / nb.name)
            return timed([bin_path("nbgrader"), "autograde", ASSIGNMENT, "--create", "--force",
                          "--notebook", name], course, nbgrader_env())

        t_nbgrader = best(args.repeat, nbgrader_once)
        print(f"{name:28s} {t_kernel:11.1f} s  {t_pytest:11.1f} s  {t_nbgrader:7.1f} s  "
              f"{t_pytest / t_nbgrader:15.2f}x")
        print(f"{'':28s} {t_kernel / baseline:10.1f}x b {t_pytest / baseline:10.1f}x b {t_nbgrader / baseline:6.1f}x b"
              "   (x b: multiples of the baseline)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

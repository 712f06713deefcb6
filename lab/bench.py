"""Benchmark: whole-process times of the two runners and of the notebooks themselves.

    python -m lab.bench [--repeat N]          # one solution, notebook by notebook
    python -m lab.bench --class 5 10 20       # synthetic classes, batch grader vs nbgrader
    python -m lab.bench --load 200            # many cheap submissions: invariants under load

Prints, for the solution submission of every notebook (each a separate process,
wall-clock, best of N):
* the baseline: a Python process that only imports TensorFlow and Keras;
* the notebook run top to bottom in a Jupyter kernel (``jupyter nbconvert --execute``);
* ``pytest autograder --submission <that notebook>``;
* ``nbgrader autograde`` of the same notebook (``generate_assignment`` excluded);
and the ratios to the baseline and between the runners.

With ``--class N [N ...]``: for each N a synthetic class of N students, each handing in every
notebook (cycling through: the solution, the blank release, a submission with a notebook that
is not JSON, and the mistakes of the examples of every notebook in turn, each put in an
otherwise correct submission), graded by ``python -m autograder.batch`` with 1 job and with all
cores; the class of at least 10 students (or the largest) also by ``nbgrader autograde`` (one
student after another, as nbgrader does). Prints the wall times, the speed-up over nbgrader,
submissions per minute, CPU seconds per submission (every process counted: the grader, its
zygote and the children), the peak memory of the largest process, whether the scores agree,
and what a class of 300 would take.

With ``--load N``: a class of N students handing in notebook 2 only (cycling through the
solution, the blank release, three mistakes, a notebook that is not JSON, the sandbox's quick
faults, code that makes processes past the filter, a check that never ends and a check that
kills its process), graded by the batch grader with ``--jobs`` (default 2) and a short
``--time-limit``, in a private TMPDIR. While it runs, the resident memory of the grader, of its
zygote and of all its processes is sampled; afterwards it checks that every student has
exactly one record and one row in each output, that no process it started is still running
and that no scratch folder is left. Exit status 1 if one of those does not hold.

Figures, not assertions: compare them with the targets in the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.assign.build import bin_path, nbgrader_env
from autograder.checks import registry
from autograder.exitcodes import Parser
from autograder.paths import ASSIGNMENT, RELEASE_DIR, REPO


def timed(cmd: list[str], cwd: Path, env=None, ok=(0, 1)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def best(n: int, fn) -> float:
    return min(fn() for _ in range(n))


def write_class(out: Path, n: int, kinds: list[str], notebooks: list[str], examples: dict) -> dict[str, str]:
    """``out/<student>/convnets/`` for n students, each handing in ``notebooks``, of the kinds in
    turn: "solution", "blank", "broken" (its first notebook not JSON) or an example's name (its
    notebook from ``examples``, the others the solution's). Returns {student: kind}."""
    import nbformat

    from lab import examples as ex

    made = {}
    for i in range(n):
        kind = kinds[i % len(kinds)]
        student = f"s{i + 1:04d}_{kind}"
        folder = out / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name in notebooks:
            nb = ex.blank_notebook(name) if kind == "blank" else ex.solution_notebook(name)
            nbformat.write(nb, str(folder / f"{name}.ipynb"))
        if kind == "broken":
            (folder / f"{notebooks[0]}.ipynb").write_text("{ not JSON")
        elif kind in examples:
            nbformat.write(ex.apply(examples[kind]), str(folder / f"{examples[kind].notebook}.ipynb"))
        made[student] = kind
    return made


def synthetic_class(out: Path, n: int) -> dict[str, str]:
    """A class handing in every notebook: the solution, the blank release, a broken notebook, then
    the mistakes of every notebook interleaved, so that a small class has some of each."""
    from lab import examples as ex

    mistakes = [e for e in ex.all_examples() if e.fails and not e.threat]
    by_nb = [[m.name for m in mistakes if m.name.startswith(f"nb{k}")] for k in range(1, 10)]
    interleaved = [m for group in zip(*[g for g in by_nb if g]) for m in group]
    kinds = ["solution", "blank", "broken"] + interleaved + [m.name for m in mistakes if m.name not in interleaved]
    return write_class(out, n, kinds, list(registry()), {m.name: m for m in mistakes})


def children_usage() -> tuple[float, float]:
    """CPU seconds of all waited-for descendants so far, and the peak RSS of the largest (MiB)."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime, u.ru_maxrss / 1024


def grade_batch(submitted: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and the peak RSS of the largest process (MiB) of one batch run
    (every descendant is waited for: the zygote and its children too)."""
    cpu0, _ = children_usage()
    t = timed(
        [sys.executable, "-m", "autograder.batch", "grade", str(submitted), "--out", str(out), "--jobs", str(jobs)],
        REPO,
        ok=(0, 1, 3),
    )
    cpu1, peak = children_usage()
    return t, cpu1 - cpu0, peak


def bench_class(sizes: list[int], jobs: int, skip_nbgrader: bool = False) -> int:
    """Grade synthetic classes of each size with the batch grader (1 job, ``jobs`` jobs), and the
    one of at least 10 students (or the largest) with nbgrader too; print the figures."""
    work = Path(tempfile.mkdtemp(prefix="convnets-bench-class-"))
    rows, scores, same_scores = [], {}, True
    for n in sizes:
        submitted = work / f"class-{n}" / "submitted"
        made = synthetic_class(submitted, n)
        print(f"class of {n}: {', '.join(made[s] for s in sorted(made))}", flush=True)
        by_jobs = {}
        for j in sorted({1, jobs}):
            out = work / f"class-{n}" / f"out-{j}"
            t, cpu, peak = grade_batch(submitted, out, j)
            by_jobs[j] = {s: json.loads((out / "students" / f"{s}.json").read_text())["results"]["score"] for s in made}
            rows.append((n, f"batch grader, {j} job{'s' if j > 1 else ''}", t, cpu, peak))
            print(f"  batch grader, {j} job(s): {t:.0f} s", flush=True)
        same_scores &= len({tuple(sorted(v.items())) for v in by_jobs.values()}) == 1
        scores[n] = (submitted, made, by_jobs[jobs])
    nb_n = next((n for n in sizes if n >= 10), max(sizes))
    t_nb = None
    if not skip_nbgrader:
        from autograder.nbgrader.runner import autograde

        submitted, made, batch_scores = scores[nb_n]
        cpu0, _ = children_usage()
        start = time.perf_counter()
        grades = autograde(submitted, jobs=1)
        t_nb = time.perf_counter() - start
        cpu_nb = children_usage()[0] - cpu0
        by_nbgrader = {s: 0.0 for s in made}
        for g in grades:
            if not g.manual:
                by_nbgrader[g.student] += g.auto_score or 0.0
        differ = sorted(s for s in made if abs(by_nbgrader[s] - batch_scores[s]) > 1e-9)
        rows.append((nb_n, "nbgrader autograde", t_nb, cpu_nb, None))
    print(
        f"\n{'students':>8s}  {'runner':24s} {'wall':>7s} {'vs nbgrader':>12s} {'subm/min':>9s} "
        f"{'CPU s/subm':>11s} {'peak MiB':>9s}"
    )
    for n, label, t, cpu, peak in sorted(rows, key=lambda r: (r[0], r[1])):
        faster = f"{t_nb / t:10.1f}x" if t_nb and n == nb_n and not label.startswith("nbgrader") else f"{'-':>11s}"
        print(
            f"{n:8d}  {label:24s} {t:6.0f}s {faster} {60 * n / t:9.1f} {cpu / n:11.1f} "
            f"{'' if peak is None else f'{peak:9.0f}'}"
        )
    print(f"\nthe batch grader gives the same scores with 1 job and {jobs}: {same_scores}")
    if t_nb is not None:
        print(
            f"nbgrader and the batch grader give the same auto-graded score to {len(scores[nb_n][1]) - len(differ)} "
            f"of {nb_n} students"
            + (
                f" (differ: {differ}: nbgrader gives every notebook of a student who hands in "
                f"one unreadable notebook 0)"
                if differ
                else ""
            )
        )
    largest = max(sizes)
    t_big = next(t for n, label, t, *_ in rows if n == largest and label.startswith(f"batch grader, {jobs} job"))
    print(
        f"prediction: 300 students like these take about {300 * t_big / largest / 60:.0f} minutes with {jobs} "
        f"job(s) on this machine ({t_big / largest:.1f} s a student, from the class of {largest})"
    )
    print(
        "peak MiB: the largest resident set of any one process (the grader, its zygote, or a child grading "
        "one notebook); CPU s/subm: the CPU time of every process, per student"
    )
    kept = REPO / "build" / "bench-class"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(work / f"class-{largest}" / f"out-{jobs}", kept)
    print(
        f"the batch grader's outputs for the class of {largest}: {kept}/ (report.html, grades.csv, junit.xml, results/)"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


LOAD_NB = "2_transpose_convolution"
LOAD_KINDS = [
    "solution",
    "nb2_round_not_floor_and_plus_2p",
    "hang",
    "blank",
    "nb2_hostile_faults",
    "crash",
    "nb2_padding_forgotten_and_kernel_not_flipped",
    "broken",
    "nb2_hostile_processes",
    "nb2_no_max_k_s_and_returns_tensor",
]


def load_class(out: Path, n: int) -> dict[str, str]:
    """``out/<student>/convnets/2_transpose_convolution.ipynb`` for n students (LOAD_KINDS in turn)."""
    from lab import examples as ex
    from lab.examples import hostile as hs

    made_up = {
        "hang": hs.hostile("hang", hs.with_faults({hs.CONV: "while True: pass"}), {hs.CONV}),
        "crash": hs.hostile("crash", hs.with_faults({hs.TRANS: "import os; os._exit(3)"}), {hs.TRANS}),
    }
    return write_class(out, n, LOAD_KINDS, [LOAD_NB], {e.name: e for e in ex.all_examples()} | made_up)


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _below(pid: int, depth: int = 1 << 30) -> set[int]:
    """The processes below ``pid`` (``depth`` 1: its children only)."""
    found, todo = set(), [(pid, 0)]
    while todo:
        parent, level = todo.pop()
        if level >= depth:
            continue
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found.update(kids)
            todo.extend((k, level + 1) for k in kids)
    return found


def bench_load(n: int, jobs: int, time_limit: float) -> int:
    """Grade a load class (see the module docstring); print the figures; 0 if every invariant holds."""
    import csv
    import os
    from xml.etree import ElementTree as ET

    from autograder.sandbox.run import SCRATCH_PREFIX, _started

    work = Path(tempfile.mkdtemp(prefix="convnets-bench-load-"))
    submitted, out, tmp = work / "submitted", work / "out", work / "tmp"
    tmp.mkdir()
    made = load_class(submitted, n)
    print(f"a class of {n} (notebook 2 only): " + ", ".join(f"{k} x{list(made.values()).count(k)}" for k in LOAD_KINDS))
    cpu0, _ = children_usage()
    start = time.perf_counter()
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder.batch", "grade", str(submitted), "--out", str(out), "--jobs", str(jobs)]
        + ["--time-limit", str(time_limit)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    samples, seen = [], set()  # (records saved, grader MiB, zygote MiB, all processes MiB)
    log: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: log.extend(grader.stdout), daemon=True)
    reader.start()
    while grader.poll() is None:
        below = _below(grader.pid)
        seen |= {(p, _started(p)) for p in below}
        zygotes = [p for p in _below(grader.pid, depth=1) if b"autograder.sandbox.zygote" in _cmdline(p)]
        done = len(list((out / "students").glob("*.json"))) if (out / "students").is_dir() else 0
        samples.append(
            (
                done,
                _rss_mib(grader.pid),
                sum(map(_rss_mib, zygotes)),
                _rss_mib(grader.pid) + sum(map(_rss_mib, below)),
            )
        )
        time.sleep(0.5)
    reader.join()
    wall = time.perf_counter() - start
    cpu = children_usage()[0] - cpu0
    time.sleep(1.0)
    problems = []
    left = sorted(p for p, started in seen if started and _started(p) == started)
    records = sorted(p.stem for p in (out / "students").glob("*.json"))
    if records != sorted(made):
        problems.append(f"records: expected {n}, one per student; found {len(records)}")
    text = "".join(log)
    twice = [s for s in made if text.count(f" left - {s}: ") > 1]  # the progress line of each student graded
    if twice:
        problems.append(f"graded more than once: {twice[:5]}")
    rows = list(csv.DictReader((out / "grades.csv").open()))
    if sorted(r["student_id"] for r in rows) != sorted(made):
        problems.append(f"grades.csv: expected one row per student ({n}), found {len(rows)}")
    suites = [s.get("name") for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")]
    if sorted(suites) != sorted(made):
        problems.append(f"junit.xml: expected one test suite per student ({n}), found {len(suites)}")
    if left:
        problems.append(f"processes still running after the grader ended: {left[:5]}")
    scratch = list(tmp.glob(SCRATCH_PREFIX + "*"))
    if scratch:
        problems.append(f"scratch folders left: {len(scratch)}")
    print(
        f"graded {len(records)} of {n} in {wall:.0f} s with {jobs} jobs ({60 * n / wall:.1f} a minute), "
        f"{cpu / n:.1f} CPU s a submission; grader exit status {grader.returncode}"
    )
    print(f"{'records saved':>14s} {'grader MiB':>11s} {'zygote MiB':>11s} {'all MiB':>8s}")
    for q in (0.1, 0.25, 0.5, 0.75, 1.0):
        done, g, z, total = next((s for s in samples if s[0] >= q * n), samples[-1])
        print(f"{done:14d} {g:11.0f} {z:11.0f} {total:8.0f}")
    print(
        f"processes started under the grader: {len(seen)}; still running: {len(left)}; scratch folders left: "
        f"{len(scratch)}"
    )
    print("OK: every student graded once, nothing left behind" if not problems else "FAILED: " + "; ".join(problems))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="take the best of N runs (default 1)")
    ap.add_argument("--notebook", action="append", help="only these notebooks")
    ap.add_argument(
        "--class",
        dest="class_sizes",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="benchmark synthetic classes of N students instead (e.g. 5 10 20)",
    )
    ap.add_argument("--jobs", type=int, default=None, help="with --class: jobs of the parallel run (default: cores)")
    ap.add_argument("--skip-nbgrader", action="store_true", help="with --class: time only the batch grader")
    ap.add_argument("--load", type=int, default=None, metavar="N", help="a load class of N notebook-2 submissions")
    ap.add_argument("--time-limit", type=float, default=20.0, help="with --load: seconds per notebook (default 20)")
    args = ap.parse_args(argv)
    if args.load:
        return bench_load(args.load, args.jobs or 2, args.time_limit)
    if args.class_sizes:
        import os

        return bench_class(args.class_sizes, args.jobs or os.cpu_count() or 1, args.skip_nbgrader)
    from lab import examples as example_submissions

    names = args.notebook or list(registry())
    work = Path(tempfile.mkdtemp(prefix="convnets-bench-"))
    example_submissions.write_examples(work / "submitted", ["solution"], notebooks=names)
    folder = work / "submitted" / "solution" / ASSIGNMENT
    py = sys.executable
    baseline = best(args.repeat, lambda: timed([py, "-c", "import tensorflow, keras"], REPO))
    print(f"baseline (python -c 'import tensorflow, keras'): {baseline:6.1f} s")
    print(f"{'notebook':28s} {'run in kernel':>14s} {'pytest runner':>14s} {'nbgrader':>10s} {'pytest/nbgrader':>16s}")
    # nbgrader needs a course folder with a gradebook that knows the assignment.
    course = work / "course"
    course.mkdir()
    (course / "source").symlink_to(REPO / "source")
    shutil.copy(REPO / "nbgrader_config.py", course)
    subprocess.run(
        [bin_path("nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        check=True,
    )
    for name in names:
        nb = folder / f"{name}.ipynb"
        kernel_dir = work / f"kernel-{name}"
        shutil.copytree(RELEASE_DIR, kernel_dir)
        shutil.copy(nb, kernel_dir / nb.name)
        t_kernel = best(
            args.repeat,
            lambda: timed(
                [
                    bin_path("jupyter"),
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--output",
                    "executed.ipynb",
                    "--ExecutePreprocessor.timeout=600",
                    nb.name,
                ],
                kernel_dir,
                nbgrader_env(),
            ),
        )
        t_pytest = best(
            args.repeat,
            lambda: timed(
                [py, "-m", "pytest", "autograder", "--submission", str(nb), "-q", "-p", "no:cacheprovider"], REPO
            ),
        )

        def nbgrader_once():
            sub = course / "submitted" / "solution" / ASSIGNMENT
            if sub.exists():
                shutil.rmtree(sub)
            sub.mkdir(parents=True)
            shutil.copy(nb, sub / nb.name)
            return timed(
                [bin_path("nbgrader"), "autograde", ASSIGNMENT, "--create", "--force", "--notebook", name],
                course,
                nbgrader_env(),
            )

        t_nbgrader = best(args.repeat, nbgrader_once)
        print(f"{name:28s} {t_kernel:11.1f} s  {t_pytest:11.1f} s  {t_nbgrader:7.1f} s  {t_pytest / t_nbgrader:15.2f}x")
        print(
            f"{'':28s} {t_kernel / baseline:10.1f}x b {t_pytest / baseline:10.1f}x b {t_nbgrader / baseline:6.1f}x b"
            "   (x b: multiples of the baseline)"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

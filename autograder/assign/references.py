"""Regenerate the reference outputs from the source solutions: one command.

    python -m autograder.assign.references            # update autograder/references/*.npz where they changed
    python -m autograder.assign.references --check    # regenerate and compare with the committed files

A committed file is rewritten only when the regenerated values differ from it beyond the
tolerance below (TensorFlow's float sums differ in the last digits from run to run): equal
references keep their bytes, so regenerating leaves the checkout clean and the batch
grader's fingerprint of the grader unchanged.

It also rebuilds notebook 3's hidden evaluation data (``autograder/references/hidden_eval.py``).

The source notebook (with its solutions) runs in the same sandbox as a
student's submission, each check's ``collect`` gives the expected values, and
each check's ``mistakes()`` adds what typical mistakes give on the same inputs.
Comparison with the committed files is exact for ints, bools and strings and
relative (``rtol=1e-4``, ``atol=1e-5``) for floats computed from fixed inputs and fixed
weights: TensorFlow on another CPU differs in the last digits. The values that come out of
training (a check's ``trained`` keys: notebook 3's retrainings) differ by more than that from
CPU to CPU; they are compared within the tolerance the check declares (measured across CPU
settings and seeds, docs/grading.md), and the solution retrained here must pass its own
check against the committed references.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from autograder.checks import registry
from autograder.exitcodes import Parser
from autograder.paths import REFERENCES_DIR, SOURCE_DIR
from autograder.references import hidden_eval, load_references, reference_path, save_references
from autograder.sandbox.plain import decode, write_atomic
from autograder.sandbox.run import Limits, run_notebook

# atol: values near zero computed on another CPU differ by up to 7.6e-6 (docs/grading.md)
RTOL, ATOL = 1e-4, 1e-5


def generate(name: str, time_scale: float = 1.0) -> dict[str, dict]:
    spec = registry()[name]
    run = run_notebook(SOURCE_DIR / spec.filename, name, Limits(reuse=False, time_scale=time_scale))
    if run.cell_errors or run.problems:
        raise RuntimeError(f"the source notebook {name} does not run cleanly: {run.cell_errors + run.problems}")
    refs = {}
    for check in spec.checks:
        outcome = run.outcomes[check.grade_id]
        if outcome.error or outcome.stderr.strip():
            raise RuntimeError(
                f"{check.grade_id}: the solution fails its own collect(): {outcome.error or outcome.stderr}"
            )
        values = dict(check.judged(outcome.values))
        if check.mistakes is not None:
            values.update({f"mistake_{k}": v for k, v in check.mistakes().items()})
        refs[check.grade_id] = values
    return refs


def trained_tolerances() -> dict[str, dict[str, float]]:
    """``{grade_id: {key: tolerance}}`` of the reference values that come out of training."""
    return {c.grade_id: dict(c.trained) for spec in registry().values() for c in spec.checks if c.trained}


def differences(new: dict[str, dict], old: dict[str, dict]) -> list[str]:
    out = []
    trained = trained_tolerances()
    for gid in sorted(set(new) | set(old)):
        a, b = new.get(gid, {}), old.get(gid, {})
        for key in sorted(set(a) | set(b)):
            tolerance = trained.get(gid, {}).get(key)
            if tolerance is not None and key in a and key in b:
                x, y = float(a[key]), float(b[key])
                if not abs(x - y) <= tolerance:
                    out.append(
                        f"{gid}/{key}: {x:.4f} here, {y:.4f} committed: |{x:.4f} - {y:.4f}| = {abs(x - y):.4f} > "
                        f"{tolerance:g}, more than training spreads over CPUs and seeds (docs/grading.md)"
                    )
                continue
            if key not in a or key not in b:
                out.append(f"{gid}/{key}: only in {'new' if key in a else 'committed'} references")
                continue
            x, y = np.asarray(a[key]), np.asarray(b[key])
            if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
                out.append(f"{gid}/{key}: shape/dtype {x.shape}/{x.dtype} != committed {y.shape}/{y.dtype}")
            elif x.dtype.kind == "f":
                if not np.allclose(x, y, rtol=RTOL, atol=ATOL):
                    out.append(f"{gid}/{key}: max difference {np.max(np.abs(x - y)):.3g}")
            elif not np.array_equal(x, y):
                out.append(f"{gid}/{key}: {x!r} != committed {y!r}")
    return out


def trained_failures(new: dict[str, dict], old: dict[str, dict]) -> list[str]:
    """The checks whose solution, retrained on this machine (``new``), fails its own judge against
    the committed references (``old``): what grading relies on, whatever the CPU."""
    out = []
    for spec in registry().values():
        for check in spec.checks:
            if check.trained and check.grade_id in new and check.grade_id in old:
                try:
                    check.judge(new[check.grade_id], old[check.grade_id])
                except AssertionError as exc:
                    out.append(f"{check.grade_id}: the solution retrained on this machine fails its check: {exc}")
    return out


def hidden_differences() -> list[str]:
    """How the committed hidden evaluation data differs from a fresh build (empty: equal)."""
    if not hidden_eval.PATH.exists():
        return [f"{hidden_eval.PATH.name} is missing"]
    return differences({"hidden": hidden_eval.build()}, {"hidden": decode(hidden_eval.PATH)})


RETRAIN_FILE = REFERENCES_DIR / "retrain.npz"


def retrain_fingerprints(by_notebook: dict[str, dict]) -> dict:
    """The solution's fingerprint and probe outputs of every check that stores them (notebook 3's
    retrainings), for the children (public: what the solution's untrained model computes)."""
    out = {}
    for refs in by_notebook.values():
        for gid, values in sorted(refs.items()):
            if "fingerprint" in values and "probe" in values:
                out[gid] = str(values["fingerprint"])
                out[f"{gid}/probe"] = np.asarray(values["probe"], dtype=np.float32)
    return out


def _retrain_bytes(fingerprints: dict) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **fingerprints)
    return buf.getvalue()


def _all_references(fresh: dict[str, dict]) -> dict[str, dict]:
    return {
        name: fresh.get(name) or load_references(name)
        for name in registry()
        if name in fresh or reference_path(name).exists()
    }


def regenerate(names: list[str], jobs: int | None = None, time_scale: float = 1.0):
    """``(name, fresh references)`` for each notebook, ``jobs`` notebooks at a time (each runs in
    its own sandboxed child, its time limits multiplied by ``time_scale``), the costliest started
    first, in the order they finish."""
    with ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1, len(names)))) as pool:
        futures = {
            pool.submit(generate, name, time_scale): name
            for name in sorted(names, key=lambda n: -registry()[n].seconds)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def check(names: list[str] | None = None, jobs: int | None = None, report=print, time_scale: float = 1.0) -> list[str]:
    """Regenerate and compare with the committed files; one line per difference; writes nothing."""
    problems = [f"hidden evaluation data: {d}" for d in hidden_differences()]
    report("hidden evaluation data: " + ("matches" if not problems else "DIFFERS"))
    fresh = {}
    for name, refs in regenerate(names or list(registry()), jobs, time_scale):
        fresh[name] = refs
        committed = load_references(name) if reference_path(name).exists() else None
        diff = (
            differences(refs, committed) + trained_failures(refs, committed)
            if committed is not None
            else [f"no committed file {reference_path(name).name}"]
        )
        report(f"{name}: " + ("references match" if not diff else "DIFFER\n  " + "\n  ".join(diff)))
        problems += [f"{name}: {d}" for d in diff]
    want = retrain_fingerprints(_all_references(fresh))
    have = decode(RETRAIN_FILE) if RETRAIN_FILE.exists() else {}
    diff = differences({"retrain": want}, {"retrain": have})
    problems += [f"{RETRAIN_FILE.name}: {d}" for d in diff]
    report(f"{RETRAIN_FILE.name}: " + ("matches" if not diff else "DIFFERS"))
    return problems


def update(names: list[str] | None = None, jobs: int | None = None, report=print) -> list[str]:
    """Rewrite the committed files whose values changed beyond the tolerance; return the files
    rewritten."""
    written = []
    if hidden_differences():
        hidden_eval.write()
        written.append(hidden_eval.PATH.name)
    report(f"{hidden_eval.PATH.name}: " + ("rewritten" if written else "unchanged"))
    for name, refs in regenerate(names or list(registry()), jobs):
        if reference_path(name).exists() and not differences(refs, load_references(name)):
            report(
                f"{name}: unchanged (the regenerated values agree within rtol={RTOL:g}, atol={ATOL:g}, "
                f"and the trained ones within their tolerances)"
            )
            continue
        path = save_references(name, refs)
        written.append(path.name)
        report(
            f"{name}: wrote {path.relative_to(path.parents[2])} "
            f"({sum(len(v) for v in refs.values())} values, {len(refs)} checks)"
        )
    want = retrain_fingerprints(_all_references({}))
    if not RETRAIN_FILE.exists() or differences({"retrain": want}, {"retrain": decode(RETRAIN_FILE)}):
        write_atomic(RETRAIN_FILE, _retrain_bytes(want))
        written.append(RETRAIN_FILE.name)
        report(f"{RETRAIN_FILE.name}: wrote the solution's retraining fingerprints")
    return written


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed references, write nothing")
    ap.add_argument("--notebook", action="append", help="only these notebooks (default: all)")
    ap.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="with --check: multiply every time limit (an emulated CPU, scripts/arm64.sh: about 30)",
    )
    args = ap.parse_args(argv)
    if args.time_scale < 1 or (args.time_scale != 1 and not args.check):
        ap.error(f"--time-scale: expected a factor of 1 or more, with --check; received {args.time_scale:g}")
    names = args.notebook or list(registry())
    unknown = [n for n in names if n not in registry()]
    if unknown:
        ap.error(f"unknown notebook(s) {unknown}; expected some of {list(registry())}")
    if args.check:
        return 1 if check(names, time_scale=args.time_scale) else 0
    update(names)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate the reference outputs from the source solutions: one command.

    python -m autograder.references            # rewrite autograder/references/*.npz
    python -m autograder.references --check    # regenerate and compare with the committed files

It also rebuilds notebook 3's hidden evaluation data (``autograder/hidden.py``).

The source notebook (with its solutions) runs in the same sandbox as a
student's submission, each check's ``collect`` gives the expected values, and
each check's ``mistakes()`` adds what typical mistakes give on the same inputs.
Comparison with the committed files is exact for ints, bools and strings and
relative (``rtol=1e-4``, ``atol=1e-7``) for floats: TensorFlow on another CPU
differs in the last digits.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from autograder import hidden
from autograder.core import SOURCE_DIR, decode, load_references, registry, save_references
from autograder.sandbox import run_notebook

RTOL, ATOL = 1e-4, 1e-7


def generate(name: str) -> dict[str, dict]:
    spec = registry()[name]
    run = run_notebook(SOURCE_DIR / spec.filename, name)
    if run.cell_errors or run.problems:
        raise RuntimeError(f"the source notebook {name} does not run cleanly: "
                           f"{run.cell_errors + run.problems}")
    refs = {}
    for check in spec.checks:
        outcome = run.outcomes[check.grade_id]
        if outcome.error or outcome.stderr.strip():
            raise RuntimeError(f"{check.grade_id}: the solution fails its own collect(): "
                               f"{outcome.error or outcome.stderr}")
        values = dict(check.judged(outcome.values))
        if check.mistakes is not None:
            values.update({f"mistake_{k}": v for k, v in check.mistakes().items()})
        refs[check.grade_id] = values
    return refs


def differences(new: dict[str, dict], old: dict[str, dict]) -> list[str]:
    out = []
    for gid in sorted(set(new) | set(old)):
        a, b = new.get(gid, {}), old.get(gid, {})
        for key in sorted(set(a) | set(b)):
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed references, write nothing")
    ap.add_argument("--notebook", action="append", help="only these notebooks (default: all)")
    args = ap.parse_args(argv)
    names = args.notebook or list(registry())
    unknown = [n for n in names if n not in registry()]
    if unknown:
        ap.error(f"unknown notebook(s) {unknown}; expected some of {list(registry())}")
    failed = False
    if args.check:
        changed = differences({"hidden": hidden.build()}, {"hidden": decode(hidden.PATH)})
        print("hidden evaluation data: " + ("matches" if not changed else "DIFFERS\n  " + "\n  ".join(changed)))
        failed |= bool(changed)
    else:
        hidden.write()
        print(f"wrote {hidden.PATH.relative_to(hidden.PATH.parents[2])} (notebook 3's hidden evaluation data)")
    for name in names:
        refs = generate(name)
        if args.check:
            diff = differences(refs, load_references(name))
            print(f"{name}: " + ("references match" if not diff else "DIFFER\n  " + "\n  ".join(diff)))
            failed |= bool(diff)
        else:
            path = save_references(name, refs)
            print(f"{name}: wrote {path.relative_to(path.parents[2])} "
                  f"({sum(len(v) for v in refs.values())} values, {len(refs)} checks)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

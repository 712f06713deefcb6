"""How much the values that come out of training move across CPUs and seeds, and whether a grade does.

    python -m lab.cpu_spread                         # native, avx, sse41; seeds 0-2
    python -m lab.cpu_spread --setting native --setting avx --seeds 0

For each CPU setting (:data:`autograder.sandbox.machine.SETTINGS`, imitated by the knobs passed into the
grading child) in a process of its own: the reference outputs of every notebook regenerated
and compared with the committed ones (:func:`autograder.references.differences`, the trained
values by their own rule), the solution's two retrainings of notebook 3 again with other seeds,
and notebook 3's examples (the solution and every mistake and variation) graded as the grader
grades them. Prints the spread of every trained value, the margin of the solution and of each
example over the retraining thresholds, and every score that differs from what the example
should get. The figures are in docs/grading.md. About 35 minutes on 2 cores for the default.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.exitcodes import Parser
from autograder.paths import REPO
from autograder.sandbox.machine import CPU_KNOBS, SETTINGS, describe, setting

NB = "3_image_to_image"
TRAINED = ("nb3_trained_segmentation", "nb3_trained_superres")
OUT = REPO / "build" / "cpu-spread"
# The grading child's threads and TensorFlow settings, for the in-process retrainings.
SINGLE_THREAD_KEYS = (
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "PYTHONHASHSEED",
    "TF_CPP_MIN_LOG_LEVEL",
)


def single_thread() -> dict[str, str]:
    """Those settings as the grading child gets them (:func:`autograder.sandbox.child_environment`)."""
    from autograder.sandbox.run import child_environment

    env = child_environment(OUT / "home")
    return {k: env[k] for k in SINGLE_THREAD_KEYS}


def _trained_figures(values: dict) -> dict:
    """IoU of the segmentation, dB over bicubic of the super-resolution (what the judges compare)."""
    out = {}
    if "iou" in values:
        out["iou"] = values["iou"]
    if "pred_db" in values:
        out["gain_db"] = values["pred_db"] - values["bicubic_db"]
        out["pred_db"], out["bicubic_db"] = values["pred_db"], values["bicubic_db"]
    return out


def _seed_figures(seed: int) -> dict:
    """The solution's retrainings with every seed the collects set moved by ``seed`` (run in this
    process: the source solution is trusted; ``seed`` 0 is what the grader computes), never the
    solution's stored result (``reuse=False``)."""
    import keras

    from autograder.checks import registry
    from tests.helpers import solution_namespace

    ns = solution_namespace(NB)
    checks = {c.grade_id: c for c in registry()[NB].checks}
    real = keras.utils.set_random_seed
    keras.utils.set_random_seed = lambda s: real(s + seed)
    try:
        out = {}
        for gid in TRAINED:
            out[gid] = _trained_figures(checks[gid].judged(checks[gid].collect_with(ns, reuse=False)))
        return out
    finally:
        keras.utils.set_random_seed = real


def one_setting(name: str, seeds: list[int], jobs: int) -> dict:
    """Everything measured under the setting this process was started with."""
    from autograder.assign import references
    from autograder.grading import judge_notebook
    from autograder.references import load_references
    from autograder.sandbox.run import Limits, run_notebook
    from lab import examples

    report = {"setting": name, "machine": describe(), "differences": {}, "seeds": {}, "examples": {}}
    fresh = {}
    for nb, refs in references.regenerate(list(references.registry()), jobs):
        fresh[nb] = refs
        report["differences"][nb] = references.differences(refs, load_references(nb))
    report["seeds"]["0"] = {gid: _trained_figures(fresh[NB][gid]) for gid in TRAINED}
    for seed in seeds:  # seed 0 again in this process: it must give what the child gave
        report["seeds"][str(seed) if seed else "0 (in process)"] = _seed_figures(seed)

    names = ["solution"] + [e.name for e in examples.all_examples() if e.notebook == NB]
    with tempfile.TemporaryDirectory() as tmp:
        examples.write_examples(Path(tmp), names, notebooks=[NB])

        def grade(example: str) -> tuple[str, dict]:
            run = run_notebook(Path(tmp) / example / examples.ASSIGNMENT / f"{NB}.ipynb", NB, Limits())
            results = judge_notebook(run)
            figures = {}
            for check in references.registry()[NB].checks:
                outcome = run.outcomes.get(check.grade_id)
                if check.grade_id in TRAINED and outcome and outcome.values is not None:
                    try:
                        figures[check.grade_id] = _trained_figures(check.judged(outcome.values))
                        figures[check.grade_id]["reused"] = bool(outcome.values.get("reused"))
                    except AssertionError as exc:
                        figures[check.grade_id] = {"error": str(exc)}
            failed = sorted(r.name for r in results if not r.passed)
            should = sorted(examples.expected_failures(example)[NB])
            return example, {"score": sum(r.score for r in results), "failed": failed, "expected": should, **figures}

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            costly_first = sorted(names, key=lambda n: n != "solution")
            report["examples"] = dict(pool.map(grade, costly_first))
    return report


def summarize(reports: list[dict]) -> list[str]:
    """The table docs/grading.md shows: spread, margins, score changes."""
    from autograder.checks import nb3_image_to_image_training as nb3

    need = {"iou": nb3.SEG_FRACTION * nb3.SEG_TARGET, "gain_db": nb3.SR_FRACTION * nb3.SR_TARGET}
    lines = [f"thresholds: IoU >= {need['iou']:.3f}, dB over bicubic >= {need['gain_db']:.3f}", ""]
    lines.append("| setting | seed | solution IoU | solution dB over bicubic | bicubic dB |")
    lines.append("|---|---|---|---|---|")
    by_key: dict[str, list[float]] = {"iou": [], "gain_db": [], "bicubic_db": []}
    for rep in reports:
        for seed, figs in sorted(rep["seeds"].items()):
            seg, sr = figs["nb3_trained_segmentation"], figs["nb3_trained_superres"]
            lines.append(
                f"| {rep['setting']} | {seed} | {seg['iou']:.4f} | {sr['gain_db']:+.4f} | {sr['bicubic_db']:.6f} |"
            )
            for key, fig in (("iou", seg), ("gain_db", sr), ("bicubic_db", sr)):
                by_key[key].append(fig[key])
    lines.append("")
    for key, values in by_key.items():
        lines.append(
            f"{key}: min {min(values):.4f}, max {max(values):.4f}, spread {max(values) - min(values):.4f}"
            + (f", smallest margin over the threshold {min(values) - need[key]:+.4f}" if key in need else "")
        )
    lines += ["", "| example | " + " | ".join(r["setting"] for r in reports) + " |"]
    lines.append("|---|" + "---|" * len(reports))
    changed = []
    for example in reports[0]["examples"]:
        cells = []
        for rep in reports:
            e = rep["examples"][example]
            seg, sr = e.get("nb3_trained_segmentation", {}), e.get("nb3_trained_superres", {})
            fig = []
            if "iou" in seg:
                fig.append(f"IoU {seg['iou']:.3f} ({seg['iou'] - need['iou']:+.3f})")
            elif seg.get("reused"):
                fig.append("IoU: solution's (reused)")
            if "gain_db" in sr:
                fig.append(f"{sr['gain_db']:+.2f} dB ({sr['gain_db'] - need['gain_db']:+.2f})")
            elif sr.get("reused"):
                fig.append("dB: solution's (reused)")
            ok = e["failed"] == e["expected"]
            if not ok:
                changed.append(f"{rep['setting']}: {example} failed {e['failed']}, should fail {e['expected']}")
            cells.append(f"{e['score']:g}{'' if ok else ' WRONG'}; " + ", ".join(fig))
        lines.append(f"| {example} | " + " | ".join(cells) + " |")
    lines += ["", "scores that differ from what the example should get: " + ("; ".join(changed) or "none")]
    for rep in reports:
        diffs = [f"{nb}: {d}" for nb, ds in rep["differences"].items() for d in ds]
        lines.append(f"{rep['setting']} ({rep['machine']}): reference differences: " + ("; ".join(diffs) or "none"))
    return lines


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setting", action="append", choices=sorted(SETTINGS), help="default: native, avx, sse41")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seed offsets (default 0,1,2)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # run one setting in this process (the knobs are set)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    if args.one:
        (OUT / f"{args.one}.json").write_text(json.dumps(one_setting(args.one, seeds, args.jobs), indent=1))
        return 0
    reports = []
    for name in args.setting or ["native", "avx", "sse41"]:
        env = {k: v for k, v in os.environ.items() if k not in CPU_KNOBS} | setting(name) | single_thread()
        print(f"{name}: {' '.join(f'{k}={v}' for k, v in setting(name).items()) or '(no knobs)'}", flush=True)
        cmd = [sys.executable, "-m", "lab.cpu_spread", "--one", name, "--seeds", args.seeds]
        subprocess.run([*cmd, "--jobs", str(args.jobs)], env=env, cwd=REPO, check=True)
        reports.append(json.loads((OUT / f"{name}.json").read_text()))
    text = "\n".join(summarize(reports))
    (OUT / "summary.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Notebook 3's comparisons over several seeds: what one run of the notebook shows, and how far it moves.

    python -m lab.nb3_seeds                  # seeds 0-4 for super-resolution, 0-2 for segmentation
    python -m lab.nb3_seeds --sr-seeds 0,1 --seg-seeds 0

With the notebook's own settings (``SR_EPOCHS``, ``SEG_EPOCHS``, ...) and the source solution's
code, in this process: super-resolution trained with MSE + ``worst_case_loss`` and with MSE alone
(PSNR over bicubic, the worst 1% of errors), and the encoder-decoder that pools instead of
striding (the example ``nb3_pooling_down_...``'s ``build_encoder_decoder``) on both tasks. Prints
each run and a Markdown table of the mean and the range. The figures are in notebook 3 (Part E)
and docs/notebook3.md. About 20 minutes on 2 cores for the default (2026-12-05, Intel Xeon).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from autograder.exitcodes import Parser

NB = "3_image_to_image"
POOLING = "nb3_pooling_down_psnr_natural_log_and_sigmoid_superres"


def pooling_builder(ns: dict):
    """The pooling example's build_encoder_decoder, compiled in a copy of the solution's namespace."""
    from lab import examples

    ex = next(e for e in examples.all_examples() if e.name == POOLING)
    cell = next(c for c in examples.apply(ex).cells if "def build_encoder_decoder" in c.source)
    scope = dict(ns)
    exec(compile(cell.source, f"<{POOLING}>", "exec"), scope)
    return scope["build_encoder_decoder"]


def superres(ns: dict, build, seed: int, loss: str) -> dict:
    """The notebook's super-resolution training (cell partE_sr, or partE_mse for ``loss="mse"``)."""
    import keras

    sr = ns["sr"]
    ns["seed_everything"](seed)
    x_train, x_test = ns["bicubic_upscale"](sr["lr_train"], 2), ns["bicubic_upscale"](sr["lr_test"], 2)
    shape = sr["hr_train"].shape[1:]
    model = ns["superres_model"](build(shape, shape[-1], None, ns["SR_FILTERS"]), ns["SUPERRES_ACTIVATION"], shape)
    model.compile(keras.optimizers.Adam(ns["SR_LR"]), loss=ns["superres_loss"] if loss == "worst" else "mse")
    d = ns["dihedral"]
    model.fit(d(x_train), d(sr["hr_train"]), batch_size=ns["SR_BATCH"], epochs=ns["SR_EPOCHS"], verbose=0)
    pred = np.asarray(model.predict(x_test, verbose=0), dtype="float32")
    gain = np.mean(ns["psnr"](sr["hr_test"], pred)) - np.mean(ns["psnr"](sr["hr_test"], x_test))
    worst = float(ns["worst_case_loss"](sr["hr_test"].astype("float32"), pred, q=0.01))
    return {"gain_db": float(gain), "worst_1": worst}


def segmentation(ns: dict, build, seed: int) -> float:
    """The notebook's segmentation training (cell partE_seg): the test mean IoU."""
    import keras

    seg, classes = ns["seg"], len(ns["class_names"])
    ns["seed_everything"](seed)
    model = build(seg["x_train"].shape[1:], classes, ns["SEGMENTATION_ACTIVATION"], ns["SEG_FILTERS"])
    model.compile(keras.optimizers.Adam(ns["SEG_LR"]), ns["SEGMENTATION_LOSS"])
    model.fit(seg["x_train"], seg["y_train"], batch_size=ns["SEG_BATCH"], epochs=ns["SEG_EPOCHS"], verbose=0)
    pred = np.argmax(model.predict(seg["x_test"], verbose=0), axis=-1)
    return float(ns["mean_iou"](seg["y_test"], pred, classes))


def _row(name: str, values: list[float], fmt: str) -> str:
    v = np.asarray(values)
    return f"| {name} | {v.mean():{fmt}} | {v.min():{fmt}} to {v.max():{fmt}} | {len(v)} |"


def main(argv=None) -> int:
    ap = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sr-seeds", default="0,1,2,3,4")
    ap.add_argument("--seg-seeds", default="0,1,2")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each run as it ends
    sr_seeds = [int(s) for s in args.sr_seeds.split(",") if s.strip()]
    seg_seeds = [int(s) for s in args.seg_seeds.split(",") if s.strip()]

    import matplotlib

    matplotlib.use("Agg")
    from autograder.sandbox.machine import describe
    from tests.helpers import solution_namespace

    ns = solution_namespace(NB)
    exec(  # the notebook's superres_loss (a demo cell, not in the solution's namespace)
        "def superres_loss(y_true, y_pred):\n"
        "    return keras.ops.mean(keras.ops.square(y_true - y_pred)) + worst_case_loss(y_true, y_pred)\n",
        ns,
    )
    strided, pooling = ns["build_encoder_decoder"], pooling_builder(ns)
    runs: dict[str, list] = {}
    for seed in sr_seeds:
        for name, build, loss in (
            ("strided, MSE + worst-case", strided, "worst"),
            ("strided, MSE", strided, "mse"),
            ("pooling, MSE + worst-case", pooling, "worst"),
        ):
            r = superres(ns, build, seed, loss)
            runs.setdefault(name, []).append(r)
            print(f"super-resolution seed {seed} {name}: {r['gain_db']:+.3f} dB, worst 1% {r['worst_1']:.4f}")
    for seed in seg_seeds:
        for name, build in (("strided", strided), ("pooling", pooling)):
            iou = segmentation(ns, build, seed)
            runs.setdefault(f"segmentation, {name}", []).append(iou)
            print(f"segmentation seed {seed} {name}: mean IoU {iou:.3f}")

    print(f"\n{describe()}; notebook settings: SR_EPOCHS={ns['SR_EPOCHS']}, SEG_EPOCHS={ns['SEG_EPOCHS']}\n")
    print("| super-resolution | dB over bicubic, mean | range | seeds |\n|---|---|---|---|")
    for name in ("strided, MSE + worst-case", "strided, MSE", "pooling, MSE + worst-case"):
        print(_row(name, [r["gain_db"] for r in runs[name]], "+.2f"))
    print("\n| super-resolution | worst 1% error, mean | range | seeds |\n|---|---|---|---|")
    for name in ("strided, MSE + worst-case", "strided, MSE"):
        print(_row(name, [r["worst_1"] for r in runs[name]], ".4f"))
    diffs = [a["worst_1"] - b["worst_1"] for a, b in zip(runs["strided, MSE + worst-case"], runs["strided, MSE"])]
    print(f"\nworst-case minus MSE, same seed: {' '.join(f'{d:+.4f}' for d in diffs)}")
    print("\n| segmentation | mean IoU, mean | range | seeds |\n|---|---|---|---|")
    for name in ("strided", "pooling"):
        print(_row(f"segmentation, {name}", runs[f"segmentation, {name}"], ".3f"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

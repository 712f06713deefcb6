"""Checks of notebook 1, Part F: an optimizer that makes the plain net's first layers move.

Part C found the first Conv2D kernels of a plain sigmoid net of depth 20 exactly where they
started after training with Adam, and explained it: Adam's step is about lr * g / (|g| + eps),
and the first layers' gradients (about 1e-14) sit far below eps = 1e-7. The student tests that
explanation by changing only the optimizer: ``make_optimizer()`` returns a new Keras optimizer.

The check trains the grader's own plain net (not the student's ``build_deep_net``, graded in
Part A: one mistake is not charged twice) with that optimizer, for two seeds, in the child, and
returns the kernels before and after and the predicted probabilities; the summary, in the
judge's process, computes how far the first and last kernels moved (the change across the
kernel's own direction: weight decay, which only scales a kernel, does not count) and the loss
before and after. It passes when, for both seeds, the first kernel moved by at least ``MOVE_AT_LEAST`` of
its size and the loss stayed finite and did not rise by more than ``LOSS_SLACK``. Whatever
optimizer gets there passes (Adam or Nadam with a tiny epsilon, a sign-based optimizer such as
Lion); the figures are what training gives, so the references are compared within
``MOVED_TOL`` (a default Adam moves the first kernel by exactly 0, the solution by 4e-2 to 8e-2:
the threshold sits between them on a log scale, far from both).

Most submissions return the solution's optimizer: the child then trains nothing, and the judge
uses the solution's stored figures (stored_results.py), when the optimizer is provably the
solution's: the same class (module and name) and configuration, and the same steps on a probe
variable with probe gradients (from 1e-14 to 1, the sizes that matter here). Training it again
would repeat the solution's run exactly.
"""

from __future__ import annotations

import numpy as np

from autograder.checks import stored_results as stored
from autograder.checks.common import fail, rng, shipped
from autograder.messages import describe_error
from autograder.spec import Check, declare, student_function

NOTEBOOK = "1_residual_connections"
CHECKS: list[Check] = []
check = declare(CHECKS, NOTEBOOK)
DEMO_CELLS = frozenset({"partF_try"})

MOVE_DEPTH, MOVE_EPOCHS, MOVE_BATCH, MOVE_SAMPLES = 20, 2, 64, 512
MOVE_SEEDS = (0, 1)
MOVE_AT_LEAST = 1e-3  # ||W_after - W_before|| / ||W_before|| of the first Conv2D kernel
LOSS_SLACK = 0.05  # the loss after training may not exceed the loss before by more
MOVED_TOL = 0.1  # spread of the moved fractions over CPUs and seeds (docs/grading.md)
LOSS_TOL = 0.05


def preload() -> None:
    stored.known_fingerprints()


def _digits():
    with np.load(shipped("digits.npz"), allow_pickle=False) as f:
        return f["x"][:MOVE_SAMPLES].astype(np.float32), f["y"][:MOVE_SAMPLES].astype(np.int64)


def _plain_sigmoid_net(seed: int):
    """The plain net of Part C: a stem and ``MOVE_DEPTH`` sigmoid Conv2D layers (16 filters, 3x3,
    "same"), global average pooling, a softmax Dense layer; seeded."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    h = inputs
    for _ in range(MOVE_DEPTH + 1):
        h = layers.Conv2D(16, 3, padding="same", activation="sigmoid")(h)
    h = layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(h))


def _describe_optimizer(optimizer) -> dict:
    """Its class and the two settings the step depends on, as plain data (``nan`` where absent)."""
    config = {}
    try:
        config = optimizer.get_config()
    except Exception:  # noqa: BLE001 - a custom optimizer may not have one
        pass

    def number(key):
        try:
            return float(config.get(key))
        except (TypeError, ValueError):
            return float("nan")

    return {"class": type(optimizer).__name__, "epsilon": number("epsilon"), "learning_rate": number("learning_rate")}


def _optimizer_fingerprint(make):
    """``(digest, probe)``: the digest of a new optimizer's class and configuration (its name, which
    Keras numbers, left out), and the values
    a probe variable takes under three of its steps with probe gradients (another one, from
    ``make()`` again). None when the optimizer cannot describe itself or fails on the probe."""
    import keras

    try:
        optimizer = make()
        config = {k: v for k, v in optimizer.get_config().items() if k != "name"}  # adam, adam_1, ...
        kind = f"{type(optimizer).__module__}.{type(optimizer).__qualname__}"
        g = rng("optimizer-probe")
        start = g.normal(0, 0.1, (3, 8)).astype(np.float32)
        grads = (10.0 ** g.integers(-14, 1, (3, 3, 8)) * g.choice([-1, 1], (3, 3, 8))).astype(np.float32)
        variable = keras.Variable(start)
        probe = make()
        if probe is optimizer:
            return None  # one instance for every call: trained (and told so), never stepped here
        for grad in grads:
            probe.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
        return stored.digest(kind, config), np.asarray(variable, dtype=np.float64)
    except Exception:  # noqa: BLE001 - such an optimizer is simply trained
        return None


def collect_make_optimizer(ns, reuse: bool = True):
    import keras

    f = student_function(ns, "make_optimizer")
    x, y = _digits()
    out = {}
    fingerprint = _optimizer_fingerprint(f)
    for seed in MOVE_SEEDS:
        key = f"seed{seed}"
        try:
            optimizer = f()
        except Exception as exc:  # noqa: BLE001
            out[f"{key}_error"] = f"make_optimizer() raised {describe_error(exc)}"
            return out
        if isinstance(optimizer, type):
            out[f"{key}_error"] = (
                f"make_optimizer() returned the class {optimizer.__name__} itself, not an optimizer: "
                f"return an instance, {optimizer.__name__}(...)"
            )
            return out
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            out[f"{key}_error"] = (
                f"make_optimizer() should return a Keras optimizer (an instance, such as "
                f"keras.optimizers.Adam(...)), received a {type(optimizer).__name__}"
            )
            return out
        out.update({f"{key}_optimizer_{k}": v for k, v in _describe_optimizer(optimizer).items()})
        if stored.reused("nb1_make_optimizer", fingerprint, reuse):
            out["reused"] = True
            continue
        model = _plain_sigmoid_net(seed)
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        out[f"{key}_first_before"] = np.array(convs[0].kernel)
        out[f"{key}_last_before"] = np.array(convs[-1].kernel)
        out[f"{key}_probs_before"] = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
        try:
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
            model.fit(x, y, batch_size=MOVE_BATCH, epochs=MOVE_EPOCHS, verbose=0)
        except Exception as exc:  # noqa: BLE001
            out[f"{key}_error"] = f"training with make_optimizer()'s optimizer raised {describe_error(exc)}"
            return out
        out[f"{key}_first_after"] = np.array(convs[0].kernel)
        out[f"{key}_last_after"] = np.array(convs[-1].kernel)
        out[f"{key}_probs_after"] = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    return {**out, **stored.fingerprint_values(fingerprint)}


def _moved(before, after) -> float:
    """``||W_after - W_before|| / ||W_before||``, counting only the change that is not along
    ``W_before``: weight decay shrinks every kernel towards 0 whatever its gradient, and that is not
    the gradient reaching the layer (a step of the gradient has almost no part along W)."""
    before, after = np.ravel(np.asarray(before, np.float64)), np.ravel(np.asarray(after, np.float64))
    change = after - before
    across = change - (change @ before) / (before @ before) * before
    return float(np.linalg.norm(across) / np.linalg.norm(before))


def _shrunk(before, after) -> float:
    """The part of the change along ``W_before``, relative to it (negative: the kernel shrank)."""
    before, after = np.ravel(np.asarray(before, np.float64)), np.ravel(np.asarray(after, np.float64))
    return float(((after - before) @ before) / (before @ before))


def _cross_entropy(probs) -> float:
    _, y = _digits()
    p = np.asarray(probs, np.float64)[np.arange(len(y)), y]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.mean(np.log(np.clip(p, 0.0, 1.0))))


def summarize_make_optimizer(values: dict) -> dict:
    """How far the kernels moved and the loss before and after, per seed (in the judge's process)."""
    kept = ("reused", "fingerprint", "probe")
    out = {k: v for k, v in values.items() if k.endswith("_error") or "_optimizer_" in k or k in kept}
    for seed in MOVE_SEEDS:
        key = f"seed{seed}"
        if f"{key}_first_after" not in values:
            continue
        out[f"{key}_first_moved"] = _moved(values[f"{key}_first_before"], values[f"{key}_first_after"])
        out[f"{key}_last_moved"] = _moved(values[f"{key}_last_before"], values[f"{key}_last_after"])
        out[f"{key}_first_along"] = _shrunk(values[f"{key}_first_before"], values[f"{key}_first_after"])
        out[f"{key}_loss_before"] = _cross_entropy(values[f"{key}_probs_before"])
        out[f"{key}_loss_after"] = _cross_entropy(values[f"{key}_probs_after"])
    return out


def judge_make_optimizer(received, expected):
    what = f"the plain sigmoid net of depth {MOVE_DEPTH} trained {MOVE_EPOCHS} epochs with make_optimizer()"
    for seed in MOVE_SEEDS:
        key = f"seed{seed}"
        if f"{key}_error" in received:
            fail(received[f"{key}_error"])
        name = received.get(f"{key}_optimizer_class", "the optimizer")
        moved, last, before, after, along = (
            float(stored.solution_figure(received, expected, f"{key}_{k}"))
            for k in ("first_moved", "last_moved", "loss_before", "loss_after", "first_along")
        )
        if not np.isfinite(after) or not np.isfinite(moved):
            fail(
                f"{what} (seed {seed}): the loss after training is {after}, the first kernel moved by "
                f"{moved}: the steps overflowed. A step divides by sqrt(v) + epsilon; with epsilon = 0 a "
                f"gradient whose square underflows to 0 in float32 (below about 1e-38) divides by 0.",
                mistake="steps overflowed",
            )
        if after > before + LOSS_SLACK:
            fail(
                f"{what} (seed {seed}): the loss rose from {before:.3f} to {after:.3f} (allowed: at most "
                f"{before:.3f} + {LOSS_SLACK} = {before + LOSS_SLACK:.3f}). Steps that large undo the "
                f"training; the first layers must move, the loss must still go down.",
                mistake="training diverged",
            )
        if not moved >= MOVE_AT_LEAST:
            eps, lr = received.get(f"{key}_optimizer_epsilon"), received.get(f"{key}_optimizer_learning_rate")
            arithmetic = ""
            if abs(along) >= MOVE_AT_LEAST:
                arithmetic = (
                    f" The kernel changed by {along:+.1e} of itself along its own direction: it was scaled "
                    f"(weight decay shrinks every weight whatever its gradient), which is not counted."
                )
            if eps is not None and np.isfinite(eps) and np.isfinite(lr) and eps > 0:
                g = 1e-16
                arithmetic += (
                    f" With learning_rate = {lr:g} and epsilon = {eps:g}, a first-layer weight's gradient of "
                    f"about g = 1e-16 gives a step of about lr * g / (|g| + eps) = {lr:g} * 1e-16 / "
                    f"(1e-16 + {eps:g}) = {lr * g / (g + eps):.1e}, against weights of about 0.1 (and Keras "
                    f"adds epsilon before the bias correction: early on it weighs up to 30 times more)."
                )
            named = (
                "epsilon still far above the first layers' gradients"
                if eps is not None and np.isfinite(eps) and eps > 1e-16
                else None
            )
            fail(
                f"{what} (seed {seed}, {name}): the first Conv2D kernel moved by {moved:.2e} of its size "
                f"(||W_after - W_before|| / ||W_before||), expected at least {MOVE_AT_LEAST:g}; the last "
                f"moved by {last:.2e}.{arithmetic} Which setting decides whether a tiny gradient still "
                f"gives a full step?",
                mistake=named,
            )


check(
    "nb1_make_optimizer",
    4,
    "make_optimizer: the plain net's first layers move",
    collect_make_optimizer,
    judge_make_optimizer,
    summary=summarize_make_optimizer,
    time_limit=120.0,
    options=("reuse",),
    trained=tuple(
        (f"seed{s}_{k}", tol)
        for s in MOVE_SEEDS
        for k, tol in (("first_moved", MOVED_TOL), ("last_moved", MOVED_TOL), ("loss_after", LOSS_TOL))
    ),
)

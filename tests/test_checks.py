"""How the checks are built: a test cell's visible assertions are part of its check on both
runners, they compare with the check's own tolerance, and the cases are exact."""

from __future__ import annotations

import ast
import math
from fractions import Fraction

import nbformat
import numpy as np
import pytest

from autograder.checks import all_checks, registry
from autograder.paths import RELEASE_DIR
from autograder.sandbox import child
from autograder.sandbox.plain import decode
from tests.helpers import solution_namespace

CHECKS = list(all_checks().values())


def visible_code(check) -> str:
    return child.release_cells(check.notebook)[check.grade_id]["source"]


def test_every_test_cell_of_the_release_is_a_check_with_its_visible_assertions():
    """What the pytest runner's child runs before a check's collect() is the release's test cell:
    its visible part only (nbgrader removed the hidden one), for every check."""
    for name in registry():
        cells = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nbformat.read(str(RELEASE_DIR / f"{name}.ipynb"), as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
        }
        assert set(cells) == {c.grade_id for c in registry()[name].checks}
        for grade_id, source in cells.items():
            assert child.release_cells(name)[grade_id]["source"] == source
            assert "run_hidden_check" not in source and "HIDDEN" not in source


@pytest.mark.parametrize("check", CHECKS, ids=[c.grade_id for c in CHECKS])
def test_visible_comparisons_use_the_checks_tolerance(check):
    """Every expect_close of a visible test states rtol and atol, equal to the check's (a float32
    answer is judged alike by the test a student sees and by the hidden check)."""
    calls = [
        node
        for node in ast.walk(ast.parse(visible_code(check)))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "expect_close"
    ]
    for call in calls:
        given = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in ("rtol", "atol")}
        assert check.tol is not None, f"{check.grade_id}: compares values but declares no tolerance"
        assert given == {"rtol": check.tol[0], "atol": check.tol[1]}, (
            f"{check.grade_id}: the visible test compares with {given}, the check with {check.tol}"
        )


def test_worst_case_cases_have_an_exact_ceiling():
    """ceil(q * n) in floating point equals the exact ceiling for every case (0.07 * 100 would
    give 8: an answer computing it exactly would be marked wrong)."""
    from autograder.checks.nb3_image_to_image_superres import WORST_CASES

    for shape, q in WORST_CASES:
        n = math.prod(shape[1:])
        assert math.ceil(q * n) == math.ceil(Fraction(str(q)) * n), (shape, q)


@pytest.fixture(scope="module")
def namespaces():
    """Each notebook's solution namespace with every graded function replaced by one that
    raises, and every setting (SEGMENTATION_LOSS...) by None: a check whose visible assertions
    use them must fail there, before collect()."""
    import signal
    import types

    from tests.helpers import solution_namespace

    signal.signal(signal.SIGALRM, child._alarm)  # the check's time limit raises, as in the child
    out = {}
    for name in registry():
        ns = dict(solution_namespace(name))
        for key, value in list(ns.items()):
            if isinstance(value, types.FunctionType) and value.__module__ == ns["__name__"]:

                def broken(*args, _name=key, **kwargs):
                    raise ValueError(f"{_name} is broken on purpose")

                ns[key] = broken
            elif key.isupper() and key.endswith(("_ACTIVATION", "_LOSS")):
                ns[key] = None
        out[name] = ns
    return out


@pytest.mark.slow
@pytest.mark.parametrize("check", [c for c in CHECKS if "expect" in visible_code(c)], ids=lambda c: c.grade_id)
def test_a_failing_visible_assertion_fails_the_check_in_the_pytest_runner(check, namespaces, tmp_path):
    child.run_check(check, namespaces[check.notebook], tmp_path, 60.0, visible_code(check))
    values = decode(tmp_path / f"{check.grade_id}.npz")
    assert values.get("__visible__") or values.get("__error__"), values
    assert "__visible__" in values, f"{check.grade_id}: the visible assertions did not run (or did not fail)"


def _worst_mean(y_true, y_pred, q=0.1):
    import tensorflow as tf

    return tf.reduce_mean(tf.abs(y_true - y_pred))


def _worst_numpy(y_true, y_pred, q=0.1):
    err = np.abs(np.asarray(y_true) - np.asarray(y_pred)).reshape(len(y_true), -1)
    k = math.ceil(q * err.shape[1])
    return np.mean(np.sort(err, axis=1)[:, -k:])


def _worst_of_batch(y_true, y_pred, q=0.1):
    import tensorflow as tf

    err = tf.reshape(tf.abs(y_true - y_pred), (-1,))
    return tf.reduce_mean(tf.math.top_k(err, k=math.ceil(q * int(err.shape[0]))).values)


WRONG_WORST = {"mean absolute error": _worst_mean, "in NumPy": _worst_numpy, "worst of the batch": _worst_of_batch}


@pytest.mark.parametrize(
    "gid, edits, replaced",
    [
        ("nb3_trained_segmentation", {}, ""),
        (
            "nb3_trained_segmentation",
            {"SEGMENTATION_ACTIVATION": None, "SEGMENTATION_LOSS": "mse"},
            "SEGMENTATION_ACTIVATION,SEGMENTATION_LOSS",
        ),
        ("nb3_trained_segmentation", {"SEGMENTATION_ACTIVATION": "sigmoid"}, "SEGMENTATION_ACTIVATION"),
        ("nb3_trained_segmentation", {"SEGMENTATION_LOSS": "categorical_crossentropy"}, "SEGMENTATION_LOSS"),
        ("nb3_trained_superres", {}, ""),
        ("nb3_trained_superres", {"SUPERRES_ACTIVATION": "tanh"}, "SUPERRES_ACTIVATION"),
        (
            "nb3_trained_superres",
            {"SUPERRES_ACTIVATION": "sigmoid", "worst_case_loss": "mean absolute error"},
            "SUPERRES_ACTIVATION,worst_case_loss",
        ),
        ("nb3_trained_superres", {"worst_case_loss": "in NumPy"}, "worst_case_loss"),
        ("nb3_trained_superres", {"worst_case_loss": "worst of the batch"}, "worst_case_loss"),
    ],
)
def test_a_wrong_choice_of_part_b_or_d_is_not_paid_for_again_by_the_retraining(gid, edits, replaced):
    """The retraining replaces a choice its own check rejects by the right one, says so, and (the
    solution's encoder-decoder) then uses the solution's stored result: the retraining check passes."""
    import keras

    from autograder.checks import all_checks
    from autograder.references import load_references

    edits = {k: WRONG_WORST[v] if k == "worst_case_loss" else v for k, v in edits.items()}
    ns = {**solution_namespace("3_image_to_image"), **edits}
    check = all_checks()[gid]
    keras.utils.set_random_seed(1234)
    values = check.collect_with(ns, reuse=True)
    assert values["replaced"] == replaced
    assert values.get("reused"), "the solution's encoder-decoder with the right choices is not retrained"
    check.judge(check.judged(values), load_references("3_image_to_image")[gid])


def test_a_right_choice_written_another_way_is_kept():
    import keras

    from autograder.checks.nb3_image_to_image_training import _segmentation_choices

    ns = {
        "SEGMENTATION_ACTIVATION": keras.activations.softmax,
        "SEGMENTATION_LOSS": keras.losses.SparseCategoricalCrossentropy(),
    }
    act, loss, replaced = _segmentation_choices(ns)
    assert replaced == [] and act is ns["SEGMENTATION_ACTIVATION"] and loss is ns["SEGMENTATION_LOSS"]


def _worst_by_sorting(y_true, y_pred, q=0.1):
    """The worst errors by sorting each image's errors (not top_k), in a loop over the batch."""
    import tensorflow as tf

    per_image = []
    for i in range(y_pred.shape[0]):
        err = tf.sort(tf.reshape(tf.abs(y_true[i] - y_pred[i]), [-1]), direction="DESCENDING")
        per_image.append(tf.reduce_mean(err[: math.ceil(q * int(err.shape[0]))]))
    return tf.reduce_mean(tf.stack(per_image))


@pytest.mark.parametrize("act", ["relu6", "keras.activations.relu", "clip to [0, 1]"])
def test_a_right_choice_of_part_d_written_another_way_is_kept(act):
    import keras

    from autograder.checks.nb3_image_to_image_training import _superres_choices

    act = {
        "keras.activations.relu": keras.activations.relu,
        "clip to [0, 1]": lambda x: keras.ops.clip(x, 0.0, 1.0),
    }.get(act, act)
    ns = {"SUPERRES_ACTIVATION": act, "worst_case_loss": _worst_by_sorting}
    got_act, worst, replaced = _superres_choices(ns)
    assert replaced == [] and got_act is act and worst is _worst_by_sorting


def test_the_solutions_optimizer_is_not_trained_again_and_a_lookalike_is():
    """Notebook 1 Part F: make_optimizer() returning the solution's optimizer uses the solution's
    stored figures (and passes); an Adam subclass with the same configuration whose steps differ
    (it ignores the gradient's size) is trained; a child that claims reuse without the
    solution's fingerprint is refused by the judge."""
    import keras

    from autograder.checks import all_checks
    from autograder.references import load_references
    from autograder.spec import CheckFailed

    check = all_checks()["nb1_make_optimizer"]
    expected = load_references("1_residual_connections")["nb1_make_optimizer"]
    ns = solution_namespace("1_residual_connections")
    values = check.collect_with(ns, reuse=True)
    assert values.get("reused") and "seed0_first_after" not in values, sorted(values)
    check.judge(check.judged(values), expected)

    solution = ns["make_optimizer"]()

    class Adam(keras.optimizers.Adam):  # the same name and configuration, another step
        def update_step(self, gradient, variable, learning_rate):
            variable.assign_sub(keras.ops.sign(gradient) * 0.0)

    lookalike = {**ns, "make_optimizer": lambda: Adam.from_config(solution.get_config())}
    probe = {"reused", "fingerprint", "probe"}
    seen = check.collect_with(lookalike, reuse=True)
    assert not seen.get("reused") and "seed0_first_after" in seen, sorted(seen)
    with pytest.raises(CheckFailed, match="moved by 0.00e"):
        check.judge(check.judged(seen), expected)

    forged = {k: v for k, v in values.items() if k not in probe - {"reused"}} | {"fingerprint": "0" * 32}
    with pytest.raises(CheckFailed, match="the choices are not the solution's"):
        check.judge(check.judged(forged), expected)


@pytest.mark.slow
def test_a_superres_retraining_below_the_threshold_tries_the_next_seed_until_one_learns():
    """Notebook 3's super-resolution retraining: a network that learns at seed 0 is trained once;
    one that stalls at seed 0 and learns at seed 1 is trained from seeds 0 and 1, and passes; one
    whose correction stays at 0 (here it cannot move: its only layer is frozen at zero) is trained
    from seeds 0, 1 and 2, and the message says so. The UpSampling2D example of the class
    (`nb3_upsampling_up_...`, stuck at seed 0, learning at seed 1) goes through the runners."""
    import keras

    from autograder.checks import all_checks
    from autograder.references import load_references
    from autograder.spec import CheckFailed

    check = all_checks()["nb3_trained_superres"]
    expected = load_references("3_image_to_image")["nb3_trained_superres"]
    ns = solution_namespace("3_image_to_image")
    learns = check.collect_with(ns, reuse=False)
    assert learns["seeds"] == "0" and learns["seed"] == 0, (learns["seeds"], learns["seed"])
    check.judge(check.judged(learns), expected)

    def frozen_at_zero(input_shape, num_outputs, output_activation, filters=(32, 64)):
        inputs = keras.Input(input_shape)
        head = keras.layers.Conv2D(num_outputs, 1, kernel_initializer="zeros", use_bias=False, trainable=False)
        return keras.Model(inputs, head(inputs))

    def stalls_at_seed_0(*args, **kwargs):  # keras.utils.set_random_seed(seed) seeds NumPy too
        stalls = np.random.random() > 0.5  # 0.549 after seed 0, 0.417 after seed 1
        return (frozen_at_zero if stalls else ns["build_encoder_decoder"])(*args, **kwargs)

    second = check.collect_with({**ns, "build_encoder_decoder": stalls_at_seed_0}, reuse=False)
    assert (second["seeds"], second["seed"]) == ("0,1", 1), (second["seeds"], second["seed"])
    check.judge(check.judged(second), expected)

    stuck = check.collect_with({**ns, "build_encoder_decoder": frozen_at_zero}, reuse=False)
    assert stuck["seeds"] == "0,1,2", stuck["seeds"]
    with pytest.raises(CheckFailed, match=r"from seeds 0, 1 and 2 \(the best on the training patches: seed \d\)"):
        check.judge(check.judged(stuck), expected)


def test_a_grad_cam_mistake_is_named_by_the_images_where_float32_defines_it():
    """The softmax mistake's map is stored only for the images where 1 - p leaves float32 digits to
    spare (elsewhere another CPU's rounding moves it by percents); an answer that gives it on those
    images is named whatever it gives on the others, the right answer passes, and noise is not
    named."""
    from autograder.checks import nb4_visualizing_convnets as nb4
    from autograder.checks.common import rng
    from autograder.references import load_references
    from autograder.spec import CheckFailed

    refs = load_references("4_visualizing_convnets")["nb4_grad_cam"]
    cases = range(len(nb4.GRAD_CASES))
    stored = [i for i in cases if f"mistake_case{i}_softmax" in refs]
    assert 0 < len(stored) < len(nb4.GRAD_CASES), stored
    noise = rng("grad-cam noise")
    answer = {f"case{i}": refs[f"case{i}"] for i in cases} | {"zero": refs["zero"]}
    nb4.judge_grad_cam(answer, refs)  # the reference itself passes
    for i in cases:  # the mistake where stored, anything (another CPU's rounding) elsewhere
        key = f"mistake_case{i}_softmax"
        answer[f"case{i}"] = refs[key] if key in refs else noise.random(refs[f"case{i}"].shape)
    with pytest.raises(CheckFailed) as failed:
        nb4.judge_grad_cam(answer, refs)
    assert failed.value.mistake == "softmax" and "softmax probability instead of the logit" in str(failed.value)
    answer |= {f"case{i}": noise.random(refs[f"case{i}"].shape) for i in cases}
    with pytest.raises(CheckFailed) as failed:
        nb4.judge_grad_cam(answer, refs)
    assert failed.value.mistake != "softmax", str(failed.value)


def _head_written_as(head: str):
    """build_encoder_decoder as a keras.Sequential, its head written as ``head`` says: 'separate'
    (a linear Conv2D, then Activation), 'layer' (Softmax() or ReLU() where they are the
    activation), 'relu conv' (a Conv2D with a ReLU, then the activation: not the contract)."""
    import keras
    from keras import layers

    def build(input_shape, num_outputs, output_activation, filters=(32, 64)):
        model = keras.Sequential([keras.Input(input_shape)])
        for f in filters:
            model.add(layers.Conv2D(f, 3, strides=2, padding="same"))
            model.add(layers.ReLU())
        for f in reversed(filters):
            model.add(layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu"))
        model.add(layers.Conv2D(num_outputs, 3, padding="same", activation="relu" if head == "relu conv" else None))
        kinds = {"softmax": layers.Softmax, "relu": layers.ReLU}
        if head == "layer" and output_activation in kinds:
            model.add(kinds[output_activation]())
        else:
            model.add(layers.Activation(output_activation))
        return model

    return build


@pytest.mark.parametrize("head, passes", [("separate", True), ("layer", True), ("relu conv", False)])
def test_the_head_s_activation_may_be_a_layer_of_its_own(head, passes):
    """Conv2D(n, 3, padding='same') then Activation(act), Softmax() or ReLU() computes the head
    the contract gives (Conv2D(n, 3, padding='same', activation=act)): full points; a head whose
    convolution already applies a ReLU before the activation does not."""
    _judge_answer(
        "nb3_encoder_decoder_layers",
        {"build_encoder_decoder": _head_written_as(head)},
        None if passes else r"the last layer should be Conv2D\(4, \.\.\., activation='softmax'\)",
    )


def _judge_answer(grade_id: str, ns: dict, fails_with: str | None) -> None:
    """The check ``grade_id`` collected from ``ns`` in this process and judged against the committed
    references: it must pass, or with ``fails_with`` fail with a message that matches it."""
    from autograder.references import load_references
    from autograder.spec import CheckFailed

    check = all_checks()[grade_id]
    values = check.collect_with(ns)
    expected = load_references(check.notebook)[grade_id]
    if fails_with is None:
        check.judge(check.judged(values), expected)
    else:
        with pytest.raises(CheckFailed, match=fails_with):
            check.judge(check.judged(values), expected)


def _overlay(table: bool = False, colour_first: bool = False):
    """overlay_heatmap as keras.io's Grad-CAM example writes it (a 256-colour jet table indexed by
    uint8(255 * heatmap)), or with the colour resized instead of the heatmap."""
    import matplotlib
    import tensorflow as tf

    def overlay_heatmap(image, heatmap, alpha=0.4):
        image, heatmap = np.asarray(image), np.asarray(heatmap, dtype="float32")
        size = image.shape[:2]
        if colour_first:
            colour = matplotlib.colormaps["jet"](heatmap)[..., :3].astype("float32")
            colour = tf.image.resize(colour, size, method="bilinear").numpy()
        else:
            resized = tf.image.resize(heatmap[..., None], size, method="bilinear").numpy()[..., 0]
            if table:
                jet_colors = matplotlib.colormaps["jet"](np.arange(256))[:, :3]
                colour = jet_colors[np.uint8(255 * np.clip(resized, 0, 1))]
            else:
                colour = matplotlib.colormaps["jet"](np.clip(resized, 0, 1))[..., :3]
        return np.clip((1 - alpha) * image + alpha * colour, 0, 1)

    return overlay_heatmap


@pytest.mark.parametrize(
    "written, passes",
    [("with colormaps['jet']", True), ("with keras.io's 256-colour table", True), ("coloured, then resized", False)],
)
def test_an_overlay_through_a_256_colour_table_is_kept_and_one_coloured_before_resizing_is_not(written, passes):
    """The overlay check's tolerance holds the table's rounding (at most alpha x 4.5/255) and not a
    mistake: colouring the small heatmap and resizing the colours differs by 0.36 and more."""
    f = _overlay(table="table" in written, colour_first="resized" in written)
    _judge_answer("nb4_overlay", {"overlay_heatmap": f}, None if passes else "values differ")


def _nb4_answer(source: str) -> dict:
    """The solution's namespace of notebook 4 with the functions ``source`` defines in place of its
    own (defined there, so that they call the solution's other functions)."""
    ns = dict(solution_namespace("4_visualizing_convnets"))
    exec(source, ns)  # noqa: S102 - an answer written as a student would
    return ns


GRAD_CAM_AS_KERAS_IO = """
def grad_cam(model, image, conv_layer_name, class_index=None):
    grad_model = keras.Model(model.inputs, [model.get_layer(conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        conv_out, preds = grad_model(np.asarray(image, dtype="float32")[np.newaxis])
        CHOOSE
        score = preds[:, class_index]
    grads = tape.gradient(score, conv_out)
    pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
    heat = tf.maximum(tf.squeeze(conv_out[0] @ pooled[..., tf.newaxis], -1), 0)
    top = float(tf.reduce_max(heat))
    return heat.numpy() / top if top > 0 else np.zeros(heat.shape)
"""


@pytest.mark.parametrize(
    "choose, passes",
    [
        ("if class_index is None:\n            class_index = int(tf.argmax(preds[0]))", True),
        ("class_index = class_index or int(tf.argmax(preds[0]))", False),  # class 0 is falsy
    ],
)
def test_grad_cam_for_class_0_is_class_0s_map(choose, passes):
    source = GRAD_CAM_AS_KERAS_IO.replace("CHOOSE", choose)
    _judge_answer("nb4_grad_cam", _nb4_answer(source), None if passes else r"x_test\[2\], 'conv5', class_index=0")


POINTING_VECTORISED = """
def pointing_game(model, images, boxes, conv_layer_name, labels=None):
    peaks = np.array([cam_peak(grad_cam(model, im, conv_layer_name, CLASS), im.shape) for i, im in enumerate(images)])
    r0, c0, r1, c1 = np.asarray(boxes).T
    inside = (r0 <= peaks[:, 0]) & (peaks[:, 0] < r1) & (c0 <= peaks[:, 1]) & (peaks[:, 1] < c1)
    return float(inside.mean())
"""


@pytest.mark.parametrize(
    "cls, fails_with",
    [
        ("None if labels is None else int(labels[i])", None),
        ("None", r"another class, \(y \+ 1\) % 4"),  # labels ignored: the predicted class's map every time
        ("0 if labels is None else int(labels[i])", r"labels=None\): expected 0.333"),  # None read as class 0
    ],
)
def test_the_pointing_game_explains_the_classes_it_is_given(cls, fails_with):
    _judge_answer("nb4_pointing_game", _nb4_answer(POINTING_VECTORISED.replace("CLASS", cls)), fails_with)


ACTIVATIONS_BY = {
    "type": "[layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]",
    "name": "[layer.name for layer in model.layers if 'conv' in layer.name]",
    "hard-coded names": "['conv1', 'conv2', 'conv3', 'conv4', 'conv5']",
}


@pytest.mark.parametrize(
    "by, fails_with",
    [
        ("type", None),
        ("name", r"'conv_pool'\): expected 2 outputs \(one per Conv2D layer\), received 1"),  # only conv_pool
        ("hard-coded names", "raised"),
    ],
)
def test_every_conv2d_layer_is_found_by_its_type_not_its_name(by, fails_with):
    source = f"""
def activation_model(model, layer_names=None):
    names = {ACTIVATIONS_BY[by]} if layer_names is None else list(layer_names)
    outputs = [model.get_layer(name).output for name in names]
    return keras.Model(inputs=model.inputs, outputs=outputs)
"""
    _judge_answer("nb4_activation_model", _nb4_answer(source), fails_with)


GRID_BY_LOOP = """
def feature_map_grid(activation, n_cols=8):
    a = np.asarray(activation, dtype=np.float32)
    H, W, C = a.shape
    COLS
    rows = -(-C // cols)
    grid = np.zeros((rows * H, cols * W), dtype=np.float32)
    for c in range(C):
        ch = a[..., c]
        span = ch.max() - ch.min()
        tile = (ch - ch.min()) / span if span > 0 else np.zeros_like(ch)
        r, k = divmod(c, cols)
        grid[r * H:(r + 1) * H, k * W:(k + 1) * W] = tile
    return grid
"""


@pytest.mark.parametrize(
    "cols, fails_with", [("cols = n_cols", None), ("cols = min(n_cols, C)", r"n_cols=5\).*\(3, 20\)")]
)
def test_a_grid_with_fewer_channels_than_columns_keeps_its_width(cols, fails_with):
    _judge_answer("nb4_feature_map_grid", _nb4_answer(GRID_BY_LOOP.replace("COLS", cols)), fails_with)


@pytest.mark.parametrize(
    "p_prime, fails_with",
    [
        ("k - p - 1", None),
        ("max(k - p - 1, 0)", r"p' clamped at 0: a negative p' is a crop"),
        ("k - p", "-1 is missing"),
    ],
)
def test_a_clamped_p_prime_is_named_as_clamped(p_prime, fails_with):
    """p' = k - p - 1 is negative when p >= k (a crop): clamping it at 0 is named as that, not as the
    missing -1 that gives the same number when k = p."""

    def transpose_conv_equivalent(k, s, p):
        return {"z": s - 1, "p_prime": eval(p_prime), "s_prime": 1}  # noqa: S307 - the answer's formula

    _judge_answer("nb2_equivalent", {"transpose_conv_equivalent": transpose_conv_equivalent}, fails_with)


def _iou_by_keras(y_true, y_pred, num_classes):
    """mean_iou as keras.metrics.MeanIoU computes it (a class in neither mask is left out)."""
    import keras

    metric = keras.metrics.MeanIoU(num_classes=num_classes)
    metric.update_state(np.ravel(y_true), np.ravel(y_pred))
    return float(metric.result())


def _iou_over_truth_classes(y_true, y_pred, num_classes):
    """mean_iou over the classes of y_true only: a class that only the prediction has is left out."""
    t, p = np.ravel(y_true), np.ravel(y_pred)
    return float(np.mean([np.sum((t == c) & (p == c)) / np.sum((t == c) | (p == c)) for c in np.unique(t)]))


@pytest.mark.parametrize(
    "mean_iou, fails_with", [(_iou_by_keras, None), (_iou_over_truth_classes, "a class that only the prediction has")]
)
def test_a_class_only_the_prediction_has_counts_in_the_mean_iou(mean_iou, fails_with):
    _judge_answer("nb3_mean_iou", {"mean_iou": mean_iou}, fails_with)

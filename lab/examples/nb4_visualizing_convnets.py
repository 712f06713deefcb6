"""Notebook 4: realistic mistakes (each example fails exactly the checks named) and valid variations.

Where mistakes sit in different functions and fail different checks, one example holds
two or three (``also``, ``mistakes``), to keep the suite's time: each check still meets
exactly one mistake.
"""

import functools

from lab import examples

NB = "4_visualizing_convnets"
ACT, GRID, CAM = "nb4_activation_model", "nb4_feature_map_grid", "nb4_grad_cam"
ORIGINAL_CAM, ORIGINAL_CAM_CELL = "nb4_class_activation_map", "class_activation_map_solution"
OVERLAY, PEAK, POINT = "nb4_overlay", "nb4_cam_peak", "nb4_pointing_game"
CAM_CELL = "grad_cam_solution"


mistake = functools.partial(examples.mistake, NB)


ALL_LAYERS = ("if isinstance(layer, layers.Conv2D)]", "]")
GRID_JOINT = ("low, high = a.min(axis=(0, 1)), a.max(axis=(0, 1))", "low, high = a.min(), a.max()")
GRID_COLUMN_MAJOR = ("tiles.reshape(rows, n_cols, H, W)", "tiles.reshape((rows, n_cols, H, W), order='F')")
ALPHA_SWAPPED = ("(1 - alpha) * np.asarray(image) + alpha * colour", "alpha * np.asarray(image) + (1 - alpha) * colour")
GRID_MEAN_FILL = ("tiles = np.zeros((rows * n_cols, H, W))", "tiles = np.full((rows * n_cols, H, W), scaled.mean())")
PEAK_LAST_TIE = (
    "row, col = np.unravel_index(np.argmax(resized), resized.shape)",
    "row, col = np.argwhere(resized == resized.max())[-1]",
)
CAM_BY_TENSORDOT = """
def class_activation_map(model, image, class_index=None, conv_layer_name="conv5", dense_layer_name="logits"):
    # Zhou et al.'s CAM: the Dense kernel of the last layer (model.layers[-1]), np.tensordot over the channels.
    conv = keras.Model(model.input, model.get_layer(conv_layer_name).output)
    maps = conv.predict(np.asarray(image, dtype="float32")[None], verbose=0)[0]
    if class_index is None:
        class_index = int(np.argmax(model.predict(np.asarray(image, dtype="float32")[None], verbose=0)[0]))
    kernel = np.asarray(model.get_layer(dense_layer_name).kernel)
    cam = np.maximum(np.tensordot(maps, kernel[:, class_index], axes=([2], [0])), 0)
    return np.nan_to_num(cam / cam.max())
"""


EXAMPLES = [
    mistake(
        "nb4_softmax_not_logit",
        CAM_CELL,
        [("score = logits[0, class_index]", "score = tf.nn.softmax(logits)[0, class_index]")],
        {CAM, POINT},
        "the gradient of the softmax probability instead of the logit",
    ),
    mistake(
        "nb4_weights_wrong_axes",
        CAM_CELL,
        [("weights = tf.reduce_mean(grads, axis=(0, 1))", "weights = tf.reduce_mean(grads, axis=-1, keepdims=True)")],
        {CAM, POINT},
        "channel weights averaged over the wrong axes",
    ),
    mistake(
        "nb4_no_relu_and_grid_column_major",
        CAM_CELL,
        [
            (
                "cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()",
                "cam = tf.reduce_sum(maps[0] * weights, axis=-1).numpy()",
            )
        ],
        {CAM, GRID},
        "the ReLU missing; the grid in column-major order",
        also=[GRID_COLUMN_MAJOR],
    ),
    mistake(
        "nb4_not_normalised_and_alpha_swapped",
        CAM_CELL,
        [("return cam / top if top > 0 else np.zeros_like(cam)", "return cam")],
        {CAM, OVERLAY},
        "no normalisation; alpha applied to the wrong term",
        also=[ALPHA_SWAPPED],
    ),
    mistake(
        "nb4_nan_when_flat_and_all_layers",
        CAM_CELL,
        [("return cam / top if top > 0 else np.zeros_like(cam)", "return cam / top")],
        {CAM, ACT},
        "division by a zero maximum gives NaN; every layer's output, not only the Conv2D layers'",
        also=[ALL_LAYERS],
    ),
    mistake(
        "nb4_class_index_ignored_and_grid_joint_scaling",
        CAM_CELL,
        [("if class_index is None:\n            class_index", "if True:\n            class_index")],
        {CAM, GRID, POINT},
        "the gradient of the top class whatever class_index says (the pointing game with another class's labels "
        "fails too: its peaks are the top class's); feature maps scaled jointly instead of per channel",
        also=[GRID_JOINT],
    ),
    mistake(
        "nb4_peak_not_resized",
        "cam_peak_solution",
        [
            (
                'resized = tf.image.resize(np.asarray(heatmap, dtype="float32")[..., None], tuple(image_shape[:2]),\n'
                '                              method="bilinear").numpy()[..., 0]',
                "resized = np.asarray(heatmap)",
            )
        ],
        {PEAK, POINT},
        "the peak in heatmap coordinates, not the image's",
    ),
    mistake(
        "nb4_cam_with_bias_and_grid_mean_fill",
        ORIGINAL_CAM_CELL,
        [
            (
                "cam = np.maximum(np.asarray(maps[0]) @ weights, 0)",
                "cam = np.maximum(np.asarray(maps[0]) @ weights + model.get_layer(dense_layer_name).get_weights()[1]"
                "[class_index], 0)",
            )
        ],
        {ORIGINAL_CAM, GRID},
        "the Dense bias added to the class activation map; unused grid tiles filled with the "
        "mean (scikit-image montage's default) instead of 0",
        also=[GRID_MEAN_FILL],
    ),
    mistake(
        "nb4_cam_no_relu_and_peak_last_of_ties",
        ORIGINAL_CAM_CELL,
        [
            ("cam = np.maximum(np.asarray(maps[0]) @ weights, 0)", "cam = np.asarray(maps[0]) @ weights"),
            ("top = cam.max()", "top = np.abs(cam).max()"),
        ],
        {ORIGINAL_CAM, PEAK},
        "the class activation map without the ReLU; the peak as the last of equal "
        "maxima (np.argwhere(...)[-1]) instead of the first (the pointing game's peaks have no ties: it passes)",
        also=[PEAK_LAST_TIE],
    ),
    # ---- valid variations: full marks
    mistake(
        "nb4_ok_sum_weights_and_cam_by_tensordot",
        CAM_CELL,
        [("weights = tf.reduce_mean(grads, axis=(0, 1))", "weights = tf.reduce_sum(grads, axis=(0, 1))")],
        set(),
        "channel weights by sum instead of mean (equal after normalisation); the class activation map with "
        "np.tensordot and predict() (a NaN for a zero map turned to 0)",
        cells=[(ORIGINAL_CAM_CELL, CAM_BY_TENSORDOT)],
    ),
    mistake(
        "nb4_ok_tape_watch",
        CAM_CELL,
        [
            (
                None,
                """
def grad_cam(model, image, conv_layer_name, class_index=None):
    layer = model.get_layer(conv_layer_name)
    explainer = keras.Model(model.input, [layer.output, model.output])
    x = tf.Variable(np.asarray(image, dtype="float32")[None])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        maps, logits = explainer(x)
        tape.watch(maps)
        index = int(np.argmax(logits[0])) if class_index is None else class_index
        score = logits[:, index]
    grads = tape.gradient(score, maps).numpy()[0]
    cam = np.maximum(np.einsum("hwc,c->hw", maps.numpy()[0], grads.mean(axis=(0, 1))), 0)
    return cam / cam.max() if cam.max() > 0 else np.zeros_like(cam)
""",
            )
        ],
        set(),
        "tape.watch, NumPy einsum and np.maximum",
    ),
]

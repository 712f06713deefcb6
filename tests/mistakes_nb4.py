"""Notebook 4: realistic mistakes (each example fails exactly the checks named) and valid variations.

Where mistakes sit in different functions and fail different checks, one example holds
two or three (``also``, ``mistakes``), to keep the suite's time: each check still meets
exactly one mistake.
"""
from example_submissions import Example

NB = "4_visualizing_convnets"
ACT, GRID, CAM = "nb4_activation_model", "nb4_feature_map_grid", "nb4_grad_cam"
OVERLAY, PEAK, POINT = "nb4_overlay", "nb4_cam_peak", "nb4_pointing_game"
CAM_CELL = "grad_cam_solution"


def mistake(name, cell, edits, fails, why="", also=()):
    return Example(name=name, notebook=NB, cell=cell, edits=tuple(edits), fails=frozenset(fails), why=why,
                   notebook_edits=tuple(also), mistakes=(1 + len(also)) if fails else 0)


ALL_LAYERS = ("if isinstance(layer, layers.Conv2D)]", "]")
GRID_JOINT = ("low, high = a.min(axis=(0, 1)), a.max(axis=(0, 1))", "low, high = a.min(), a.max()")
GRID_COLUMN_MAJOR = ("tiles.reshape(rows, n_cols, H, W)", "tiles.reshape((rows, n_cols, H, W), order='F')")
ALPHA_SWAPPED = ("(1 - alpha) * np.asarray(image) + alpha * colour", "alpha * np.asarray(image) + (1 - alpha) * colour")


EXAMPLES = [
    mistake("nb4_softmax_not_logit", CAM_CELL,
            [("score = logits[0, class_index]", "score = tf.nn.softmax(logits)[0, class_index]")],
            {CAM, POINT}, "the gradient of the softmax probability instead of the logit"),
    mistake("nb4_weights_wrong_axes", CAM_CELL,
            [("weights = tf.reduce_mean(grads, axis=(0, 1))", "weights = tf.reduce_mean(grads, axis=-1, keepdims=True)")],
            {CAM, POINT}, "channel weights averaged over the wrong axes"),
    mistake("nb4_no_relu_and_grid_column_major", CAM_CELL,
            [("cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy()",
              "cam = tf.reduce_sum(maps[0] * weights, axis=-1).numpy()")],
            {CAM, GRID}, "the ReLU missing; the grid in column-major order", also=[GRID_COLUMN_MAJOR]),
    mistake("nb4_not_normalised_and_alpha_swapped", CAM_CELL,
            [("return cam / top if top > 0 else np.zeros_like(cam)", "return cam")],
            {CAM, OVERLAY}, "no normalisation; alpha applied to the wrong term", also=[ALPHA_SWAPPED]),
    mistake("nb4_nan_when_flat_and_all_layers", CAM_CELL,
            [("return cam / top if top > 0 else np.zeros_like(cam)", "return cam / top")],
            {CAM, ACT}, "division by a zero maximum gives NaN; every layer's output, not only the Conv2D layers'",
            also=[ALL_LAYERS]),
    mistake("nb4_class_index_ignored_and_grid_joint_scaling", CAM_CELL,
            [("if class_index is None:\n            class_index", "if True:\n            class_index")],
            {CAM, GRID}, "the gradient of the top class whatever class_index says; feature maps scaled jointly "
            "instead of per channel", also=[GRID_JOINT]),
    mistake("nb4_peak_not_resized", "overlay_solution",
            [("resized = tf.image.resize(np.asarray(heatmap, dtype=\"float32\")[..., None], tuple(image_shape[:2]),\n"
              "                              method=\"bilinear\").numpy()[..., 0]", "resized = np.asarray(heatmap)")],
            {PEAK, POINT}, "the peak in heatmap coordinates, not the image's"),
    # ---- valid variations: full marks
    mistake("nb4_ok_sum_weights", CAM_CELL,
            [("weights = tf.reduce_mean(grads, axis=(0, 1))", "weights = tf.reduce_sum(grads, axis=(0, 1))")],
            set(), "channel weights by sum instead of mean (equal after normalisation)"),
    mistake("nb4_ok_tape_watch", CAM_CELL, [(None, '''
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
''')], set(), "tape.watch, NumPy einsum and np.maximum"),
]

"""Answers written the way public code writes them: correct ones (full marks on both runners)
and plausible copies that break one clause of a contract (each losing exactly its checks).

Each answer follows an idiom of a public implementation, named in its comment and in the
example's ``why``: the Keras guides and examples (keras-io), d2l (*Dive into Deep Learning*),
Chollet's *Deep Learning with Python* notebooks, the TensorFlow tutorials and API, TVM's
reference transposed convolution, scikit-image and scikit-learn, DeepLab2, TorchRay. The
code is written here to the notebooks' contracts (signatures, shapes), not copied. Several
answers share a submission when they are different functions, so that a notebook is graded
once for all of them; each answer is its function's whole cell (the cells: public_nb1_nb2.py,
public_nb3_nb4.py).

``tests/test_public_answers.py`` checks the corpus's size and that every answer names its idiom;
the scores themselves are checked with the rest of the example class (tests/test_examples.py).
"""

from lab.examples import Example
from lab.examples.public_nb1_nb2 import (
    NB1_BROKEN_CHOLLET,
    NB1_BROKEN_D2L_BATCHNORM,
    NB1_CHOLLET,
    NB1_D2L_SUBCLASS,
    NB2_BROKEN_D2L_PYTORCH,
    NB2_BROKEN_DUMOULIN_NPPAD,
    NB2_FORMULAS,
    NB2_TVM_SCIPY,
)
from lab.examples.public_nb3_nb4 import (
    NB3_BROKEN,
    NB3_KERAS_OPS,
    NB3_NESTED,
    NB4_BROKEN_KERAS_IO,
    NB4_BROKEN_OPENCV,
    NB4_BROKEN_TORCHRAY_CHOLLET,
    NB4_KERAS_CHOLLET,
)

NB1, NB2, NB3, NB4 = ("1_residual_connections", "2_transpose_convolution", "3_image_to_image", "4_visualizing_convnets")

IDIOMS: dict[str, list[str]] = {}  # example -> one "function: the idiom it follows" line per answer


def answers(name: str, notebook: str, cells: dict[str, str], idioms: list[str], fails=(), why: str = "") -> Example:
    """One submission: the solution with these cells rewritten. ``idioms``: one line per answer,
    naming the public code it follows."""
    first, *others = cells
    rest = tuple((gid, cells[gid]) for gid in others)
    IDIOMS[name] = list(idioms)
    return Example(
        name=name,
        notebook=notebook,
        cell=first,
        edits=((None, cells[first]),),
        cells=rest,
        fails=frozenset(fails),
        why=(why + ": " if why else "") + "; ".join(idioms),
        notebook_edits=(),
        mistakes=len(idioms) if fails else 0,
    )


EXAMPLES = [
    # ---- correct answers: full marks
    answers(
        "nb1_public_chollet_keras_guides",
        NB1,
        NB1_CHOLLET,
        [
            "build_deep_net: keras.Sequential for a plain net (Keras guide), Chollet's layers.add for a residual one",
            "layer_gradient_norms: the TensorFlow guide's training loop (loss object, tape, trainable_weights), a list",
            "needs_projection: one boolean expression (d2l's use_1x1conv worked out)",
            "residual_block: Chollet's listings 9.2-9.3 with the ReLU after the merge",
        ],
    ),
    answers(
        "nb1_public_d2l_subclassed_model",
        NB1,
        NB1_D2L_SUBCLASS,
        ["build_deep_net: a keras.Model subclass (d2l's style), built by one call"],
    ),
    answers(
        "nb2_public_formulas_and_d2l_scatter",
        NB2,
        NB2_FORMULAS,
        [
            "conv_output_size: Dumoulin & Visin's relationship 6 with math.floor",
            "transpose_conv_output_size: PyTorch's ConvTranspose2d formula",
            "transpose_conv_equivalent: TVM's dilate-and-pad (dict(...))",
            "output_padding_for: the round trip's remainder (model converters' output_padding)",
            "keras_conv_transpose_output_size: Keras's own compute_output_shape",
            "conv_transpose2d: d2l's scatter (trans_conv), float32, loops",
        ],
    ),
    answers(
        "nb2_public_tvm_scipy", NB2, NB2_TVM_SCIPY, ["conv_transpose2d: TVM's reference with scipy.signal.convolve2d"]
    ),
    answers(
        "nb3_public_keras_sequential_and_ops",
        NB3,
        NB3_KERAS_OPS,
        [
            "build_encoder_decoder: keras.Sequential from keras.Input (Keras guide)",
            "SEGMENTATION_ACTIVATION, SEGMENTATION_LOSS: keras.activations.softmax and "
            "keras.losses.sparse_categorical_crossentropy (functions, keras-io's oxford_pets example)",
            "mean_iou: the per-class loop with np.nanmean (Stack Overflow; NumPy warns)",
            "psnr: tf.image.psnr in float32",
            "SUPERRES_ACTIVATION: keras.activations.relu",
            "worst_case_loss: keras.ops.top_k",
            "bicubic_upscale: keras.ops.image.resize",
        ],
    ),
    answers(
        "nb3_public_nested_models_and_libraries",
        NB3,
        NB3_NESTED,
        [
            "build_encoder_decoder: an encoder and a decoder as keras.Sequential sub-models "
            "(Chollet's chapter 11 split)",
            "mean_iou: keras.metrics.MeanIoU",
            "psnr: scikit-image's peak_signal_noise_ratio per image",
            "SUPERRES_ACTIVATION: a clip to [0, 1] (keras.ops.clip)",
            "worst_case_loss: tf.sort, descending",
            "bicubic_upscale: keras.layers.Resizing",
        ],
    ),
    answers(
        "nb4_public_keras_io_and_chollet",
        NB4,
        NB4_KERAS_CHOLLET,
        [
            "activation_model: Chollet's multi-output model over model.inputs",
            "feature_map_grid: Chollet's loop over channels, np.where per channel (NumPy warns)",
            "grad_cam: keras-io's make_gradcam_heatmap, normalised with np.nan_to_num (NumPy warns)",
            "overlay_heatmap: keras-io's 256-colour jet table, after keras.ops.image.resize",
            "cam_peak: np.argwhere after keras.ops.image.resize",
            "pointing_game: a boolean mask by slicing, np.mean",
        ],
    ),
    # ---- copies that break one clause of a contract: exactly those checks fail
    answers(
        "nb1_public_broken_chollet_listing_and_summed_loss",
        NB1,
        NB1_BROKEN_CHOLLET,
        [
            "residual_block: Chollet's listing 9.2 as printed, no ReLU after the merge (the contract has one)",
            "layer_gradient_norms: a loss with reduction='sum' (the contract takes the mean over the batch)",
        ],
        fails={"nb1_block_shortcut", "nb1_gradient_norms"},
        why="copies that break a clause",
    ),
    answers(
        "nb1_public_broken_d2l_batchnorm",
        NB1,
        NB1_BROKEN_D2L_BATCHNORM,
        ["residual_block: d2l's Residual with BatchNormalization (the contract's main path has none)"],
        fails={"nb1_block_shapes", "nb1_block_shortcut"},
        why="a copy that breaks a clause",
    ),
    answers(
        "nb2_public_broken_d2l_padding_and_pytorch_keras_rule",
        NB2,
        NB2_BROKEN_D2L_PYTORCH,
        [
            "conv_output_size: d2l's formula with a p that pads one side only (the contract's p pads each side)",
            "keras_conv_transpose_output_size: PyTorch's formula (Keras pads k < s itself, and 'same' gives i*s)",
        ],
        fails={"nb2_conv_output_size", "nb2_keras_output_size"},
        why="copies that break a clause",
    ),
    answers(
        "nb2_public_broken_dumoulin_stride_and_np_pad",
        NB2,
        NB2_BROKEN_DUMOULIN_NPPAD,
        [
            "transpose_conv_equivalent: Dumoulin & Visin's s' = s (the contract: s' = 1)",
            "conv_transpose2d: np.pad with p' = k - p - 1, which fails for p >= k (the contract allows any p)",
        ],
        fails={"nb2_equivalent", "nb2_conv_transpose2d"},
        why="copies that break a clause",
    ),
    answers(
        "nb3_public_broken_kaggle_iou_espcn_psnr_deeplab_topk",
        NB3,
        NB3_BROKEN,
        [
            "mean_iou: per image, then the mean (the contract: over the whole set of masks)",
            "psnr: keras-io's ESPCN callback, one value for the batch (the contract: one per image)",
            "worst_case_loss: DeepLab2's top-k loss, divided by the non-zero count (the contract: by ceil(q * n))",
        ],
        fails={"nb3_mean_iou", "nb3_psnr", "nb3_worst_case_loss"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_keras_io_nan_and_blend",
        NB4,
        NB4_BROKEN_KERAS_IO,
        [
            "grad_cam: keras-io's normalisation as printed, NaN for an all-zero map (the contract: zeros)",
            "overlay_heatmap: keras-io's blend as printed, jet * alpha + image (the contract: (1 - alpha) * image)",
        ],
        fails={"nb4_grad_cam", "nb4_overlay"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_torchray_tolerance_and_chollet_standardised_grid",
        NB4,
        NB4_BROKEN_TORCHRAY_CHOLLET,
        [
            "pointing_game: TorchRay's 15-pixel tolerance (the contract: inside the box, exclusive ends)",
            "feature_map_grid: Chollet's standardised display (the contract: each channel min-max to [0, 1])",
        ],
        fails={"nb4_pointing_game", "nb4_feature_map_grid"},
        why="copies that break a clause",
    ),
    answers(
        "nb4_public_broken_opencv_point_order",
        NB4,
        NB4_BROKEN_OPENCV,
        ["cam_peak: OpenCV's (x, y) point order (the contract: (row, col))"],
        fails={"nb4_cam_peak", "nb4_pointing_game"},
        why="a copy that breaks a clause",
    ),
]

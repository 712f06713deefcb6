"""Notebook 3: realistic mistakes (each example fails exactly the checks named) and valid variations.

Grading a notebook-3 submission retrains two models (about 25 s), so where mistakes sit
in different functions and fail different checks, one example holds two or three (``also``,
``mistakes``). The two retrainings are independent (segmentation's uses only the
segmentation choices, super-resolution's only its own), and an example's mistakes in the
super-resolution choices (its activation, its worst-case loss) can each make that retraining
fail: a wrong worst-case loss that averages all errors, or the batch's, leaves the model at
the bicubic image. Like every example, they skip the notebook's own training (``IN_A_HURRY``).
"""

import functools

from lab import examples

NB = "3_image_to_image"
SHAPES, LAYERS, SEG = "nb3_encoder_decoder_shapes", "nb3_encoder_decoder_layers", "nb3_segmentation_choice"
IOU, PSNR, SRACT, WORST = "nb3_mean_iou", "nb3_psnr", "nb3_superres_activation", "nb3_worst_case_loss"
BICUBIC, TSEG, TSR = "nb3_bicubic", "nb3_trained_segmentation", "nb3_trained_superres"
CLASH, UNET, CLASH_CELL, UNET_CELL = "nb3_first_clash", "nb3_fixed_unet", "first_clash_solution", "fixed_unet_solution"
ED, SEG_ACT_CELL, SEG_LOSS_CELL = (
    "build_encoder_decoder_solution",
    "segmentation_activation_solution",
    "segmentation_loss_solution",
)

# Second mistakes, put into otherwise correct cells of the same submission.
PSNR_NATURAL_LOG = ("return 10.0 * np.log10(max_val ** 2 / mse)", "return 10.0 * np.log(max_val ** 2 / mse)")
PSNR_MAX_VAL_IGNORED = ("return 10.0 * np.log10(max_val ** 2 / mse)", "return 10.0 * np.log10(1.0 / mse)")
IOU_OVER_PIXELS = ("return float(np.mean(inter[present] / union[present]))", "return float(np.mean(t == p))")
BICUBIC_NOT_CLIPPED = (
    'return tf.clip_by_value(tf.image.resize(images, size, method="bicubic"), 0.0, 1.0)',
    'return tf.image.resize(images, size, method="bicubic")',
)
TOP_K = "worst = tf.math.top_k(tf.reshape(err, (-1, n)), k=math.ceil(q * n)).values"
SR_ACT = 'SUPERRES_ACTIVATION = "relu"'
TANH_SUPERRES = (SR_ACT, 'SUPERRES_ACTIVATION = "tanh"')
LINEAR_SUPERRES = (SR_ACT, "SUPERRES_ACTIVATION = None")
SIGMOID_SUPERRES = (SR_ACT, 'SUPERRES_ACTIVATION = "sigmoid"')
WORST_NUMPY = (TOP_K, "worst = np.sort(np.asarray(err).reshape(-1, n), axis=1)[:, -math.ceil(q * n):]")
WORST_IS_MEAN = (TOP_K, "worst = err")
POOLING_DOWN = (  # a stride-1 convolution, then max pooling, in place of the stride-2 convolution
    'h = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)',
    'h = layers.Conv2D(f, 3, padding="same", activation="relu")(h)\n        h = layers.MaxPooling2D()(h)',
)
WORST_OVER_BATCH = (TOP_K, "worst = tf.math.top_k(tf.reshape(err, (-1,)), k=math.ceil(q * n) * err.shape[0]).values")


mistake = functools.partial(examples.mistake, NB)


# Part F: the classmate's U-Net. The solution fixes it with an output_padding per level.
CEIL = 'sizes.append(-(-sizes[-1] // 2))  # "same", stride 2: ceil(i / 2)'
PADDING_LINE = "a = tuple(int(skip.shape[d]) - 2 * int(x.shape[d]) + 1 for d in (1, 2))"
CLASH_BY_KERAS = """
def first_clash(size, levels=3):
    # Ask the layers themselves what sizes they give.
    down = keras.layers.Conv2D(1, 3, strides=2, padding="same")
    up = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same")
    sizes = [size]
    for _ in range(levels):
        sizes.append(down.compute_output_shape((None, sizes[-1], sizes[-1], 1))[1])
    for skip, low in zip(sizes[-2::-1], sizes[:0:-1]):
        upsampled = up.compute_output_shape((None, low, low, 1))[1]
        if upsampled != skip:
            return upsampled, skip
    return None
"""
UNET_PAD_AND_CROP = """
def fixed_unet(input_shape, n_classes, filters=(16, 32, 64)):
    # Pad the input up to a multiple of 2**3 = 8, run the classmate's network, crop the output back.
    h, w = input_shape[0], input_shape[1]
    extra_h, extra_w = -h % 8, -w % 8
    inputs = keras.Input(input_shape)
    x = layers.ZeroPadding2D(((0, extra_h), (0, extra_w)))(inputs)
    x = layers.Conv2D(filters[0], 3, padding="same", activation="relu")(x)
    skips = []
    for f in filters:
        skips.append(x)
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    for f, skip in zip(reversed(filters), reversed(skips)):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(x)
        x = layers.Concatenate()([x, skip])
    x = layers.Conv2D(n_classes, 1, activation="softmax")(x)
    return keras.Model(inputs, layers.Cropping2D(((0, extra_h), (0, extra_w)))(x))
"""
CLASH_WHILE = """
def first_clash(size, levels=3):
    heights = [size]
    while len(heights) <= levels:
        heights.append(math.ceil(heights[-1] / 2))
    for k in range(levels, 0, -1):
        if 2 * heights[k] != heights[k - 1]:
            return 2 * heights[k], heights[k - 1]
"""
UNET_CROP_UPSAMPLED = """
def fixed_unet(input_shape, n_classes, filters=(16, 32, 64)):
    # As the original U-Net does: crop, here the upsampled map down to its skip's size.
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(filters[0], 3, padding="same", activation="relu")(inputs)
    skips = []
    for f in filters:
        skips.append(x)
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    for f, skip in zip(reversed(filters), reversed(skips)):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(x)
        x = layers.Cropping2D(((0, x.shape[1] - skip.shape[1]), (0, x.shape[2] - skip.shape[2])))(x)
        x = layers.Concatenate()([x, skip])
    return keras.Model(inputs, layers.Conv2D(n_classes, 1, activation="softmax")(x))
"""
UNET_EXAMPLES = [
    mistake(
        "nb3_clash_floor_and_unet_fixed_for_28",
        CLASH_CELL,
        [(CEIL, "sizes.append(sizes[-1] // 2)")],
        {CLASH, UNET},
        "first_clash halves by floor, as if the stride-2 'same' convolution dropped the odd row (28 -> 14 -> 7 -> 3: "
        "it predicts (6, 7)); fixed_unet fixed for 28 only: output_padding=0 on the first step up, 1 after "
        "(32x32 then breaks)",
        also=[(PADDING_LINE, "a = 0 if f == filters[-1] else 1")],
    ),
    mistake(
        "nb3_unet_level_removed",
        UNET_CELL,
        [
            ("for f in filters:", "for f in filters[:2]:"),
            (
                "for f, skip in zip(reversed(filters), reversed(skips)):",
                "for f, skip in zip(filters[1::-1], skips[::-1]):",
            ),
            (PADDING_LINE, "a = 1"),
        ],
        {UNET},
        "fixed_unet fixed by dropping the deepest level (28 is divisible by 4): it builds for 28 but not for 30, "
        "and it is no longer the classmate's network (fewer weights)",
    ),
    mistake(
        "nb3_ok_unet_pad_and_crop",
        CLASH_CELL,
        [(None, CLASH_BY_KERAS)],
        set(),
        "first_clash by asking Keras's layers for their output shapes; fixed_unet pads the input to a multiple "
        "of 8 and crops the output (ZeroPadding2D and Cropping2D have no weights)",
        cells=[(UNET_CELL, UNET_PAD_AND_CROP)],
    ),
]


EXAMPLES = [
    mistake(
        "nb3_pooling_down_psnr_natural_log_and_sigmoid_superres",
        ED,
        [POOLING_DOWN],
        {LAYERS, PSNR, SRACT},
        "pooling for downsampling; PSNR with the natural logarithm; a sigmoid on the "
        "super-resolution image (it squashes [0, 1] into [0.5, 0.73]); retrained with relu in its place, the "
        "pooling encoder learns both tasks: its mistakes cost their own checks only",
        also=[PSNR_NATURAL_LOG, SIGMOID_SUPERRES],
        seconds=100,  # both retrainings, the first convolution at full resolution (2026-12-06, Intel Xeon)
    ),
    mistake(
        "nb3_upsampling_up_iou_over_pixels_and_worst_over_batch",
        ED,
        [
            (
                'h = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(h)',
                'h = layers.UpSampling2D()(h)\n        h = layers.Conv2D(f, 3, padding="same", activation="relu")(h)',
            )
        ],
        {LAYERS, IOU, WORST},
        "UpSampling2D instead of a transposed convolution; IoU averaged over pixels; the worst errors of the "
        "batch, not of each image (retrained with the contract's loss in its place, this decoder's "
        "super-resolution stays at the bicubic image from seed 0 and learns from seed 1: the "
        "retraining tries the next seed, so its mistakes cost their own checks only)",
        also=[IOU_OVER_PIXELS, WORST_OVER_BATCH],
        seconds=200,  # both retrainings, the super-resolution from 2 seeds (2026-12-07, AMD EPYC: 205 s)
    ),
    mistake(
        "nb3_valid_padding_up_and_pooling_down",
        ED,
        [
            ('Conv2DTranspose(f, 3, strides=2, padding="same"', 'Conv2DTranspose(f, 3, strides=2, padding="valid"'),
            POOLING_DOWN,
        ],
        {SHAPES, LAYERS, TSEG, TSR},
        "an output of the wrong size (Keras's default padding, 'valid', on the way up), and max pooling on the "
        "way down as in a classifier (no retraining: a model of the wrong size is not trained)",
    ),
    mistake(
        "nb3_sigmoid_segmentation_psnr_max_val_and_tanh_superres",
        SEG_ACT_CELL,
        [('SEGMENTATION_ACTIVATION = "softmax"', 'SEGMENTATION_ACTIVATION = "sigmoid"')],
        {SEG, PSNR, SRACT},
        "a sigmoid head for segmentation; PSNR that ignores max_val; tanh on the "
        "super-resolution image (negative, and tanh(1) = 0.76; the retrainings use softmax and relu instead)",
        also=[PSNR_MAX_VAL_IGNORED, TANH_SUPERRES],
    ),
    mistake(
        "nb3_no_activation_segmentation_bicubic_not_clipped_and_worst_is_mean",
        SEG_ACT_CELL,
        [('SEGMENTATION_ACTIVATION = "softmax"', "SEGMENTATION_ACTIVATION = None")],
        {SEG, BICUBIC, WORST},
        "no activation for segmentation (scores, not probabilities); bicubic "
        "overshoot not clipped; a worst-case loss that is really the mean absolute error (trained with it, the "
        "model would stay at the bicubic image: an L1 loss favours the median correction, 0 for most pixels; "
        "the retraining uses the contract's loss instead)",
        also=[BICUBIC_NOT_CLIPPED, WORST_IS_MEAN],
    ),
    mistake(
        "nb3_mse_segmentation_and_worst_numpy",
        SEG_LOSS_CELL,
        [('SEGMENTATION_LOSS = "sparse_categorical_crossentropy"', 'SEGMENTATION_LOSS = "mse"')],
        {SEG, WORST},
        "MSE for segmentation; a worst-case loss computed in NumPy (not differentiable; the retraining uses "
        "the contract's loss instead)",
        also=[WORST_NUMPY],
    ),
    mistake(
        "nb3_onehot_loss_and_linear_superres",
        SEG_LOSS_CELL,
        [('SEGMENTATION_LOSS = "sparse_categorical_crossentropy"', 'SEGMENTATION_LOSS = "categorical_crossentropy"')],
        {SEG, SRACT},
        "categorical (one-hot) cross-entropy with integer masks; no activation on the "
        "super-resolution image (it trains, but predicts negative intensities)",
        also=[LINEAR_SUPERRES],
    ),
    mistake(
        "nb3_ok_objects_and_relu6",
        SEG_LOSS_CELL,
        [
            (
                'SEGMENTATION_LOSS = "sparse_categorical_crossentropy"',
                "SEGMENTATION_LOSS = keras.losses.SparseCategoricalCrossentropy()",
            )
        ],
        set(),
        "a loss object and an activation function instead of strings; relu6 for super-resolution (equal "
        "to relu on valid intensities); first_clash with a while loop and math.ceil (returning None by "
        "falling off the end), fixed_unet cropping each upsampled map to its skip (as the original U-Net crops)",
        also=[
            ('SEGMENTATION_ACTIVATION = "softmax"', "SEGMENTATION_ACTIVATION = keras.activations.softmax"),
            (SR_ACT, 'SUPERRES_ACTIVATION = "relu6"'),
        ],
        cells=[(CLASH_CELL, CLASH_WHILE), (UNET_CELL, UNET_CROP_UPSAMPLED)],
    ),
] + UNET_EXAMPLES

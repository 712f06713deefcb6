"""Notebook 3: realistic mistakes (each fails exactly the checks named) and valid variations.

The examples also set the notebook's own training to one epoch (a student on a slow
laptop may do that too): the notebook's numbers are not graded, the grader retrains with
its own budget. nbgrader re-runs that training for every submission, so the suite has it
grade only the examples marked ``nbgrader=True``; the pytest runner grades them all.
"""
from example_submissions import Example

NB = "3_image_to_image"
SHAPES, LAYERS, SEG = "nb3_encoder_decoder_shapes", "nb3_encoder_decoder_layers", "nb3_segmentation_choice"
IOU, PSNR, SRACT, WORST = "nb3_mean_iou", "nb3_psnr", "nb3_superres_activation", "nb3_worst_case_loss"
BICUBIC, TSEG, TSR = "nb3_bicubic", "nb3_trained_segmentation", "nb3_trained_superres"
ED = "build_encoder_decoder_solution"


QUICK = (("SEG_FILTERS, SEG_EPOCHS, SEG_BATCH, SEG_LR = (32, 64, 128), 4, 16, 3e-3",
          "SEG_FILTERS, SEG_EPOCHS, SEG_BATCH, SEG_LR = (32, 64, 128), 1, 16, 3e-3"),
         ("SR_FILTERS, SR_EPOCHS, SR_BATCH, SR_LR = (32, 64), 3, 16, 2e-3",
          "SR_FILTERS, SR_EPOCHS, SR_BATCH, SR_LR = (32, 64), 1, 16, 2e-3"))
BY_NBGRADER = {"nb3_pooling_down", "nb3_mse_segmentation", "nb3_worst_numpy"}


def mistake(name, cell, edits, fails, why=""):
    return Example(name=name, notebook=NB, cell=cell, edits=tuple(edits), fails=frozenset(fails), why=why,
                   notebook_edits=QUICK, nbgrader=name in BY_NBGRADER)


EXAMPLES = [
    mistake("nb3_pooling_down", ED,
            [('h = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)',
              'h = layers.Conv2D(f, 3, padding="same", activation="relu")(h)\n        h = layers.MaxPooling2D()(h)')],
            {LAYERS}, "pooling for downsampling"),
    mistake("nb3_upsampling_up", ED,
            [('h = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(h)',
              'h = layers.UpSampling2D()(h)\n        h = layers.Conv2D(f, 3, padding="same", activation="relu")(h)')],
            {LAYERS}, "UpSampling2D instead of a transposed convolution"),
    mistake("nb3_valid_padding_up", ED,
            [('Conv2DTranspose(f, 3, strides=2, padding="same"', 'Conv2DTranspose(f, 3, strides=2, padding="valid"')],
            {SHAPES, TSEG, TSR}, "an output of the wrong size"),
    mistake("nb3_sigmoid_segmentation", "segmentation_choice_solution",
            [('SEGMENTATION_ACTIVATION = "softmax"', 'SEGMENTATION_ACTIVATION = "sigmoid"')],
            {SEG}, "a sigmoid head for segmentation"),
    mistake("nb3_mse_segmentation", "segmentation_choice_solution",
            [('SEGMENTATION_LOSS = "sparse_categorical_crossentropy"', 'SEGMENTATION_LOSS = "mse"')],
            {SEG, TSEG}, "MSE for segmentation"),
    mistake("nb3_onehot_loss", "segmentation_choice_solution",
            [('SEGMENTATION_LOSS = "sparse_categorical_crossentropy"', 'SEGMENTATION_LOSS = "categorical_crossentropy"')],
            {SEG, TSEG}, "categorical (one-hot) cross-entropy with integer masks"),
    mistake("nb3_no_activation_segmentation", "segmentation_choice_solution",
            [('SEGMENTATION_ACTIVATION = "softmax"', "SEGMENTATION_ACTIVATION = None")],
            {SEG, TSEG}, "no activation for segmentation: the loss gets scores, not probabilities"),
    mistake("nb3_linear_superres", "superres_solution",
            [('SUPERRES_ACTIVATION = "sigmoid"', "SUPERRES_ACTIVATION = None")],
            {SRACT}, "a linear super-resolution head (negative intensities possible)"),
    mistake("nb3_tanh_superres", "superres_solution",
            [('SUPERRES_ACTIVATION = "sigmoid"', 'SUPERRES_ACTIVATION = "tanh"')],
            {SRACT}, "a tanh super-resolution head"),
    mistake("nb3_worst_is_mean", "superres_solution",
            [("worst = tf.math.top_k(tf.reshape(err, (-1, n)), k=math.ceil(q * n)).values", "worst = err")],
            {WORST}, "a worst-case loss that is really the mean"),
    mistake("nb3_worst_over_batch", "superres_solution",
            [("worst = tf.math.top_k(tf.reshape(err, (-1, n)), k=math.ceil(q * n)).values",
              "worst = tf.math.top_k(tf.reshape(err, (-1,)), k=math.ceil(q * n) * err.shape[0]).values")],
            {WORST}, "the worst errors of the batch, not of each image"),
    mistake("nb3_worst_numpy", "superres_solution",
            [("worst = tf.math.top_k(tf.reshape(err, (-1, n)), k=math.ceil(q * n)).values",
              "worst = np.sort(np.asarray(err).reshape(-1, n), axis=1)[:, -math.ceil(q * n):]")],
            {WORST, TSR}, "a worst-case loss computed in NumPy: not differentiable"),
    mistake("nb3_psnr_natural_log", "metrics_solution",
            [("return 10.0 * np.log10(max_val ** 2 / mse)", "return 10.0 * np.log(max_val ** 2 / mse)")],
            {PSNR}, "PSNR with the natural logarithm"),
    mistake("nb3_psnr_max_val_ignored", "metrics_solution",
            [("return 10.0 * np.log10(max_val ** 2 / mse)", "return 10.0 * np.log10(1.0 / mse)")],
            {PSNR}, "PSNR with the wrong max_val"),
    mistake("nb3_iou_over_pixels", "metrics_solution",
            [("return float(np.mean(inter[present] / union[present]))", "return float(np.mean(t == p))")],
            {IOU}, "IoU averaged over pixels instead of classes"),
    mistake("nb3_bicubic_not_clipped", "superres_solution",
            [('return tf.clip_by_value(tf.image.resize(images, size, method="bicubic"), 0.0, 1.0)',
              'return tf.image.resize(images, size, method="bicubic")')],
            {BICUBIC}, "bicubic overshoot not clipped"),
    mistake("nb3_ok_loss_object", "segmentation_choice_solution",
            [('SEGMENTATION_LOSS = "sparse_categorical_crossentropy"',
              "SEGMENTATION_LOSS = keras.losses.SparseCategoricalCrossentropy()"),
             ('SEGMENTATION_ACTIVATION = "softmax"', 'SEGMENTATION_ACTIVATION = keras.activations.softmax')],
            set(), "a loss object and an activation function instead of strings"),
    mistake("nb3_ok_relu_superres", "superres_solution",
            [('SUPERRES_ACTIVATION = "sigmoid"', 'SUPERRES_ACTIVATION = "relu"')],
            set(), "relu is a non-negative head too (the issue accepts relu, sigmoid and softplus)"),
]

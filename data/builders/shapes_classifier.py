"""Synthetic shape classification with known object locations, and a fixed convnet trained on it.

Writes two files (notebook 4, "visualizing what a convnet learns"):

``shapes_classification.npz``
    One filled shape per 48x48 RGB image (circle, square, triangle, cross; random size
    12-20 px, rotation and colour) at a random place on a cluttered background:
    flat-coloured irregular blobs and 3-7 thin random line segments drawn under the
    object. Keys:

    - ``x_train`` (4000, 48, 48, 3), ``x_test`` (1000, 48, 48, 3): **uint8** (to keep the
      file small); use ``x.astype("float32") / 255`` to get the model's input in [0, 1].
    - ``y_train``, ``y_test``: int64 class index into ``class_names``.
    - ``box_train``, ``box_test``: int64 (n, 4) ``(row0, col0, row1, col1)``, the tight
      bounding box of the object's pixels with the **slice convention**: ``row1`` and
      ``col1`` are exclusive, so ``image[row0:row1, col0:col1]`` is the box and a pixel
      ``(r, c)`` is inside iff ``row0 <= r < row1 and col0 <= c < col1``.
    - ``class_names``: str array ``["circle", "square", "triangle", "cross"]``.
    - ``test_accuracy``: float64 scalar, accuracy of ``shapes_cnn.keras`` on the test set
      (as computed by this builder, on ``x_test / 255``).

``shapes_cnn.keras``
    A small convnet trained here (seeded): input (48, 48, 3) float in [0, 1];
    conv1 (48x48x32) -> pool1 -> conv2 (24x24x32) -> pool2 -> conv3, conv4, conv5
    (12x12x64 each) -> gap -> logits (Dense(4), **no softmax**: the model outputs logits).
    All convolutions are 3x3 "same" + relu. ``conv5`` is the layer for Grad-CAM.
    Trained 28 epochs (Adam, batch 32, random rotations/flips), about 2 minutes on 2 cores.
"""

import numpy as np

SIZE = 48
CLASS_NAMES = ["circle", "square", "triangle", "cross"]
N_TRAIN, N_TEST = 4000, 1000
SEED = 4
BACKGROUND = (0.3, 0.7)  # blob colours are drawn in this range (lower contrast than the object)
LINE = (0.2, 0.8)  # line colours are drawn in this range


def _blob_background(rng, size):
    """Flat-coloured irregular blobs: 2-3 thresholded smooth random fields over a flat colour.

    The blob borders are smooth random curves (no straight edges or corners by design);
    flat colours keep the compressed file small.
    """
    from skimage.transform import resize

    img = np.empty((size, size, 3))
    img[:] = rng.uniform(0, 1, 3)
    for _ in range(rng.integers(2, 4)):
        cells = rng.integers(3, 6)
        field = resize(rng.uniform(0, 1, (cells, cells)), (size, size), order=3, mode="edge", anti_aliasing=False)
        img[field > np.quantile(field, rng.uniform(0.5, 0.8))] = rng.uniform(0, 1, 3)
    return img


def _polygon_mask(vertices, size):
    from skimage.draw import polygon

    mask = np.zeros((size, size), bool)
    rr, cc = polygon(vertices[:, 0], vertices[:, 1], (size, size))
    mask[rr, cc] = True
    return mask


def _rotate(points, angle, center):
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return points @ rot.T + center


def _shape_mask(rng, label, size):
    """Boolean mask of one shape of class ``label``, entirely inside the image."""
    from skimage.draw import disk

    extent = rng.uniform(12.0, 20.0)  # diameter / side of the bounding square, in pixels
    half = extent / 2
    margin = half * 1.5 + 1  # room for any rotation
    center = rng.uniform(margin, size - margin, 2)
    angle = rng.uniform(0, 2 * np.pi)
    if label == 0:  # circle
        mask = np.zeros((size, size), bool)
        rr, cc = disk(tuple(center), half, shape=(size, size))
        mask[rr, cc] = True
        return mask
    if label == 1:  # square
        pts = np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]], float) * half
    elif label == 2:  # equilateral triangle inscribed in the circle of radius extent/1.7
        r = extent / 1.7
        t = np.array([0, 2, 4]) * np.pi / 3
        pts = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    else:  # cross (plus sign), arms one third of the extent wide
        a, b = half, half / 3
        pts = np.array(
            [
                [-b, -a],
                [-b, -b],
                [-a, -b],
                [-a, b],
                [-b, b],
                [-b, a],
                [b, a],
                [b, b],
                [a, b],
                [a, -b],
                [b, -b],
                [b, -a],
            ],
            float,
        )
    return _polygon_mask(_rotate(pts, angle, center), size)


def _image(rng, label, size=SIZE):
    from skimage.draw import line_aa

    img = _blob_background(rng, size)
    img = BACKGROUND[0] + (BACKGROUND[1] - BACKGROUND[0]) * img  # muted, never black/white
    for _ in range(rng.integers(3, 8)):  # clutter: thin random line segments
        r0, c0, r1, c1 = rng.integers(0, size, 4)
        rr, cc, val = line_aa(r0, c0, r1, c1)
        keep = (rr < size) & (cc < size)
        rr, cc, val = rr[keep], cc[keep], val[keep][:, None]
        img[rr, cc] = (1 - val) * img[rr, cc] + val * rng.uniform(*LINE, 3)
    mask = _shape_mask(rng, label, size)
    background = img[mask].mean(axis=0)
    while True:  # an object colour that stands out from the background under it
        colour = rng.uniform(0, 1, 3)
        if np.abs(colour - background).mean() > 0.3:
            break
    img[mask] = colour
    rows, cols = np.nonzero(mask)
    box = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)  # row1/col1 exclusive
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8), box


def make_dataset(n, rng):
    labels = rng.integers(0, len(CLASS_NAMES), n)
    images, boxes = zip(*(_image(rng, int(k)) for k in labels))
    return np.stack(images), labels.astype(np.int64), np.array(boxes, np.int64)


def make_model():
    import keras
    from keras import layers

    conv = dict(kernel_size=3, padding="same", activation="relu")
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    x = layers.Conv2D(32, name="conv1", **conv)(inputs)  # 48x48
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(32, name="conv2", **conv)(x)  # 24x24
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(64, name="conv3", **conv)(x)  # 12x12
    x = layers.Conv2D(64, name="conv4", **conv)(x)  # 12x12
    x = layers.Conv2D(64, name="conv5", **conv)(x)  # 12x12: the layer for Grad-CAM
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(len(CLASS_NAMES), name="logits")(x)  # logits, no softmax
    return keras.Model(inputs, outputs, name="shapes_cnn")


def dihedral(x, rng):
    """Each image through a random one of the 8 rotations/flips (they keep the class)."""
    out = np.empty_like(x)
    which = rng.integers(0, 8, len(x))
    for k in range(8):
        y = np.rot90(x[which == k], k % 4, axes=(1, 2))
        out[which == k] = y[:, :, ::-1] if k >= 4 else y
    return out


EPOCHS, BATCH, LR = 28, 32, 1e-3


def train(x_train, y_train, seed=SEED):
    """Train make_model() on float images in [0, 1]; about 2 minutes on 2 CPU cores."""
    import time

    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    model = make_model()
    steps = EPOCHS * int(np.ceil(len(x_train) / BATCH))
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        [int(0.7 * steps), int(0.85 * steps)], [LR, LR / 4, LR / 20]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    for epoch in range(EPOCHS):
        hist = model.fit(dihedral(x_train, rng), y_train, batch_size=BATCH, epochs=1, verbose=0)
        print(
            f"shapes_cnn: epoch {epoch + 1}/{EPOCHS} loss {hist.history['loss'][-1]:.4f} "
            f"accuracy {hist.history['accuracy'][-1]:.4f} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    return model


def build(out_dir):
    rng = np.random.default_rng(SEED)
    x_train, y_train, box_train = make_dataset(N_TRAIN, rng)
    x_test, y_test, box_test = make_dataset(N_TEST, rng)

    model = train(x_train.astype("float32") / 255, y_train)
    logits = model.predict(x_test.astype("float32") / 255, verbose=0)
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    print(f"shapes_cnn: test accuracy {accuracy:.4f}")
    if accuracy <= 0.95:
        raise RuntimeError(f"shapes_cnn test accuracy {accuracy:.4f} <= 0.95")
    # Ship the weights in a fresh, uncompiled model: no optimizer state (3x smaller file).
    shipped = make_model()
    shipped.set_weights(model.get_weights())
    shipped.save(out_dir / "shapes_cnn.keras")
    np.savez_compressed(
        out_dir / "shapes_classification.npz",
        x_train=x_train,
        y_train=y_train,
        box_train=box_train,
        x_test=x_test,
        y_test=y_test,
        box_test=box_test,
        class_names=np.array(CLASS_NAMES),
        test_accuracy=np.float64(accuracy),
    )
    return ["shapes_classification.npz", "shapes_cnn.keras"]

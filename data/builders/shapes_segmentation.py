"""Synthetic scenes for semantic segmentation (notebook 3), generated from seeds.

Writes ``segmentation.npz``:

* ``x_train`` / ``x_val`` / ``x_test``: float32 (N, 32, 32, 1) grey images in [0, 1];
* ``y_train`` / ``y_val`` / ``y_test``: uint8 (N, 32, 32) per-pixel class ids;
* ``class_names``: ``["background", "circle", "rectangle", "triangle"]``
  (class id = index; 0 = background).

Each scene has a textured background (a smooth grey-level gradient plus a few
blurred blobs) and one or two shapes: a disk, an axis-aligned rectangle, or a
triangle with a horizontal base and its apex up or down. Each class has a
typical size, varied by +-15% (``SIZE_JITTER``) per side. Shapes are drawn in
a random order and may overlap a little (at most ``MAX_OVERLAP`` of either
shape); the mask holds the class of the top-most shape at each pixel. Each
shape's grey level differs from the mean of the background under it by more
than ``MIN_CONTRAST``. Pixel values are multiples of 1/255 (8-bit images stored
as float32).

Why grey and noise-free: the file has to stay small, and a noisy or colour
scene compresses 2-5 times worse, so for the same bytes the training set
would be 2-5 times smaller; with fewer scenes the model of notebook 3
memorises them instead of learning the shapes.

The three splits are drawn from separate seeded generators (train, val and
test seeds differ), so the same call always writes the same bytes.
"""

import numpy as np

SIZE = 32
CHANNELS = 1
SPLITS = {"train": (5000, 1001), "val": (500, 2002), "test": (500, 3003)}
CLASS_NAMES = ["background", "circle", "rectangle", "triangle"]
NOISE_STD = 0.0  # per-pixel Gaussian noise (0: none, see the docstring)
BLOB_AMP = 0.2
MIN_CONTRAST = 0.35
# Typical shape sizes in pixels for a 32 x 32 scene, each scaled by 1 +- SIZE_JITTER.
CIRCLE_RADIUS = 8.5
SQUARE_SIDE = 15.0
TRIANGLE_HEIGHT = 17.0
TRIANGLE_BASE = 19.5
SIZE_JITTER = 0.15
MIN_SHAPES = 1
MAX_SHAPES = 2
MAX_OVERLAP = 0.2  # at most this fraction of a shape (new or already drawn) may be covered
MAX_TRIES = 20


def _background(rng, size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1)
    c0, c1 = rng.uniform(0.15, 0.85, size=(2, CHANNELS)).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) / 1.42 + 0.5
    img = c0 + (c1 - c0) * t[..., None]
    # A few soft blobs give the background some texture the model must ignore.
    for _ in range(rng.integers(2, 5)):
        cy, cx = rng.uniform(0, 1, size=2)
        sigma = rng.uniform(0.08, 0.25)
        amp = rng.uniform(-BLOB_AMP, BLOB_AMP, size=CHANNELS).astype(np.float32)
        g = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
        img = img + amp * g[..., None]
    return np.clip(img, 0.0, 1.0)


def _shape_mask(rng, cls, size):
    from skimage.draw import disk, polygon

    mask = np.zeros((size, size), dtype=bool)
    cy, cx = rng.uniform(size / 4, 3 * size / 4, size=2)
    k = size / 32  # the sizes below are for 32 x 32 scenes

    def jitter():
        return k * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER)

    if cls == 1:  # circle
        rr, cc = disk((cy, cx), CIRCLE_RADIUS * jitter(), shape=mask.shape)
    elif cls == 2:  # rectangle, axis-aligned
        h, w = SQUARE_SIDE * jitter() / 2, SQUARE_SIDE * jitter() / 2
        rr, cc = polygon([cy - h, cy - h, cy + h, cy + h], [cx - w, cx + w, cx + w, cx - w], shape=mask.shape)
    else:  # triangle with a horizontal base, apex up or down
        h, w = TRIANGLE_HEIGHT * jitter() / 2, TRIANGLE_BASE * jitter() / 2
        sign = rng.choice([-1, 1])
        rr, cc = polygon([cy - sign * h, cy + sign * h, cy + sign * h], [cx, cx - w, cx + w], shape=mask.shape)
    mask[rr, cc] = True
    return mask


def _scene(rng, size):
    img = _background(rng, size)
    labels = np.zeros((size, size), dtype=np.uint8)
    drawn = []  # boolean masks of the shapes already drawn
    for cls in rng.integers(1, 4, size=rng.integers(MIN_SHAPES, MAX_SHAPES + 1)):
        for _ in range(MAX_TRIES):  # keep occlusion small so each shape stays recognisable
            mask = _shape_mask(rng, int(cls), size)
            if all((mask & m).sum() <= MAX_OVERLAP * min(mask.sum(), m.sum()) for m in drawn):
                break
        drawn.append(mask)
        under = img[mask].mean(axis=0)
        while True:  # a grey level (colour) that stands out from the background under the shape
            colour = rng.uniform(0, 1, size=CHANNELS).astype(np.float32)
            if np.abs(colour - under).max() > MIN_CONTRAST:
                break
        img[mask] = colour
        labels[mask] = cls
    if NOISE_STD:
        img = img + rng.normal(0, NOISE_STD, size=img.shape).astype(np.float32)
    img = np.round(np.clip(img, 0.0, 1.0) * 255) / 255
    return img.astype(np.float32), labels


def make_split(n, seed, size=SIZE):
    rng = np.random.default_rng(seed)
    xs, ys = zip(*(_scene(rng, size) for _ in range(n)))
    return np.stack(xs), np.stack(ys)


def build(out_dir):
    arrays = {}
    for split, (n, seed) in SPLITS.items():
        arrays[f"x_{split}"], arrays[f"y_{split}"] = make_split(n, seed)
    arrays["class_names"] = np.array(CLASS_NAMES)
    np.savez_compressed(out_dir / "segmentation.npz", **arrays)
    return ["segmentation.npz"]

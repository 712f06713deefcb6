"""Patches of real photographs for 2x super-resolution (notebook 3).

Writes ``superres.npz``:

* ``hr_train`` / ``hr_test``: float32 (N, 32, 32, 3) in [0, 1], high-resolution
  crops of 8-bit photographs (values are multiples of 1/255);
* ``lr_train`` / ``lr_test``: float32 (N, 16, 16, 3), the same crops downsampled
  by 2 with 2x2 area averaging: each low-res pixel is the mean of the 2x2 block
  of high-res pixels it covers (no blur, no anti-alias filter beyond that box);
* ``train_sources`` / ``test_sources``: str (N,), the photograph each patch was
  cut from.

The photographs ship inside the installed packages (nothing is downloaded):
scikit-image's ``astronaut``, ``rocket``, ``immunohistochemistry`` and
``stereo_motorcycle`` (left view) and scikit-learn's ``china.jpg`` and
``flower.jpg`` give the training patches; scikit-image's ``chelsea`` (the cat)
and ``coffee`` give the test patches, so no test patch comes from a photograph
that any training patch comes from.

Crops are drawn at random positions from a seeded generator, and crops with
little detail are skipped (mean absolute difference between neighbouring
pixels below ``MIN_DETAIL``): a patch of blue sky has nothing for
super-resolution to recover, and bicubic interpolation is already near perfect
on it. The same call always
writes the same bytes.
"""

import numpy as np

from . import data_source

HR = 32
SCALE = 2
MIN_DETAIL = 0.04
TRAIN_PHOTOS = {
    "astronaut": 150,
    "rocket": 150,
    "immunohistochemistry": 150,
    "motorcycle": 150,
    "china": 150,
    "flower": 150,
}
TEST_PHOTOS = {"chelsea": 100, "coffee": 100}
SEEDS = {"train": 4004, "test": 5005}


def load_photo(name):
    """The named photograph as float32 (H, W, 3) in [0, 1]."""
    from skimage import data

    if name in ("china", "flower"):
        img = data_source("sklearn.datasets").load_sample_image(f"{name}.jpg")
    elif name == "motorcycle":
        img = data.stereo_motorcycle()[0]
    else:
        img = getattr(data, name)()
    return img[..., :3].astype(np.float32) / 255


def downsample(hr, scale=SCALE):
    """Area-average ``scale x scale`` blocks: (N, H, W, C) -> (N, H/scale, W/scale, C)."""
    n, h, w, c = hr.shape
    return hr.reshape(n, h // scale, scale, w // scale, scale, c).mean(axis=(2, 4), dtype=np.float64).astype(np.float32)


def detail(patch):
    """Mean absolute difference between vertically and horizontally adjacent pixels."""
    return np.abs(np.diff(patch, axis=0)).mean() + np.abs(np.diff(patch, axis=1)).mean()


def cut_patches(photo, count, rng, size=HR, min_detail=MIN_DETAIL):
    h, w, _ = photo.shape
    out = []
    while len(out) < count:
        y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        patch = photo[y : y + size, x : x + size]
        if detail(patch) >= min_detail:
            out.append(patch)
    return np.stack(out)


def make_split(photos, seed):
    rng = np.random.default_rng(seed)
    hr = np.concatenate([cut_patches(load_photo(name), n, rng) for name, n in photos.items()])
    sources = np.array([name for name, n in photos.items() for _ in range(n)])
    return hr, downsample(hr), sources


def build(out_dir):
    arrays = {}
    for split, photos in (("train", TRAIN_PHOTOS), ("test", TEST_PHOTOS)):
        hr, lr, sources = make_split(photos, SEEDS[split])
        arrays[f"hr_{split}"], arrays[f"lr_{split}"], arrays[f"{split}_sources"] = hr, lr, sources
    np.savez_compressed(out_dir / "superres.npz", **arrays)
    return ["superres.npz"]

"""The shipped data: checksums hold, every file is linked into the release, and the
cheap builders reproduce the committed arrays from the packages that ship them."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from autograder.paths import REPO
from data import build as data_build

DATA = REPO / "data"

# Builders that train a model are checked by their own tests; these rebuild in seconds.
REPRODUCIBLE = ["digits", "shapes_segmentation", "superres_patches"]


def test_checksums_and_links():
    assert data_build.check() == []


def test_every_shipped_file_is_in_the_release():
    from autograder.paths import RELEASE_DIR

    for name in data_build.read_sums():
        assert (RELEASE_DIR / "data" / name).is_file(), f"data/{name} is not in release/convnets/data/"
        assert data_build.sha256(RELEASE_DIR / "data" / name) == data_build.read_sums()[name]


@pytest.mark.slow
@pytest.mark.parametrize("builder", [b for b in REPRODUCIBLE if (DATA / "builders" / f"{b}.py").exists()])
def test_builder_reproduces_the_committed_arrays(builder, tmp_path):
    module = importlib.import_module(f"data.builders.{builder}")
    for filename in module.build(tmp_path):
        with (
            np.load(tmp_path / filename, allow_pickle=False) as new,
            np.load(DATA / filename, allow_pickle=False) as old,
        ):
            assert sorted(new.files) == sorted(old.files)
            for key in new.files:
                assert new[key].shape == old[key].shape and new[key].dtype == old[key].dtype, key
                if new[key].dtype.kind == "f":
                    np.testing.assert_allclose(new[key], old[key], rtol=1e-6, atol=1e-7, err_msg=key)
                else:
                    np.testing.assert_array_equal(new[key], old[key], err_msg=key)

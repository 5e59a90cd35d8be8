"""pixelwise.sample and pixelwise.crop against numpy indexing, scipy and the CLI."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

import pixelwise

from conftest import CHANNELS, DTYPES, SHAPES, random_image, seed_of


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_nearest_integer_points_equal_fancy_indexing(dtype, channels, shape):
    rng = np.random.default_rng(seed_of(dtype, channels, shape))
    image = random_image(rng, dtype, *shape, channels)
    n = 300
    x = rng.integers(0, shape[1], n)
    y = rng.integers(0, shape[0], n)
    ours = pixelwise.sample(image, np.stack([x, y], axis=1))
    assert ours.dtype == image.dtype
    assert ours.shape == ((n,) if channels == 1 else (n, channels))
    assert np.array_equal(ours, image[y, x])


@pytest.mark.parametrize("points_dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                          np.uint64, np.float32, np.float64])
def test_every_points_dtype(points_dtype):
    image = np.arange(200, dtype=np.uint8).reshape(10, 20)
    points = np.array([[0, 0], [19, 9], [3, 4]], dtype=points_dtype)
    assert pixelwise.sample(image, points).tolist() == [0, 199, 83]


def test_fractional_points_round_half_up():
    image = np.arange(30, dtype=np.float64).reshape(5, 6)
    points = np.array([[0.5, 0.0], [0.49, 0.5], [2.5, 3.5], [4.6, 1.4]])
    expected = image[np.floor(points[:, 1] + 0.5).astype(int), np.floor(points[:, 0] + 0.5).astype(int)]
    assert np.array_equal(pixelwise.sample(image, points), expected)


def test_image_with_one_trailing_channel_gives_n_values():
    image = np.arange(12, dtype=np.uint16).reshape(3, 4, 1)
    assert pixelwise.sample(image, [[1, 1], [3, 2]]).tolist() == [5, 11]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (31, 23)])
def test_bilinear_equals_scipy_map_coordinates(dtype, channels, shape):
    rng = np.random.default_rng(seed_of(dtype, channels, shape, "bilinear"))
    image = random_image(rng, dtype, *shape, channels, squeeze=False)
    n = 200
    x = rng.uniform(0, shape[1] - 1, n)
    y = rng.uniform(0, shape[0] - 1, n)
    x[:4] = [0, shape[1] - 1, 0, shape[1] - 1]
    y[:4] = [0, 0, shape[0] - 1, shape[0] - 1]
    ours = pixelwise.sample(image, np.stack([x, y], axis=1), interpolation="bilinear")
    expected = np.stack([map_coordinates(image[..., c].astype(np.float64), [y, x], order=1)
                         for c in range(channels)], axis=1)
    assert ours.dtype == np.float64
    assert ours.shape == ((n,) if channels == 1 else (n, channels))
    tolerance = 1e-9 * max(1.0, float(np.abs(expected).max()))
    assert np.abs(ours.reshape(n, channels) - expected).max() <= tolerance


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_point_outside_raises_value_error_naming_its_index(interpolation):
    image = np.zeros((10, 10), np.uint8)
    for bad in ([10, 3], [-1, 0], [3, 10], [np.nan, 1], [np.inf, 1]):
        points = np.array([[1, 1], [2, 2], bad], dtype=np.float64)
        with pytest.raises(ValueError, match=r"^points\[2\]: ") as info:
            pixelwise.sample(image, points, interpolation=interpolation)
        assert isinstance(info.value, pixelwise.Error)


def test_sample_argument_errors():
    image = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="interpolation"):
        pixelwise.sample(image, [[0, 0]], interpolation="cubic")
    with pytest.raises(ValueError, match="points"):
        pixelwise.sample(image, [[0, 0, 0]])
    with pytest.raises(ValueError, match="points"):
        pixelwise.sample(image, [0, 0])
    with pytest.raises(TypeError, match="points"):
        pixelwise.sample(image, np.array([[0, 0]], dtype=complex))
    with pytest.raises(TypeError, match="points"):
        pixelwise.sample(image, [["a", "b"]])
    assert pixelwise.sample(image, np.empty((0, 2))).shape == (0,)


def test_points_views_and_fortran_points():
    rng = np.random.default_rng(5)
    image = random_image(rng, np.uint8, 50, 60, 3)
    points = np.asfortranarray(np.stack([rng.integers(0, 60, 99), rng.integers(0, 50, 99)], axis=1))
    assert np.array_equal(pixelwise.sample(image, points), image[points[:, 1], points[:, 0]])
    both = np.stack([points, points], axis=2)[:, :, 0]          # a strided view
    assert np.array_equal(pixelwise.sample(image, both), image[points[:, 1], points[:, 0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
def test_crop_equals_slicing(dtype, channels):
    rng = np.random.default_rng(seed_of(dtype, channels, "crop"))
    image = random_image(rng, dtype, 30, 40, channels)
    for x, y, w, h in [(0, 0, 40, 30), (7, 3, 20, 11), (39, 29, 1, 1), (0, 5, 40, 1), (5, 0, 1, 30)]:
        out = pixelwise.crop(image, x, y, w, h)
        assert out.dtype == image.dtype and out.flags.c_contiguous and out.flags.owndata
        assert np.array_equal(out, image[y:y + h, x:x + w])
    view = image[3:25, 4:33]
    assert np.array_equal(pixelwise.crop(view, 2, 3, 10, 5), view[3:8, 2:12])


@pytest.mark.parametrize("region", [(0, 0, 41, 30), (0, 0, 40, 31), (-1, 0, 5, 5), (0, -1, 5, 5), (40, 0, 1, 1),
                                    (0, 0, 0, 5), (0, 0, 5, 0)])
def test_crop_outside_raises_value_error(region):
    image = np.zeros((30, 40), np.uint8)
    with pytest.raises(ValueError) as info:
        pixelwise.crop(image, *region)
    assert isinstance(info.value, pixelwise.Error)
    assert any(name in str(info.value) for name in ("x", "y", "width", "height", "region"))


def test_crop_argument_types():
    with pytest.raises(TypeError, match="width"):
        pixelwise.crop(np.zeros((4, 4)), 0, 0, 2.5, 2)


# ---- the CLI on the same data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_sample_equals_the_cli(tmp_path, run, dtype, channels, interpolation):
    rng = np.random.default_rng(seed_of(dtype, channels, interpolation, "cli"))
    image = random_image(rng, dtype, 33, 47, channels)
    points = np.stack([rng.uniform(0, 46, 150), rng.uniform(0, 32, 150)], axis=1)
    np.save(tmp_path / "img.npy", image)
    np.save(tmp_path / "pts.npy", points)
    run("sample", tmp_path / "img.npy", "--points", tmp_path / "pts.npy", "--interpolation", interpolation,
        "-o", tmp_path / "out.npy")
    cli = np.load(tmp_path / "out.npy")
    ours = pixelwise.sample(image, points, interpolation=interpolation)
    assert ours.dtype == cli.dtype
    assert np.array_equal(ours.reshape(cli.shape), cli)


def test_crop_equals_the_cli(tmp_path, run):
    rng = np.random.default_rng(11)
    image = random_image(rng, np.uint16, 50, 60, 4)
    np.save(tmp_path / "img.npy", image)
    run("crop", tmp_path / "img.npy", "--region", "7,3,20,11", "-o", tmp_path / "crop.npy")
    assert np.array_equal(pixelwise.crop(image, 7, 3, 20, 11), np.load(tmp_path / "crop.npy"))

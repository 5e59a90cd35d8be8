"""`pixelwise sample` and `crop` against numpy and scipy on the same files: the issue's parity criteria."""
import numpy as np
import pytest
from scipy.ndimage import map_coordinates

DTYPES = [np.uint8, np.uint16, np.float32]
CHANNELS = [1, 3, 4]


def random_image(rng, dtype, height, width, channels):
    shape = (height, width) if channels == 1 else (height, width, channels)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True, dtype=dtype)
    return (rng.standard_normal(shape) * 1000).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("size", [(1, 1), (1, 17), (13, 1), (37, 53)])
def test_nearest_equals_numpy_fancy_indexing(tmp_path, run, dtype, channels, size):
    rng = np.random.default_rng(hash((np.dtype(dtype).str, channels, size)) % 2**32)
    image = random_image(rng, dtype, size[0], size[1], channels)
    n = 500
    x = rng.integers(0, size[1], n)
    y = rng.integers(0, size[0], n)
    np.save(tmp_path / "img.npy", image)
    np.save(tmp_path / "pts.npy", np.stack([x, y], axis=1))
    run("sample", tmp_path / "img.npy", "--points", tmp_path / "pts.npy", "-o", tmp_path / "out.npy")
    ours = np.load(tmp_path / "out.npy")
    expected = image[y, x].reshape(n, channels)
    assert ours.dtype == image.dtype
    assert ours.shape == (n, channels)
    assert np.array_equal(ours, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
def test_bilinear_equals_scipy_map_coordinates(tmp_path, run, dtype, channels):
    rng = np.random.default_rng(7 + channels)
    image = random_image(rng, dtype, 41, 29, channels)
    n = 400
    x = rng.uniform(0, 28, n)
    y = rng.uniform(0, 40, n)
    x[:4] = [0, 28, 0, 28]  # the corners, where the right/bottom neighbour is outside
    y[:4] = [0, 0, 40, 40]
    np.save(tmp_path / "img.npy", image)
    np.save(tmp_path / "pts.npy", np.stack([x, y], axis=1))
    run("sample", tmp_path / "img.npy", "--points", tmp_path / "pts.npy", "--interpolation", "bilinear",
        "-o", tmp_path / "out.npy")
    ours = np.load(tmp_path / "out.npy")
    planes = image[..., None] if channels == 1 else image
    expected = np.stack([map_coordinates(planes[..., c].astype(np.float64), [y, x], order=1)
                         for c in range(channels)], axis=1)
    assert ours.dtype == np.float64
    assert np.abs(ours - expected).max() <= 1e-9 * max(1.0, np.abs(expected).max())


def test_csv_points_in_and_csv_out(tmp_path, run):
    rng = np.random.default_rng(3)
    image = random_image(rng, np.uint8, 20, 30, 3)
    np.save(tmp_path / "img.npy", image)
    (tmp_path / "pts.csv").write_text("x,y\n0,0\n29,19\n5,7\n")
    out = run("sample", tmp_path / "img.npy", "--points", tmp_path / "pts.csv").stdout.strip().split("\n")
    assert out[0] == "x,y,c0,c1,c2"
    rows = [list(map(int, line.split(","))) for line in out[1:]]
    for (x, y, *values) in rows:
        assert values == list(image[y, x])


def test_crop_equals_slicing(tmp_path, run):
    rng = np.random.default_rng(4)
    image = random_image(rng, np.float32, 50, 60, 3)
    np.save(tmp_path / "img.npy", image)
    run("crop", tmp_path / "img.npy", "--region", "7,3,20,11", "-o", tmp_path / "crop.npy")
    assert np.array_equal(np.load(tmp_path / "crop.npy"), image[3:14, 7:27])


def test_point_outside_is_named(tmp_path, run):
    np.save(tmp_path / "img.npy", np.zeros((10, 10), np.uint8))
    np.save(tmp_path / "pts.npy", np.array([[1, 1], [2, 2], [10, 3]]))
    result = run("sample", tmp_path / "img.npy", "--points", tmp_path / "pts.npy", "-o", tmp_path / "o.npy", ok=False)
    assert result.returncode != 0
    assert "point 3" in result.stderr and "outside" in result.stderr
    assert len(result.stderr.strip().split("\n")) == 1
    assert not (tmp_path / "o.npy").exists()

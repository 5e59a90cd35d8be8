"""`pixelwise hotpixels fix` against a numpy/scipy formulation of the same repair on the same files.

The reference is normalised convolution: with `good` = 1 where a sample is not listed (0 where it is, and
0 outside the image through mode="constant"), each listed sample becomes
conv(image * good, K) / conv(good, K) for the 3×3 kernel K = [[1/√2, 1, 1/√2], [1, 0, 1], [1/√2, 1, 1/√2]]
(on a Bayer mosaic, the 5×5 same-colour kernels), rounded half away from zero for integer images.
"""
import json

import numpy as np
import pytest
from scipy.ndimage import convolve

W = 1 / np.sqrt(2)
PIXEL_KERNEL = np.array([[W, 1, W], [1, 0, 1], [W, 1, W]])
RED_BLUE_KERNEL = np.zeros((5, 5))
RED_BLUE_KERNEL[[0, 0, 4, 4], [0, 4, 0, 4]] = W
RED_BLUE_KERNEL[[0, 2, 2, 4], [2, 0, 4, 2]] = 1
GREEN_KERNEL = np.zeros((5, 5))
GREEN_KERNEL[[1, 1, 3, 3], [1, 3, 1, 3]] = 1
GREEN_KERNEL[[0, 2, 2, 4], [2, 0, 4, 2]] = W


def reference(image, sites, cfa=None):
    """Every colour channel of each listed pixel repaired; alpha (last of 2 or 4 channels) kept."""
    planes = image[:, :, None] if image.ndim == 2 else image
    channels = planes.shape[2]
    colour = channels - 1 if channels in (2, 4) else channels
    listed = np.zeros(planes.shape[:2], bool)
    for x, y in sites:
        listed[y, x] = True
    good = (~listed).astype(np.float64)
    out = planes.copy()
    means = np.zeros(planes.shape, np.float64)
    for c in range(colour):
        value = planes[:, :, c].astype(np.float64)
        if cfa is None:
            num = convolve(value * good, PIXEL_KERNEL, mode="constant")
            den = convolve(good, PIXEL_KERNEL, mode="constant")
        else:
            green_on_even = cfa in ("GRBG", "GBRG")
            yy, xx = np.indices(value.shape)
            is_green = ((xx + yy) % 2 == 0) == green_on_even
            num = np.where(is_green, convolve(value * good, GREEN_KERNEL, mode="constant"),
                           convolve(value * good, RED_BLUE_KERNEL, mode="constant"))
            den = np.where(is_green, convolve(good, GREEN_KERNEL, mode="constant"),
                           convolve(good, RED_BLUE_KERNEL, mode="constant"))
        repair = listed & (den > 0)
        mean = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        means[:, :, c] = mean
        if np.issubdtype(image.dtype, np.integer):
            info = np.iinfo(image.dtype)
            rounded = np.clip(np.floor(mean + 0.5), info.min, info.max)
            out[:, :, c] = np.where(repair, rounded, planes[:, :, c]).astype(image.dtype)
        else:
            out[:, :, c] = np.where(repair, mean, planes[:, :, c]).astype(image.dtype)
    out = out[:, :, 0] if image.ndim == 2 else out
    return out, means


def assert_matches(ours, expected, means, dtype):
    if np.issubdtype(dtype, np.integer):
        diff = np.abs(ours.astype(np.int64) - expected.astype(np.int64))
        m = means if ours.ndim == 3 else means[:, :, 0]
        near_tie = np.abs(m - np.floor(m) - 0.5) < 1e-9
        assert np.all((diff == 0) | ((diff <= 1) & near_tie))
    else:
        assert np.allclose(ours, expected, rtol=1e-6, atol=1e-6)


def random_image(rng, dtype, height, width, channels):
    shape = (height, width) if channels == 1 else (height, width, channels)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True, dtype=dtype)
    return (rng.standard_normal(shape) * 1000).astype(dtype)


def random_sites(rng, height, width, count):
    sites = {(0, 0), (width - 1, height - 1), (width - 1, 0), (0, height - 1)}
    for _ in range(count):
        x, y = int(rng.integers(width)), int(rng.integers(height))
        sites.add((x, y))
        if rng.random() < 0.4 and x + 1 < width:
            sites.add((x + 1, y))  # pairs
    return sorted(sites)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [(1, 1), (1, 17), (13, 1), (37, 53)])
def test_fix_equals_normalised_convolution(tmp_path, run, dtype, channels, size):
    rng = np.random.default_rng(abs(hash((np.dtype(dtype).str, channels, size))) % 2**32)
    image = random_image(rng, dtype, size[0], size[1], channels)
    sites = random_sites(rng, size[0], size[1], max(1, size[0] * size[1] // 8))
    np.save(tmp_path / "img.npy", image)
    (tmp_path / "map.json").write_text(json.dumps({"candidates": [
        {"x": x, "y": y, "channel": 0, "kind": "hot", "score": 1} for x, y in sites]}))
    run("hotpixels", "fix", tmp_path / "img.npy", "--map", tmp_path / "map.json", "-o", tmp_path / "out.npy")
    ours = np.load(tmp_path / "out.npy")
    expected, means = reference(image, sites)
    assert ours.dtype == image.dtype and ours.shape == image.shape
    assert_matches(ours, expected, means, dtype)
    if channels in (2, 4):
        assert np.array_equal(ours[:, :, -1], image[:, :, -1])


@pytest.mark.parametrize("cfa", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_cfa_fix_equals_same_colour_convolution(tmp_path, run, cfa):
    rng = np.random.default_rng(len(cfa) + ord(cfa[0]) * 7 + ord(cfa[1]))
    image = random_image(rng, np.uint16, 40, 57, 1)
    sites = random_sites(rng, 40, 57, 120)
    np.save(tmp_path / "raw.npy", image)
    (tmp_path / "dead.txt").write_text("".join(f"{x} {y} 0\n" for x, y in sites))
    run("hotpixels", "fix", tmp_path / "raw.npy", "--cfa", cfa, "--map", tmp_path / "dead.txt",
        "-o", tmp_path / "out.npy")
    ours = np.load(tmp_path / "out.npy")
    expected, means = reference(image, sites, cfa=cfa)
    assert_matches(ours, expected, means, np.uint16)


def test_seed_edge_case_corner(tmp_path, run):
    """The seed stopped at the first neighbour outside the image; a corner uses all three in-bounds ones."""
    image = np.array([[255, 10, 99], [20, 30, 99], [99, 99, 99]], np.uint8)
    np.save(tmp_path / "c.npy", image)
    run("hotpixels", "fix", tmp_path / "c.npy", "--pixel", "0,0", "-o", tmp_path / "o.npy")
    assert np.load(tmp_path / "o.npy")[0, 0] == round((10 + 20 + 30 * W) / (2 + W))  # 19; the seed gives 20

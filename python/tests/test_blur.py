"""pixelwise.blur and distance_transform against brute-force numpy/scipy references and the CLI."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

import pixelwise

from conftest import CHANNELS, DTYPES, SHAPES, random_image, seed_of


def box_reference(image: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """The exact clipped window mean: weight 1 within Chebyshev distance n, f on the ring n+1 (r = n + f)."""
    planes = image.astype(np.float64)
    if planes.ndim == 2:
        planes = planes[..., None]
    height, width, _ = planes.shape
    out = np.empty_like(planes)
    for y in range(height):
        for x in range(width):
            r = float(radii[y, x])
            n = int(np.floor(r))
            f = r - n
            reach = n + 1 if f > 0 else n
            y0, y1, x0, x1 = max(0, y - reach), min(height, y + reach + 1), max(0, x - reach), min(width, x + reach + 1)
            yy, xx = np.mgrid[y0:y1, x0:x1]
            distance = np.maximum(np.abs(yy - y), np.abs(xx - x))
            weight = np.where(distance <= n, 1.0, f)
            out[y, x] = (planes[y0:y1, x0:x1] * weight[..., None]).sum(axis=(0, 1)) / weight.sum()
    return out.reshape(image.shape)


def gaussian_reference(image: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Per-pixel Gaussian truncated at 4σ (a square window), renormalised inside the image; σ = 0 keeps it."""
    planes = image.astype(np.float64)
    if planes.ndim == 2:
        planes = planes[..., None]
    height, width, _ = planes.shape
    out = planes.copy()
    for y in range(height):
        for x in range(width):
            s = float(sigmas[y, x])
            if s == 0:
                continue
            reach = int(np.ceil(4 * s))
            y0, y1, x0, x1 = max(0, y - reach), min(height, y + reach + 1), max(0, x - reach), min(width, x + reach + 1)
            yy, xx = np.mgrid[y0:y1, x0:x1]
            weight = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * s * s))
            out[y, x] = (planes[y0:y1, x0:x1] * weight[..., None]).sum(axis=(0, 1)) / weight.sum()
    return out.reshape(image.shape)


def assert_close_to(reference: np.ndarray, ours: np.ndarray, dtype, relative: float = 1e-9) -> None:
    dtype = np.dtype(dtype)
    assert ours.dtype == dtype and ours.shape == reference.shape
    if dtype.kind == "u":
        info = np.iinfo(dtype)
        expected = np.clip(np.floor(reference + 0.5), info.min, info.max)
        near_half = np.abs(reference - np.floor(reference) - 0.5) < 1e-6
        assert np.array_equal(ours[~near_half], expected[~near_half].astype(dtype))
        assert np.abs(ours.astype(np.float64) - expected).max(initial=0) <= 1
    else:
        scale = max(1.0, float(np.abs(reference).max()))
        tolerance = max(1e-5 if dtype == np.float32 else 0.0, relative) * scale
        assert np.abs(ours.astype(np.float64) - reference).max() <= tolerance


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_box_radius_equals_the_reference(dtype, channels, shape):
    rng = np.random.default_rng(seed_of(dtype, channels, shape, "box"))
    image = random_image(rng, dtype, *shape, channels)
    for radius in (0, 1, 2.5, 7):
        reference = box_reference(image, np.full(shape, radius))
        assert_close_to(reference, pixelwise.blur(image, radius), dtype)
        assert_close_to(reference, pixelwise.blur(image, radius, dtype="float64"), np.float64)


@pytest.mark.parametrize("map_dtype", [np.uint8, np.uint16, np.float32, np.float64, np.int32, np.int64, bool])
@pytest.mark.parametrize("channels", [1, 3])
def test_box_radius_map_equals_the_reference(map_dtype, channels):
    rng = np.random.default_rng(seed_of(map_dtype, channels, "map"))
    image = random_image(rng, np.uint8, 19, 23, channels)
    if np.dtype(map_dtype).kind == "f":
        radii = rng.uniform(0, 6, (19, 23)).astype(map_dtype)
    else:
        radii = rng.integers(0, 2 if map_dtype is bool else 7, (19, 23)).astype(map_dtype)
    reference = box_reference(image, radii.astype(np.float64))
    assert_close_to(reference, pixelwise.blur(image, radii, dtype="float64"), np.float64)
    assert_close_to(reference, pixelwise.blur(image, radii), np.uint8)
    assert_close_to(reference, pixelwise.blur(image, radii, dtype=np.float32), np.float32)


def test_radius_map_with_trailing_channel_and_views():
    rng = np.random.default_rng(3)
    big = random_image(rng, np.uint16, 40, 50, 3)
    radii = rng.uniform(0, 4, (40, 50))
    image, radius_view = big[5:30, 7:40], radii[5:30, 7:40]
    ours = pixelwise.blur(image, radius_view[..., None])
    assert np.array_equal(ours, pixelwise.blur(np.ascontiguousarray(image), np.ascontiguousarray(radius_view)))


@pytest.mark.parametrize("channels", [1, 3])
def test_gaussian_is_close_to_the_exact_per_pixel_gaussian(channels):
    rng = np.random.default_rng(seed_of(channels, "gaussian"))
    image = random_image(rng, np.uint8, 24, 31, channels).astype(np.float64)
    sigmas = rng.uniform(0, 3, (24, 31))
    sigmas[0, :5] = 0
    ours = pixelwise.blur(image, sigmas, kernel="gaussian")
    reference = gaussian_reference(image, sigmas)
    error = np.abs(ours - reference)
    assert error.mean() < 1.0 and error.max() < 8.0, (error.mean(), error.max())
    zero = sigmas == 0
    assert np.array_equal(ours[zero], image[zero])


@pytest.mark.parametrize("dtype", DTYPES)
def test_distance_mode_equals_the_reference(dtype):
    rng = np.random.default_rng(seed_of(dtype, "distance"))
    image = random_image(rng, dtype, 21, 26, 3)
    mask = np.zeros((21, 26), bool)
    mask[4:7, 5:9] = True
    mask[15, 20] = True
    distance = distance_transform_edt(~mask)
    radii = np.minimum(0.4 * distance, 3.0)
    reference = box_reference(image, radii)
    assert_close_to(reference, pixelwise.blur(image, distance_from=mask, per_pixel=0.4, max_radius=3,
                                              dtype="float64"), np.float64, relative=1e-6)
    unlimited = pixelwise.blur(image, distance_from=mask.astype(np.float32), per_pixel=0.25, dtype="float64")
    assert_close_to(box_reference(image, 0.25 * distance), unlimited, np.float64, relative=1e-6)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (31, 23)])
@pytest.mark.parametrize("mask_dtype", [bool, np.uint8, np.uint16, np.float32, np.float64, np.int32])
def test_distance_transform_equals_scipy(shape, mask_dtype):
    rng = np.random.default_rng(seed_of(shape, mask_dtype, "edt"))
    mask = (rng.random(shape) < 0.1).astype(mask_dtype)
    mask.flat[rng.integers(0, mask.size)] = 1
    ours = pixelwise.distance_transform(mask)
    assert ours.dtype == np.float32 and ours.shape == shape
    assert np.array_equal(ours, distance_transform_edt(mask == 0).astype(np.float32))


def test_distance_transform_of_an_empty_mask_is_refused():
    with pytest.raises(ValueError, match="mask") as info:
        pixelwise.distance_transform(np.zeros((3, 4), bool))
    assert isinstance(info.value, pixelwise.Error)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(9)
    image = random_image(rng, np.float32, 20, 20, 3)
    radii = rng.uniform(0, 3, (20, 20))
    before, radii_before = image.copy(), radii.copy()
    pixelwise.blur(image, radii)
    pixelwise.blur(image, radii, kernel="gaussian", dtype="float64")
    assert np.array_equal(image, before) and np.array_equal(radii, radii_before)


@pytest.mark.parametrize("kwargs,name", [
    (dict(), "radius"),
    (dict(radius=-1), "radius"),
    (dict(radius=float("nan")), "radius"),
    (dict(radius=float("inf")), "radius"),
    (dict(radius=1, distance_from=np.zeros((8, 9))), "distance_from"),
    (dict(distance_from=np.zeros((8, 9))), "per_pixel"),
    (dict(distance_from=np.zeros((8, 9)), per_pixel=-1), "per_pixel"),
    (dict(distance_from=np.zeros((8, 9)), per_pixel=1, max_radius=-1), "max_radius"),
    (dict(distance_from=np.zeros((9, 8)), per_pixel=1), "distance_from"),
    (dict(distance_from=np.zeros((8, 9, 3)), per_pixel=1), "distance_from"),
    (dict(radius=1, per_pixel=1), "per_pixel"),
    (dict(radius=1, max_radius=1), "max_radius"),
    (dict(radius=np.zeros((9, 8))), "radius"),
    (dict(radius=np.zeros((8, 9, 2))), "radius"),
    (dict(radius=np.full((8, 9), np.nan)), "radius"),
    (dict(radius=np.full((8, 9), -1.0)), "radius"),
    (dict(radius=1, kernel="median"), "kernel"),
    (dict(radius=1, dtype="int32"), "dtype"),
    (dict(radius=1, dtype=np.uint16), "dtype"),
])
def test_blur_errors_name_the_argument(kwargs, name):
    image = np.zeros((8, 9), np.uint8)
    with pytest.raises((ValueError, TypeError)) as info:
        pixelwise.blur(image, **kwargs)
    assert isinstance(info.value, pixelwise.Error)
    assert name in str(info.value), str(info.value)


def test_two_threads_blurring_at_once_give_the_sequential_results():
    rng = np.random.default_rng(12)
    images = [random_image(rng, np.uint8, 300, 400, 3) for _ in range(2)]
    radii = [rng.uniform(0, 20, (300, 400)) for _ in range(2)]
    expected = [pixelwise.blur(images[i], radii[i], kernel=k) for i in range(2) for k in ("box", "gaussian")]
    results: dict[int, list] = {}
    barrier = threading.Barrier(2)

    def work(i):
        barrier.wait()
        results[i] = [pixelwise.blur(images[i], radii[i], kernel=k) for _ in range(3) for k in ("box", "gaussian")]

    for threads in (0, 1):
        pixelwise.set_threads(threads)
        try:
            workers = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        finally:
            pixelwise.set_threads(0)
        for i in range(2):
            for j, got in enumerate(results[i]):
                assert np.array_equal(got, expected[2 * i + j % 2])


# ---- the CLI on the same data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["box", "gaussian"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("source", ["uniform", "map", "distance"])
@pytest.mark.parametrize("out", ["same", "float64"])
def test_blur_equals_the_cli(tmp_path, run, kernel, dtype, source, out):
    rng = np.random.default_rng(seed_of(kernel, dtype, source, out, "cli"))
    image = random_image(rng, dtype, 37, 45, 3)
    np.save(tmp_path / "img.npy", image)
    args = ["blur", tmp_path / "img.npy", "--kernel", kernel, "--dtype", out]
    if source == "uniform":
        args += ["--radius", "2.75"]
        ours = pixelwise.blur(image, 2.75, kernel=kernel, dtype=out)
    elif source == "map":
        radii = rng.uniform(0, 9, (37, 45)).astype(np.float32)
        np.save(tmp_path / "r.npy", radii)
        args += ["--radius-map", tmp_path / "r.npy"]
        ours = pixelwise.blur(image, radii, kernel=kernel, dtype=out)
    else:
        mask = (rng.random((37, 45)) < 0.02).astype(np.uint8)
        np.save(tmp_path / "m.npy", mask)
        args += ["--distance-from", tmp_path / "m.npy", "--per-pixel", "0.3", "--max-radius", "6"]
        ours = pixelwise.blur(image, kernel=kernel, distance_from=mask, per_pixel=0.3, max_radius=6, dtype=out)
    run(*args, "-o", tmp_path / "out.npy")
    cli = np.load(tmp_path / "out.npy")
    assert ours.dtype == cli.dtype
    assert np.array_equal(ours, cli)


def test_distance_transform_equals_the_cli_radius_map(tmp_path, run):
    rng = np.random.default_rng(21)
    mask = (rng.random((40, 52)) < 0.03).astype(np.uint8)
    np.save(tmp_path / "m.npy", mask)
    np.save(tmp_path / "img.npy", np.zeros((40, 52), np.uint8))
    run("blur", tmp_path / "img.npy", "--distance-from", tmp_path / "m.npy", "--per-pixel", "1",
        "--save-radius-map", tmp_path / "r.npy", "-o", tmp_path / "out.npy")
    cli = np.load(tmp_path / "r.npy")
    # The CLI saves the radius map (here the distance) in float64 when float32 would round it.
    assert np.array_equal(pixelwise.distance_transform(mask), cli.astype(np.float32))

"""pixelwise.quantize against a brute-force optimal 1-D k-means and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

import pixelwise

from conftest import DTYPES, random_image, seed_of


def optimal_kmeans(values: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """O(k n²) dynamic programming over sorted values: the optimal clustering into k runs."""
    n = len(values)
    w = np.concatenate([[0.0], np.cumsum(weights)])
    s = np.concatenate([[0.0], np.cumsum(weights * values)])
    q = np.concatenate([[0.0], np.cumsum(weights * values * values)])

    def cost(i, j):  # values[i:j]
        weight = w[j] - w[i]
        total = s[j] - s[i]
        return (q[j] - q[i]) - total * total / weight

    best = np.full((k + 1, n + 1), np.inf)
    split = np.zeros((k + 1, n + 1), int)
    best[0, 0] = 0.0
    for layer in range(1, k + 1):
        for j in range(layer, n + 1):
            for i in range(layer - 1, j):
                candidate = best[layer - 1, i] + cost(i, j)
                if candidate < best[layer, j]:
                    best[layer, j], split[layer, j] = candidate, i
    centers, j = [], n
    for layer in range(k, 0, -1):
        i = split[layer, j]
        centers.append((s[j] - s[i]) / (w[j] - w[i]))
        j = i
    return np.array(centers[::-1]), float(best[k, n])


def nearest_labels(plane: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.argmin(np.abs(plane.astype(np.float64)[..., None] - centers), axis=-1)


def rounded_values(centers: np.ndarray, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        info = np.iinfo(dtype)
        return np.clip(np.floor(centers + 0.5), info.min, info.max).astype(dtype)
    return centers.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (13, 17)])
@pytest.mark.parametrize("weighting", ["unique", "pixels"])
def test_optimal_levels_equal_the_brute_force(dtype, shape, weighting):
    rng = np.random.default_rng(seed_of(dtype, shape, weighting))
    image = rng.choice(rng.uniform(0, 250, 30), size=shape).astype(dtype)
    distinct, counts = np.unique(image.astype(np.float64), return_counts=True)
    k = min(4, len(distinct))
    centers, objective = optimal_kmeans(distinct, counts.astype(np.float64) if weighting == "pixels"
                                        else np.ones(len(distinct)), k)
    q = pixelwise.quantize(image, k, weighting=weighting)
    assert q.centers.dtype == np.float64 and q.k == k
    np.testing.assert_allclose(q.centers, centers, rtol=1e-12, atol=1e-9)
    assert q.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
    assert q.labels.dtype == np.uint8 and q.labels.shape == shape
    assert np.array_equal(q.labels, nearest_labels(image, q.centers))
    assert q.image.dtype == image.dtype
    assert np.array_equal(q.image, rounded_values(q.centers, dtype)[q.labels])


def test_given_centers_are_sorted_and_labels_go_to_the_nearest_lower_on_ties():
    image = np.array([[0, 5, 10, 15, 20]], np.uint8)
    q = pixelwise.quantize(image, centers=[20, 0, 10])
    assert q.centers.tolist() == [0, 10, 20] and q.objective is None
    assert q.labels.tolist() == [[0, 0, 1, 1, 2]]
    assert q.image.tolist() == [[0, 0, 10, 10, 20]]
    exact = pixelwise.quantize(image, centers=[0.4, 10.6], dtype="float64")
    assert exact.image.dtype == np.float64 and exact.image.tolist() == [[0.4, 0.4, 10.6, 10.6, 10.6]]
    rounded = pixelwise.quantize(image, centers=[0.4, 10.6])
    assert rounded.image.tolist() == [[0, 0, 11, 11, 11]]


def test_more_than_256_levels_give_uint16_labels():
    image = np.arange(600, dtype=np.uint16).reshape(20, 30)
    q = pixelwise.quantize(image, 300)
    assert q.labels.dtype == np.uint16 and q.k == 300
    assert np.array_equal(q.labels, nearest_labels(image, q.centers))


def test_channel_of_a_colour_image_and_views():
    rng = np.random.default_rng(4)
    image = random_image(rng, np.uint8, 30, 40, 3)
    for channel in range(3):
        a = pixelwise.quantize(image, 5, channel=channel)
        b = pixelwise.quantize(np.ascontiguousarray(image[..., channel]), 5)
        assert np.array_equal(a.centers, b.centers) and np.array_equal(a.labels, b.labels)
    view = image[3:20, 5:31]
    assert np.array_equal(pixelwise.quantize(view, 4, channel=1).labels,
                          pixelwise.quantize(np.ascontiguousarray(view[..., 1]), 4).labels)


def test_auto_picks_k_in_its_range():
    rng = np.random.default_rng(6)
    image = np.concatenate([rng.normal(m, 2, 400) for m in (20, 90, 160, 230)]).clip(0, 255).astype(np.uint8)
    image = image.reshape(40, 40)
    q = pixelwise.quantize(image, "auto", weighting="pixels")
    assert 1 <= q.k <= 9
    q = pixelwise.quantize(image, "auto:2-3", weighting="pixels")
    assert 2 <= q.k <= 3


def test_labels_and_values_can_be_skipped():
    image = np.arange(100, dtype=np.float32).reshape(10, 10)
    q = pixelwise.quantize(image, 3, labels=False, values=False)
    assert q.labels is None and q.image is None and q.k == 3


def test_lloyd_runs_and_is_not_better_than_optimal():
    rng = np.random.default_rng(8)
    image = random_image(rng, np.uint16, 50, 50, 1)
    optimal = pixelwise.quantize(image, 6)
    lloyd = pixelwise.quantize(image, 6, method="lloyd", seed=3)
    assert lloyd.objective >= optimal.objective * (1 - 1e-12)


@pytest.mark.parametrize("kwargs,name", [
    (dict(), "k"),
    (dict(k=3, centers=[1, 2]), "centers"),
    (dict(k=0), "k"),
    (dict(k=65537), "k"),
    (dict(k="many"), "k"),
    (dict(k="auto:5-2"), "k"),
    (dict(k="auto:0-3"), "k"),
    (dict(k=2.5), "k"),
    (dict(centers=[1, 1]), "centers"),
    (dict(centers=[1, np.nan]), "centers"),
    (dict(centers=[]), "centers"),
    (dict(centers=[[1, 2], [3, 4]]), "centers"),
    (dict(k=2, weighting="count"), "weighting"),
    (dict(k=2, method="kmeans"), "method"),
    (dict(k=2, dtype="float32"), "dtype"),
    (dict(k=2, channel=1), "channel"),
    (dict(k=2, restarts=0), "restarts"),
    (dict(k=2, max_iterations=0), "max_iterations"),
])
def test_quantize_errors_name_the_argument(kwargs, name):
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    with pytest.raises((ValueError, TypeError)) as info:
        pixelwise.quantize(image, **kwargs)
    assert isinstance(info.value, pixelwise.Error)
    assert name in str(info.value), str(info.value)


def test_colour_image_without_a_channel_and_nan_are_refused():
    with pytest.raises(ValueError, match="channel"):
        pixelwise.quantize(np.zeros((4, 4, 3), np.uint8), 2)
    image = np.arange(16, dtype=np.float64).reshape(4, 4)
    image[1, 1] = np.nan
    with pytest.raises(ValueError) as info:
        pixelwise.quantize(image, 2)
    assert "NaN" in str(info.value) or "nan" in str(info.value)


# ---- the CLI on the same data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", ["3", "auto", "auto:2-6"])
@pytest.mark.parametrize("weighting", ["unique", "pixels"])
def test_quantize_equals_the_cli(tmp_path, run, dtype, k, weighting):
    rng = np.random.default_rng(seed_of(dtype, k, weighting, "cli"))
    image = random_image(rng, dtype, 29, 31, 1)
    np.save(tmp_path / "img.npy", image)
    report = json.loads(run("quantize", tmp_path / "img.npy", "-k", k, "--weighting", weighting, "--json",
                            "--labels", tmp_path / "l.npy", "-o", tmp_path / "q.npy").stdout)
    q = pixelwise.quantize(image, int(k) if k.isdigit() else k, weighting=weighting)
    assert q.centers.tolist() == report["centers"]
    assert q.objective == report["objective"]
    assert np.array_equal(q.labels, np.load(tmp_path / "l.npy"))
    values = np.load(tmp_path / "q.npy")
    assert q.image.dtype == values.dtype and np.array_equal(q.image, values)


def test_given_centers_and_float64_values_equal_the_cli(tmp_path, run):
    rng = np.random.default_rng(2)
    image = random_image(rng, np.uint16, 20, 30, 1)
    np.save(tmp_path / "img.npy", image)
    run("quantize", tmp_path / "img.npy", "--centers", "100.5,30000,60000.25", "--dtype", "float64",
        "--labels", tmp_path / "l.npy", "-o", tmp_path / "q.npy")
    q = pixelwise.quantize(image, centers=[60000.25, 100.5, 30000], dtype=np.float64)
    assert np.array_equal(q.labels, np.load(tmp_path / "l.npy"))
    assert np.array_equal(q.image, np.load(tmp_path / "q.npy"))


@pytest.mark.parametrize("k", [1, 3, 7, "auto", "auto:2-5"])
@pytest.mark.parametrize("method", ["optimal", "lloyd"])
def test_fit_on_counted_values_equals_fit_on_the_image(k, method):
    # What pixelwise.dask.quantize fits after merging every chunk's distinct values and counts.
    from pixelwise import _core
    rng = np.random.default_rng(21)
    image = np.round(rng.gamma(2.0, 20.0, (37, 53)), 1).astype(np.float32)
    values, counts = np.unique(image, return_counts=True)
    for weighting, weights in (("unique", None), ("pixels", counts)):
        whole = pixelwise.quantize(image, k, weighting=weighting, method=method, labels=False, values=False)
        centers, objective = _core.fit_levels(values, weights, k, method=method)
        assert np.array_equal(centers, whole.centers), (weighting, k)
        assert objective == whole.objective


def test_fit_on_counted_values_bad_input():
    from pixelwise import _core
    with pytest.raises(ValueError, match=r"values\[2\]"):
        _core.fit_levels(np.array([1.0, 2.0, 2.0]), None, 2)
    with pytest.raises(ValueError, match=r"values\[0\]"):
        _core.fit_levels(np.array([np.nan, 2.0]), None, 2)
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        _core.fit_levels(np.array([1.0, 2.0]), np.array([1.0, -1.0]), 2)
    with pytest.raises(ValueError, match="values"):
        _core.fit_levels(np.array([]), None, 2)
    with pytest.raises(ValueError, match="shapes"):
        _core.fit_levels(np.array([1.0, 2.0]), np.array([1.0]), 2)

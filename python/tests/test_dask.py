"""pixelwise.dask on a LocalCluster: every job equal to the in-memory one on the whole array.

One cluster (2 worker processes, 1 thread each) for the module. Skipped when the ``dask`` extra is missing.
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import pixelwise

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import pixelwise.dask as pwd  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")
from pixelwise import hotpixels  # noqa: E402

DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def image_of(rng, dtype, shape, channels=1):
    full = shape if channels == 1 else shape + (channels,)
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, full, endpoint=True, dtype=dtype)
    return (rng.standard_normal(full) * 1000).astype(dtype)


_SAVED = []


def chunked(array, chunks, source="file"):
    """The array as the workers would have it: a memory-mapped NPY read chunk by chunk (`pwd.imread`), so the
    graph carries a path, not the data. ``source="memory"``: a dask array of the data itself (`blur` then
    overlaps neighbouring chunks; from files it reads each block's window from the file)."""
    import tempfile
    if source == "memory":
        return da.from_array(array, chunks=chunks + ((-1,) if array.ndim == 3 else ()))
    handle, path = tempfile.mkstemp(suffix=".npy", prefix="pw-dask-test-")
    os.close(handle)
    np.save(path, array)
    _SAVED.append(path)
    return pwd.imread(path, chunks=chunks + ((-1,) if array.ndim == 3 else ()))


@pytest.fixture(scope="module", autouse=True)
def _remove_saved():
    yield
    for path in _SAVED:
        if os.path.exists(path):
            os.remove(path)


UNEVEN = (997, 1531)
UNEVEN_CHUNKS = (256, 300)


# ---- blur --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source", ["file", "memory"])
def test_blur_box_radius_map_uneven_chunks(client, source, dtype, channels):
    rng = np.random.default_rng(1)
    image = image_of(rng, dtype, UNEVEN, channels)
    radius = rng.uniform(0, 9, UNEVEN)  # fractional radii: the outer ring weighted
    got = pwd.blur(chunked(image, UNEVEN_CHUNKS, source), chunked(radius, UNEVEN_CHUNKS, source)).compute()
    want = pixelwise.blur(image, radius)
    assert got.dtype == want.dtype and got.shape == want.shape
    if np.dtype(dtype).kind == "u":
        assert np.array_equal(got, want)  # integer sums: bit for bit
    else:
        # float64 summed-area tables started at another row/column: rounding of the largest sums only
        scale = np.abs(image).max() * 1e-12
        assert np.abs(got.astype(np.float64) - want).max() <= scale


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_blur_box_uniform_and_integer_map_bit_identical(client, dtype):
    rng = np.random.default_rng(2)
    image = image_of(rng, dtype, UNEVEN, 3)
    for radius in (0, 7.5, 40):
        assert np.array_equal(pwd.blur(chunked(image, UNEVEN_CHUNKS), radius).compute(),
                              pixelwise.blur(image, radius)), radius
    radius_map = rng.integers(0, 65, UNEVEN, dtype=np.uint8)
    assert np.array_equal(pwd.blur(chunked(image, UNEVEN_CHUNKS), radius_map).compute(),
                          pixelwise.blur(image, radius_map))


def test_blur_float_output_dtype(client):
    rng = np.random.default_rng(3)
    image = image_of(rng, np.uint8, (300, 410))
    for dtype in ("float32", "float64"):
        got = pwd.blur(chunked(image, (64, 100)), 5.25, dtype=dtype).compute()
        assert np.array_equal(got, pixelwise.blur(image, 5.25, dtype=dtype))


@pytest.mark.parametrize("source", ["file", "memory"])
def test_blur_chunks_smaller_than_halo(client, source):
    rng = np.random.default_rng(4)
    image = image_of(rng, np.uint8, (203, 157), 1)
    lazy = pwd.blur(chunked(image, (16, 10), source), 37)
    assert min(lazy.chunks[0]) >= 37 and min(lazy.chunks[1]) >= 37  # merged with their neighbours
    assert np.array_equal(lazy.compute(), pixelwise.blur(image, 37))
    # A radius larger than the image: the whole axis is the halo.
    assert np.array_equal(pwd.blur(chunked(image, (16, 10), source), 500).compute(), pixelwise.blur(image, 500))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source", ["file", "memory"])
def test_blur_gaussian(client, source, dtype):
    rng = np.random.default_rng(5)
    image = image_of(rng, dtype, (413, 507), 3 if dtype == np.uint8 else 1)
    yy, xx = np.mgrid[0:413, 0:507]
    # σ 0..~19 (pyramid depths 0 to 3), falling down the image: a σ map whose deep levels are first needed far
    # below a band's first row trips a ring precondition in the library (VariableGaussian.swift:164, reported),
    # in memory as much as here.
    sigma = 19 * (1 - yy / 413) * (0.6 + 0.4 * np.cos(xx / 53.0) ** 2)
    got = pwd.blur(chunked(image, (96, 110), source), chunked(sigma, (96, 110), source), kernel="gaussian",
                   dtype="float32").compute()
    want = pixelwise.blur(image, sigma, kernel="gaussian", dtype="float32")
    tolerance = np.abs(image).max() * 4e-6
    assert np.abs(got.astype(np.float64) - want).max() <= tolerance
    same = pwd.blur(chunked(image, (96, 110)), sigma, kernel="gaussian").compute()
    reference = pixelwise.blur(image, sigma, kernel="gaussian")
    if np.dtype(dtype).kind == "u":
        # float32 differences of an ulp can move a value across a rounding boundary: at most 1 level
        assert np.abs(same.astype(np.int64) - reference).max() <= 1
    else:
        assert np.abs(same.astype(np.float64) - reference).max() <= tolerance


def test_blur_gaussian_uniform_sigma_bit_identical(client):
    rng = np.random.default_rng(6)
    image = image_of(rng, np.float32, (430, 510))
    for sigma in (0.7, 9.5, 30.0):
        got = pwd.blur(chunked(image, (100, 130)), sigma, kernel="gaussian").compute()
        assert np.array_equal(got, pixelwise.blur(image, sigma, kernel="gaussian")), sigma


def test_blur_gaussian_sigma_map_full_width_chunks_bit_identical(client):
    # Chunks that span whole rows see the same rows as the image: the library's per-row choice of computing a
    # full-resolution level at a few pixels directly (in another summation order) is then the same, and the
    # result is bit for bit the in-memory one, for any σ map.
    rng = np.random.default_rng(15)
    image = image_of(rng, np.float32, (700, 530))
    sigma = rng.uniform(0, 12, (700, 530))
    got = pwd.blur(chunked(image, (96, 530)), chunked(sigma, (96, 530)), kernel="gaussian").compute()
    assert np.array_equal(got, pixelwise.blur(image, sigma, kernel="gaussian"))


@pytest.mark.parametrize("kernel", ["box", "gaussian"])
@pytest.mark.parametrize("source", ["file", "memory"])
def test_blur_distance_mode(client, source, kernel):
    rng = np.random.default_rng(7)
    shape = (500, 640)
    image = image_of(rng, np.uint8, shape)
    mask = np.zeros(shape, np.uint8)
    mask[rng.integers(0, shape[0], 12), rng.integers(0, shape[1], 12)] = 1
    # Region pixels just inside and just outside M/S of a chunk edge (chunks of 100 rows: edge at y = 200).
    per_pixel, max_radius = 0.25, 6.0  # M/S = 24
    mask[200 + 24, 320] = 1
    mask[100 - 25, 500] = 1
    got = pwd.blur(chunked(image, (100, 128), source), distance_from=chunked(mask, (100, 128), source),
                   per_pixel=per_pixel, max_radius=max_radius, kernel=kernel, dtype="float32").compute()
    want = pixelwise.blur(image, distance_from=mask, per_pixel=per_pixel, max_radius=max_radius, kernel=kernel,
                          dtype="float32")
    if kernel == "box":
        assert np.array_equal(got, want)
    else:
        assert np.abs(got - want).max() <= 255 * 4e-6


def test_blur_distance_mode_chunks_without_region(client):
    image = image_of(np.random.default_rng(8), np.uint16, (300, 300))
    mask = np.zeros((300, 300), bool)
    mask[5, 7] = True  # far from most chunks: their blocks hold no region pixel
    got = pwd.blur(chunked(image, (75, 75)), distance_from=mask, per_pixel=0.5, max_radius=9).compute()
    assert np.array_equal(got, pixelwise.blur(image, distance_from=mask, per_pixel=0.5, max_radius=9))
    got = pwd.blur(chunked(image, (75, 75)), distance_from=mask, per_pixel=0, max_radius=9).compute()
    assert np.array_equal(got, pixelwise.blur(image, distance_from=mask, per_pixel=0, max_radius=9))


def test_blur_reads_windows_from_files(client):
    # imread arrays: each output block reads its own window (chunk and halo) from the files, image and map
    # together, so no neighbour's pixels and no input chunk cross between workers.
    rng = np.random.default_rng(16)
    image = image_of(rng, np.uint8, (300, 280), 3)
    radius = rng.integers(0, 12, (300, 280), dtype=np.uint8)
    from_files = pwd.blur(chunked(image, (64, 70)), chunked(radius, (64, 70)))
    assert not [name for name in from_files.dask.layers if "overlap" in name or "imread" in name]
    in_memory = pwd.blur(chunked(image, (64, 70), "memory"), chunked(radius, (64, 70), "memory"))
    assert [name for name in in_memory.dask.layers if "overlap" in name]
    assert np.array_equal(from_files.compute(), pixelwise.blur(image, radius))
    # A transformed imread array is not the file any more: overlapped like any other array.
    shifted = pwd.blur(chunked(image, (64, 70)) // 2, 4)
    assert [name for name in shifted.dask.layers if "overlap" in name]
    assert np.array_equal(shifted.compute(), pixelwise.blur(image // 2, 4))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("map_dtype", [np.uint8, np.uint16, bool])
def test_blur_box_integer_map_from_files_sizes_each_halo_itself(client, channels, map_dtype):
    # An unsigned-integer map from a file: each block's halo is its own largest radius (no pass over the
    # whole map first), for any chunks, even ones smaller than the radii; still bit for bit the in-memory blur.
    rng = np.random.default_rng(17)
    image = image_of(rng, np.uint16, UNEVEN, channels)
    radius = rng.integers(0, 40, UNEVEN).astype(map_dtype)
    radius[:300, :200] = 0  # blocks of radius 0: no halo at all
    lazy = pwd.blur(chunked(image, (61, 90)), chunked(radius, (61, 90)))
    assert not [name for name in lazy.dask.layers if "max" in name or "overlap" in name]
    assert lazy.chunks[:2] == ((61,) * 16 + (21,), (90,) * 17 + (1,))
    assert np.array_equal(lazy.compute(), pixelwise.blur(image, radius))
    assert np.array_equal(pwd.blur(chunked(image, (61, 90)), chunked(radius, (61, 90)), dtype="float64").compute(),
                          pixelwise.blur(image, radius, dtype="float64"))


def test_blur_bad_input(client):
    image = chunked(np.zeros((100, 120), np.uint8), (30, 40))
    with pytest.raises(ValueError, match="max_radius"):
        pwd.blur(image, distance_from=np.ones((100, 120), bool), per_pixel=1)
    with pytest.raises(ValueError, match="shape"):
        pwd.blur(image, np.ones((100, 121)))
    with pytest.raises(ValueError, match="shape"):
        pwd.blur(image, distance_from=np.ones((99, 120), bool), per_pixel=1, max_radius=3)
    with pytest.raises(ValueError, match="chunks"):
        pwd.blur(image, da.ones((100, 120), chunks=(50, 40)))
    with pytest.raises(ValueError, match="chunks"):
        pwd.blur(image, distance_from=da.ones((100, 120), chunks=(30, 60)), per_pixel=1, max_radius=3)
    radius = np.ones((100, 120))
    radius[70, 90] = np.nan
    with pytest.raises(ValueError, match=r"radius nan at \(x 90, y 70\) is NaN"):
        pwd.blur(image, chunked(radius, (30, 40)))
    with pytest.raises(ValueError):
        pixelwise.blur(np.zeros((100, 120), np.uint8), radius)
    with pytest.raises(ValueError, match="radius"):
        pwd.blur(image, -1)
    with pytest.raises(ValueError, match="kernel"):
        pwd.blur(image, 1, kernel="disc")
    # A mask without any region pixel: the library's own error, when computed.
    lazy = pwd.blur(image, distance_from=np.zeros((100, 120), bool), per_pixel=1, max_radius=3)
    with pytest.raises(ValueError, match="no nonzero"):
        lazy.compute()


# ---- quantize ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighting", ["unique", "pixels"])
def test_quantize_equal_in_memory(client, dtype, weighting):
    rng = np.random.default_rng(9)
    image = image_of(rng, dtype, UNEVEN)
    if np.dtype(dtype).kind == "f":
        image = np.round(image / 10).astype(dtype)  # repeated values, so the weightings differ
    got = pwd.quantize(chunked(image, UNEVEN_CHUNKS), 6, weighting=weighting)
    want = pixelwise.quantize(image, 6, weighting=weighting)
    assert isinstance(got.centers, np.ndarray) and isinstance(got.labels, da.Array)
    assert np.array_equal(got.centers, want.centers)
    assert got.objective == want.objective
    labels, values = da.compute(got.labels, got.image)
    assert np.array_equal(labels, want.labels) and labels.dtype == want.labels.dtype
    assert np.array_equal(values, want.image) and values.dtype == want.image.dtype


def test_quantize_auto_channel_centers_lloyd(client):
    rng = np.random.default_rng(10)
    image = image_of(rng, np.uint16, (400, 333), 3) // 64
    lazy = chunked(image, (128, 100))
    for options in (dict(k="auto"), dict(k=5, channel=2, dtype="float64"), dict(k=3, method="lloyd", channel=0)):
        opts = dict(options)
        k = opts.pop("k")
        opts.setdefault("channel", 1)
        got, want = pwd.quantize(lazy, k, **opts), pixelwise.quantize(image, k, **opts)
        assert np.array_equal(got.centers, want.centers), options
        assert np.array_equal(got.labels.compute(), want.labels)
        assert np.array_equal(got.image.compute(), want.image)
    given = pwd.quantize(lazy, centers=[900, 10, 400], channel=0)
    assert np.array_equal(given.centers, [10, 400, 900]) and given.objective is None
    assert np.array_equal(given.image.compute(), pixelwise.quantize(image, centers=[10, 400, 900], channel=0).image)
    with pytest.raises(ValueError, match="channel"):
        pwd.quantize(lazy, 3)


# ---- sample ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sample_equal_in_memory(client, dtype, channels):
    rng = np.random.default_rng(11)
    image = image_of(rng, dtype, UNEVEN, channels)
    lazy = chunked(image, UNEVEN_CHUNKS)
    h, w = UNEVEN
    edges = np.array([[299, 255], [300, 256], [299.5, 255.5], [299.999, 255.999], [w - 1, h - 1], [0, 0],
                      [w - 1.5, h - 1], [599.5, 0.5], [1530, 511.25]])
    floats = np.concatenate([rng.uniform(0, [w - 1, h - 1], (5000, 2)), edges])
    ints = rng.integers(0, [w, h], (3000, 2))
    for points, interpolation in ((floats, "nearest"), (floats, "bilinear"), (ints, "nearest"),
                                  (floats.astype(np.float32), "bilinear")):
        got = pwd.sample(lazy, points, interpolation=interpolation)
        want = pixelwise.sample(image, points, interpolation=interpolation)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True), interpolation


def test_sample_bad_points(client):
    image = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    lazy = chunked(image, (7, 8))
    for points in ([[1, 2], [30, 1]], [[1.0, 2.0], [np.nan, 1.0]], [[0.0, 0.0], [29.6, 3.0]], [[-1, 0]]):
        for interpolation in ("nearest", "bilinear"):
            with pytest.raises(ValueError) as theirs:
                pixelwise.sample(image, np.asarray(points), interpolation=interpolation)
            with pytest.raises(ValueError) as ours:
                pwd.sample(lazy, np.asarray(points), interpolation=interpolation)
            assert str(ours.value) == str(theirs.value)


# ---- hot pixels ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    rng = np.random.default_rng(12)
    paths = []
    base = rng.integers(20, 200, (48, 64, 3)).astype(np.float64)
    for i in range(23):
        frame = np.clip(base + rng.normal(0, 6, base.shape) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
        frame[10, 20, 0] = 255        # hot
        frame[30, 41] = 3             # dead
        frame[5, 50, 1] = 180         # stuck
        path = folder / f"frame-{i:03d}.png"
        pixelwise.write(path, frame)
        paths.append(str(path))
    return folder, paths


def _same_result(got, want):
    assert got.frames == want.frames and (got.width, got.height) == (want.width, want.height)
    assert [(d.x, d.y, d.channel, d.kind) for d in got.candidates] == \
        [(d.x, d.y, d.channel, d.kind) for d in want.candidates]
    for a, b in zip(got.candidates, want.candidates):
        assert a.score == pytest.approx(b.score, rel=1e-6)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_hotpixels_scan_equal_in_memory(client, stack, partitions):
    folder, paths = stack
    got = pwd.hotpixels_scan(paths, client=client, partitions=partitions)
    _same_result(got, hotpixels.scan(paths))
    assert got.candidates and got.skipped == []


def test_hotpixels_scan_equal_cli(client, stack, tmp_path):
    import json
    cli = os.environ.get("PIXELWISE") or str(pixelwise_cli())
    if not os.path.exists(cli):
        pytest.skip("no pixelwise binary")
    folder, paths = stack
    result = subprocess.run([cli, "hotpixels", "scan", str(folder), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    got = pwd.hotpixels_scan(str(folder), client=client, partitions=4)
    assert got.frames == report["frames"]
    assert [(d.x, d.y, d.channel, d.kind) for d in got.candidates] == \
        [(c["x"], c["y"], c.get("channel", 0), c["kind"]) for c in report["candidates"]]
    for d, c in zip(got.candidates, report["candidates"]):
        # The JSON prints 4 significant digits (586.5, 1178): equal to that precision.
        assert abs(d.score - c["score"]) <= 0.5 * 10 ** (math.floor(math.log10(abs(c["score"]))) - 3) + 1e-9


def pixelwise_cli():
    from pathlib import Path
    return Path(__file__).resolve().parents[2] / ".build" / "release" / "pixelwise"


def test_hotpixels_scan_missing_and_odd_frames(client, stack, tmp_path):
    folder, paths = stack
    odd = tmp_path / "odd.png"
    pixelwise.write(odd, np.zeros((40, 64, 3), np.uint8))
    listed = [str(tmp_path / "missing-first.png")] + paths[:9] + [str(odd)] + paths[9:] + [str(tmp_path / "gone.png")]
    want = hotpixels.scan(listed)
    for partitions in (2, 5):
        got = pwd.hotpixels_scan(listed, client=client, partitions=partitions)
        _same_result(got, want)
        assert [p for p, _ in got.skipped] == [p for p, _ in want.skipped]
    # A partition whose first frame has another size: rescanned at the first frame's size.
    shifted = paths[:4] + [str(odd)] + paths[4:]
    got = pwd.hotpixels_scan(shifted, client=client, partitions=5)
    _same_result(got, hotpixels.scan(shifted))
    assert [p for p, _ in got.skipped] == [str(odd)]
    with pytest.raises(OSError, match="none of the 2 frames"):
        pwd.hotpixels_scan([str(tmp_path / "a.png"), str(tmp_path / "b.png")], client=client)


def test_partial_states_travel_as_bytes_and_on_again():
    # A partition's state pickles (protocol 5) out of band and arrives as bytes; sent on again before it was
    # needed, it travels as those bytes (not decoded and encoded again), and decodes to the same state.
    import pickle
    scan = hotpixels.Scan()
    for value in (10, 12, 11):
        scan.add(np.full((6, 9), value, np.uint8))
    partial = pwd._Partial([0], scan, pwd._geometry(scan), {0: []}, [])
    for _ in range(2):
        buffers = []
        data = pickle.dumps(partial, protocol=5, buffer_callback=buffers.append)
        partial = pickle.loads(data, buffers=[memoryview(bytearray(b.raw())) for b in buffers])
        assert len(buffers) == 1 and partial._state is None and partial.has_frames
    assert partial.state.to_bytes() == scan.to_bytes()
    assert pickle.loads(pickle.dumps(partial, protocol=4)).state.to_bytes() == scan.to_bytes()


def test_merge_states_and_mismatch(client, stack, tmp_path):
    folder, paths = stack
    shards = []
    for k in range(3):
        scan = hotpixels.Scan()
        scan.add_files(paths[k::3])
        path = tmp_path / f"shard{k}.state"
        path.write_bytes(scan.to_bytes())
        shards.append(str(path))
    merged = pwd.merge_states(shards, client=client)
    assert merged.frames == len(paths)
    _same_result(hotpixels.ScanResult(merged.detect(), merged.frames, merged.width, merged.height),
                 hotpixels.ScanResult(hotpixels.scan(paths).candidates, len(paths), 64, 48))
    other = hotpixels.Scan()
    other.add(np.zeros((10, 12, 3), np.uint8))
    with pytest.raises(ValueError, match="same geometry"):
        pwd.merge_states(shards + [other.to_bytes()], client=client)


# ---- workers dying ---------------------------------------------------------------------------------------------
def test_worker_killed_during_blur(client):
    rng = np.random.default_rng(13)
    image = image_of(rng, np.uint8, (800, 800))
    want = pixelwise.blur(image, 9, kernel="gaussian")

    def slow(block):
        time.sleep(0.1)
        return block

    lazy = pwd.blur(chunked(image, (100, 100)).map_blocks(slow, dtype=np.uint8), 9, kernel="gaussian")
    future = client.compute(lazy)
    time.sleep(0.8)
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    try:
        got = future.result(timeout=120)
    except distributed.KilledWorker as error:  # also acceptable: a clear error, never a different image
        pytest.skip(f"the scheduler gave up on the killed worker's tasks: {error}")
    assert np.array_equal(got, want)
    client.wait_for_workers(2, timeout=60)


def test_worker_killed_before_a_scan_it_was_planned_for(client, stack):
    # The chains are placed on the workers the scheduler listed when the scan was planned; one of them is
    # killed at that moment (its nanny starts a new one at another address): the scan runs elsewhere, same result.
    folder, paths = stack
    want = hotpixels.scan(paths)
    pids = client.run(os.getpid)
    os.kill(pids[sorted(pids)[-1]], signal.SIGKILL)
    try:
        got = pwd.hotpixels_scan(paths, client=client, partitions=4)
    except distributed.KilledWorker as error:  # also acceptable: a clear error, never a different result
        pytest.skip(f"the scheduler gave up on the killed worker's tasks: {error}")
    _same_result(got, want)
    client.wait_for_workers(2, timeout=60)


# ---- files -----------------------------------------------------------------------------------------------------
def test_imread_imwrite_round_trips(client, tmp_path):
    tifffile = pytest.importorskip("tifffile")
    rng = np.random.default_rng(14)
    image = image_of(rng, np.uint16, (700, 900), 3)
    tiled = tmp_path / "tiled.tif"
    tifffile.imwrite(tiled, image, tile=(128, 128), bigtiff=True, photometric="rgb")
    striped = tmp_path / "striped.tif"
    tifffile.imwrite(striped, image[:, :, 0], rowsperstrip=37)
    np.save(tmp_path / "image.npy", image)
    lazy = pwd.imread(tiled)  # "auto": whole tiles
    assert all(c % 128 == 0 for c in lazy.chunks[0][:-1]) and np.array_equal(lazy.compute(), image)
    assert np.array_equal(pwd.imread(tiled, chunks=(200, 300, 3)).compute(), image)
    assert np.array_equal(pwd.imread(striped, chunks=(100, 100)).compute(), image[:, :, 0])
    assert np.array_equal(pwd.imread(tmp_path / "image.npy", chunks=(123, 456, 3)).compute(), image)
    blurred = pwd.blur(pwd.imread(tiled, chunks=(256, 256, 3)), 6)
    for name in ("out.npy", "out.tif", "out.zarr"):
        pwd.imwrite(tmp_path / name, blurred, client=client)
        back = pwd.imread(tmp_path / name).compute()
        assert np.array_equal(back, pixelwise.blur(image, 6)), name
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]
    # Outputs get the mode any new file gets (0666 less the umask), not a temporary file's 0600.
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("out.npy", "out.tif"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o666 & ~umask, name


def test_import_pixelwise_does_not_import_dask():
    code = "import sys, pixelwise; assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("count,partitions,chains,extra", [
    (200, 8, 2, 0.28), (200, 8, 1, 0.0), (23, 5, 2, 0.28), (3, 3, 2, 10.0), (7, 7, 3, 0.28), (10, 4, 4, 0.5)])
def test_plan_runs_cover_the_files_in_order(count, partitions, chains, extra):
    files = [f"f{i}" for i in range(count)]
    runs = pwd._plan_runs(files, partitions, chains, extra)
    assert len(runs) == partitions and all(runs) and sum(runs, []) == files
    per_chain = [sum(len(runs[p]) for p in range(partitions * c // chains, partitions * (c + 1) // chains))
                 for c in range(chains)]
    # The chain that merges and detects (the last) has the larger share, never a smaller one.
    assert per_chain[-1] >= max(per_chain)
    if extra == 0:
        assert max(per_chain) - min(per_chain) <= partitions


def test_hotpixels_scan_merges_where_the_longest_chain_ran(client, stack):
    # The other chain's state is moved by its own task to the worker of the last chain, which then merges and
    # detects there: its transfer overlaps the last chain's scanning instead of following it.
    folder, paths = stack
    from distributed import get_task_stream
    with get_task_stream(client) as stream:
        got = pwd.hotpixels_scan(paths, client=client, partitions=4)
    _same_result(got, hotpixels.scan(paths))
    where = {}
    for task in stream.data:
        name = task["key"] if isinstance(task["key"], str) else task["key"][0]
        where.setdefault(name.split("-")[0] if name.startswith("_") else name.rsplit("-", 1)[0], set()).add(task["worker"])
    last_chain = where["pixelwise-scan-3"] | where["pixelwise-scan-2"]
    assert len(last_chain) == 1 and where["_finish"] == last_chain and where["_arrived"] == last_chain

"""Sampling pixel values at many points (seed 000): `pixelwise sample` against numpy fancy indexing."""
import numpy as np

from harness import Workload

TITLE = "Sampling points (`pixelwise sample`)"


def _make(ctx, name, shape, points, seed):
    image_path, points_path = ctx.data / f"{name}.npy", ctx.data / f"{name}-points.npy"
    rng = np.random.default_rng(seed)
    if not image_path.exists():
        # Row blocks keep the generator's memory small for the 675 MB image.
        image = np.lib.format.open_memmap(image_path, mode="w+", dtype=np.uint8, shape=shape)
        for y in range(0, shape[0], 1000):
            image[y:y + 1000] = rng.integers(0, 256, size=(min(1000, shape[0] - y),) + shape[1:], dtype=np.uint8)
        image.flush()
        del image
    if not points_path.exists():
        x = rng.integers(0, shape[1], size=points)
        y = rng.integers(0, shape[0], size=points)
        np.save(points_path, np.stack([x, y], axis=1).astype(np.int64))
    return image_path, points_path


def prepare(ctx):
    ctx.seed_case = _make(ctx, "seed-1000x1000x3", (1000, 1000, 3), 10_000, 0)
    big = (3000, 3000, 3) if ctx.quick else (15000, 15000, 3)
    ctx.big_case = _make(ctx, f"big-{big[0]}x{big[1]}x3", big, 1_000_000 if ctx.quick else 10_000_000, 1)


def _equal_outputs(ours, peer):
    def check():
        a, b = np.load(ours), np.load(peer)
        if a.shape != b.shape or not np.array_equal(a, b):
            raise RuntimeError(f"outputs differ: {ours} vs {peer}")
        return "outputs identical to numpy's"
    return check


def workloads(ctx):
    result = []
    for label, (image, points) in [("10,000 points from 1000×1000×3 uint8 (the seed's case)", ctx.seed_case),
                                   (f"{'1,000,000' if ctx.quick else '10,000,000'} points from "
                                    f"{'3000×3000' if ctx.quick else '15000×15000'}×3 uint8 NPY", ctx.big_case)]:
        ours_out, peer_out = ctx.data / (image.stem + "-ours.npy"), ctx.data / (image.stem + "-peer.npy")
        result.append(Workload(
            name=label,
            ours=[ctx.pixelwise, "sample", image, "--points", points, "-o", ours_out],
            peer=[ctx.python, ctx.peers / "sample_numpy.py", image, points, peer_out],
            peer_name="numpy (np.load + img[y, x] + np.save)",
            repeats=5, target="ours ≤ 1/2 of numpy", target_ratio=0.5,
            check=_equal_outputs(ours_out, peer_out)))
    image, points = ctx.seed_case
    fpoints = ctx.data / "seed-float-points.npy"
    if not fpoints.exists():
        rng = np.random.default_rng(2)
        np.save(fpoints, np.stack([rng.uniform(0, 999, 10_000), rng.uniform(0, 999, 10_000)], axis=1))
    ours_out, peer_out = ctx.data / "bilinear-ours.npy", ctx.data / "bilinear-peer.npy"

    def close():
        a, b = np.load(ours_out), np.load(peer_out)
        err = float(np.abs(a - b).max())
        if err > 1e-9:
            raise RuntimeError(f"bilinear differs from scipy by {err}")
        return f"bilinear max |ours − scipy| = {err:.1e}"
    result.append(Workload(
        name="10,000 bilinear points from 1000×1000×3 uint8",
        ours=[ctx.pixelwise, "sample", image, "--points", fpoints, "--interpolation", "bilinear", "-o", ours_out],
        peer=[ctx.python, ctx.peers / "sample_numpy.py", image, fpoints, peer_out, "--bilinear"],
        peer_name="scipy map_coordinates(order=1)", repeats=5, check=close))
    return result

"""Spatially variable blur (seed 003): `pixelwise blur` against a numpy summed-area table, the seed's
brute-force loop compiled with numba, and ImageMagick's variable blur."""
import subprocess

import numpy as np

from harness import Workload

TITLE = "Variable blur (`pixelwise blur`)"
APT = ["imagemagick"]

GAUSSIAN_SIGMA_MAX = 64


def _save_blocks(path, shape, dtype, fill, seed):
    """Writes a large random array block by block (a 15000² image never sits twice in memory)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    for y in range(0, shape[0], 1000):
        array[y:y + 1000] = fill(rng, (min(1000, shape[0] - y),) + shape[1:])
    array.flush()
    del array
    return path


def prepare(ctx):
    n = 3000 if ctx.quick else 15000
    ctx.big = (_save_blocks(ctx.data / f"big-{n}.npy", (n, n), np.uint8,
                            lambda rng, s: rng.integers(0, 256, size=s, dtype=np.uint8), 10),
               _save_blocks(ctx.data / f"big-{n}-radius.npy", (n, n), np.uint8,
                            lambda rng, s: rng.integers(1, 256, size=s, dtype=np.uint8), 11))
    # The seed's test: data = randint(256, (1024, 1024)); kernel = randint(256, (1024, 1024)) + 1.
    ctx.seed = (_save_blocks(ctx.data / "seed-1024.npy", (1024, 1024), np.uint8,
                             lambda rng, s: rng.integers(0, 256, size=s, dtype=np.uint8), 12),
                _save_blocks(ctx.data / "seed-1024-radius.npy", (1024, 1024), np.uint16,
                             lambda rng, s: rng.integers(1, 257, size=s, dtype=np.uint16), 13))
    # Variable Gaussian on a real photo: σ grows with the distance from the astronaut's face, 0..64.
    side = 128 if ctx.quick else 160
    photo, photo_png = ctx.data / f"photo-{side}.npy", ctx.data / f"photo-{side}.png"
    sigma8_png, sigma_npy = ctx.data / f"photo-{side}-sigma8.png", ctx.data / f"photo-{side}-sigma.npy"
    if not sigma_npy.exists():
        from PIL import Image
        from skimage import color, data, transform
        grey = color.rgb2gray(data.astronaut())
        if side != grey.shape[0]:
            grey = transform.resize(grey, (side, side), anti_aliasing=True)
        grey8 = np.round(grey * 255).astype(np.uint8)
        np.save(photo, grey8)
        Image.fromarray(grey8).save(photo_png)
        yy, xx = np.mgrid[0:side, 0:side]
        distance = np.hypot(xx - 0.45 * side, yy - 0.25 * side)
        level = np.clip(np.round(255 * distance / (0.75 * side)), 0, 255).astype(np.uint8)
        Image.fromarray(level).save(sigma8_png)
        np.save(sigma_npy, (level.astype(np.float64) * GAUSSIAN_SIGMA_MAX / 255))
    ctx.photo = (photo, photo_png, sigma8_png, sigma_npy)
    # Regions to blur away from (the story's second mode): pixelwise's own mask generator, blobs over the image.
    ctx.mask = ctx.data / f"mask-{n}.png"
    if not ctx.mask.exists():
        subprocess.run([str(ctx.pixelwise), "generate", "mask", "--size", f"{n}x{n}", "--seed", "4",
                        "-o", str(ctx.mask)], check=True)


def _equal(ours, peer, what):
    def check():
        a, b = np.load(ours), np.load(peer)
        if a.shape != b.shape or not np.array_equal(a, b):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
            raise RuntimeError(f"outputs differ from {what}: max {diff.max()}, {np.count_nonzero(diff)} samples")
        return f"outputs identical to {what}'s"
    return check


def workloads(ctx):
    big_image, big_radius = ctx.big
    n = 3000 if ctx.quick else 15000
    seed_image, seed_radius = ctx.seed
    photo, photo_png, sigma8_png, sigma_npy = ctx.photo
    out = ctx.data
    return [
        Workload(name=f"{n}×{n} uint8 grey, uint8 radius map 1..255",
                 ours=[ctx.pixelwise, "blur", big_image, "--radius-map", big_radius, "-o", out / "big-ours.npy"],
                 peer=[ctx.python, ctx.peers / "blur_numpy_sat.py", big_image, big_radius, out / "big-peer.npy"],
                 peer_name="numpy summed-area table", repeats=3,
                 target="ours ≤ 1/20 of numpy", target_ratio=0.05,
                 check=_equal(out / "big-ours.npy", out / "big-peer.npy", "numpy")),
        Workload(name="seed case: 1024×1024 uint8, radius 1..256 (vs numpy SAT)",
                 ours=[ctx.pixelwise, "blur", seed_image, "--radius-map", seed_radius, "-o", out / "seed-ours.npy"],
                 peer=[ctx.python, ctx.peers / "blur_numpy_sat.py", seed_image, seed_radius, out / "seed-peer.npy"],
                 peer_name="numpy summed-area table", repeats=3,
                 check=_equal(out / "seed-ours.npy", out / "seed-peer.npy", "numpy")),
        Workload(name="seed case: 1024×1024 uint8, radius 1..256, float64 out (vs the seed's loop)",
                 ours=[ctx.pixelwise, "blur", seed_image, "--radius-map", seed_radius, "--dtype", "float64",
                       "-o", out / "seed-ours-f64.npy"],
                 peer=[ctx.python, ctx.peers / "blur_numba_bruteforce.py", seed_image, seed_radius,
                       out / "seed-numba.npy"],
                 peer_name="the seed's brute force, numba", repeats=1,
                 check=_equal(out / "seed-ours-f64.npy", out / "seed-numba.npy", "the seed's loop")),
        Workload(name=f"{n}×{n} uint8 grey, box radius 0.1 × distance to regions, at most 64 (no peer)",
                 ours=[ctx.pixelwise, "blur", big_image, "--distance-from", ctx.mask, "--per-pixel", "0.1",
                       "--max-radius", "64", "-o", out / "distance-box-ours.npy"],
                 peer_name="—", repeats=1, target="report time and memory"),
        Workload(name=f"{n}×{n} uint8 grey, Gaussian σ 0.02 × distance to regions, at most 64 (no peer)",
                 ours=[ctx.pixelwise, "blur", big_image, "--kernel", "gaussian", "--distance-from", ctx.mask,
                       "--per-pixel", "0.02", "--max-radius", "64", "-o", out / "distance-gauss-ours.npy"],
                 peer_name="—", repeats=1, target="report time and memory"),
        Workload(name=f"Gaussian, σ 0..{GAUSSIAN_SIGMA_MAX} by distance, {photo.stem} (real photo)",
                 ours=[ctx.pixelwise, "blur", photo, "--kernel", "gaussian", "--radius-map", sigma_npy,
                       "-o", out / "gauss-ours.npy"],
                 peer=[ctx.python, ctx.peers / "blur_imagemagick.py", photo_png, sigma8_png,
                       str(GAUSSIAN_SIGMA_MAX), out / "gauss-im.png"],
                 peer_name="ImageMagick -compose blur", repeats=1),
    ]


def exact_gaussian(image, sigma):
    """The reference: per pixel, the Gaussian of its σ truncated at 4σ, renormalised inside the image
    (scipy gaussian_filter(mode='constant', truncate=4) divided by the same filter on ones); one filter per
    distinct σ."""
    from scipy import ndimage
    image = image.astype(np.float64)
    result = image.copy()
    ones = np.ones_like(image)
    for s in np.unique(sigma):
        if s == 0:
            continue
        where = sigma == s
        blurred = ndimage.gaussian_filter(image, s, mode="constant", truncate=4.0)
        weight = ndimage.gaussian_filter(ones, s, mode="constant", truncate=4.0)
        result[where] = (blurred / weight)[where]
    return result


def report(ctx, results):
    from PIL import Image
    photo, _, _, sigma_npy = ctx.photo
    image, sigma = np.load(photo), np.load(sigma_npy)
    reference = exact_gaussian(image, sigma)
    lines = ["### Variable Gaussian: error against the exact per-pixel Gaussian",
             "",
             f"{photo.stem}: the astronaut photo (scikit-image) in grey, σ from 0 to {GAUSSIAN_SIGMA_MAX} growing "
             "with the distance from the face; reference = per-pixel Gaussian truncated at 4σ, renormalised inside "
             "the image. Errors in 8-bit grey levels of the uint8 outputs.",
             "", "| program | mean abs error | max abs error |", "| --- | ---: | ---: |"]
    ours = ctx.data / "gauss-ours.npy"
    if ours.exists():
        e = np.abs(np.load(ours).astype(np.float64) - reference)
        lines.append(f"| pixelwise | {e.mean():.3f} | {e.max():.2f} |")
    im = ctx.data / "gauss-im.png"
    if im.exists():
        e = np.abs(np.asarray(Image.open(im).convert("L"), dtype=np.float64) - reference)
        lines.append(f"| ImageMagick | {e.mean():.3f} | {e.max():.2f} |")
    lines += ["", "The first three workloads check that the outputs are identical (see the notes above): "
              "the box mean is exact."]
    return "\n".join(lines)

"""Quantizing grey levels (seed 002): `pixelwise quantize` against numpy searchsorted, the seed's
np.unique + cv2.kmeans pipeline made fast, and cv2.LUT."""
import json
import subprocess

import numpy as np

from harness import Workload

TITLE = "Quantizing grey levels (`pixelwise quantize`)"

CENTERS = "0.05,0.18,0.3,0.42,0.55,0.68,0.8,0.93"
CENTERS_U8 = "12,40,77,101,150,180,222,250"


def _size(ctx):
    return 2000 if ctx.quick else 12000


def _float_image(ctx):
    """float64 with ~10^8 distinct values at full size: integers in [0, 1.5e8) scaled to [0, 1)."""
    n = _size(ctx)
    path = ctx.data / f"float64-{n}.npy"
    if not path.exists():
        rng = np.random.default_rng(20)
        levels = 150_000_000 if not ctx.quick else 3_000_000
        image = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, n))
        for y in range(0, n, 500):
            rows = min(500, n - y)
            image[y:y + rows] = rng.integers(0, levels, size=(rows, n)) / levels
        image.flush()
        del image
    return path


def _photo16(ctx):
    """A photo-like 16-bit image: smooth gradients and blobs plus sensor noise, as NPY and as PNG."""
    n = _size(ctx)
    npy, png = ctx.data / f"photo16-{n}.npy", ctx.data / f"photo16-{n}.png"
    if not npy.exists():
        rng = np.random.default_rng(16)
        image = np.lib.format.open_memmap(npy, mode="w+", dtype=np.uint16, shape=(n, n))
        x = np.arange(n, dtype=np.float64) / n
        for y0 in range(0, n, 500):
            rows = min(500, n - y0)
            y = (np.arange(y0, y0 + rows, dtype=np.float64) / n)[:, None]
            sky = 52000 - 30000 * y + 4000 * np.sin(9 * x[None, :] + 3 * y)
            hills = 9000 * np.exp(-((x[None, :] - 0.3) ** 2 + (y - 0.7) ** 2) / 0.02)
            shade = 7000 * np.cos(23 * x[None, :] * (1 + y)) * np.exp(-3 * y)
            noise = rng.normal(0, 350, size=(rows, n))
            image[y0:y0 + rows] = np.clip(sky + hills + shade + noise, 0, 65535).astype(np.uint16)
        image.flush()
        del image
    if not png.exists():
        import cv2
        cv2.imwrite(str(png), np.load(npy, mmap_mode="r"))
    return npy, png


def _uint8(ctx):
    n = _size(ctx)
    path = ctx.data / f"uint8-{n}.npy"
    if not path.exists():
        rng = np.random.default_rng(8)
        image = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, n))
        for y in range(0, n, 1000):
            rows = min(1000, n - y)
            image[y:y + rows] = rng.integers(0, 256, size=(rows, n), dtype=np.uint8)
        image.flush()
        del image
    return path


def _reads_png(ctx, png):
    """Whether this build's pixelwise decodes PNG (the codec lands on main separately)."""
    result = subprocess.run([str(ctx.pixelwise), "info", str(png)], capture_output=True)
    return result.returncode == 0


def prepare(ctx):
    ctx.float_image = _float_image(ctx)
    ctx.photo_npy, ctx.photo_png = _photo16(ctx)
    ctx.uint8_image = _uint8(ctx)


def workloads(ctx):
    n = _size(ctx)
    d = ctx.data
    result = []

    def same_labels(ours, peer):
        def check():
            a, b = np.load(ours, mmap_mode="r"), np.load(peer, mmap_mode="r")
            if a.shape != b.shape:
                raise RuntimeError(f"label shapes differ: {a.shape} vs {b.shape}")
            differing = int(np.count_nonzero(a != b))
            return f"labels differing from numpy's: {differing} of {a.size}"
        return check

    result.append(Workload(
        name=f"{n}×{n} float64 NPY, 8 given centres (labels + quantized written)",
        ours=[ctx.pixelwise, "quantize", ctx.float_image, "--centers", CENTERS,
              "--labels", d / "centers-labels-ours.npy", "-o", d / "centers-quantized-ours.npy"],
        peer=[ctx.python, ctx.peers / "quantize_numpy_centers.py", ctx.float_image, CENTERS,
              d / "centers-labels-peer.npy", d / "centers-quantized-peer.npy"],
        peer_name="numpy (np.load + searchsorted on midpoints + np.save)",
        repeats=3, target="ours ≤ 1/5 of numpy", target_ratio=0.2,
        check=same_labels(d / "centers-labels-ours.npy", d / "centers-labels-peer.npy")))

    png_ok = _reads_png(ctx, ctx.photo_png)
    photo = ctx.photo_png if png_ok else ctx.photo_npy
    kind = "PNG" if png_ok else "NPY (this build has no PNG decoder)"
    result.append(Workload(
        name=f"{n}×{n} 16-bit photo {kind}, K = 8: clustering + labels + quantized",
        ours=[ctx.pixelwise, "quantize", photo, "-k", "8",
              "--labels", d / "photo-labels-ours.npy", "-o", d / "photo-quantized-ours.npy"],
        peer=[ctx.python, ctx.peers / "quantize_opencv_kmeans.py", photo, "8",
              d / "photo-labels-peer.npy", d / "photo-quantized-peer.npy", "--report", d / "photo-peer.json"],
        peer_name="np.unique + cv2.kmeans (20 attempts) + lookup table",
        repeats=3, target="ours ≤ 1/2 of the seed's pipeline, objective ≤ its", target_ratio=0.5))
    ctx.photo_used = photo

    result.append(Workload(
        name=f"{n}×{n} uint8 NPY remap to 8 given levels",
        ours=[ctx.pixelwise, "quantize", ctx.uint8_image, "--centers", CENTERS_U8, "-o", d / "lut-ours.npy"],
        peer=[ctx.python, ctx.peers / "quantize_opencv_lut.py", ctx.uint8_image, CENTERS_U8, d / "lut-peer.npy"],
        peer_name="cv2.LUT (np.load + LUT + np.save)",
        repeats=5, target="ours ≤ 1.5× cv2.LUT", target_ratio=1.5,
        check=lambda: ("outputs identical to cv2.LUT's" if np.array_equal(np.load(d / "lut-ours.npy"), np.load(d / "lut-peer.npy"))
                       else (_ for _ in ()).throw(RuntimeError("LUT outputs differ")))))

    result.append(Workload(
        name=f"{n}×{n} float64 NPY, ~10^8 distinct values, K = 8: whole job (no peer)",
        ours=[ctx.pixelwise, "quantize", ctx.float_image, "-k", "8",
              "--labels", d / "distinct-labels-ours.npy", "-o", d / "distinct-quantized-ours.npy"],
        peer=None, repeats=1, target="report time and what dominates"))
    return result


def _ours_json(ctx, argv):
    out = subprocess.run([str(ctx.pixelwise)] + [str(a) for a in argv] + ["--json"], capture_output=True, check=True)
    return json.loads(out.stdout)


def report(ctx, results):
    lines = []
    photo = getattr(ctx, "photo_used", ctx.photo_npy)
    peer_json = ctx.data / "photo-peer.json"
    ours = _ours_json(ctx, ["quantize", photo, "-k", "8"])
    lines.append("**16-bit photo, K = 8 — objective over the unique values (each weighs 1), lower is better:**")
    lines.append("")
    lines.append(f"- pixelwise (exact DP): {ours['objective']:.6g} — {ours['distinct_values']} distinct values, "
                 f"centres {', '.join(f'{c:.1f}' for c in ours['centers'])}")
    if peer_json.exists():
        peer = json.loads(peer_json.read_text())
        verdict = "better or equal" if ours["objective"] <= peer["objective"] * (1 + 1e-12) else "WORSE"
        lines.append(f"- np.unique + cv2.kmeans (20 attempts): {peer['objective']:.6g} — centres "
                     f"{', '.join(f'{c:.1f}' for c in peer['centers'])}")
        lines.append(f"- pixelwise's objective is {verdict} (ratio {ours['objective'] / peer['objective']:.6f}).")
    lines.append("")
    timed = _ours_json(ctx, ["quantize", ctx.float_image, "-k", "8", "--labels", ctx.data / "distinct-labels-ours.npy",
                             "-o", ctx.data / "distinct-quantized-ours.npy"])
    s = timed["seconds"]
    lines.append(f"**float64 with ~10^8 distinct values, K = 8 ({timed['distinct_values']:,} distinct):** "
                 "phase timings of one run with `--json` (seconds; statistics are the `--json` extra pass):")
    lines.append("")
    lines.append("| " + " | ".join(s.keys()) + " |")
    lines.append("| " + " | ".join("---:" for _ in s) + " |")
    lines.append("| " + " | ".join(f"{v:.2f}" for v in s.values()) + " |")
    return "\n".join(lines)

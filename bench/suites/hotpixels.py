"""Hot-pixel scan (seed 001): `pixelwise hotpixels scan` on a D80-sized JPEG stack, against decoding alone
and against the seed's own Python program; plus accuracy on planted-defect stacks when the accuracy
generator (bench/hotpixels/generate.py, score.py) is in the tree."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from harness import Workload

TITLE = "Hot-pixel scan (`pixelwise hotpixels scan`)"

SOURCES = ["astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "hubble_deep_field", "immunohistochemistry",
           "colorwheel", "brick", "gravel", "grass", "coins", "camera", "retina", "text"]


def _photos():
    from skimage import data
    photos = []
    for name in SOURCES:
        try:
            image = getattr(data, name)()
        except Exception:  # a sample missing from this scikit-image: use the others
            continue
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=2)
        photos.append(np.ascontiguousarray(image[:, :, :3]).astype(np.uint8))
    return photos


def _make_stack(folder: Path, frames: int, width: int, height: int, seed: int = 1):
    """Frames of varied real-photo content (random source, crop, scale, flip, exposure), with a few hot,
    dead and stuck pixels planted, saved as JPEG quality 90 with libjpeg-turbo through OpenCV."""
    import cv2
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("frame_*.jpg"))) == frames:
        return
    rng = np.random.default_rng(seed)
    photos = _photos()
    defects = [(int(rng.integers(8, width - 8)), int(rng.integers(8, height - 8)), int(rng.integers(0, 3))) for _ in range(12)]
    for index in range(frames):
        photo = photos[int(rng.integers(len(photos)))]
        h, w = photo.shape[:2]
        ch, cw = int(h * rng.uniform(0.5, 1)), int(w * rng.uniform(0.5, 1))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = photo[y0:y0 + ch, x0:x0 + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        frame = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        frame *= rng.uniform(0.5, 1.3)
        frame += rng.normal(0, 2, size=frame.shape).astype(np.float32)
        for k, (x, y, c) in enumerate(defects):
            if k % 3 == 0:
                frame[y, x, c] += 80
            elif k % 3 == 1:
                frame[y, x, c] = 0
            else:
                frame[y, x, c] = 200
        frame = np.clip(frame, 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
        (folder / f"frame_{index:03d}.jpg").write_bytes(encoded.tobytes())


def prepare(ctx):
    frames, (width, height) = (8, (1936, 1296)) if ctx.quick else (40, (3872, 2592))
    ctx.stack = ctx.data / f"d80-{frames}x{width}x{height}"
    _make_stack(ctx.stack, frames, width, height)


def workloads(ctx):
    stack = ctx.stack
    label = stack.name.replace("d80-", "").replace("x", " × ", 1)
    ours = [ctx.pixelwise, "hotpixels", "scan", stack, "--json"]
    cores = str(os.cpu_count() or 1)
    return [
        Workload(name=f"scan {label} JPEGs vs decoding them on one thread",
                 ours=ours, peer=[ctx.pixelwise, "hotpixels", "scan", "--decode-only", stack],
                 peer_name="decode only (libjpeg-turbo via pixelwise, 1 thread)", repeats=3,
                 target="ours ≤ 1.3 × decode only", target_ratio=1.3,
                 notes="The baseline decodes every frame with the same libjpeg-turbo (TurboJPEG) code the scan uses, "
                       "sequentially on one thread, and does nothing else."),
        Workload(name=f"scan {label} JPEGs vs the seed program",
                 ours=ours, peer=[ctx.python, ctx.peers / "hotpixels_seed.py", cores, str(stack / "frame_*.jpg")],
                 peer_name=f"seed (Python 3 port, PIL + numpy, {cores} processes)", repeats=2,
                 target="ours ≤ 1/5 of seed", target_ratio=0.2),
    ]


def _accuracy(ctx):
    generator = Path(__file__).resolve().parent.parent / "hotpixels" / "generate.py"
    scorer = generator.parent / "score.py"
    if not generator.exists() or not scorer.exists():
        return "Accuracy: the planted-defect generator (bench/hotpixels/generate.py) is not in this tree yet.\n"
    rows = ["| stack (30 frames, 1024×768) | threshold | recall | precision |", "| --- | --- | --- | --- |"]
    for fmt, quality in [("png", "90"), ("jpg", "95"), ("jpg", "90"), ("jpg", "80,90,95")]:
        folder = ctx.data / f"accuracy-{fmt}-{quality.replace(',', '-')}"
        if not (folder / "truth.json").exists():
            subprocess.run([ctx.python, generator, folder, "--frames", "30", "--format", fmt, "--quality", quality],
                           check=True, capture_output=True)
        for threshold in ["7", "9", "11"]:
            scan = subprocess.run([ctx.pixelwise, "hotpixels", "scan", folder, "--json", "--threshold", threshold],
                                  check=True, capture_output=True, text=True).stdout
            result_path = folder / f"scan-{threshold}.json"
            result_path.write_text(scan)
            score = json.loads(subprocess.run([ctx.python, scorer, folder / "truth.json", result_path, "--json"],
                                              check=True, capture_output=True, text=True).stdout)
            rows.append(f"| {fmt.upper()}" + (f" q{quality}" if fmt == "jpg" else "") +
                        f" | {threshold} | {score['recall']:.3f} | {score['precision']:.3f} |")
    return "\n".join(rows) + "\n"


def report(ctx, results):
    lines = ["Peak memory of the scan: " + ", ".join(f"{r['name']}: {r['ours_peak_mb']:.0f} MB" for r in results)
             + " (target ≤ 400 MB).", ""]
    try:
        lines.append(_accuracy(ctx))
    except Exception as error:  # accuracy is a report, not a gate
        lines.append(f"Accuracy run failed: {error}")
    return "\n".join(lines)

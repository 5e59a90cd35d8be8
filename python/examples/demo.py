"""The demo's four jobs from Python, in process, on the files scripts/demo.sh generated (demo-output/).

    .venv/bin/python python/examples/demo.py [demo-output]

Each result is compared with the file the command line wrote for the same job.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import pixelwise
from pixelwise import hotpixels

out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output")


def step(title: str) -> float:
    print(f"\n>>> {title}")
    return time.perf_counter()


def done(start: float, text: str) -> None:
    print(f"    {text}  [{1000 * (time.perf_counter() - start):.0f} ms]")


t = step("scene = pixelwise.read('scene.png'); pixelwise.sample(scene, points); pixelwise.crop(...)")
scene = pixelwise.read(out / "scene.png")
values = pixelwise.sample(scene, [[10, 20], [1999, 1499]])
smooth = pixelwise.sample(scene, [[10.5, 20.25]], interpolation="bilinear")
tile = pixelwise.crop(scene, 500, 400, 640, 480)
done(t, f"scene {scene.shape} {scene.dtype}; at (10,20), (1999,1499): {values.tolist()}; "
        f"bilinear at (10.5,20.25): {np.round(smooth, 3).tolist()}; crop {tile.shape}")

t = step("pixelwise.blur(scene, distance_from=regions, per_pixel=0.1, max_radius=40)")
regions = pixelwise.read(out / "regions.png")
blurred = pixelwise.blur(scene, distance_from=regions, per_pixel=0.1, max_radius=40)
same = np.array_equal(blurred, pixelwise.read(out / "blur-box.png"))
done(t, f"{blurred.shape} {blurred.dtype}; identical to the CLI's blur-box.png: {same}")
soft = pixelwise.blur(scene, kernel="gaussian", distance_from=regions, per_pixel=0.05, max_radius=16)
print(f"    gaussian: identical to the CLI's blur-gaussian.png: "
      f"{np.array_equal(soft, pixelwise.read(out / 'blur-gaussian.png'))}")

t = step("q = pixelwise.quantize(gray16, 6)")
gray16 = pixelwise.read(out / "gray16.tif")
q = pixelwise.quantize(gray16, 6)
same = np.array_equal(q.labels, pixelwise.read(out / "labels.png")) and \
    np.array_equal(q.image, pixelwise.read(out / "quantized.tif"))
done(t, f"centers {np.round(q.centers, 1).tolist()}, objective {q.objective:.4g}; labels and image identical "
        f"to the CLI's: {same}")

t = step("result = hotpixels.scan('stack/'); hotpixels.fix(frame, result.candidates, radius=2)")
result = hotpixels.scan(out / "stack", top=10)
done(t, f"{result.frames} frames {result.width}×{result.height}; best: " +
     ", ".join(f"({d.x},{d.y}) {d.kind} {d.score:.1f}" for d in result.candidates[:6]))
frame = pixelwise.read(out / "stack" / "frame-000.jpg")
fixed = hotpixels.fix(frame, result.candidates, radius=2)
print(f"    repaired {int(np.any(fixed != frame, axis=-1).sum())} pixels of frame-000.jpg")

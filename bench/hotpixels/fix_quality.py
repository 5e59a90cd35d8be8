#!/usr/bin/env python3
"""How close does `pixelwise hotpixels fix` bring a photo back to what it would have been without its defects?

For a stack made by `generate.py --write-clean` (frames with planted defects, and the same frames rendered
without them: same noise, same encoding), repairs the first --frames frames at the planted positions with
`pixelwise hotpixels fix` at each --radius, and prints, per radius, the largest absolute error against the
clean frame over the 5×5 window around each defect (all channels, 8-bit levels): median, 90th percentile and
maximum over defects × frames. The unrepaired frame is listed as radius "none". JPEG outputs are written at
quality 100, so that re-encoding adds as little as possible.

Usage: fix_quality.py STACK_DIR [--pixelwise BIN] [--frames 4] [--radius 0,1,2]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def window_errors(image, clean, defects):
    errors = []
    for d in defects:
        x, y = d["x"], d["y"]
        window = (slice(max(0, y - 2), y + 3), slice(max(0, x - 2), x + 3))
        errors.append(float(np.abs(image[window] - clean[window]).max()))
    return errors


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stack")
    p.add_argument("--pixelwise", default=os.environ.get("PIXELWISE", "pixelwise"))
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--radius", default="0,1,2", help="comma list of --radius values to compare")
    args = p.parse_args(argv)
    truth = json.load(open(os.path.join(args.stack, "truth.json")))
    frames = sorted(glob.glob(os.path.join(args.stack, "frame_*")))[:args.frames]
    if not frames or not glob.glob(os.path.join(args.stack, "clean_*")):
        print(f"fix_quality.py: error: {args.stack}: want frame_* and clean_* files (generate.py --write-clean)",
              file=sys.stderr)
        return 2
    radii = [int(r) for r in args.radius.split(",")]
    errors = {"none": [], **{r: [] for r in radii}}
    with tempfile.TemporaryDirectory() as work:
        sites = os.path.join(work, "sites.json")
        json.dump({"candidates": [{"x": d["x"], "y": d["y"]} for d in truth["defects"]]}, open(sites, "w"))
        for frame in frames:
            name = os.path.basename(frame)
            ext = os.path.splitext(name)[1]
            load = lambda path: np.asarray(Image.open(path).convert("RGB")).astype(np.float64)
            clean = load(os.path.join(args.stack, "clean_" + name.split("_", 1)[1]))
            errors["none"] += window_errors(load(frame), clean, truth["defects"])
            for radius in radii:
                out = os.path.join(work, f"fixed{ext}")
                subprocess.run([args.pixelwise, "hotpixels", "fix", frame, "--map", sites, "-o", out,
                                "--quality", "100", "--radius", str(radius)], check=True, capture_output=True)
                errors[radius] += window_errors(load(out), clean, truth["defects"])
    print(f"{args.stack}: {len(truth['defects'])} defects × {len(frames)} frames; largest error in each 5×5 window (levels)")
    for key, values in errors.items():
        label = "unrepaired" if key == "none" else f"--radius {key}"
        print(f"  {label:11s} median {np.median(values):5.1f}  p90 {np.percentile(values, 90):5.1f}  max {max(values):5.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

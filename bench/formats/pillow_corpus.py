#!/usr/bin/env python3
"""Reads every PNG/JPEG/TIFF/PNM file of a folder (Pillow's Tests/images) with `pixelwise crop` (whole image
into an .npy) and with Pillow, and compares the values after the conversions docs/FORMATS.md documents:
Pillow's "1" → 0/255, "P"/"PA" → RGB(A), "I;16*" → uint16, "I;16S"/"I;8S"/"I" (signed) → floats. Prints one
line per file (same / differs / refused by us / refused by Pillow / crash or hang) and a summary by outcome.

Usage: pillow_corpus.py IMAGES_DIR [--pixelwise BIN] [--timeout 20] [--only TEXT]
Needs numpy and Pillow. Get the images from Pillow's sdist or repository (Tests/images).
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pbm", ".pgm", ".ppm", ".pnm"}


def pillow_values(path):
    """Pillow's first frame as the array pixelwise should give, or raises."""
    with Image.open(path) as im:
        im.load()
        mode = im.mode
        if mode == "1":
            im = im.convert("L")
        elif mode in ("P", "PA"):
            im = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
        array = np.asarray(im)
        if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
            array = array.astype(np.uint16)
        elif mode in ("I;16S", "I;8S") or (mode == "I" and array.dtype.kind == "i" and array.dtype.itemsize <= 2):
            array = array.astype(np.float32)
        elif mode == "I" or array.dtype in (np.int32, np.uint32):
            array = array.astype(np.float64)
        return mode, array, getattr(im, "n_frames", 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", type=Path)
    p.add_argument("--pixelwise", default=os.environ.get("PIXELWISE", "pixelwise"))
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    outcomes = collections.Counter()
    with tempfile.TemporaryDirectory() as work:
        for path in sorted(args.images.iterdir()):
            if path.suffix.lower() not in EXTENSIONS or args.only not in path.name:
                continue
            try:
                mode, expected, frames = pillow_values(path)
            except Exception as error:  # noqa: BLE001 - any Pillow failure: it refuses the file
                mode, expected, frames = None, None, 0
                pillow_error = str(error).splitlines()[0] if str(error) else type(error).__name__
            out = Path(work) / "out.npy"
            if out.exists():
                out.unlink()
            width = expected.shape[1] if expected is not None else 1
            height = expected.shape[0] if expected is not None else 1
            try:
                run = subprocess.run([args.pixelwise, "crop", str(path), "--region", f"0,0,{width},{height}", "-o", str(out)],
                                     capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                outcome, detail = "HANG", f"> {args.timeout} s"
            else:
                message = (run.stderr.strip().splitlines() or [""])[-1]
                if run.returncode < 0 or run.returncode > 2:
                    outcome, detail = "CRASH", f"exit {run.returncode}"
                elif expected is None:
                    outcome = "both refuse" if run.returncode != 0 else "we read, Pillow refuses"
                    detail = message if run.returncode != 0 else pillow_error
                elif run.returncode != 0:
                    outcome, detail = "we refuse", message
                else:
                    ours = np.load(out)
                    if ours.ndim == 3 and ours.shape[2] == 1:
                        ours = ours[:, :, 0]
                    if ours.dtype == np.uint16 and expected.dtype == np.uint8 and ours.shape == expected.shape:
                        # Pillow has no 16-bit RGB(A) mode: it keeps the high byte of each sample.
                        ours = (ours >> 8).astype(np.uint8)
                        mode += " (Pillow keeps 8 of the 16 bits; compared on the high byte)"
                    if ours.shape != expected.shape:
                        outcome, detail = "differs", f"shape {ours.shape} vs Pillow {expected.shape} ({mode})"
                    elif np.array_equal(ours.astype(np.float64), expected.astype(np.float64)):
                        outcome, detail = "same", mode
                    else:
                        diff = np.abs(ours.astype(np.float64) - expected.astype(np.float64))
                        outcome, detail = "differs", f"{mode}: max {diff.max():g}, {np.count_nonzero(diff)} samples"
                if frames and frames > 1:
                    detail += f" [{frames} frames]"
            outcomes[outcome] += 1
            print(f"{outcome:24} {path.name}: {detail}", flush=True)
    print()
    for outcome, count in outcomes.most_common():
        print(f"{count:5}  {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What a JPEG repair costs the rest of the photo: `pixelwise hotpixels fix` (JPEG to JPEG, only the blocks
that hold a repaired pixel recoded) against the seed's program (seeds/001: Pillow repairs the pixel and
re-saves the whole photo at quality 97), and against `--reencode --quality 97`.

Makes one camera-like frame with `generate.py` (hot pixels planted; demosaiced, JPEG at --quality with
--subsampling), repairs its first --pixels defects with each program, and reports per output:
- PSNR against the input's decoded pixels outside the repaired MCUs and a one-pixel border around them
  (inf: identical), the number of such pixels that changed and the largest change;
- the file size change against the input.

Usage: jpeg_repair.py WORK_DIR [--pixelwise BIN] [--width 1936 --height 1296] [--quality 90]
                      [--subsampling 4:2:0] [--pixels 5] [--markdown OUT.md]
Needs numpy and Pillow (bench/.venv).
"""
import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
W = 1 / (2 ** 0.5)
MATRIX = ((0, 1, 1), (0, -1, 1), (1, 0, 1), (-1, 0, 1), (-1, -1, W), (-1, 1, W), (1, 1, W), (1, -1, W))
MCU = {"4:4:4": (8, 8), "4:2:2": (16, 8), "4:2:0": (16, 16)}


def seed_repair(path, out, pixels):
    """The seed's correct() (edges skipped, not a loop break) and its save at quality 97."""
    im = Image.open(path)
    pim = im.load()
    maxx, maxy = im.size
    for x, y in pixels:
        n, sums = 0.0, [0.0, 0.0, 0.0]
        for dx, dy, w in MATRIX:
            px, py = x + dx, y + dy
            if px < 0 or py < 0 or px >= maxx or py >= maxy:
                continue
            n += w
            sums = [s + c * w for s, c in zip(sums, pim[px, py])]
        pim[x, y] = tuple(int(s / n) for s in sums)
    im.save(out, quality=97)


def outside_mask(shape, pixels, mcu, radius):
    """True where a pixel is outside every repaired MCU and the one-pixel border around them."""
    height, width = shape[:2]
    inside = np.zeros((height, width), bool)
    mw, mh = mcu
    for x, y in pixels:
        for yy in range(max(0, y - radius), min(height, y + radius + 1)):
            for xx in range(max(0, x - radius), min(width, x + radius + 1)):
                # every MCU touched by a repaired pixel or by the ring its repair reads from
                x0, y0 = (xx // mw) * mw, (yy // mh) * mh
                inside[max(0, y0 - 1):y0 + mh + 1, max(0, x0 - 1):x0 + mw + 1] = True
    return ~inside


def measure(input_path, output_path, mask):
    a = np.asarray(Image.open(input_path).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(output_path).convert("RGB"), dtype=np.float64)
    diff = (a - b)[mask]
    mse = float((diff ** 2).mean())
    psnr = math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)
    changed = int(np.any(((a - b) != 0) & mask[:, :, None], axis=2).sum())
    largest = int(np.abs(diff).max()) if diff.size else 0
    size_in, size_out = os.path.getsize(input_path), os.path.getsize(output_path)
    return psnr, changed, largest, size_in, size_out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("work", type=Path)
    p.add_argument("--pixelwise", default=os.environ.get("PIXELWISE", "pixelwise"))
    p.add_argument("--width", type=int, default=1936)
    p.add_argument("--height", type=int, default=1296)
    p.add_argument("--quality", type=int, default=90)
    p.add_argument("--subsampling", default="4:2:0", choices=sorted(MCU))
    p.add_argument("--pixels", type=int, default=5)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)

    stack = args.work / f"photo-{args.width}x{args.height}-q{args.quality}-{args.subsampling.replace(':', '')}"
    if not (stack / "truth.json").exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(stack), "--frames", "1", "--width",
                        str(args.width), "--height", str(args.height), "--quality", str(args.quality),
                        "--subsampling", args.subsampling, "--defects", ",".join(["hot:0.5"] * args.pixels), "--seed", "5",
                        "--margin", "2"], check=True)
    truth = json.loads((stack / "truth.json").read_text())
    photo = stack / truth["files"][0]
    pixels = [(d["x"], d["y"]) for d in truth["defects"]][:args.pixels]
    pixel_args = [a for x, y in pixels for a in ("--pixel", f"{x},{y}")]
    shape = (truth["height"], truth["width"])
    mcu = MCU[args.subsampling]

    rows = []
    runs = [
        ("pixelwise hotpixels fix (blocks recoded)", ["-o"], 0),
        ("pixelwise hotpixels fix --radius 1 (blocks recoded)", ["--radius", "1", "-o"], 1),
        ("pixelwise hotpixels fix --reencode --quality 97", ["--reencode", "--quality", "97", "-o"], 0),
    ]
    for index, (name, options, radius) in enumerate(runs):
        out = args.work / f"ours-{index}.jpg"
        subprocess.run([args.pixelwise, "hotpixels", "fix", str(photo), *pixel_args, *options, str(out)], check=True)
        rows.append((name, measure(photo, out, outside_mask(shape, pixels, mcu, radius))))
    seed_out = args.work / "seed.jpg"
    seed_repair(photo, seed_out, pixels)
    rows.append(("seed (Pillow, re-saved at quality 97)", measure(photo, seed_out, outside_mask(shape, pixels, mcu, 0))))

    lines = [f"{len(pixels)} hot pixels repaired in a {args.width}×{args.height} camera-like JPEG "
             f"(quality {args.quality}, {args.subsampling}, {os.path.getsize(photo)} bytes; bench/hotpixels/generate.py "
             f"seed 5). Outside the repaired MCUs ({mcu[0]}×{mcu[1]}) and one pixel around them:",
             "",
             "| output | PSNR outside (dB) | pixels changed outside | largest change | file size |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, (psnr, changed, largest, size_in, size_out) in rows:
        change = 100 * (size_out - size_in) / size_in
        lines.append(f"| {name} | {'∞' if psnr == math.inf else f'{psnr:.2f}'} | {changed} | {largest} | "
                     f"{size_out} bytes ({change:+.2f} %) |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

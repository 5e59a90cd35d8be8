#!/usr/bin/env python3
"""The seed program's repair (seeds/001, "Correcting stuck or hot pixels"), as a peer: Pillow opens each
photo, the pixel becomes the 1/sqrt(2)-weighted mean of its 8 neighbours, the photo is saved at JPEG
quality 95. Edge handling is fixed (continue, not break) and RGBA/gray are accepted, so that it computes the
same thing as `pixelwise hotpixels fix`; the speed is the seed's (a Python loop per pixel, PIL load/save).

    hotpixels_fix_seed.py OUTPUT_DIR X,Y[;X,Y...] FILES...
"""
import os
import sys

from PIL import Image

W = 1 / (2 ** 0.5)
MATRIX = ((0, 1, 1), (0, -1, 1), (1, 0, 1), (-1, 0, 1), (-1, -1, W), (-1, 1, W), (1, 1, W), (1, -1, W))


def correct(im, xy, listed):
    pim = im.load()
    x, y = xy
    maxx, maxy = im.size
    bands = len(im.getbands())
    colour = bands - 1 if bands in (2, 4) else bands
    n = 0
    sums = [0.0] * colour
    for dx, dy, w in MATRIX:
        px, py = x + dx, y + dy
        if px < 0 or py < 0 or px >= maxx or py >= maxy or (px, py) in listed:
            continue
        n += w
        value = pim[px, py]
        value = value if isinstance(value, tuple) else (value,)
        for c in range(colour):
            sums[c] += value[c] * w
    if n == 0:
        return
    old = pim[x, y]
    old = old if isinstance(old, tuple) else (old,)
    new = tuple(int(s / n + 0.5) for s in sums) + tuple(old[colour:])
    pim[x, y] = new if bands > 1 else new[0]


def main():
    out, pixels, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    listed = {tuple(map(int, p.split(","))) for p in pixels.split(";")}
    os.makedirs(out, exist_ok=True)
    for name in files:
        im = Image.open(name)
        if im.mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        for xy in sorted(listed):
            correct(im, xy, listed)
        im.save(os.path.join(out, os.path.basename(name)), quality=95)


if __name__ == "__main__":
    main()

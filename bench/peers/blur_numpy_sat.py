#!/usr/bin/env python3
"""Variable box mean with a numpy summed-area table (what a numpy user writes): whole process.

    blur_numpy_sat.py IMAGE.npy RADIUS.npy OUT.npy

The table is one int64 array for the whole image; the per-pixel window lookups run in blocks of rows so
that the temporaries stay a few hundred MB (a one-shot version needs ~13 GB at 15000×15000).
Output: the exact clipped-window mean, rounded half up to the input's integer type (as pixelwise does).
"""
import sys

import numpy as np


def main(image_path, radius_path, out_path):
    image = np.load(image_path)
    radius = np.load(radius_path, mmap_mode="r")
    h, w = image.shape
    sat = np.zeros((h + 1, w + 1), np.int64)
    np.cumsum(image, axis=0, dtype=np.int64, out=sat[1:, 1:])
    np.cumsum(sat[1:, 1:], axis=1, out=sat[1:, 1:])
    out = np.empty_like(image)
    xs = np.arange(w, dtype=np.int64)[None, :]
    block = 512
    for top in range(0, h, block):
        r = np.asarray(radius[top:top + block], dtype=np.int64)
        ys = np.arange(top, top + r.shape[0], dtype=np.int64)[:, None]
        y0, y1 = np.clip(ys - r, 0, h), np.clip(ys + r + 1, 0, h)
        x0, x1 = np.clip(xs - r, 0, w), np.clip(xs + r + 1, 0, w)
        s = sat[y1, x1] - sat[y0, x1] - sat[y1, x0] + sat[y0, x0]
        mean = s / ((y1 - y0) * (x1 - x0))
        out[top:top + r.shape[0]] = np.floor(mean + 0.5)
    np.save(out_path, out)


if __name__ == "__main__":
    main(*sys.argv[1:4])

#!/usr/bin/env python3
"""Reference detectors in numpy, for checking the accuracy benchmark itself (not the product).

    baseline.py FRAMES... [--method residual|variance] [--top N] [--cfa RGGB]  > scan.json

residual: per pixel and channel, the residual against the median of the 8 same-channel neighbours, averaged
          over the frames; candidates are the largest |mean residual| / (spread + 1), best first, with a
          5x5 non-maximum suppression over all channels. (The issue's "quick test": good recall, no threshold.)
variance: the seed program's ranking, lowest temporal variance first (no suppression).
Prints the scan JSON shape: {"frames", "width", "height", "skipped": [], "candidates": [...]}.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from PIL import Image


def read(path: str) -> np.ndarray:
    if path.endswith(".npy"):
        a = np.load(path)
    else:
        a = np.asarray(Image.open(path))
    a = a.astype(np.float64)
    return a[:, :, None] if a.ndim == 2 else a


def neighbour_median(plane: np.ndarray, step: int) -> np.ndarray:
    p = np.pad(plane, step, mode="reflect")
    h, w = plane.shape
    stack = [p[step + dy:step + dy + h, step + dx:step + dx + w]
             for dy in (-step, 0, step) for dx in (-step, 0, step) if dy or dx]
    return np.median(np.stack(stack), axis=0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("frames", nargs="+")
    p.add_argument("--method", choices=["residual", "variance"], default="residual")
    p.add_argument("--top", type=int, default=100)
    p.add_argument("--cfa", default=None, help="frames are 1-channel CFA mosaics: neighbours 2 px apart")
    args = p.parse_args(argv)
    step = 2 if args.cfa else 1
    n = 0
    total = squares = None
    for path in args.frames:
        frame = read(path)
        if args.method == "residual":
            value = np.stack([frame[:, :, c] - neighbour_median(frame[:, :, c], step)
                              for c in range(frame.shape[2])], axis=2)
        else:
            value = frame
        if total is None:
            total, squares = np.zeros_like(value), np.zeros_like(value)
        n += 1
        total += value
        squares += value * value
    mean = total / n
    variance = np.maximum(squares / n - mean * mean, 0)
    h, w, channels = mean.shape
    candidates = []
    if args.method == "variance":
        order = np.argsort(variance, axis=None, kind="stable")[:args.top]
        for index in order:
            y, x, c = np.unravel_index(index, variance.shape)
            candidates.append({"x": int(x), "y": int(y), "channel": int(c), "kind": "stuck",
                               "score": float(-variance[y, x, c])})
    else:
        strength = np.abs(mean) / (np.sqrt(variance) + 1.0)
        best = strength.max(axis=2)
        order = np.argsort(-best, axis=None, kind="stable")
        taken = np.zeros((h, w), bool)
        for index in order:
            if len(candidates) >= args.top:
                break
            y, x = np.unravel_index(index, best.shape)
            if taken[max(0, y - 2):y + 3, max(0, x - 2):x + 3].any():
                continue
            taken[y, x] = True
            c = int(np.argmax(strength[y, x]))
            candidates.append({"x": int(x), "y": int(y), "channel": c,
                               "kind": "hot" if mean[y, x, c] > 0 else "dead", "score": float(best[y, x])})
    json.dump({"frames": n, "width": w, "height": h, "skipped": [], "candidates": candidates}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""How separable are the planted defects of a stack from its background, whatever the detector's rules?

For a stack made by generate.py, computes per sample over the frames (numpy, float64):
- the plain t statistic of the residual against three local estimates (median of the 8 neighbours, median of
  the 24 neighbours of the 5×5 window, mean of the 8), and prints the background's largest |t| (9×9 windows
  around the defects excluded) beside each defect's largest |t| in its 3×3 window;
- the temporal correlation of each sample's value with the median of its 8 neighbours (a stuck photosite whose
  value does not follow the scene would show a low correlation).

Usage: separability.py STACK_DIR   (the folder with frame_*.jpg|png and truth.json). Takes ~1 min for 30 × 1024×768.
"""
import glob
import json
import sys

import numpy as np
from PIL import Image


def neighbours(a, r):
    h, w = a.shape[:2]
    p = np.pad(a, ((r, r), (r, r), (0, 0)), mode="edge")
    return np.stack([p[r + dy:r + dy + h, r + dx:r + dx + w]
                     for dy in range(-r, r + 1) for dx in range(-r, r + 1) if (dy, dx) != (0, 0)])


ESTIMATES = {"median of 8": lambda a: np.median(neighbours(a, 1), axis=0),
             "median of 24": lambda a: np.median(neighbours(a, 2), axis=0),
             "mean of 8": lambda a: np.mean(neighbours(a, 1), axis=0)}


def main(stack):
    truth = json.load(open(f"{stack}/truth.json"))
    files = sorted(glob.glob(f"{stack}/frame_*.jpg") + glob.glob(f"{stack}/frame_*.png"))
    sums = {k: [0.0, 0.0] for k in ESTIMATES}
    sv = sp = svv = spp = svp = 0.0
    for f in files:
        v = np.asarray(Image.open(f).convert("RGB"), dtype=np.float64)
        for name, estimate in ESTIMATES.items():
            e = estimate(v)
            r = v - e
            sums[name][0] = sums[name][0] + r
            sums[name][1] = sums[name][1] + r * r
            if name == "median of 8":
                sv, sp, svv, spp, svp = sv + v, sp + e, svv + v * v, spp + e * e, svp + v * e
    n = len(files)
    h, w = v.shape[:2]
    background = np.ones((h, w), bool)
    for d in truth["defects"]:
        background[max(0, d["y"] - 4):d["y"] + 5, max(0, d["x"] - 4):d["x"] + 5] = False
    print(f"{n} frames of {w}×{h}")
    for name, (s1, s2) in sums.items():
        mean = s1 / n
        t = mean / np.sqrt(np.maximum((s2 - n * mean * mean) / (n - 1), 1e-6) / n)
        bg = np.sort(np.abs(t)[background].ravel())
        cells = [f"{d['kind']} {d['strength']}: {np.abs(t[max(0, d['y'] - 1):d['y'] + 2, max(0, d['x'] - 1):d['x'] + 2]).max():.1f}"
                 for d in truth["defects"]]
        print(f"t, residual vs {name}: background largest {bg[-1]:.1f}, 10th {bg[-10]:.1f}; " + ", ".join(cells))
    cov = svp / n - sv * sp / n ** 2
    spread = (svv / n - (sv / n) ** 2) * (spp / n - (sp / n) ** 2)
    corr = cov / np.sqrt(np.maximum(spread, 1e-9))
    varied = (spp / n - (sp / n) ** 2) > 4
    bg = np.sort(corr[background[..., None] & varied])
    print(f"correlation of value with the median of 8: background lowest {bg[0]:.3f}, 0.001% {bg[int(len(bg) * 1e-5)]:.3f}; "
          + ", ".join(f"{d['kind']} {d['strength']}: {corr[d['y'], d['x'], d['channel']]:.3f}" for d in truth["defects"]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

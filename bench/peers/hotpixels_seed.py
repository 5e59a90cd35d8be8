#!/usr/bin/env python3
"""The seed's hot-pixel finder (seeds/001, "a multiprocessing approach"), ported to Python 3, numpy and
Pillow and kept faithful: frames split over N processes (`filenames[i::n]`), Welford's running variance
in float64 per process, the partial M2 arrays simply ADDED (the seed's mistake, kept), then the ten
lowest-M2 (sub)pixels printed.

Usage: hotpixels_seed.py N FILES...   (N = number of processes; globs are expanded like the seed does)
Changes from the seed, all needed to run at all: `import Image` -> `from PIL import Image`; the undefined
`pix` in process_pixels is `np.array(pic)` (as in the seed's single-process version); the missing indent
of the apply_async line.
"""
import sys
from glob import glob
from multiprocessing import Pool
from time import time

import numpy as np
from PIL import Image


def process_pixels(shape, *args):
    first = True
    for filename in args:
        pic = Image.open(filename)
        pix = np.array(pic)
        if pix.shape != shape:
            print("shapes don't match")
            continue
        if first:
            first = False
            firstpix = pix
            n = np.zeros(firstpix.shape)
            mean = np.zeros(firstpix.shape)
            M2 = np.zeros(firstpix.shape)
            delta = np.zeros(firstpix.shape)
        n += 1
        delta = pix - mean
        mean += delta / n
        M2 += delta * (pix - mean)
    return M2


if __name__ == '__main__':
    n = int(sys.argv[1])
    pool = Pool(n)
    filenames = []
    for a in sys.argv[2:]:
        filenames.extend(glob(a))

    shape = np.array(Image.open(filenames[0])).shape

    s = time()
    results = []
    for i in range(n):
        results.append(pool.apply_async(process_pixels, tuple([shape] + filenames[i::n])))
    for i in range(n):
        results[i] = results[i].get()
    M2 = sum(results)
    print(time() - s)

    mini = np.unravel_index(M2.argmin(), M2.shape)
    maxi = np.unravel_index(M2.argmax(), M2.shape)
    print('min', M2[mini], mini)
    print('max', M2[maxi], maxi)
    print('mean', np.mean(M2))

    sorti = M2.argsort(axis=None)
    print(sep="\n", *[(i, M2[i]) for i in [np.unravel_index(i, M2.shape) for i in sorti[:10]]])

    print(time() - s)

#!/usr/bin/env python3
"""The seed's brute-force variable average (seeds/003), compiled with numba: whole process.

    blur_numba_bruteforce.py IMAGE.npy RADIUS.npy OUT.npy

The loop is the seed's, unchanged but for @njit; output float64 (the exact means), as the seed returns.
"""
import sys

import numba
import numpy as np


@numba.njit(cache=False)
def variable_blur(data, kernel_size):
    data_blurred = np.empty(data.shape)
    ni, nj = data.shape
    for i in range(ni):
        for j in range(nj):
            res = 0.0
            weight = 0
            sigma = kernel_size[i, j]
            for ii in range(i - sigma, i + sigma + 1):
                for jj in range(j - sigma, j + sigma + 1):
                    if ii < 0 or ii >= ni or jj < 0 or jj >= nj:
                        continue
                    res += data[ii, jj]
                    weight += 1
            data_blurred[i, j] = res / weight
    return data_blurred


def main(image_path, radius_path, out_path):
    data = np.load(image_path).astype(np.int64)
    kernel = np.load(radius_path).astype(np.int64)
    np.save(out_path, variable_blur(data, kernel))


if __name__ == "__main__":
    main(*sys.argv[1:4])

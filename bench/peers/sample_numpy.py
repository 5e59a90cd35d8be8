"""Peer for `pixelwise sample`: np.load the image and the points, fancy-index img[y, x], np.save.

Usage: sample_numpy.py IMAGE.npy POINTS.npy OUT.npy [--bilinear]
With --bilinear: scipy.ndimage.map_coordinates(order=1) per channel, float64 output.
"""
import sys

import numpy as np

image = np.load(sys.argv[1])
points = np.load(sys.argv[2])
x, y = points[:, 0], points[:, 1]
if "--bilinear" in sys.argv:
    from scipy.ndimage import map_coordinates
    planes = image[..., None] if image.ndim == 2 else image
    values = np.stack([map_coordinates(planes[..., c].astype(np.float64), [y, x], order=1)
                       for c in range(planes.shape[2])], axis=1)
else:
    values = image[y, x]
    if values.ndim == 1:
        values = values[:, None]
np.save(sys.argv[3], values)

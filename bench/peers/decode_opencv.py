"""Peer for decoding an image file to NPY: cv2.imread(IMREAD_UNCHANGED), BGR → RGB, np.save.

Usage: decode_opencv.py IMAGE OUT.npy
OpenCV runs single-threaded here, as a file decoder does (libjpeg, libpng and libtiff decode on one core).
"""
import sys

import cv2
import numpy as np

cv2.setNumThreads(1)
image = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
if image is None:
    sys.exit(f"cannot read {sys.argv[1]}")
if image.ndim == 3:
    image = image[..., ::-1]
np.save(sys.argv[2], np.ascontiguousarray(image))

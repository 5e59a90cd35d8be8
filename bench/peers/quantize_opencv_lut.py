"""Remap a uint8 image to given levels with cv2.LUT (the lookup-table answer in the seed).
usage: IMAGE.npy C1,C2,... QUANTIZED.npy"""
import sys

import cv2
import numpy as np

image_path, centers_text, quantized_path = sys.argv[1:4]
centers = np.sort(np.array([float(c) for c in centers_text.split(",")]))
image = np.load(image_path)
midpoints = (centers[:-1] + centers[1:]) / 2
table = np.clip(np.rint(centers), 0, 255).astype(np.uint8)[np.searchsorted(midpoints, np.arange(256.0), side="left")]
np.save(quantized_path, cv2.LUT(image, table))

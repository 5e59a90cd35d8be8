"""Quantize to given centres the numpy way (the seed's searchsorted answer): load, searchsorted on the
midpoints, labels and quantized image saved.  usage: IMAGE.npy C1,C2,... LABELS.npy QUANTIZED.npy"""
import sys

import numpy as np

image_path, centers_text, labels_path, quantized_path = sys.argv[1:5]
centers = np.sort(np.array([float(c) for c in centers_text.split(",")]))
image = np.load(image_path)
midpoints = (centers[:-1] + centers[1:]) / 2
# side="left": a value exactly on a midpoint goes to the lower centre.
labels = np.searchsorted(midpoints, image, side="left").astype(np.uint8)
np.save(labels_path, labels)
np.save(quantized_path, centers[labels])

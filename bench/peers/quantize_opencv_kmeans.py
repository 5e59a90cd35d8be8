"""The seed's pipeline made as fast as its tools allow: np.unique over the image's values, cv2.kmeans
(20 attempts, the seed's criteria) on the unique values, then a lookup table for labels and the quantized
image (input type, rounded).  usage: IMAGE K LABELS.npy QUANTIZED.npy [--report OUT.json]"""
import json
import sys

import cv2
import numpy as np

image_path, k_text, labels_path, quantized_path = sys.argv[1:5]
report = sys.argv[sys.argv.index("--report") + 1] if "--report" in sys.argv else None
K = int(k_text)
if image_path.endswith(".npy"):
    image = np.load(image_path)
else:
    image = cv2.imread(image_path, cv2.IMREAD_UNCHANGED)
unique_values = np.unique(image)
Z = unique_values.astype(np.float32).reshape(-1, 1)
criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 0.05)
compactness, _, centers = cv2.kmeans(Z, K, None, criteria, 20, cv2.KMEANS_RANDOM_CENTERS)
centers = np.sort(centers.ravel().astype(np.float64))
midpoints = (centers[:-1] + centers[1:]) / 2
# One table entry per possible value (8/16-bit): label and quantized value, then one gather each.
domain = np.arange(np.iinfo(image.dtype).max + 1, dtype=np.float64)
label_table = np.searchsorted(midpoints, domain, side="left").astype(np.uint8)
value_table = np.clip(np.rint(centers), 0, np.iinfo(image.dtype).max).astype(image.dtype)[label_table]
np.save(labels_path, np.take(label_table, image))
np.save(quantized_path, np.take(value_table, image))
if report:
    # The k-means objective over the unique values (each weighs 1), as pixelwise's --json reports it.
    u = unique_values.astype(np.float64)
    nearest = centers[np.searchsorted(midpoints, u, side="left")]
    with open(report, "w") as f:
        json.dump({"centers": centers.tolist(), "objective": float(((u - nearest) ** 2).sum()),
                   "compactness_float32": float(compactness)}, f)

"""Measures the variable Gaussian's error on real photos against the exact per-pixel reference.

    bench/.venv/bin/python bench/blur_gaussian_accuracy.py .build/release/pixelwise

Prints one markdown table row per photo and σ map (docs/blur.md shows the result)."""
import subprocess, sys, tempfile
import numpy as np
from scipy import ndimage
from skimage import color, data

P = sys.argv[1]
TMP = tempfile.mkdtemp()
def exact(image, sigma):
    image = image.astype(np.float64); result = image.copy(); ones = np.ones_like(image)
    for s in np.unique(sigma):
        if s == 0: continue
        w = sigma == s
        result[w] = (ndimage.gaussian_filter(image, s, mode="constant", truncate=4.0)
                     / ndimage.gaussian_filter(ones, s, mode="constant", truncate=4.0))[w]
    return result
photos = {"camera": data.camera(), "astronaut": (color.rgb2gray(data.astronaut()) * 255).round().astype(np.uint8),
          "coffee": (color.rgb2gray(data.coffee()) * 255).round().astype(np.uint8)[:, :400]}
for name, img in photos.items():
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w]
    for mapname, level in [("ramp", np.round(63 * xx / (w - 1))),
                           ("radial", np.clip(np.round(63 * np.hypot(xx - w / 2, yy - h / 3) / (0.7 * max(h, w))), 0, 63)),
                           ("random", np.random.default_rng(0).integers(0, 64, size=(h, w)))]:
        sigma = level.astype(np.float64) * 64 / 63
        np.save(TMP + "/acc_img.npy", img); np.save(TMP + "/acc_sigma.npy", sigma)
        for dtype in ["float64", "same"]:
            subprocess.run([P, "blur", TMP + "/acc_img.npy", "--kernel", "gaussian", "--radius-map",
                            TMP + "/acc_sigma.npy", "--dtype", dtype, "-o", TMP + f"/acc_{dtype}.npy"], check=True)
        ref = exact(img, sigma)
        e = np.abs(np.load(TMP + "/acc_float64.npy") - ref)
        e8 = np.abs(np.load(TMP + "/acc_same.npy").astype(np.float64) - ref)
        print(f"| {name} {h}×{w} | {mapname} | {e.mean():.3f} | {e.max():.2f} | {e8.mean():.3f} | {e8.max():.2f} |", flush=True)

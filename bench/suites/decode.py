"""Decoding image files (the hot-pixel scan decodes hundreds of 10-MP JPEGs): `pixelwise crop` of the whole
image to NPY against OpenCV's `cv2.imread` + `np.save`, on the same files."""
import numpy as np

from harness import Workload

TITLE = "Decoding image files (PNG, JPEG, TIFF)"
APT = []  # nothing beyond the codecs setup.sh installs

# A 10-megapixel camera frame (3872×2592, Nikon D80/D90 class); quick mode uses a quarter of it.
FULL = (2592, 3872)
QUICK = (1296, 1936)


def _photo(shape, seed):
    """Smooth gradients plus sensor-like noise: compresses like a photo, not like white noise."""
    rng = np.random.default_rng(seed)
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    planes = [128 + 60 * np.sin(x * 0.004 + c) + 40 * np.cos(y * 0.005 - c) + 20 * np.sin((x + y) * 0.03)
              for c in range(3)]
    image = np.stack(planes, -1) + rng.normal(0, 5, (h, w, 3)).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def prepare(ctx):
    import cv2
    shape = QUICK if ctx.quick else FULL
    tag = f"{shape[1]}x{shape[0]}"
    ctx.decode_files = {}
    image = None
    specs = [
        ("jpeg420", f"photo-{tag}-q90-420.jpg",
         [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]),
        ("jpeg444", f"photo-{tag}-q90-444.jpg",
         [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]),
        ("png", f"photo-{tag}.png", [cv2.IMWRITE_PNG_COMPRESSION, 3]),
        ("tiff", f"photo-{tag}-lzw.tif", [cv2.IMWRITE_TIFF_COMPRESSION, 5]),
    ]
    for key, name, params in specs:
        path = ctx.data / name
        if not path.exists():
            if image is None:
                image = _photo(shape, 0)
            cv2.imwrite(str(path), image[..., ::-1], params)
        ctx.decode_files[key] = path


def _same(ours, peer):
    def check():
        a, b = np.load(ours), np.load(peer)
        if a.shape != b.shape:
            raise RuntimeError(f"shapes differ: {a.shape} vs {b.shape}")
        diff = int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max())
        if diff:
            return f"max |ours − OpenCV| = {diff}"
        return "pixels identical to OpenCV's"
    return check


def workloads(ctx):
    shape = QUICK if ctx.quick else FULL
    size = f"{shape[1]}×{shape[0]} RGB"
    labels = {"jpeg420": f"JPEG q90 4:2:0, {size}", "jpeg444": f"JPEG q90 4:4:4, {size}",
              "png": f"PNG 8-bit, {size}", "tiff": f"TIFF LZW 8-bit, {size}"}
    result = []
    for key, path in ctx.decode_files.items():
        ours_out, peer_out = ctx.data / f"{path.stem}-ours.npy", ctx.data / f"{path.stem}-peer.npy"
        result.append(Workload(
            name=f"decode {labels[key]} → NPY",
            ours=[ctx.pixelwise, "crop", path, "--region", f"0,0,{shape[1]},{shape[0]}", "-o", ours_out],
            peer=[ctx.python, ctx.peers / "decode_opencv.py", path, peer_out],
            peer_name="OpenCV (cv2.imread + np.save)",
            repeats=5, target="ours ≤ peer", target_ratio=1.0,
            check=_same(ours_out, peer_out)))
    return result

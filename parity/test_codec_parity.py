"""The codecs against Pillow, an independent reader and writer: files Pillow writes decode to Pillow's own
pixels, and files pixelwise writes read back in Pillow as the pixels they came from."""
import json

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def decode(run, tmp_path, path):
    """pixelwise's pixels of `path`, via `crop` of the whole image to NPY."""
    meta = json.loads(run("info", path, "--json").stdout)
    out = tmp_path / "decoded.npy"
    run("crop", path, "--region", f"0,0,{meta['width']},{meta['height']}", "-o", out)
    return np.load(out), meta


def photo(rng, height, width, channels):
    """Smooth gradients plus noise (what a JPEG encoder sees in a photo)."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [128 + 60 * np.sin(x * 0.09 + c) + 40 * np.cos(y * 0.07 - c) for c in range(channels)]
    image = np.stack(planes, -1) + rng.normal(0, 4, (height, width, channels))
    image = np.clip(image, 0, 255).astype(np.uint8)
    return image[..., 0] if channels == 1 else image


def pillow_pixels(path):
    with Image.open(path) as image:
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        elif image.mode == "1":
            image = image.convert("L")
        return np.asarray(image)


SIZES = [(1, 1), (1, 9), (9, 1), (7, 3), (5, 17), (9, 33), (24, 40)]


# Files Pillow writes, read by pixelwise -------------------------------------------------------------

@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "P", "P+tRNS", "1"])
@pytest.mark.parametrize("size", SIZES)
def test_png_written_by_pillow(tmp_path, run, mode, size):
    rng = np.random.default_rng(abs(hash((mode, size))) % 2**32)
    h, w = size
    path = tmp_path / "pillow.png"
    if mode == "I;16":
        Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16)).save(path)
    elif mode in ("P", "P+tRNS"):
        image = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).quantize(colors=16)
        if mode == "P+tRNS":
            image.info["transparency"] = 3
            image.save(path, transparency=3)
        else:
            image.save(path)
    elif mode == "1":
        Image.fromarray(rng.integers(0, 2, (h, w), dtype=np.uint8) * 255).convert("1").save(path)
    else:
        channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
        data = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        Image.fromarray(data[..., 0] if channels == 1 else data, mode).save(path)
    ours, _ = decode(run, tmp_path, path)
    expected = pillow_pixels(path)
    assert ours.shape[:2] == expected.shape[:2]
    assert np.array_equal(ours.reshape(expected.shape), expected)


@pytest.mark.parametrize("subsampling", [0, 1, 2])  # 4:4:4, 4:2:2, 4:2:0
@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(1, 1), (7, 3), (9, 33), (37, 53)])
def test_jpeg_written_by_pillow_decodes_like_pillow(tmp_path, run, subsampling, progressive, channels, size):
    rng = np.random.default_rng(11)
    path = tmp_path / "pillow.jpg"
    Image.fromarray(photo(rng, *size, channels)).save(path, quality=85, subsampling=subsampling,
                                                      progressive=progressive)
    ours, _ = decode(run, tmp_path, path)
    expected = pillow_pixels(path)
    # Both use libjpeg-turbo's accurate integer IDCT and fancy upsampling: the pixels are the same.
    assert np.array_equal(ours.reshape(expected.shape), expected)


@pytest.mark.parametrize("compression", [None, "tiff_lzw", "tiff_adobe_deflate", "packbits"])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "F", "I;16"])
def test_tiff_written_by_pillow(tmp_path, run, compression, mode):
    rng = np.random.default_rng(5)
    h, w = 23, 41
    if mode == "F":
        data = rng.standard_normal((h, w)).astype(np.float32) * 1e3
    elif mode == "I;16":
        data = rng.integers(0, 65536, (h, w), dtype=np.uint16)
    else:
        channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
        data = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        data = data[..., 0] if channels == 1 else data
    path = tmp_path / "pillow.tif"
    Image.fromarray(data).save(path, compression=compression)
    ours, _ = decode(run, tmp_path, path)
    assert ours.dtype == data.dtype
    assert np.array_equal(ours.reshape(data.shape), data)


@pytest.mark.parametrize("mode", ["L", "RGB", "I;16"])
def test_pnm_written_by_pillow(tmp_path, run, mode):
    rng = np.random.default_rng(8)
    if mode == "I;16":
        data = rng.integers(0, 65536, (13, 21), dtype=np.uint16)
        path = tmp_path / "pillow.pgm"
    else:
        data = rng.integers(0, 256, (13, 21, 3) if mode == "RGB" else (13, 21), dtype=np.uint8)
        path = tmp_path / ("pillow.ppm" if mode == "RGB" else "pillow.pgm")
    Image.fromarray(data).save(path)
    ours, _ = decode(run, tmp_path, path)
    assert np.array_equal(ours.reshape(data.shape), data)


# Files pixelwise writes, read by Pillow -------------------------------------------------------------

@pytest.mark.parametrize("dtype,channels", [(np.uint8, 1), (np.uint8, 2), (np.uint8, 3), (np.uint8, 4),
                                            (np.uint16, 1)])
@pytest.mark.parametrize("size", SIZES)
def test_png_read_by_pillow(tmp_path, run, dtype, channels, size):
    rng = np.random.default_rng(3)
    h, w = size
    data = rng.integers(0, np.iinfo(dtype).max, (h, w, channels), endpoint=True, dtype=dtype)
    data = data[..., 0] if channels == 1 else data
    np.save(tmp_path / "in.npy", data)
    run("crop", tmp_path / "in.npy", "--region", f"0,0,{w},{h}", "-o", tmp_path / "ours.png")
    assert np.array_equal(pillow_pixels(tmp_path / "ours.png").reshape(data.shape), data)


@pytest.mark.parametrize("dtype,channels", [(np.uint8, 3), (np.uint16, 1), (np.uint8, 4)])
@pytest.mark.parametrize("level", ["0", "1", "2", "6", "9"])
def test_png_levels_read_by_pillow(tmp_path, run, dtype, channels, level):
    """Level 1 is written with the Sub filter and Z_RLE (OpenCV's recipe), the others with libspng's filter choice."""
    rng = np.random.default_rng(5)
    data = rng.integers(0, np.iinfo(dtype).max, (33, 47, channels), endpoint=True, dtype=dtype)
    data = data[..., 0] if channels == 1 else data
    np.save(tmp_path / "in.npy", data)
    run("crop", tmp_path / "in.npy", "--region", "0,0,47,33", "--png-level", level, "-o", tmp_path / "ours.png")
    assert np.array_equal(pillow_pixels(tmp_path / "ours.png").reshape(data.shape), data)


@pytest.mark.parametrize("channels", [1, 3])
def test_jpeg_read_by_pillow(tmp_path, run, channels):
    data = photo(np.random.default_rng(4), 37, 53, channels)
    np.save(tmp_path / "in.npy", data)
    run("crop", tmp_path / "in.npy", "--region", "0,0,53,37", "-o", tmp_path / "ours.jpg")
    theirs = pillow_pixels(tmp_path / "ours.jpg")
    ours, _ = decode(run, tmp_path, tmp_path / "ours.jpg")
    assert np.array_equal(ours.reshape(theirs.shape), theirs)
    assert np.abs(theirs.astype(int) - data.astype(int)).mean() < 4  # the image has noise of σ = 4


@pytest.mark.parametrize("dtype,channels", [(np.uint8, 1), (np.uint8, 3), (np.uint8, 4), (np.uint16, 1),
                                            (np.float32, 1)])
def test_tiff_read_by_pillow(tmp_path, run, dtype, channels):
    rng = np.random.default_rng(6)
    if dtype == np.float32:
        data = rng.standard_normal((19, 27, channels)).astype(np.float32)
    else:
        data = rng.integers(0, np.iinfo(dtype).max, (19, 27, channels), endpoint=True, dtype=dtype)
    data = data[..., 0] if channels == 1 else data
    np.save(tmp_path / "in.npy", data)
    run("crop", tmp_path / "in.npy", "--region", "0,0,27,19", "-o", tmp_path / "ours.tif")  # Deflate + predictor
    with Image.open(tmp_path / "ours.tif") as image:
        theirs = np.asarray(image)
    assert np.array_equal(theirs.reshape(data.shape), data)


@pytest.mark.parametrize("dtype,channels", [(np.uint8, 1), (np.uint8, 3), (np.uint16, 1)])
def test_pnm_read_by_pillow(tmp_path, run, dtype, channels):
    rng = np.random.default_rng(9)
    data = rng.integers(0, np.iinfo(dtype).max, (11, 15, channels), endpoint=True, dtype=dtype)
    data = data[..., 0] if channels == 1 else data
    np.save(tmp_path / "in.npy", data)
    out = tmp_path / ("ours.ppm" if channels == 3 else "ours.pgm")
    run("crop", tmp_path / "in.npy", "--region", "0,0,15,11", "-o", out)
    assert np.array_equal(pillow_pixels(out).reshape(data.shape), data)

"""pixelwise.read / write: every format, zero-copy reads, errors."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import pixelwise

from conftest import random_image, seed_of

CASES = [
    ("png", np.uint8, 1), ("png", np.uint8, 2), ("png", np.uint8, 3), ("png", np.uint8, 4), ("png", np.uint16, 3),
    ("tif", np.uint8, 1), ("tif", np.uint16, 4), ("tif", np.float32, 1), ("tif", np.float64, 3),
    ("npy", np.uint8, 1), ("npy", np.uint16, 3), ("npy", np.float32, 4), ("npy", np.float64, 2),
    ("pgm", np.uint8, 1), ("pgm", np.uint16, 1), ("ppm", np.uint8, 3),
]


@pytest.mark.parametrize("extension,dtype,channels", CASES)
def test_write_then_read_round_trips(tmp_path, extension, dtype, channels):
    rng = np.random.default_rng(seed_of(extension, dtype, channels))
    image = random_image(rng, dtype, 13, 17, channels)
    path = tmp_path / f"a.{extension}"
    pixelwise.write(path, image)
    back = pixelwise.read(path)
    assert back.dtype == image.dtype and back.shape == image.shape
    assert np.array_equal(back, image)
    assert np.array_equal(pixelwise.read(str(path)), image)


def test_written_files_are_what_numpy_and_pillow_read(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(1)
    image = random_image(rng, np.uint8, 20, 30, 3)
    pixelwise.write(tmp_path / "a.png", image, png_level=9)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), image)
    pixelwise.write(tmp_path / "a.npy", image[::2, ::3])
    assert np.array_equal(np.load(tmp_path / "a.npy"), image[::2, ::3])
    pixelwise.write(tmp_path / "a.jpg", image, quality=100)
    assert np.abs(pixelwise.read(tmp_path / "a.jpg").astype(int) - image).mean() < 8
    pixelwise.write(tmp_path / "b.tif", image, tiff_compression="lzw")
    assert np.array_equal(pixelwise.read(tmp_path / "b.tif"), image)


def test_read_is_zero_copy_and_freed_with_the_array(tmp_path):
    image = np.arange(60, dtype=np.uint16).reshape(6, 10)
    pixelwise.write(tmp_path / "a.png", image)
    back = pixelwise.read(tmp_path / "a.png")
    assert not back.flags.owndata and back.flags.writeable
    owner = back.base
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert type(owner).__name__ == "_LibraryBuffer"
    view = back[2:4]
    del back
    gc.collect()
    assert view.tolist() == image[2:4].tolist()     # the view keeps the buffer alive
    view[0, 0] = 7                                  # and it is the caller's to write
    for _ in range(200):                            # buffers are freed: no growth over many reads
        pixelwise.read(tmp_path / "a.png")


def test_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        pixelwise.read(tmp_path / "missing.png")
    assert isinstance(info.value, pixelwise.Error) and "missing.png" in str(info.value)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(OSError) as info:
        pixelwise.read(tmp_path / "bad.png")
    assert isinstance(info.value, pixelwise.Error) and "bad.png" in str(info.value)
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(OSError, match="text.png"):
        pixelwise.read(tmp_path / "text.png")
    pixelwise.write(tmp_path / "big.png", np.zeros((100, 100), np.uint8))
    with pytest.raises(MemoryError) as info:
        pixelwise.read(tmp_path / "big.png", max_pixels=50)
    assert isinstance(info.value, pixelwise.Error) and "big.png" in str(info.value)
    with pytest.raises((ValueError, OSError), match="page") as info:
        pixelwise.read(tmp_path / "big.png", page=1)
    assert isinstance(info.value, pixelwise.Error)
    with pytest.raises(TypeError, match="path"):
        pixelwise.read(12.5)


def test_write_errors(tmp_path):
    image = np.zeros((4, 4), np.float64)
    with pytest.raises(OSError) as info:             # the format cannot hold float64
        pixelwise.write(tmp_path / "a.png", image)
    assert isinstance(info.value, pixelwise.Error) and "a.png" in str(info.value)
    assert not (tmp_path / "a.png").exists()
    with pytest.raises(ValueError, match="a.xyz"):
        pixelwise.write(tmp_path / "a.xyz", image)
    with pytest.raises(OSError, match="a.npy"):
        pixelwise.write(tmp_path / "no-such-folder" / "a.npy", image)
    with pytest.raises(ValueError, match="quality"):
        pixelwise.write(tmp_path / "a.jpg", image.astype(np.uint8), quality=0)
    with pytest.raises(ValueError, match="png_level"):
        pixelwise.write(tmp_path / "a.png", image.astype(np.uint8), png_level=10)
    with pytest.raises(ValueError, match="tiff_compression"):
        pixelwise.write(tmp_path / "a.tif", image, tiff_compression="zip")
    assert list(tmp_path.iterdir()) == []


def test_write_like_carries_the_source_and_writes_the_pixels(tmp_path):
    rng = np.random.default_rng(3)
    image = random_image(rng, np.uint8, 20, 30, 3)
    pixelwise.write(tmp_path / "source.tif", image)
    pixelwise.write(tmp_path / "derived.tif", image[2:12, 5:25], like=tmp_path / "source.tif", offset=(5, 2))
    assert np.array_equal(pixelwise.read(tmp_path / "derived.tif"), image[2:12, 5:25])
    with pytest.raises(FileNotFoundError, match="missing.tif"):
        pixelwise.write(tmp_path / "other.tif", image, like=tmp_path / "missing.tif")


"""How arrays reach the library: in place when possible, converted once otherwise, refused with a TypeError
that names the argument when they cannot be handled."""
from __future__ import annotations

import numpy as np
import pytest

import pixelwise
from pixelwise import _arrays

from conftest import CHANNELS, DTYPES, random_image, seed_of


def described(array):
    image, used = _arrays.image_arg(array, "image")
    return image, used


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", CHANNELS)
def test_contiguous_and_row_strided_views_are_used_in_place(dtype, channels):
    rng = np.random.default_rng(seed_of(dtype, channels))
    image = random_image(rng, dtype, 40, 30, channels)
    for view in (image, image[5:25, 3:20], image[::3], image[10:11], image[:, 7:8]):
        pw, used = described(view)
        assert used is view
        assert pw.data == view.ctypes.data
        assert pw.width == view.shape[1] and pw.height == view.shape[0]
        assert pw.channels == channels
        if view.shape[0] > 1:
            assert pw.row_stride == view.strides[0]


def test_read_only_and_memmapped_arrays_work(tmp_path):
    rng = np.random.default_rng(1)
    image = random_image(rng, np.uint16, 20, 30, 3)
    np.save(tmp_path / "a.npy", image)
    mapped = np.load(tmp_path / "a.npy", mmap_mode="r")
    assert not mapped.flags.writeable
    pw, used = described(mapped)
    assert pw.data == mapped.ctypes.data          # the file's pages, not a copy
    points = np.array([[0, 0], [29, 19], [4, 7]])
    assert np.array_equal(pixelwise.sample(mapped, points), image[points[:, 1], points[:, 0]])
    frozen = image.copy()
    frozen.flags.writeable = False
    assert np.array_equal(pixelwise.blur(frozen, 2), pixelwise.blur(image, 2))


@pytest.mark.parametrize("make", [
    lambda a: np.asfortranarray(a),
    lambda a: a[::-1],
    lambda a: a[:, ::-1],
    lambda a: a[:, ::2],
    lambda a: a[..., ::-1] if a.ndim == 3 else a.T,
    lambda a: a.astype(a.dtype.newbyteorder(">")),
], ids=["fortran", "rows-reversed", "columns-reversed", "every-other-column", "channels-reversed-or-T", "big-endian"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("channels", [1, 3])
def test_other_layouts_are_converted_once_and_give_the_copys_results(make, dtype, channels):
    rng = np.random.default_rng(seed_of(dtype, channels, "layout"))
    base = random_image(rng, dtype, 23, 19, channels)
    view = make(base)
    copy = np.ascontiguousarray(view).astype(view.dtype.newbyteorder("="))
    pw, used = described(view)
    assert used.flags.c_contiguous and used.dtype.isnative
    assert np.array_equal(used, copy)
    h, w = copy.shape[:2]
    points = np.stack([np.arange(w * h) % w, np.arange(w * h) // w], axis=1)
    assert np.array_equal(pixelwise.sample(view, points), pixelwise.sample(copy, points))
    assert np.array_equal(pixelwise.blur(view, 1.5), pixelwise.blur(copy, 1.5))
    assert np.array_equal(pixelwise.crop(view, 1, 2, 5, 4), pixelwise.crop(copy, 1, 2, 5, 4))


def test_unaligned_data_is_copied():
    raw = np.zeros(8 * 10 * 10 + 1, np.uint8)
    view = np.frombuffer(raw.data, dtype=np.float64, count=100, offset=1).reshape(10, 10)
    assert not view.flags.aligned
    pw, used = described(view)
    assert used.flags.aligned


def test_bool_is_a_uint8_view():
    mask = np.zeros((5, 6), bool)
    mask[2, 3] = True
    pw, used = described(mask)
    assert used.dtype == np.uint8 and pw.data == mask.ctypes.data


@pytest.mark.parametrize("dtype,values,expected", [
    (np.int8, [0, 5, 127], np.uint8),
    (np.int8, [-1, 5], np.float32),
    (np.int16, [0, 255], np.uint8),
    (np.int16, [0, 256], np.uint16),
    (np.int16, [-300, 300], np.float32),
    (np.int32, [0, 65535], np.uint16),
    (np.int32, [-(1 << 24), 1 << 24], np.float32),
    (np.int32, [0, (1 << 24) + 1], np.float64),
    (np.uint32, [0, 70000], np.float32),
    (np.uint32, [0, 2**32 - 1], np.float64),
    (np.float16, [0.5, -2], np.float32),
])
def test_other_integer_types_convert_to_the_smallest_exact_type(dtype, values, expected):
    array = np.array([values, values], dtype=dtype)
    pw, used = described(array)
    assert used.dtype == expected
    assert np.array_equal(used.astype(np.float64), array.astype(np.float64))
    # and the jobs run on them, in the converted dtype
    assert pixelwise.blur(array, 0).dtype == expected


@pytest.mark.parametrize("array,what", [
    (np.zeros((3, 3), np.complex64), "complex64"),
    (np.zeros((3, 3), np.int64), "int64"),
    (np.zeros((3, 3), np.uint64), "uint64"),
    (np.zeros((3, 3), object), "object"),
    (np.zeros((3, 3), "U2"), "<U2"),
    (np.zeros((3, 3), "datetime64[s]"), "datetime64"),
    (np.zeros((2, 3, 4, 1), np.uint8), "(2, 3, 4, 1)"),
    (np.zeros(5, np.uint8), "(5,)"),
    (np.zeros((), np.uint8), "()"),
    (np.zeros((3, 3, 5), np.uint8), "(3, 3, 5)"),
    (np.zeros((3, 3, 0), np.uint8), "(3, 3, 0)"),
])
@pytest.mark.parametrize("call", ["sample", "crop", "blur", "quantize", "fix", "write", "distance"])
def test_unsupported_arrays_raise_type_error_naming_the_argument(array, what, call, tmp_path):
    calls = {
        "sample": (lambda a: pixelwise.sample(a, [[0, 0]]), "image"),
        "crop": (lambda a: pixelwise.crop(a, 0, 0, 1, 1), "image"),
        "blur": (lambda a: pixelwise.blur(a, 1), "image"),
        "quantize": (lambda a: pixelwise.quantize(a, 2), "image"),
        "fix": (lambda a: pixelwise.hotpixels.fix(a, [[0, 0]]), "image"),
        "write": (lambda a: pixelwise.write(tmp_path / "x.npy", a), "array"),
        "distance": (lambda a: pixelwise.distance_transform(a), "mask"),
    }
    function, name = calls[call]
    with pytest.raises(TypeError) as info:
        function(array)
    assert isinstance(info.value, pixelwise.Error)
    message = str(info.value)
    assert message.startswith(name + ":"), message
    assert what in message, message


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0, 3)])
def test_empty_images_raise_value_error(shape):
    with pytest.raises(ValueError, match="image: the image is empty"):
        pixelwise.blur(np.zeros(shape, np.uint8), 1)


def test_lists_are_accepted():
    assert pixelwise.crop([[1, 2], [3, 4]], 1, 0, 1, 2).tolist() == [[2], [4]]


def test_exceptions_are_subclasses_of_error_and_the_builtins():
    assert issubclass(pixelwise.PixelwiseValueError, pixelwise.Error)
    assert issubclass(pixelwise.PixelwiseValueError, ValueError)
    assert issubclass(pixelwise.PixelwiseTypeError, TypeError)
    assert issubclass(pixelwise.PixelwiseFileNotFoundError, FileNotFoundError)
    assert issubclass(pixelwise.PixelwiseOSError, OSError)
    assert issubclass(pixelwise.PixelwiseMemoryError, MemoryError)
    assert issubclass(pixelwise.InternalError, pixelwise.Error)

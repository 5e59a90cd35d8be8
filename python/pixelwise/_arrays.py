"""numpy arrays ↔ ``pw_image`` descriptions (private).

Arrays are used in place when the library can read them as they are: dtype uint8, uint16, float32 or float64
in native byte order, aligned, (H, W) or (H, W, C) with C 1-4, the samples of a pixel adjacent and the
pixels of a row adjacent, rows any positive multiple of the sample size apart (a C-contiguous array or a
row slice/crop of one). Anything else is converted once, into a new C-contiguous array:

- other memory layouts (Fortran order, negative or non-unit pixel or channel strides, negative row strides,
  unaligned data) keep their dtype;
- big-endian data is byte-swapped;
- bool becomes uint8 (a view, no copy);
- float16 becomes float32 (exact);
- int8, int16, int32 and uint32 become the smallest type that holds every value of that array exactly:
  uint8 when all values are in 0..255, uint16 in 0..65535, float32 when all are within ±2^24, else float64;
- nested lists (not arrays) of Python ints follow the same rule (up to ±2^53).

Complex, int64/uint64, object, string and datetime arrays, 0-D/1-D/4-D arrays and more than 4 channels
raise ``TypeError`` naming the argument and the dtype or shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _abi
from ._abi import PixelwiseTypeError, PixelwiseValueError

SAMPLE_TYPES = {
    np.dtype(np.uint8): _abi.PW_UINT8,
    np.dtype(np.uint16): _abi.PW_UINT16,
    np.dtype(np.float32): _abi.PW_FLOAT32,
    np.dtype(np.float64): _abi.PW_FLOAT64,
}
DTYPES = {code: dtype for dtype, code in SAMPLE_TYPES.items()}
_EXACT_INTEGERS = frozenset(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.uint32))
_FLOAT32_EXACT = 1 << 24
_FLOAT64_EXACT = 1 << 53
_PYTHON_INTEGERS = frozenset(np.dtype(t) for t in (np.int64, np.uint64))


def _describe(array: np.ndarray) -> str:
    return f"dtype {array.dtype}, shape {array.shape}"


def _exact_type(array: np.ndarray, name: str, wide: bool = False) -> np.ndarray:
    """int8/int16/int32/uint32 → the smallest exact supported dtype (see the module docs).

    ``wide``: int64/uint64 too (from Python lists), refused beyond ±2^53 where float64 is no longer exact.
    """
    if array.size == 0:
        return array.astype(np.uint8 if array.dtype.itemsize == 1 else np.uint16)
    low, high = int(array.min()), int(array.max())
    if wide and (low < -_FLOAT64_EXACT or high > _FLOAT64_EXACT):
        raise PixelwiseTypeError(f"{name}: integers beyond ±2^53 (dtype {array.dtype}, shape {array.shape}) "
                                 "cannot be converted exactly")
    if low >= 0 and high <= 255:
        target = np.uint8
    elif low >= 0 and high <= 65535:
        target = np.uint16
    elif -_FLOAT32_EXACT <= low and high <= _FLOAT32_EXACT:
        target = np.float32
    else:
        target = np.float64
    return array.astype(target)


def normalize(value: Any, name: str, *, allow_wide: bool = False) -> np.ndarray:
    """The array as the library can take it: a supported dtype and shape, possibly still strided.

    ``allow_wide``: int64/uint64 convert to float64 instead of raising (radius maps, like the CLI's NPY maps).
    """
    if isinstance(value, np.ndarray):
        array = value if type(value) is np.ndarray else value.view(np.ndarray)
    else:
        array = np.asarray(value)
        if array.dtype in _PYTHON_INTEGERS:      # nested lists of Python ints: numpy's default int64
            return normalize(_exact_type(array, name, wide=True), name, allow_wide=allow_wide)
    dtype = array.dtype
    if dtype not in SAMPLE_TYPES:
        if dtype.kind == "b":
            array = array.view(np.uint8)
        elif dtype.kind in "uif" and not dtype.isnative:
            array = array.astype(dtype.newbyteorder("="))
            return normalize(array, name, allow_wide=allow_wide)
        elif dtype == np.float16:
            array = array.astype(np.float32)
        elif dtype in _EXACT_INTEGERS:
            array = _exact_type(array, name)
        elif allow_wide and dtype.kind in "ui":
            array = array.astype(np.float64)
        else:
            raise PixelwiseTypeError(
                f"{name}: unsupported {_describe(array)} (use uint8, uint16, float32 or float64; "
                "bool and int8/int16/int32/uint32 are converted)")
    ndim = array.ndim
    if ndim == 2:
        pass
    elif ndim == 3:
        if not 1 <= array.shape[2] <= 4:
            raise PixelwiseTypeError(f"{name}: shape {array.shape} has {array.shape[2]} channels (1 to 4 allowed)")
    else:
        raise PixelwiseTypeError(f"{name}: shape {array.shape} is not an image (H, W) or (H, W, C), "
                                 f"dtype {array.dtype}")
    return array


def describe(array: np.ndarray, name: str) -> tuple[_abi.Image, np.ndarray]:
    """A ``pw_image`` over ``array`` (after ``normalize``) and the array it points into.

    The returned array must stay referenced for as long as the description is used. The memory is used
    in place when the layout allows (see the module docs), else copied once into C order.
    """
    shape = array.shape
    height, width = shape[0], shape[1]
    channels = shape[2] if len(shape) == 3 else 1
    if height == 0 or width == 0:
        raise PixelwiseValueError(f"{name}: the image is empty (shape {shape})")
    itemsize = array.itemsize
    strides = array.strides
    pixel = channels * itemsize
    flags = array.flags
    if not flags.c_contiguous:
        # Strides of length-1 axes do not matter; the others must be: channels adjacent, pixels adjacent,
        # rows a positive multiple of the sample size apart, at least one row long.
        ok = flags.aligned and (channels == 1 or strides[2] == itemsize) and (width == 1 or strides[1] == pixel)
        if ok and height > 1:
            row = strides[0]
            ok = row >= width * pixel and row % itemsize == 0
        if not ok:
            array = np.ascontiguousarray(array)
            strides = array.strides
    elif not flags.aligned:
        array = array.copy()
        strides = array.strides
    row_stride = strides[0] if height > 1 else width * pixel
    image = _abi.Image(array.ctypes.data, width, height, channels, row_stride, SAMPLE_TYPES[array.dtype])
    return image, array


def image_arg(value: Any, name: str, *, allow_wide: bool = False) -> tuple[_abi.Image, np.ndarray]:
    """``normalize`` then ``describe``."""
    return describe(normalize(value, name, allow_wide=allow_wide), name)


def output(shape: tuple[int, ...], dtype: np.dtype) -> tuple[_abi.Image, np.ndarray]:
    """A new C-contiguous array and its ``pw_image`` (an output the library writes into)."""
    array = np.empty(shape, dtype)
    channels = shape[2] if len(shape) == 3 else 1
    image = _abi.Image(array.ctypes.data, shape[1], shape[0], channels, shape[1] * channels * array.itemsize,
                       SAMPLE_TYPES[array.dtype])
    return image, array


def one_channel(array: np.ndarray, name: str) -> None:
    """Raises unless the (normalized) array has one channel."""
    if array.ndim == 3 and array.shape[2] != 1:
        raise PixelwiseTypeError(f"{name}: shape {array.shape} has {array.shape[2]} channels; one is needed")


def dtype_arg(value: Any, name: str, allowed: tuple[str, ...]) -> str | None:
    """Normalises a dtype option (None, "same", a dtype name or a numpy dtype) to one of ``allowed`` or None."""
    if value is None or (isinstance(value, str) and value == "same"):
        return None
    try:
        text = np.dtype(value).name
    except TypeError:
        text = str(value)
    if text not in allowed:
        raise PixelwiseValueError(f"{name}={value!r}: must be 'same', " + " or ".join(repr(a) for a in allowed))
    return text

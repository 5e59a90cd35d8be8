"""ctypes bindings of the Pixelwise C ABI (include/pixelwise.h, ABI version 1).

Private: the public API is in ``pixelwise`` and ``pixelwise.hotpixels``. Every function of the header is
declared here with its argument and result types; ``check`` turns a ``pw_status`` and the one-line error
message into the matching Python exception. ctypes releases the GIL for the duration of every call, so
calls from several Python threads run at once.
"""
from __future__ import annotations

import ctypes
import os
import threading
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ABI_VERSION = 1

# ---- status codes and constants (pixelwise.h) -------------------------------------------------------------
PW_OK = 0
PW_ERROR_VALUE = 1
PW_ERROR_TYPE = 2
PW_ERROR_NOT_FOUND = 3
PW_ERROR_IO = 4
PW_ERROR_MEMORY = 5
PW_ERROR_INTERNAL = 6

PW_UINT8, PW_UINT16, PW_FLOAT32, PW_FLOAT64 = 0, 1, 2, 3
PW_POINTS_INT64, PW_POINTS_FLOAT64 = 0, 1
PW_NEAREST, PW_BILINEAR = 0, 1
PW_KERNEL_BOX, PW_KERNEL_GAUSSIAN = 0, 1
PW_RADIUS_UNIFORM, PW_RADIUS_MAP, PW_RADIUS_DISTANCE = 0, 1, 2
PW_WEIGHT_UNIQUE, PW_WEIGHT_PIXELS = 0, 1
PW_METHOD_OPTIMAL, PW_METHOD_LLOYD = 0, 1
PW_CFA_NONE, PW_CFA_RGGB, PW_CFA_BGGR, PW_CFA_GRBG, PW_CFA_GBRG = 0, 1, 2, 3, 4
PW_HOTPIXELS_RESIDUAL, PW_HOTPIXELS_VARIANCE = 0, 1


# ---- exceptions ---------------------------------------------------------------------------------------------
class Error(Exception):
    """Base class of every error raised by pixelwise.

    Each concrete error is also an instance of the matching builtin exception (``ValueError``,
    ``TypeError``, ``FileNotFoundError``, ``OSError``, ``MemoryError``), so ``except ValueError`` works too.
    """


class PixelwiseValueError(Error, ValueError):
    """A bad argument value (``PW_ERROR_VALUE``)."""


class PixelwiseTypeError(Error, TypeError):
    """A bad dtype, shape or layout (``PW_ERROR_TYPE``)."""


class PixelwiseFileNotFoundError(Error, FileNotFoundError):
    """A file that does not exist (``PW_ERROR_NOT_FOUND``)."""


class PixelwiseOSError(Error, OSError):
    """A file that cannot be read or written, or is damaged (``PW_ERROR_IO``)."""


class PixelwiseMemoryError(Error, MemoryError):
    """More memory needed than allowed or available (``PW_ERROR_MEMORY``)."""


class InternalError(Error):
    """A bug in the library (``PW_ERROR_INTERNAL``): please report it."""


_EXCEPTIONS = {
    PW_ERROR_VALUE: PixelwiseValueError,
    PW_ERROR_TYPE: PixelwiseTypeError,
    PW_ERROR_NOT_FOUND: PixelwiseFileNotFoundError,
    PW_ERROR_IO: PixelwiseOSError,
    PW_ERROR_MEMORY: PixelwiseMemoryError,
    PW_ERROR_INTERNAL: InternalError,
}


# ---- structures ---------------------------------------------------------------------------------------------
class Image(ctypes.Structure):
    """``pw_image``: data, width, height, channels, row stride (bytes), sample type."""
    _fields_ = [
        ("data", c_void_p),
        ("width", c_int64),
        ("height", c_int64),
        ("channels", c_int64),
        ("row_stride", c_int64),
        ("sample_type", c_int32),
    ]


class Radius(ctypes.Structure):
    """``pw_radius``: how a blur's radius is given."""
    _fields_ = [
        ("kind", c_int32),
        ("radius", c_double),
        ("map", Image),
        ("mask", Image),
        ("per_pixel", c_double),
        ("max_radius", c_double),
    ]


# ---- loading ------------------------------------------------------------------------------------------------
def _library_path() -> str:
    override = os.environ.get("PIXELWISE_LIBRARY")
    if override:
        return override
    return str(Path(__file__).resolve().parent / "_lib" / "libpixelwise.so")


def _load() -> ctypes.CDLL:
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"pixelwise: cannot load the Pixelwise library {path}: {error}. "
                          "Reinstall the package (pip install ./python from the repository builds it).") from error
    return lib


lib = _load()

_P = c_void_p          # any pointer passed as an address (int) or None
_ERR = (c_char_p, c_size_t)
_PP = POINTER(c_void_p)


def _declare(name: str, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


# Images and radius structures are passed as POINTER(...) via ctypes.byref.
_IMG = POINTER(Image)

pw_bytes_data = _declare("pw_bytes_data", c_void_p, _P)
pw_bytes_size = _declare("pw_bytes_size", c_int64, _P)
pw_bytes_free = _declare("pw_bytes_free", None, _P)
pw_version = _declare("pw_version", c_char_p)
pw_abi_version = _declare("pw_abi_version", c_int32)
pw_set_threads = _declare("pw_set_threads", c_int32, c_int64, *_ERR)
pw_get_threads = _declare("pw_get_threads", c_int64)
pw_buffer_free = _declare("pw_buffer_free", None, _P)
pw_read = _declare("pw_read", c_int32, c_char_p, c_int64, c_int64, _PP, _IMG, *_ERR)
pw_write = _declare("pw_write", c_int32, c_char_p, _IMG, c_int32, c_int32, c_char_p, *_ERR)
pw_write_like = _declare("pw_write_like", c_int32, c_char_p, _IMG, c_int32, c_int32, c_char_p, c_char_p, c_int64,
                         c_int64, *_ERR)
pw_sample = _declare("pw_sample", c_int32, _IMG, _P, c_int32, c_int64, c_int32, _P, *_ERR)
pw_crop = _declare("pw_crop", c_int32, _IMG, c_int64, c_int64, c_int64, c_int64, _IMG, *_ERR)
pw_blur = _declare("pw_blur", c_int32, _IMG, POINTER(Radius), c_int32, _IMG, *_ERR)
pw_distance_transform = _declare("pw_distance_transform", c_int32, _IMG, _IMG, *_ERR)
pw_quantize_fit = _declare("pw_quantize_fit", c_int32, _IMG, c_int64, c_int64, c_int64, c_int64, c_int32, c_int32,
                           c_int64, c_int64, c_uint64, _P, c_int64, POINTER(c_int64), POINTER(c_double), *_ERR)
pw_quantize_fit_values = _declare("pw_quantize_fit_values", c_int32, _P, _P, c_int64, c_int64, c_int64, c_int64,
                                  c_int32, c_int64, c_int64, c_uint64, _P, c_int64, POINTER(c_int64),
                                  POINTER(c_double), *_ERR)
pw_quantize_assign = _declare("pw_quantize_assign", c_int32, _IMG, c_int64, _P, c_int64, _IMG, _IMG, *_ERR)
pw_scan_new = _declare("pw_scan_new", c_int32, c_int64, c_int64, c_int64, c_int32, c_int32, _PP, *_ERR)
pw_scan_free = _declare("pw_scan_free", None, _P)
pw_scan_frames = _declare("pw_scan_frames", c_int64, _P)
pw_scan_geometry = _declare("pw_scan_geometry", None, _P, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64),
                            POINTER(c_int32), POINTER(c_int32), POINTER(c_int32))
pw_scan_add = _declare("pw_scan_add", c_int32, _P, _IMG, *_ERR)
pw_scan_add_files = _declare("pw_scan_add_files", c_int32, _P, POINTER(c_char_p), c_int64, c_int64, _PP, *_ERR)
pw_scan_merge = _declare("pw_scan_merge", c_int32, _P, _P, *_ERR)
pw_scan_to_bytes = _declare("pw_scan_to_bytes", c_int32, _P, _PP, *_ERR)
pw_scan_merge_bytes = _declare("pw_scan_merge_bytes", c_int32, _P, c_void_p, c_int64, c_int32, *_ERR)
pw_scan_from_bytes = _declare("pw_scan_from_bytes", c_int32, c_void_p, c_int64, _PP, *_ERR)
pw_scan_detect = _declare("pw_scan_detect", c_int32, _P, c_double, c_int64, c_int64, c_int32, _PP, *_ERR)
pw_hotpixels_fix = _declare("pw_hotpixels_fix", c_int32, _IMG, _P, c_int64, c_int64, c_int32,
                            POINTER(c_int64), *_ERR)

if pw_abi_version() != ABI_VERSION:  # pragma: no cover - a mismatched build
    raise ImportError(f"pixelwise: the library {_library_path()} has ABI version {pw_abi_version()}, "
                      f"this package needs {ABI_VERSION}")

VERSION: str = pw_version().decode()

# ---- errors -------------------------------------------------------------------------------------------------
ERROR_SIZE = 1024
_local = threading.local()


def error_buffer() -> ctypes.Array:
    """This thread's buffer for error messages (calls from several threads never share one)."""
    try:
        return _local.buffer
    except AttributeError:
        _local.buffer = ctypes.create_string_buffer(ERROR_SIZE)
        return _local.buffer


def raise_status(status: int, buffer: ctypes.Array) -> None:
    """Raises the exception for a failed call's status, with the library's message."""
    message = buffer.value.decode("utf-8", errors="replace") or f"pixelwise: failed with status {status}"
    raise _EXCEPTIONS.get(status, InternalError)(message)


class _BytesOwner:
    """Frees a ``pw_bytes`` when the last view of its memory is gone."""

    def __init__(self, handle: int) -> None:
        self.handle = handle

    def __del__(self) -> None:
        pw_bytes_free(self.handle)


def bytes_view(handle: c_void_p) -> "np.ndarray":
    """A read-only numpy uint8 view of a ``pw_bytes``'s memory, without copying; the handle is freed with the
    last reference to the view (or to arrays and memoryviews made from it)."""
    import numpy as np
    if not handle:
        return np.zeros(0, np.uint8)
    owner = _BytesOwner(handle)
    size = pw_bytes_size(handle)
    if size == 0:
        return np.zeros(0, np.uint8)
    memory = (ctypes.c_ubyte * size).from_address(pw_bytes_data(handle))
    memory._owner = owner  # the ctypes array is the numpy array's base: it keeps the handle alive
    view = np.frombuffer(memory, np.uint8)
    view.flags.writeable = False
    return view


def take_bytes(handle: c_void_p) -> bytes:
    """Copies a ``pw_bytes`` into Python bytes and frees it."""
    if not handle:
        return b""
    try:
        size = pw_bytes_size(handle)
        address = pw_bytes_data(handle)
        return ctypes.string_at(address, size) if size else b""
    finally:
        pw_bytes_free(handle)

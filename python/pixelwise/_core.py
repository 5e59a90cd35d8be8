"""The in-memory jobs: read, write, sample, crop, blur, distance_transform, quantize, threads (private module;
import them from ``pixelwise``)."""
from __future__ import annotations

import ctypes
import math
import os
import re
from dataclasses import dataclass
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

from . import _abi
from ._abi import PixelwiseTypeError, PixelwiseValueError
from ._arrays import DTYPES, SAMPLE_TYPES, describe, dtype_arg, image_arg, normalize, one_channel, output

PathLike = Union[str, "os.PathLike[str]"]
_byref = ctypes.byref
_error_buffer = _abi.error_buffer
_ERROR_SIZE = _abi.ERROR_SIZE


def _path_arg(path: Any, name: str) -> bytes:
    try:
        return os.fsencode(path)
    except TypeError:
        raise PixelwiseTypeError(f"{name}: expected a path (str or os.PathLike), got {type(path).__name__}") from None


def _shape(height: int, width: int, channels: int) -> tuple[int, ...]:
    return (height, width) if channels == 1 else (height, width, channels)


# ---- threads ----------------------------------------------------------------------------------------------
def set_threads(n: int) -> None:
    """Set the number of worker threads each call uses.

    Parameters
    ----------
    n : int
        ``n >= 1`` sets it; ``0`` restores the default (all cores, or the ``PIXELWISE_THREADS`` environment
        variable). The workers are shared between concurrent calls from several Python threads.

    Raises
    ------
    ValueError
        If ``n`` is negative.

    Examples
    --------
    >>> import pixelwise
    >>> pixelwise.set_threads(1)
    >>> pixelwise.get_threads()
    1
    >>> pixelwise.set_threads(0)   # back to all cores
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise PixelwiseTypeError(f"n: expected an int, got {type(n).__name__}")
    error = _error_buffer()
    status = _abi.pw_set_threads(int(n), error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)


def get_threads() -> int:
    """The number of worker threads each call uses.

    Returns
    -------
    int
        The current setting (see `set_threads`).

    Examples
    --------
    >>> import pixelwise
    >>> pixelwise.get_threads() >= 1
    True
    """
    return int(_abi.pw_get_threads())


# ---- files ------------------------------------------------------------------------------------------------
class _LibraryBuffer:
    """Owns a ``pw_buffer`` and exposes its pixels through the array interface (freed with the last array)."""

    __slots__ = ("_handle", "__array_interface__", "__weakref__")

    def __init__(self, handle: ctypes.c_void_p, image: _abi.Image) -> None:
        self._handle = handle
        itemsize = DTYPES[image.sample_type].itemsize
        shape = _shape(image.height, image.width, image.channels)
        strides = (image.row_stride, image.channels * itemsize) + ((itemsize,) if image.channels > 1 else ())
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": DTYPES[image.sample_type].str,
            "data": (image.data or 0, False),
            "strides": strides,
        }

    def __del__(self) -> None:
        handle, self._handle = self._handle, None
        if handle:
            try:
                _abi.pw_buffer_free(handle)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass


def read(path: PathLike, *, page: int = 0, max_pixels: int | None = None) -> np.ndarray:
    """Read an image file into a numpy array.

    PNG, JPEG, TIFF (any page), NPY, PGM/PPM and camera RAW files are recognised from their leading bytes,
    exactly as by the ``pixelwise`` command line.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    page : int, optional
        The page of a multi-page TIFF (0, the first, by default; must be 0 for other formats).
    max_pixels : int, optional
        Refuse a file whose header declares more pixels than this before anything is allocated
        (default 2**31: a guard against decompression bombs).

    Returns
    -------
    numpy.ndarray
        (H, W) for one channel, (H, W, C) for C = 2 to 4; dtype uint8, uint16, float32 or float64. The array
        is the library's own decoded buffer (no copy), freed when the array is garbage-collected.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    OSError
        If it cannot be read or is damaged or of an unknown format.
    MemoryError
        If its header declares more than ``max_pixels`` pixels.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> pixelwise.write("/tmp/pw-example.png", np.zeros((4, 6, 3), np.uint8))
    >>> pixelwise.read("/tmp/pw-example.png").shape
    (4, 6, 3)
    """
    encoded = _path_arg(path, "path")
    if max_pixels is not None and max_pixels < 1:
        raise PixelwiseValueError(f"max_pixels={max_pixels}: must be at least 1")
    handle = ctypes.c_void_p()
    image = _abi.Image()
    error = _error_buffer()
    status = _abi.pw_read(encoded, int(page), int(max_pixels or 0), _byref(handle), _byref(image), error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)
    owner = _LibraryBuffer(handle.value, image)
    return np.asarray(owner)


def write(path: PathLike, array: npt.ArrayLike, *, quality: int | None = None, png_level: int | None = None,
          tiff_compression: Literal["none", "lzw", "deflate"] | None = None, like: PathLike | None = None,
          offset: tuple[int, int] = (0, 0)) -> None:
    """Write an array to an image file; the format comes from the extension.

    ``.png``, ``.jpg``/``.jpeg``, ``.tif``/``.tiff``, ``.npy``, ``.pgm``/``.ppm``, as ``pixelwise``'s
    outputs. The file is written to a temporary file beside the target and renamed: a failed write leaves
    nothing behind.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    array : array_like
        (H, W) or (H, W, C), C = 1 to 4 (see the package docs for accepted dtypes).
    quality : int, optional
        JPEG quality 1-100 (default 95).
    png_level : int, optional
        PNG compression level 0-9 (default 1, fast).
    tiff_compression : {"none", "lzw", "deflate"}, optional
        TIFF compression (default deflate).
    like : str or os.PathLike, optional
        An image file whose metadata (EXIF with GPS and orientation, XMP, ICC profile, TIFF resolution,
        GeoTIFF tags: whatever the target format can hold) the output carries, as the CLI does for an output
        derived from one input.
    offset : (int, int)
        With ``like``: the output is the region of ``like`` whose top-left pixel is at (x, y); the
        georeference moves with it.

    Raises
    ------
    ValueError
        If an option is out of range or the extension is unknown.
    OSError
        If the file cannot be written, or its format cannot hold the array (say float64 in a PNG).

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> pixelwise.write("/tmp/pw-example.tif", np.eye(3, dtype=np.float32), tiff_compression="lzw")
    """
    encoded = _path_arg(path, "path")
    image, keep = image_arg(array, "array")
    if quality is not None and not 1 <= quality <= 100:
        raise PixelwiseValueError(f"quality={quality}: must be 1 to 100")
    if png_level is not None and not 0 <= png_level <= 9:
        raise PixelwiseValueError(f"png_level={png_level}: must be 0 to 9")
    if tiff_compression is not None and tiff_compression not in ("none", "lzw", "deflate"):
        raise PixelwiseValueError(f"tiff_compression={tiff_compression!r}: must be 'none', 'lzw' or 'deflate'")
    error = _error_buffer()
    if like is None:
        status = _abi.pw_write(encoded, _byref(image), int(quality or 0), -1 if png_level is None else int(png_level),
                               tiff_compression.encode() if tiff_compression else None, error, _ERROR_SIZE)
    else:
        offset_x, offset_y = (int(v) for v in offset)
        status = _abi.pw_write_like(encoded, _byref(image), int(quality or 0),
                                    -1 if png_level is None else int(png_level),
                                    tiff_compression.encode() if tiff_compression else None,
                                    _path_arg(like, "like"), offset_x, offset_y, error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)


# ---- sampling ---------------------------------------------------------------------------------------------
_INTERPOLATIONS = {"nearest": _abi.PW_NEAREST, "bilinear": _abi.PW_BILINEAR}
_INT64 = np.dtype(np.int64)
_FLOAT64 = np.dtype(np.float64)


def sample(image: npt.ArrayLike, points: npt.ArrayLike,
           interpolation: Literal["nearest", "bilinear"] = "nearest") -> np.ndarray:
    """Values of an image at points.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    points : array_like
        (N, 2): x (column) then y (row) of each point, integers or floats. Pixel centres are at integers;
        with ``"nearest"`` a fractional coordinate rounds half up.
    interpolation : {"nearest", "bilinear"}
        Bilinear points must lie within 0..W-1 × 0..H-1.

    Returns
    -------
    numpy.ndarray
        (N,) for a one-channel image, (N, C) otherwise; the image's dtype for ``"nearest"``, float64 for
        ``"bilinear"``.

    Raises
    ------
    ValueError
        If a point lies outside the image or is not finite (the message gives its index).

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    >>> pixelwise.sample(image, [[0, 0], [3, 2]])
    array([ 0, 11], dtype=uint8)
    >>> pixelwise.sample(image, [[0.5, 0.0]], interpolation="bilinear")
    array([0.5])
    """
    mode = _INTERPOLATIONS.get(interpolation) if isinstance(interpolation, str) else None
    if mode is None:
        raise PixelwiseValueError(f"interpolation={interpolation!r}: must be 'nearest' or 'bilinear'")
    array = normalize(image, "image")
    pw_image, keep = describe(array, "image")
    pts = points if type(points) is np.ndarray else np.asarray(points)
    kind = pts.dtype.kind
    if kind in "iu":
        pts_type, wanted = _abi.PW_POINTS_INT64, _INT64
        if pts.dtype.itemsize == 8 and kind == "u" and pts.size and pts.max() > np.iinfo(np.int64).max:
            raise PixelwiseValueError("points: a coordinate exceeds the int64 range")
    elif kind == "f":
        pts_type, wanted = _abi.PW_POINTS_FLOAT64, _FLOAT64
    else:
        raise PixelwiseTypeError(f"points: unsupported dtype {pts.dtype} (integers or floats needed)")
    if pts.ndim != 2 or pts.shape[1] != 2:
        if pts.ndim == 1 and pts.shape[0] == 0:
            pts = pts.reshape(0, 2)
        else:
            raise PixelwiseValueError(f"points: shape {pts.shape} must be (N, 2): x, y of each point")
    if pts.dtype != wanted or not pts.flags.c_contiguous or not pts.flags.aligned:
        pts = np.ascontiguousarray(pts, dtype=wanted)
    count = pts.shape[0]
    channels = pw_image.channels
    if mode == _abi.PW_NEAREST:
        out = np.empty((count,) if channels == 1 else (count, channels), array.dtype)
    else:
        out = np.empty((count,) if channels == 1 else (count, channels), _FLOAT64)
    if count == 0:
        return out
    error = _error_buffer()
    status = _abi.pw_sample(_byref(pw_image), pts.ctypes.data, pts_type, count, mode, out.ctypes.data,
                            error, _ERROR_SIZE)
    if status:
        _raise_sample_error(status, error)
    return out


_POINT_MESSAGE = re.compile(r"^point (\d+) ")


def _raise_sample_error(status: int, error: ctypes.Array) -> None:
    """The library numbers points from 1 (as the CLI's lists); Python names the 0-based index."""
    message = error.value.decode("utf-8", errors="replace")
    match = _POINT_MESSAGE.match(message)
    if match and status == _abi.PW_ERROR_VALUE:
        raise PixelwiseValueError(f"points[{int(match.group(1)) - 1}]: " + message[match.end():])
    _abi.raise_status(status, error)


def crop(image: npt.ArrayLike, x: int, y: int, width: int, height: int) -> np.ndarray:
    """A copy of a rectangular region.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    x, y : int
        The region's top-left corner (column, row).
    width, height : int
        The region's size, at least 1 each.

    Returns
    -------
    numpy.ndarray
        (height, width) or (height, width, C), the image's dtype; a new array.

    Raises
    ------
    ValueError
        If the region does not lie inside the image.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> image = np.arange(20, dtype=np.uint16).reshape(4, 5)
    >>> pixelwise.crop(image, 1, 2, 3, 2)
    array([[11, 12, 13],
           [16, 17, 18]], dtype=uint16)
    """
    for name, value in (("x", x), ("y", y), ("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise PixelwiseTypeError(f"{name}: expected an int, got {type(value).__name__}")
    array = normalize(image, "image")
    pw_image, keep = describe(array, "image")
    if width < 1 or height < 1:
        raise PixelwiseValueError(f"width={width}, height={height}: the region must be at least 1×1")
    if x < 0 or y < 0 or x + width > pw_image.width or y + height > pw_image.height:
        raise PixelwiseValueError(f"region x {x}, y {y}, width {width}, height {height}: is outside the "
                                  f"{pw_image.width}×{pw_image.height} image")
    out_image, out = output(_shape(int(height), int(width), pw_image.channels), array.dtype)
    error = _error_buffer()
    status = _abi.pw_crop(_byref(pw_image), int(x), int(y), int(width), int(height), _byref(out_image),
                          error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)
    return out


# ---- blur -------------------------------------------------------------------------------------------------
_KERNELS = {"box": _abi.PW_KERNEL_BOX, "gaussian": _abi.PW_KERNEL_GAUSSIAN}


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PixelwiseTypeError(f"{name}: expected a number, got {type(value).__name__}")
    return float(value)


def blur(image: npt.ArrayLike, radius: float | npt.ArrayLike | None = None, *,
         kernel: Literal["box", "gaussian"] = "box", distance_from: npt.ArrayLike | None = None,
         per_pixel: float | None = None, max_radius: float | None = None,
         dtype: Literal["same", "float32", "float64"] | npt.DTypeLike | None = None) -> np.ndarray:
    """Blur with a radius (or Gaussian σ) that may change from pixel to pixel.

    Exactly the ``pixelwise blur`` command: ``"box"`` is the exact mean over the (2r+1)×(2r+1) window
    clipped to the image (a fractional radius n+f weights the ring at distance n+1 by f); ``"gaussian"`` is a
    Gaussian of per-pixel σ truncated at 4σ and renormalised inside the image (σ = 0 keeps the pixel).
    Every channel is blurred independently.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C), C = 1 to 4.
    radius : float or array_like, optional
        One radius (σ for the Gaussian) for every pixel, or an (H, W) map of them (any real dtype). Give
        either ``radius`` or ``distance_from``.
    kernel : {"box", "gaussian"}
    distance_from : array_like, optional
        An (H, W) mask (bool or numbers): the radius is ``min(per_pixel × distance to the nearest nonzero
        mask pixel, max_radius)``.
    per_pixel : float, optional
        Radius per pixel of distance (required with ``distance_from``).
    max_radius : float, optional
        Largest radius (with ``distance_from``; default no limit).
    dtype : {"same", "float32", "float64"}, optional
        Output dtype: the image's own (rounded and clamped, the default) or a float type.

    Returns
    -------
    numpy.ndarray
        The blurred image, a new array of the image's shape.

    Raises
    ------
    ValueError
        If the radius is missing, given twice, negative or not finite, or the map's or mask's shape differs
        from the image's.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> image = np.zeros((5, 5), np.float64); image[2, 2] = 9
    >>> pixelwise.blur(image, 1)[1:4, 1:4]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    >>> mask = np.zeros((5, 5), bool); mask[0, 0] = True
    >>> pixelwise.blur(image, distance_from=mask, per_pixel=0.5, max_radius=2).shape
    (5, 5)
    """
    kernel_code = _KERNELS.get(kernel) if isinstance(kernel, str) else None
    if kernel_code is None:
        raise PixelwiseValueError(f"kernel={kernel!r}: must be 'box' or 'gaussian'")
    out_type = dtype_arg(dtype, "dtype", ("float32", "float64"))
    array = normalize(image, "image")
    pw_image, keep = describe(array, "image")
    height, width = pw_image.height, pw_image.width
    spec = _abi.Radius()
    keep_map = None
    if distance_from is not None:
        if radius is not None:
            raise PixelwiseValueError("radius and distance_from: give only one of them")
        if per_pixel is None:
            raise PixelwiseValueError("distance_from: needs per_pixel (radius per pixel of distance)")
        mask = normalize(distance_from, "distance_from")
        one_channel(mask, "distance_from")
        if mask.shape[:2] != (height, width):
            raise PixelwiseValueError(f"distance_from: shape {mask.shape} differs from the image's "
                                      f"{(height, width)}")
        mask_image, keep_map = describe(mask, "distance_from")
        spec.kind = _abi.PW_RADIUS_DISTANCE
        spec.mask = mask_image
        spec.per_pixel = _number(per_pixel, "per_pixel")
        spec.max_radius = math.inf if max_radius is None else _number(max_radius, "max_radius")
        if not (math.isfinite(spec.per_pixel) and spec.per_pixel >= 0):
            raise PixelwiseValueError(f"per_pixel={per_pixel}: must be finite and >= 0")
        if not spec.max_radius >= 0:
            raise PixelwiseValueError(f"max_radius={max_radius}: must be >= 0")
    else:
        if per_pixel is not None or max_radius is not None:
            raise PixelwiseValueError(f"{'per_pixel' if per_pixel is not None else 'max_radius'}: "
                                      "only goes with distance_from")
        if radius is None:
            raise PixelwiseValueError("radius: give a radius (a number or an (H, W) map) or distance_from")
        if isinstance(radius, np.ndarray) and radius.ndim == 0 and radius.dtype.kind in "uif":
            radius = radius.item()
        if isinstance(radius, (int, float, np.integer, np.floating)) and not isinstance(radius, bool):
            spec.kind = _abi.PW_RADIUS_UNIFORM
            spec.radius = float(radius)
            if not (math.isfinite(spec.radius) and spec.radius >= 0):
                raise PixelwiseValueError(f"radius={radius}: must be finite and >= 0")
        else:
            radius_map = normalize(radius, "radius", allow_wide=True)
            one_channel(radius_map, "radius")
            if radius_map.shape[:2] != (height, width):
                raise PixelwiseValueError(f"radius: map shape {radius_map.shape} differs from the image's "
                                          f"{(height, width)}")
            map_image, keep_map = describe(radius_map, "radius")
            spec.kind = _abi.PW_RADIUS_MAP
            spec.map = map_image
    out_image, out = output(array.shape, np.dtype(out_type) if out_type else array.dtype)
    error = _error_buffer()
    status = _abi.pw_blur(_byref(pw_image), _byref(spec), kernel_code, _byref(out_image), error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)
    return out


def distance_transform(mask: npt.ArrayLike) -> np.ndarray:
    """Exact Euclidean distance of every pixel to the nearest nonzero pixel of a mask.

    Parameters
    ----------
    mask : array_like
        (H, W) (or (H, W, 1)), bool or numbers; nonzero pixels are the regions.

    Returns
    -------
    numpy.ndarray
        (H, W) float32: 0 on the regions. This is ``scipy.ndimage.distance_transform_edt(mask == 0)``, in
        float32.

    Raises
    ------
    ValueError
        If the mask has no nonzero pixel (every distance would be infinite), as the CLI.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> mask = np.zeros((1, 5), bool); mask[0, 0] = True
    >>> pixelwise.distance_transform(mask)
    array([[0., 1., 2., 3., 4.]], dtype=float32)
    """
    array = normalize(mask, "mask")
    one_channel(array, "mask")
    pw_mask, keep = describe(array, "mask")
    out_image, out = output((pw_mask.height, pw_mask.width), np.dtype(np.float32))
    error = _error_buffer()
    status = _abi.pw_distance_transform(_byref(pw_mask), _byref(out_image), error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)
    return out


# ---- quantize ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quantization:
    """The result of `quantize`.

    Attributes
    ----------
    centers : numpy.ndarray
        The K levels, sorted, float64.
    labels : numpy.ndarray or None
        (H, W) index of each pixel's level (nearest centre, ties to the lower): uint8 for K <= 256, else
        uint16. None when not asked for.
    image : numpy.ndarray or None
        (H, W) quantized image: the input's dtype (centres rounded) or float64 (exact centres). None when not
        asked for.
    objective : float or None
        The clustering's sum of squared distances (weighted as ``weighting`` says); None for given centres.
    """
    centers: np.ndarray
    labels: np.ndarray | None
    image: np.ndarray | None
    objective: float | None

    @property
    def k(self) -> int:
        """Number of levels."""
        return len(self.centers)


_WEIGHTINGS = {"unique": _abi.PW_WEIGHT_UNIQUE, "pixels": _abi.PW_WEIGHT_PIXELS}
_METHODS = {"optimal": _abi.PW_METHOD_OPTIMAL, "lloyd": _abi.PW_METHOD_LLOYD}
_K_LIMIT = 65536


def fit_levels(values: np.ndarray, weights: np.ndarray | None, k: Any, *, method: str = "optimal",
               restarts: int = 10, max_iterations: int = 300, seed: int = 1) -> tuple[np.ndarray, float]:
    """(centres, objective) of the k-means fit of counted data: `values` an image's distinct values (sorted,
    strictly increasing), `weights` how many pixels hold each (None: each weighs 1, the unique weighting).
    The same levels as `quantize` of an image with those values and counts (``pw_quantize_fit_values``)."""
    method_code = _METHODS.get(method) if isinstance(method, str) else None
    if method_code is None:
        raise PixelwiseValueError(f"method={method!r}: must be 'optimal' or 'lloyd'")
    data = np.ascontiguousarray(values, np.float64)
    counts = None if weights is None else np.ascontiguousarray(weights, np.float64)
    if data.ndim != 1 or (counts is not None and counts.shape != data.shape):
        raise PixelwiseValueError(f"values and weights: expected two 1-D arrays of one length, got shapes "
                                  f"{data.shape} and {None if counts is None else counts.shape}")
    k_fixed, k_min, k_max = _parse_k(k)
    capacity = k_fixed or k_max
    levels = np.empty(capacity, np.float64)
    count = ctypes.c_int64()
    value = ctypes.c_double()
    error = _error_buffer()
    status = _abi.pw_quantize_fit_values(data.ctypes.data if data.size else None,
                                         None if counts is None or not counts.size else counts.ctypes.data,
                                         data.size, k_fixed, k_min, k_max, method_code, int(restarts),
                                         int(max_iterations), int(seed) & 0xFFFFFFFFFFFFFFFF, levels.ctypes.data,
                                         capacity, _byref(count), _byref(value), error, _ERROR_SIZE)
    if status:
        _abi.raise_status(status, error)
    return levels[:count.value].copy(), value.value


def _parse_k(k: Any) -> tuple[int, int, int]:
    """(k, k_min, k_max) for pw_quantize_fit: k == 0 means automatic."""
    if isinstance(k, str):
        if k == "auto":
            return 0, 1, 9
        if k.startswith("auto:"):
            parts = k[5:].split("-")
            try:
                low, high = (int(p) for p in parts) if len(parts) == 2 else (None, None)
            except ValueError:
                low = high = None
            if low is None or high is None or not 1 <= low <= high <= _K_LIMIT:
                raise PixelwiseValueError(f"k={k!r}: expected 'auto:MIN-MAX' with 1 <= MIN <= MAX <= {_K_LIMIT}")
            return 0, low, high
        raise PixelwiseValueError(f"k={k!r}: expected a positive integer, 'auto' or 'auto:MIN-MAX'")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise PixelwiseTypeError(f"k: expected an int or 'auto', got {type(k).__name__}")
    if not 1 <= k <= _K_LIMIT:
        raise PixelwiseValueError(f"k={k}: must be 1 to {_K_LIMIT}")
    return int(k), 0, 0


def checked_channel(channel: int | None, channels: int) -> int:
    """The channel to quantize: `channel` checked against the image's `channels` (None: the only one)."""
    if channel is None:
        if channels > 1:
            raise PixelwiseValueError(f"image: {channels} channels; choose one with channel=0..{channels - 1}")
        return 0
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise PixelwiseTypeError(f"channel: expected an int, got {type(channel).__name__}")
    if not 0 <= channel < channels:
        raise PixelwiseValueError(f"channel={channel}: the image has {channels} channel"
                                  f"{'' if channels == 1 else 's'} (0..{channels - 1})")
    return int(channel)


def quantize(image: npt.ArrayLike, k: int | str | None = None, *, centers: npt.ArrayLike | None = None,
             weighting: Literal["unique", "pixels"] = "unique", method: Literal["optimal", "lloyd"] = "optimal",
             channel: int | None = None, dtype: Literal["same", "float64"] | npt.DTypeLike | None = None,
             labels: bool = True, values: bool = True, restarts: int = 10, max_iterations: int = 300,
             seed: int = 1) -> Quantization:
    """Quantize grey levels to K values: provably optimal 1-D k-means, then nearest-level labels.

    Exactly ``pixelwise quantize``: the levels are found by exact k-means over the image's distinct values
    (each weighs 1 with ``weighting="unique"``, so a large uniform background does not pull the centres; or
    its pixel count with ``"pixels"``). Every pixel then goes to its nearest level (ties to the lower).

    Parameters
    ----------
    image : array_like
        (H, W), or (H, W, C) with ``channel`` chosen. NaN is refused.
    k : int or str, optional
        Number of levels (1 to 65536), ``"auto"`` (the best BIC for K in 1..9) or ``"auto:MIN-MAX"``.
    centers : array_like, optional
        Use these levels instead of clustering (finite, distinct; sorted here). Excludes ``k``.
    weighting : {"unique", "pixels"}
    method : {"optimal", "lloyd"}
        ``"lloyd"``: k-means++ seeded Lloyd iterations (a local optimum), with ``restarts``,
        ``max_iterations`` and ``seed``.
    channel : int, optional
        The channel of a multi-channel image.
    dtype : {"same", "float64"}, optional
        dtype of ``.image``: the input's (centres rounded) or float64 (exact centres).
    labels, values : bool
        Whether to compute ``.labels`` and ``.image`` (both by default).

    Returns
    -------
    Quantization
        ``.centers``, ``.labels``, ``.image``, ``.objective``.

    Raises
    ------
    ValueError
        For a bad ``k``, ``centers``, ``channel`` or option, or an image with NaN.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> image = np.array([[0, 1, 2], [10, 11, 12]], np.uint8)
    >>> q = pixelwise.quantize(image, 2)
    >>> q.centers
    array([ 1., 11.])
    >>> q.labels
    array([[0, 0, 0],
           [1, 1, 1]], dtype=uint8)
    >>> q.image
    array([[ 1,  1,  1],
           [11, 11, 11]], dtype=uint8)
    """
    weighting_code = _WEIGHTINGS.get(weighting) if isinstance(weighting, str) else None
    if weighting_code is None:
        raise PixelwiseValueError(f"weighting={weighting!r}: must be 'unique' or 'pixels'")
    method_code = _METHODS.get(method) if isinstance(method, str) else None
    if method_code is None:
        raise PixelwiseValueError(f"method={method!r}: must be 'optimal' or 'lloyd'")
    out_type = dtype_arg(dtype, "dtype", ("float64",))
    if (k is None) == (centers is None):
        raise PixelwiseValueError("k and centers: give exactly one (k levels to find, or the centers to use)")
    if restarts < 1:
        raise PixelwiseValueError(f"restarts={restarts}: must be at least 1")
    if max_iterations < 1:
        raise PixelwiseValueError(f"max_iterations={max_iterations}: must be at least 1")
    array = normalize(image, "image")
    pw_image, keep = describe(array, "image")
    channels = pw_image.channels
    channel = checked_channel(channel, channels)
    error = _error_buffer()
    objective: float | None = None
    if centers is not None:
        given = np.asarray(centers)
        if given.dtype.kind not in "uif" or given.ndim > 1:
            raise PixelwiseTypeError(f"centers: expected a 1-D sequence of numbers, got dtype {given.dtype}, "
                                     f"shape {given.shape}")
        levels = np.sort(given.astype(np.float64).ravel())
        if levels.size == 0:
            raise PixelwiseValueError("centers: no centre given")
        if levels.size > _K_LIMIT:
            raise PixelwiseValueError(f"centers: {levels.size} centres; at most {_K_LIMIT} (labels are 16-bit)")
        if not np.isfinite(levels).all():
            raise PixelwiseValueError(f"centers: {levels[~np.isfinite(levels)][0]} is not a finite number")
        twice = np.flatnonzero(levels[1:] == levels[:-1])
        if twice.size:
            raise PixelwiseValueError(f"centers: {levels[twice[0]]} is given twice; centres must be distinct")
    else:
        k_fixed, k_min, k_max = _parse_k(k)
        capacity = k_fixed or k_max
        levels = np.empty(capacity, np.float64)
        count = ctypes.c_int64()
        value = ctypes.c_double()
        status = _abi.pw_quantize_fit(_byref(pw_image), channel, k_fixed, k_min, k_max, weighting_code, method_code,
                                      int(restarts), int(max_iterations), int(seed) & 0xFFFFFFFFFFFFFFFF,
                                      levels.ctypes.data, capacity, _byref(count), _byref(value), error, _ERROR_SIZE)
        if status:
            _abi.raise_status(status, error)
        levels = levels[:count.value].copy()
        objective = value.value
    height, width = pw_image.height, pw_image.width
    label_image = value_image = None
    label_array = value_array = None
    if labels:
        label_image, label_array = output((height, width), np.dtype(np.uint8 if levels.size <= 256 else np.uint16))
    if values:
        value_image, value_array = output((height, width), np.dtype(out_type) if out_type else array.dtype)
    if labels or values:
        status = _abi.pw_quantize_assign(_byref(pw_image), channel, levels.ctypes.data, levels.size,
                                         _byref(label_image) if label_image is not None else None,
                                         _byref(value_image) if value_image is not None else None,
                                         error, _ERROR_SIZE)
        if status:
            _abi.raise_status(status, error)
    return Quantization(levels, label_array, value_array, objective)

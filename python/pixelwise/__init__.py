"""Pixelwise: fast pixel-level work on numpy arrays, in process.

Every job of the ``pixelwise`` command line on numpy arrays, through the Swift library's C ABI: nothing here
computes pixels, numpy only describes the buffers, which the library reads in place.

>>> import numpy as np, pixelwise
>>> image = np.arange(12, dtype=np.uint8).reshape(3, 4)
>>> pixelwise.sample(image, [[1, 2]])
array([9], dtype=uint8)

Functions: `read`, `write`, `sample`, `crop`, `blur`, `distance_transform`, `quantize`, `set_threads`,
`get_threads`; `pixelwise.hotpixels` for hot-pixel scans and repairs; `pixelwise.dask` (optional extra
``pixelwise[dask]``) for dask arrays and clusters.
"""
from __future__ import annotations

from . import hotpixels
from ._abi import (
    Error,
    InternalError,
    PixelwiseFileNotFoundError,
    PixelwiseMemoryError,
    PixelwiseOSError,
    PixelwiseTypeError,
    PixelwiseValueError,
)
from ._abi import VERSION as library_version
from ._core import (
    Quantization,
    blur,
    crop,
    distance_transform,
    get_threads,
    quantize,
    read,
    sample,
    set_threads,
    write,
)

__version__ = "0.1.0"

__all__ = [
    "Error",
    "InternalError",
    "PixelwiseFileNotFoundError",
    "PixelwiseMemoryError",
    "PixelwiseOSError",
    "PixelwiseTypeError",
    "PixelwiseValueError",
    "Quantization",
    "blur",
    "crop",
    "distance_transform",
    "get_threads",
    "hotpixels",
    "library_version",
    "quantize",
    "read",
    "sample",
    "set_threads",
    "write",
]

"""Hot, stuck and dead sensor pixels: find them in a stack of photos, merge scans, repair images.

The same statistics and detector as ``pixelwise hotpixels scan``/``merge``/``fix``: a `Scan` accumulates
per-pixel running moments frame by frame (from arrays with `Scan.add`, or decoded from files on every core
with `Scan.add_files`); scans merge exactly (Chan et al.), serialise to the CLI's state files, and
`Scan.detect` ranks the defects. `scan` is the CLI's scan in one call; `fix` repairs listed pixels.
"""
from __future__ import annotations

import ctypes
import glob
import json
import math
import os
import pickle
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _abi
from ._abi import PixelwiseTypeError, PixelwiseValueError
from ._arrays import DTYPES, describe, image_arg, normalize

__all__ = ["Scan", "ScanResult", "Defect", "scan", "fix"]

PathLike = Union[str, "os.PathLike[str]"]
_byref = ctypes.byref
_ERROR_SIZE = _abi.ERROR_SIZE

_CFAS = {None: _abi.PW_CFA_NONE, "RGGB": _abi.PW_CFA_RGGB, "BGGR": _abi.PW_CFA_BGGR, "GRBG": _abi.PW_CFA_GRBG,
         "GBRG": _abi.PW_CFA_GBRG}
_CFA_NAMES = {code: name for name, code in _CFAS.items()}
_METHODS = {"residual": _abi.PW_HOTPIXELS_RESIDUAL, "variance": _abi.PW_HOTPIXELS_VARIANCE}
_METHOD_NAMES = {code: name for name, code in _METHODS.items()}
# The file names a folder contributes (as the CLI's FrameList).
_IMAGE_EXTENSIONS = frozenset("jpg jpeg jpe png tif tiff npy pgm ppm pnm nef cr2 cr3 arw dng orf rw2 raf pef srw "
                              "nrw".split())


def _cfa_code(cfa: str | None) -> int:
    key = cfa.upper() if isinstance(cfa, str) else cfa
    if key not in _CFAS:
        raise PixelwiseValueError(f"cfa={cfa!r}: unknown pattern (use None, 'RGGB', 'BGGR', 'GRBG' or 'GBRG')")
    return _CFAS[key]


def _method_code(method: str) -> int:
    code = _METHODS.get(method.lower()) if isinstance(method, str) else None
    if code is None:
        raise PixelwiseValueError(f"method={method!r}: unknown (use 'residual' or 'variance')")
    return code


def _check(status: int, error: ctypes.Array) -> None:
    if status:
        _abi.raise_status(status, error)


@dataclass(frozen=True)
class Defect:
    """One defective pixel found by `Scan.detect`.

    Attributes
    ----------
    x, y : int
        Column and row.
    channel : int
        The channel (0 for one-channel frames and CFA mosaics).
    kind : str
        ``"hot"``, ``"stuck"``, ``"dead"`` or ``"flickering"`` (as the CLI reports them).
    score : float
        Strength in standard errors; higher is surer.
    """
    x: int
    y: int
    channel: int
    kind: str
    score: float


def _defects(report: dict) -> list[Defect]:
    return [Defect(int(c["x"]), int(c["y"]), int(c.get("channel", 0)), str(c["kind"]), float(c["score"]))
            for c in report.get("candidates", [])]


def _byte_view(data: Any) -> np.ndarray:
    """State bytes as a uint8 array over whatever holds them, without copying (a state may be hundreds of MB)."""
    if not isinstance(data, (bytes, bytearray, memoryview, np.ndarray, pickle.PickleBuffer)):
        raise PixelwiseTypeError(f"data: expected bytes, got {type(data).__name__}")
    try:
        return np.frombuffer(data, np.uint8)
    except (ValueError, TypeError, BufferError) as error:
        raise PixelwiseTypeError(f"data: not a contiguous buffer of bytes ({error})") from None


class Scan:
    """Running per-pixel statistics of a stack of frames (the state of ``pixelwise hotpixels scan``).

    Parameters
    ----------
    width, height, channels : int, optional
        The frames' geometry; None (or 0) takes it from the first frame added. The dtype always comes from
        the first frame.
    method : {"residual", "variance"}
        ``"residual"`` (default): residual against the local median; ``"variance"``: the seed program's
        lowest-variance ranking.
    cfa : {None, "RGGB", "BGGR", "GRBG", "GBRG"}
        The frames are raw one-channel Bayer mosaics with this pattern.

    Notes
    -----
    A scan is not shared between threads for `add`/`add_files`/`merge` (a lock serialises such calls on one
    scan); separate scans run in parallel. Scans pickle through `to_bytes`.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelwise import hotpixels
    >>> rng = np.random.default_rng(0)
    >>> scan = hotpixels.Scan(64, 48, 1)
    >>> for _ in range(8):
    ...     frame = rng.integers(0, 100, (48, 64)).astype(np.uint8)
    ...     frame[10, 20] = 255                      # a hot pixel
    ...     scan.add(frame)
    >>> scan.frames
    8
    >>> [(d.x, d.y, d.kind) for d in scan.detect(top=1)]
    [(20, 10, 'hot')]
    """

    __slots__ = ("_handle", "_lock", "__weakref__")

    def __init__(self, width: int | None = None, height: int | None = None, channels: int | None = None, *,
                 method: Literal["residual", "variance"] = "residual", cfa: str | None = None) -> None:
        self._handle: int | None = None
        self._lock = threading.Lock()
        sizes = []
        for name, value in (("width", width), ("height", height), ("channels", channels)):
            if value is None:
                value = 0
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise PixelwiseTypeError(f"{name}: expected an int, got {type(value).__name__}")
            if value < 0:
                raise PixelwiseValueError(f"{name}={value}: must be >= 0")
            sizes.append(int(value))
        handle = ctypes.c_void_p()
        error = _abi.error_buffer()
        _check(_abi.pw_scan_new(sizes[0], sizes[1], sizes[2], _cfa_code(cfa), _method_code(method), _byref(handle),
                                error, _ERROR_SIZE), error)
        self._handle = handle.value

    @classmethod
    def _adopt(cls, handle: int) -> "Scan":
        scan = cls.__new__(cls)
        scan._handle = handle
        scan._lock = threading.Lock()
        return scan

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = None
            try:
                _abi.pw_scan_free(handle)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    # -- geometry --------------------------------------------------------------------------------------------
    def _geometry(self) -> tuple[int, int, int, int, int, int]:
        w, h, c = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        t, cfa, method = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        _abi.pw_scan_geometry(self._handle, _byref(w), _byref(h), _byref(c), _byref(t), _byref(cfa), _byref(method))
        return w.value, h.value, c.value, t.value, cfa.value, method.value

    @property
    def frames(self) -> int:
        """Number of frames accumulated."""
        return int(_abi.pw_scan_frames(self._handle))

    @property
    def width(self) -> int:
        """Frame width (0 before the first frame when not given)."""
        return self._geometry()[0]

    @property
    def height(self) -> int:
        """Frame height (0 before the first frame when not given)."""
        return self._geometry()[1]

    @property
    def channels(self) -> int:
        """Channels per frame (0 before the first frame when not given)."""
        return self._geometry()[2]

    @property
    def dtype(self) -> np.dtype | None:
        """The frames' dtype (None before the first frame)."""
        code = self._geometry()[3]
        return DTYPES.get(code)

    @property
    def cfa(self) -> str | None:
        """The CFA pattern, or None."""
        return _CFA_NAMES.get(self._geometry()[4])

    @property
    def method(self) -> str:
        """``"residual"`` or ``"variance"``."""
        return _METHOD_NAMES.get(self._geometry()[5], "residual")

    def __repr__(self) -> str:
        w, h, c, t, cfa, method = self._geometry()
        dtype = DTYPES.get(t)
        return (f"Scan(width={w}, height={h}, channels={c}, dtype={dtype}, method={_METHOD_NAMES.get(method)!r}, "
                f"cfa={_CFA_NAMES.get(cfa)!r}, frames={self.frames})")

    # -- accumulating ----------------------------------------------------------------------------------------
    def add(self, frame: npt.ArrayLike) -> None:
        """Add one frame.

        Parameters
        ----------
        frame : array_like
            (H, W) or (H, W, C) of the scan's size, channels and (after the first frame) dtype.

        Raises
        ------
        ValueError
            If the frame's size, channels or dtype differ from the scan's.

        Examples
        --------
        >>> import numpy as np
        >>> from pixelwise import hotpixels
        >>> scan = hotpixels.Scan()
        >>> scan.add(np.zeros((4, 4), np.uint8))
        >>> (scan.width, scan.height, scan.frames)
        (4, 4, 1)
        """
        image, keep = image_arg(frame, "frame")
        width, height, channels, sample_type, _, _ = self._geometry()
        if sample_type >= 0 or width or channels:
            # Checked here so that a mismatch is a ValueError naming the frame (this build reports it as IO).
            if (width and (image.width, image.height) != (width, height)) or (channels and image.channels != channels):
                raise PixelwiseValueError(f"frame: size {image.width}×{image.height}×{image.channels} differs from the "
                                          f"scan's {width}×{height}×{channels}")
            if sample_type >= 0 and image.sample_type != sample_type:
                raise PixelwiseValueError(f"frame: dtype {DTYPES[image.sample_type]} differs from the scan's "
                                          f"{DTYPES[sample_type]}")
        error = _abi.error_buffer()
        with self._lock:
            status = _abi.pw_scan_add(self._handle, _byref(image), error, _ERROR_SIZE)
        _check(status, error)

    def add_files(self, paths: Iterable[PathLike], *, max_pixels: int | None = None) -> list[tuple[str, str]]:
        """Decode files on every core and add them (the CLI's scan pipeline).

        Parameters
        ----------
        paths : iterable of str or os.PathLike
            Image files (any format `pixelwise.read` takes).
        max_pixels : int, optional
            As in `pixelwise.read`.

        Returns
        -------
        list of (str, str)
            The files skipped (unreadable, or of another size, channel count or dtype) and why.

        Raises
        ------
        OSError
            If no file could be added and the scan was empty (the first reason is in the message).

        Examples
        --------
        >>> import numpy as np, pixelwise
        >>> from pixelwise import hotpixels
        >>> for i in range(3):
        ...     pixelwise.write(f"/tmp/pw-frame-{i}.png", np.full((4, 4), i, np.uint8))
        >>> scan = hotpixels.Scan()
        >>> scan.add_files([f"/tmp/pw-frame-{i}.png" for i in range(3)] + ["/tmp/pw-missing.png"])[0][0]
        '/tmp/pw-missing.png'
        >>> scan.frames
        3
        """
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        encoded = [os.fsencode(p) for p in paths]
        if max_pixels is not None and max_pixels < 1:
            raise PixelwiseValueError(f"max_pixels={max_pixels}: must be at least 1")
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        skipped = ctypes.c_void_p()
        error = _abi.error_buffer()
        with self._lock:
            status = _abi.pw_scan_add_files(self._handle, array, len(encoded), int(max_pixels or 0), _byref(skipped),
                                            error, _ERROR_SIZE)
        text = _abi.take_bytes(skipped.value)
        _check(status, error)
        return [(str(item["path"]), str(item["reason"])) for item in json.loads(text)] if text else []

    def merge(self, other: "Scan") -> None:
        """Merge another scan's frames into this one, exactly (Chan et al.).

        Parameters
        ----------
        other : Scan
            The same geometry, dtype, CFA and method. It is not changed.

        Examples
        --------
        >>> import numpy as np
        >>> from pixelwise import hotpixels
        >>> a, b = hotpixels.Scan(), hotpixels.Scan()
        >>> a.add(np.zeros((4, 4), np.uint8)); b.add(np.ones((4, 4), np.uint8))
        >>> a.merge(b); a.frames
        2
        """
        if not isinstance(other, Scan):
            raise PixelwiseTypeError(f"other: expected a Scan, got {type(other).__name__}")
        mine, theirs = self._geometry(), other._geometry()
        if (mine[0] and theirs[0] and mine[:3] != theirs[:3]) or (mine[3] >= 0 and theirs[3] >= 0 and mine[3] != theirs[3]) \
                or mine[4:] != theirs[4:]:
            def text(g):
                return (f"{g[0]}×{g[1]}×{g[2]} {DTYPES.get(g[3], 'no frame yet')}, cfa {_CFA_NAMES.get(g[4])}, "
                        f"method {_METHOD_NAMES.get(g[5])}")
            raise PixelwiseValueError(f"other: the scan is {text(theirs)}; this one is {text(mine)}")
        error = _abi.error_buffer()
        if other is self:
            other = Scan.from_bytes(self.to_bytes())
        first, second = (self, other) if id(self) < id(other) else (other, self)
        with first._lock, second._lock:
            status = _abi.pw_scan_merge(self._handle, other._handle, error, _ERROR_SIZE)
        _check(status, error)

    def merge_bytes(self, data: bytes | bytearray | memoryview | np.ndarray, *, earlier: bool = False) -> None:
        """Merge a state given as its bytes (`to_bytes`, or a CLI ``--save-state`` file's contents), exactly.

        The same as ``merge(Scan.from_bytes(data))``, but the statistics are read where they are: a state of
        hundreds of MB (received from another process, or memory-mapped from a file) is merged without being
        decoded into a copy first.

        Parameters
        ----------
        data : bytes-like
            The state's bytes (checked: magic, version, sizes, checksum).
        earlier : bool
            Its frames come before this scan's (they are listed first in the state's frame list).

        Raises
        ------
        ValueError
            If the bytes are not a valid state, or the state's geometry differs from this scan's.

        Examples
        --------
        >>> import numpy as np
        >>> from pixelwise import hotpixels
        >>> a, b = hotpixels.Scan(), hotpixels.Scan()
        >>> a.add(np.zeros((4, 4), np.uint8)); b.add(np.ones((4, 4), np.uint8))
        >>> a.merge_bytes(b.to_bytes()); a.frames
        2
        """
        raw = _byte_view(data)
        error = _abi.error_buffer()
        with self._lock:
            status = _abi.pw_scan_merge_bytes(self._handle, raw.ctypes.data if raw.size else None, raw.size,
                                              1 if earlier else 0, error, _ERROR_SIZE)
        _check(status, error)

    # -- state bytes -----------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The state as the bytes of a CLI state file (``hotpixels scan --save-state``).

        Examples
        --------
        >>> import numpy as np
        >>> from pixelwise import hotpixels
        >>> scan = hotpixels.Scan(); scan.add(np.zeros((4, 4), np.uint8))
        >>> hotpixels.Scan.from_bytes(scan.to_bytes()).frames
        1
        """
        return bytes(self._state_view())

    def _state_view(self) -> np.ndarray:
        """The state bytes as a read-only uint8 array over the library's own buffer (no copy)."""
        handle = ctypes.c_void_p()
        error = _abi.error_buffer()
        with self._lock:
            status = _abi.pw_scan_to_bytes(self._handle, _byref(handle), error, _ERROR_SIZE)
        _check(status, error)
        return _abi.bytes_view(handle.value)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> "Scan":
        """A scan from the bytes of a state file (`to_bytes`, or a CLI ``--save-state`` file's contents).

        Raises
        ------
        ValueError
            If the bytes are not a valid state (magic, version, sizes and checksum are checked).

        Examples
        --------
        >>> from pixelwise import hotpixels
        >>> hotpixels.Scan.from_bytes(hotpixels.Scan(8, 8, 1).to_bytes()).width
        8
        """
        raw = _byte_view(data)
        handle = ctypes.c_void_p()
        error = _abi.error_buffer()
        _check(_abi.pw_scan_from_bytes(raw.ctypes.data if raw.size else None, raw.size, _byref(handle), error,
                                       _ERROR_SIZE), error)
        return cls._adopt(handle.value)

    def __reduce_ex__(self, protocol: int):
        # Pickle protocol 5 (what dask.distributed uses) carries the state bytes out of band: the library's buffer
        # goes to the network and comes out as the receiver's buffer without a copy in between.
        if protocol >= 5:
            return (Scan.from_bytes, (pickle.PickleBuffer(self._state_view()),))
        return (Scan.from_bytes, (self.to_bytes(),))

    def __copy__(self) -> "Scan":
        return Scan.from_bytes(self.to_bytes())

    # -- detection -------------------------------------------------------------------------------------------
    def _report(self, threshold: float | None, top: int, suppression_radius: int | None, flickering: bool) -> dict:
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)):
            raise PixelwiseTypeError(f"top: expected an int, got {type(top).__name__}")
        if top < 1:
            raise PixelwiseValueError(f"top={top}: must be at least 1")
        if suppression_radius is not None and suppression_radius < 0:
            raise PixelwiseValueError(f"suppression_radius={suppression_radius}: must be >= 0")
        if threshold is not None and not math.isfinite(threshold):
            raise PixelwiseValueError(f"threshold={threshold}: must be a finite number")
        handle = ctypes.c_void_p()
        error = _abi.error_buffer()
        with self._lock:
            status = _abi.pw_scan_detect(self._handle, math.nan if threshold is None else float(threshold), int(top),
                                         -1 if suppression_radius is None else int(suppression_radius),
                                         1 if flickering else 0, _byref(handle), error, _ERROR_SIZE)
        text = _abi.take_bytes(handle.value)
        _check(status, error)
        return json.loads(text)

    def detect(self, threshold: float | None = None, top: int = 100, *, suppression_radius: int | None = None,
               flickering: bool = False) -> list[Defect]:
        """Rank the defective pixels (the CLI's detector and report).

        Parameters
        ----------
        threshold : float, optional
            Minimum score (in standard errors); None for the CLI's default.
        top : int
            At most this many defects, best first.
        suppression_radius : int, optional
            Candidates within this many pixels of a better one are its smear and not reported (0: off;
            default 4, or 1 on a CFA mosaic).
        flickering : bool
            Also report flickering pixels.

        Returns
        -------
        list of Defect
            Best first.

        Examples
        --------
        >>> import numpy as np
        >>> from pixelwise import hotpixels
        >>> scan = hotpixels.Scan()
        >>> for i in range(6):
        ...     frame = np.full((16, 16), 40 + i, np.uint8); frame[3, 5] = 250
        ...     scan.add(frame)
        >>> scan.detect()[0].x, scan.detect()[0].y
        (5, 3)
        """
        return _defects(self._report(threshold, top, suppression_radius, flickering))


@dataclass
class ScanResult:
    """The result of `scan`.

    Attributes
    ----------
    candidates : list of Defect
        The defects, best first.
    frames, width, height : int
        Frames used and their size.
    skipped : list of (str, str)
        Files not used and why.
    state : Scan
        The accumulated statistics (merge it with other shards, save it with ``state.to_bytes()``).
    note : str or None
        The detector's remark, if any (e.g. too few frames).
    """
    candidates: list[Defect]
    frames: int
    width: int
    height: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    state: Scan | None = None
    note: str | None = None


def _expand(paths: PathLike | Iterable[PathLike]) -> list[str]:
    """Files, folders (their image files, sorted) and glob patterns, as the CLI expands its arguments."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    files: list[str] = []
    for item in paths:
        path = os.fsdecode(item)
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path)
                           if not n.startswith(".") and os.path.splitext(n)[1][1:].lower() in _IMAGE_EXTENSIONS)
            files += [os.path.join(path, n) for n in names]
        elif not os.path.exists(path) and any(ch in path for ch in "*?["):
            files += sorted(glob.glob(path))
        else:
            files.append(path)
    return files


def scan(paths: PathLike | Iterable[PathLike], *, method: Literal["residual", "variance"] = "residual",
         cfa: str | None = None, threshold: float | None = None, top: int = 100,
         suppression_radius: int | None = None, flickering: bool = False,
         max_pixels: int | None = None) -> ScanResult:
    """Scan a stack of photos for hot, stuck and dead pixels in one call (``pixelwise hotpixels scan``).

    Parameters
    ----------
    paths : path or iterable of paths
        Files, folders (their image files, sorted by name) or glob patterns.
    method, cfa
        As for `Scan`.
    threshold, top, suppression_radius, flickering
        As for `Scan.detect`.
    max_pixels : int, optional
        As in `pixelwise.read`.

    Returns
    -------
    ScanResult

    Raises
    ------
    ValueError
        If no path is given.
    OSError
        If no file could be read.

    Examples
    --------
    >>> import numpy as np, pixelwise
    >>> from pixelwise import hotpixels
    >>> for i in range(6):
    ...     frame = np.full((16, 16), 40 + i, np.uint8); frame[3, 5] = 250
    ...     pixelwise.write(f"/tmp/pw-stack-{i}.png", frame)
    >>> result = hotpixels.scan([f"/tmp/pw-stack-{i}.png" for i in range(6)])
    >>> result.frames, result.candidates[0].x, result.candidates[0].y
    (6, 5, 3)
    """
    files = _expand(paths)
    if not files:
        raise PixelwiseValueError("paths: no input files (give image files, glob patterns or folders)")
    state = Scan(method=method, cfa=cfa)
    skipped = state.add_files(files, max_pixels=max_pixels)
    report = state._report(threshold, top, suppression_radius, flickering)
    return ScanResult(candidates=_defects(report), frames=int(report.get("frames", state.frames)),
                      width=int(report.get("width", state.width)), height=int(report.get("height", state.height)),
                      skipped=skipped, state=state, note=report.get("note"))


def _sites(pixels: Any, channels: int, listed_channel_only: bool) -> np.ndarray:
    """(N, 3) int64 triples x, y, channel (-1: every colour channel)."""
    if isinstance(pixels, Sequence) and pixels and isinstance(pixels[0], Defect):
        out = np.array([(d.x, d.y, d.channel if listed_channel_only else -1) for d in pixels], np.int64)
        return out.reshape(-1, 3)
    array = np.asarray(pixels)
    if array.size == 0:
        return np.empty((0, 3), np.int64)
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise PixelwiseTypeError(f"pixels: expected integer coordinates or a list of Defect, got dtype "
                                     f"{array.dtype}")
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise PixelwiseValueError(f"pixels: shape {array.shape} must be (N, 2) (x, y) or (N, 3) (x, y, channel)")
    out = np.full((array.shape[0], 3), -1, np.int64)
    out[:, :array.shape[1]] = array
    return out


def fix(image: npt.ArrayLike, pixels: npt.ArrayLike | Sequence[Defect], *, radius: int = 0, cfa: str | None = None,
        listed_channel_only: bool = False) -> np.ndarray:
    """Repair defective pixels in a copy of an image (``pixelwise hotpixels fix``).

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C). Not modified.
    pixels : array_like or list of Defect
        (N, 2) x, y (every colour channel of each pixel is repaired), (N, 3) x, y, channel (-1 for every
        channel), or the list `Scan.detect` returns (every channel of each listed pixel, as the CLI's
        ``--map``; only the listed channel with ``listed_channel_only=True``).
    radius : int
        0 repairs each pixel from its neighbours; r > 0 repairs the (2r+1)² square around it from the ring
        just outside.
    cfa : {None, "RGGB", "BGGR", "GRBG", "GBRG"}
        The image is a one-channel Bayer mosaic: repair from same-colour neighbours.
    listed_channel_only : bool
        With a list of Defect: repair only the channel each names.

    Returns
    -------
    numpy.ndarray
        A repaired copy (C-contiguous, the image's dtype after the package's dtype conversions).

    Raises
    ------
    ValueError
        If a pixel lies outside the image or a channel is out of range (nothing is repaired then).

    Examples
    --------
    >>> import numpy as np
    >>> from pixelwise import hotpixels
    >>> image = np.full((5, 5), 10, np.uint8); image[2, 2] = 255
    >>> hotpixels.fix(image, [[2, 2]])[2, 2]
    10
    """
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)):
        raise PixelwiseTypeError(f"radius: expected an int, got {type(radius).__name__}")
    if radius < 0:
        raise PixelwiseValueError(f"radius={radius}: must be >= 0")
    cfa_code = _cfa_code(cfa)
    array = normalize(image, "image")
    copy = np.array(array, order="C", copy=True)
    pw_image, copy = describe(copy, "image")
    sites = _sites(pixels, pw_image.channels, listed_channel_only)
    if sites.shape[0] == 0:
        return copy
    repaired = ctypes.c_int64()
    error = _abi.error_buffer()
    _check(_abi.pw_hotpixels_fix(_byref(pw_image), sites.ctypes.data, sites.shape[0], int(radius), cfa_code,
                                 _byref(repaired), error, _ERROR_SIZE), error)
    return copy

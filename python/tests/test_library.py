"""The package itself: threads, the library file, no crash from bad calls, import without extras."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pixelwise
from pixelwise import _abi


def test_threads():
    default = pixelwise.get_threads()
    assert default >= 1
    try:
        pixelwise.set_threads(1)
        assert pixelwise.get_threads() == 1
        pixelwise.set_threads(3)
        assert pixelwise.get_threads() == 3
    finally:
        pixelwise.set_threads(0)
    assert pixelwise.get_threads() == default
    with pytest.raises(ValueError) as info:
        pixelwise.set_threads(-1)
    assert isinstance(info.value, pixelwise.Error) and "-1" in str(info.value)
    with pytest.raises(TypeError, match="n"):
        pixelwise.set_threads(1.5)


def test_versions():
    assert _abi.pw_abi_version() == 1
    assert pixelwise.library_version and pixelwise.__version__


def test_the_library_needs_no_swift_toolchain():
    path = Path(_abi._library_path())
    if not path.exists():
        pytest.skip("library given by PIXELWISE_LIBRARY")
    output = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
    assert "not found" not in output
    assert "/opt/swift" not in output and "swift" not in output.lower().replace(str(path).lower(), ""), output


def test_import_does_not_need_the_dask_extra(python_subprocess):
    code = ("import sys, pixelwise, pixelwise.hotpixels\n"
            "assert not any(m == 'dask' or m.startswith('dask.') or m == 'distributed' for m in sys.modules)\n"
            "print('ok')")
    result = python_subprocess(code)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


RISKY = """
import numpy as np, pixelwise
from pixelwise import hotpixels, _abi
def expect(call):
    try:
        call()
    except pixelwise.Error:
        pass
    else:
        raise SystemExit("no error from " + repr(call))
image = np.zeros((50, 60, 3), np.uint8)
expect(lambda: pixelwise.sample(image, np.array([[1e300, 0]])))
expect(lambda: pixelwise.sample(image, np.array([[-2**62, 2**62]])))
expect(lambda: pixelwise.sample(image, np.array([[np.nan, np.nan]]), interpolation="bilinear"))
expect(lambda: pixelwise.crop(image, 2**62, 2**62, 2**62, 2**62))
expect(lambda: pixelwise.crop(image, 0, 0, 2**40, 1))
noisy = np.random.default_rng(1).integers(0, 256, (50, 60, 3), dtype=np.uint8)
assert np.array_equal(pixelwise.blur(noisy, 1e300), pixelwise.blur(noisy, 60))          # huge radii: clamped
assert np.array_equal(pixelwise.blur(noisy, np.full((50, 60), 1e300)), pixelwise.blur(noisy, 60))
pixelwise.blur(noisy, 1e300, kernel="gaussian")
pixelwise.blur(noisy, np.full((50, 60), 1e30), kernel="gaussian")
expect(lambda: pixelwise.blur(image, np.full((50, 60), -np.inf)))
expect(lambda: pixelwise.blur(image, distance_from=np.zeros((50, 60)), per_pixel=1, max_radius=5))  # no region
expect(lambda: pixelwise.quantize(np.full((4, 4), np.inf), 2))
assert pixelwise.quantize(np.zeros((4, 4)), 65536).k == 1        # fewer distinct values than k: one level each
expect(lambda: hotpixels.fix(image, [[2**62, 2**62]]))
expect(lambda: hotpixels.fix(image, [[1, 1]], radius=2**62))
expect(lambda: hotpixels.Scan.from_bytes(b"PWHS" + b"\\xff" * 100))
expect(lambda: hotpixels.Scan(2**40, 2**40, 1).add(np.zeros((2, 2), np.uint8)))
expect(lambda: pixelwise.set_threads(-5))
scan = hotpixels.Scan()
expect(lambda: scan.detect())
expect(lambda: scan.to_bytes() and hotpixels.Scan.from_bytes(scan.to_bytes()[:-3]))
# the library checks what Python does not: a hand-made pw_image with bad fields
buffer = _abi.error_buffer()
bad = [_abi.Image(image.ctypes.data, 60, 50, 5, 180, 0), _abi.Image(image.ctypes.data, 60, 50, 3, 10, 0),
       _abi.Image(image.ctypes.data, 60, 50, 3, 180, 9), _abi.Image(image.ctypes.data, -1, 50, 3, 180, 0),
       _abi.Image(None, 60, 50, 3, 180, 0), _abi.Image(image.ctypes.data, 60, 50, 3, 181, 1)]
import ctypes
out = np.zeros((1, 1, 3), np.uint8)
source = _abi.Image(image.ctypes.data, 60, 50, 3, 180, 0)
for region in [(2**62, 2**62, 2**62, 2**62), (1, 1, 2**63 - 1, 1), (-1, 0, 1, 1)]:       # Int64 overflow
    status = _abi.pw_crop(ctypes.byref(source), *region, ctypes.byref(_abi.Image(out.ctypes.data, 1, 1, 3, 3, 0)),
                          buffer, _abi.ERROR_SIZE)
    assert status == _abi.PW_ERROR_VALUE, (region, status)
huge_stride = _abi.Image(image.ctypes.data, 1, 3, 1, 2**62, 0)
status = _abi.pw_crop(ctypes.byref(huge_stride), 0, 0, 1, 1, ctypes.byref(_abi.Image(out.ctypes.data, 1, 1, 1, 1, 0)),
                      buffer, _abi.ERROR_SIZE)
assert status != 0
out_image = _abi.Image(out.ctypes.data, 1, 1, 3, 3, 0)
for b in bad:
    status = _abi.pw_crop(ctypes.byref(b), 0, 0, 1, 1, ctypes.byref(out_image), buffer, _abi.ERROR_SIZE)
    assert status != 0 and buffer.value, (status, buffer.value)
    status = _abi.pw_blur(ctypes.byref(b), ctypes.byref(_abi.Radius(kind=0, radius=1.0)), 0,
                          ctypes.byref(_abi.Image(image.ctypes.data, 60, 50, 3, 180, 0)), buffer, _abi.ERROR_SIZE)
    assert status != 0, b
status = _abi.pw_blur(ctypes.byref(_abi.Image(image.ctypes.data, 60, 50, 3, 180, 0)),
                      ctypes.byref(_abi.Radius(kind=7, radius=1.0)), 0,
                      ctypes.byref(_abi.Image(image.ctypes.data, 60, 50, 3, 180, 0)), buffer, _abi.ERROR_SIZE)
assert status != 0
status = _abi.pw_sample(ctypes.byref(_abi.Image(image.ctypes.data, 60, 50, 3, 180, 0)), None, 0, 1, 0, None,
                        None, 0)
assert status != 0
print("survived")
"""


def test_bad_calls_never_crash_the_interpreter(python_subprocess):
    result = python_subprocess(RISKY, timeout=300)
    assert result.returncode == 0 and "survived" in result.stdout, (result.returncode, result.stdout, result.stderr)

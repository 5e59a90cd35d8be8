"""Shared fixtures: random arrays of every dtype and shape, and the `pixelwise` command line for parity."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DTYPES = [np.uint8, np.uint16, np.float32, np.float64]
CHANNELS = [1, 2, 3, 4]
SHAPES = [(1, 1), (1, 9), (7, 1), (13, 17)]


def random_image(rng: np.random.Generator, dtype, height: int, width: int, channels: int,
                 squeeze: bool = True) -> np.ndarray:
    """Random samples over the dtype's range (floats: normal, scale 1000)."""
    shape = (height, width) if channels == 1 and squeeze else (height, width, channels)
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    return (rng.standard_normal(shape) * 1000).astype(dtype)


def seed_of(*parts) -> int:
    return abs(hash(tuple(str(p) for p in parts))) % 2**32


def _find_cli() -> str | None:
    candidates = [os.environ.get("PIXELWISE"), ROOT / ".build" / "release" / "pixelwise",
                  ROOT / ".build-python" / "release" / "pixelwise", ROOT / ".build" / "debug" / "pixelwise"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def cli() -> str:
    """Path of the `pixelwise` binary (PIXELWISE, else the release or debug build); skips if none."""
    path = _find_cli()
    if path is None:
        pytest.skip("no pixelwise binary (set PIXELWISE or run swift build -c release)")
    return path


@pytest.fixture
def run(cli):
    """Runs the CLI; raises with its stderr unless it succeeded (ok=False returns the failed result)."""
    def run(*args, ok=True):
        result = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
        if ok and result.returncode != 0:
            raise AssertionError(f"pixelwise {' '.join(map(str, args))} failed: {result.stderr}")
        return result
    return run


@pytest.fixture
def python_subprocess():
    """Runs Python code in a fresh interpreter (for calls that might crash one); returns the result."""
    def run(code: str, timeout: float = 120):
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    return run

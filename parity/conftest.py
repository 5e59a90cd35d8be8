import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pixelwise():
    """Path of the built pixelwise binary (scripts/test.sh passes the debug build)."""
    path = os.environ.get("PIXELWISE") or str(ROOT / ".build" / "debug" / "pixelwise")
    if not Path(path).exists():
        subprocess.run(["swift", "build", "--product", "pixelwise"], cwd=ROOT, check=True)
    return path


@pytest.fixture
def run(pixelwise):
    def run(*args, ok=True):
        result = subprocess.run([pixelwise, *map(str, args)], capture_output=True, text=True)
        if ok and result.returncode != 0:
            raise AssertionError(f"pixelwise {' '.join(map(str, args))} failed: {result.stderr}")
        return result
    return run

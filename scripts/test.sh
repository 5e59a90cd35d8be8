#!/usr/bin/env bash
# Runs every test: sets up what is missing (Debian packages; the project's virtualenv .venv with numpy, scipy,
# pytest and Pillow from PyPI), then the Swift Testing suites, the C ABI test, the parity tests that compare
# pixelwise's outputs with numpy's and scipy's on the same files, and the Python package's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo --no-build

echo "test: swift test" >&2
swift test

echo "test: the C ABI from C (tests/c/abi_test.c against include/pixelwise.h)" >&2
scripts/test-c-abi.sh

venv=.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, scipy, pytest, PIL" 2>/dev/null; then
    echo "test: creating $venv (numpy, scipy, pytest, pillow)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy scipy pytest pillow
fi
echo "test: parity tests against numpy/scipy (and Pillow for the codecs)" >&2
PIXELWISE="$(swift build --show-bin-path)/pixelwise" "$venv/bin/python" -m pytest -q parity

echo "test: the Python package (python/tests) in $venv" >&2
"$venv/bin/pip" install --quiet "./python[dask]"
PIXELWISE="$(swift build --show-bin-path)/pixelwise" "$venv/bin/python" -m pytest -q python/tests

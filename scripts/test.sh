#!/usr/bin/env bash
# Runs every test: sets up what is missing (Debian packages; a virtualenv with numpy, scipy and Pillow from PyPI
# for the parity tests), then the Swift Testing suites, then the parity tests that compare pixelwise's
# outputs with numpy's and scipy's on the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo --no-build

echo "test: swift test" >&2
swift test

venv=parity/.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, scipy, pytest, PIL" 2>/dev/null; then
    echo "test: creating $venv (numpy, scipy, pytest, pillow)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy scipy pytest pillow
fi
echo "test: parity tests against numpy/scipy (and Pillow for the codecs)" >&2
PIXELWISE="$(swift build --show-bin-path)/pixelwise" "$venv/bin/python" -m pytest -q parity

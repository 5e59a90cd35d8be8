#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine with Swift 6 for Pixelwise: installs the codec libraries from Debian
# when missing (we run as root), builds the release binary, and runs the demo on sample data that
# pixelwise makes itself. Safe to run again: installed packages and built products are reused.
#   scripts/setup.sh [--no-demo] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
demo=1 build=1
for arg in "$@"; do
    case "$arg" in
        --no-demo) demo=0 ;;
        --no-build) build=0 ;;
        *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
done

packages="pkg-config libspng-dev libturbojpeg0-dev libjpeg62-turbo-dev libtiff-dev libraw-dev time"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing" >&2
    if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to apt-get install:$missing" >&2; exit 1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 is required)" >&2; exit 1; }

if [ "$build" = 1 ]; then
    echo "setup: building pixelwise (release)" >&2
    swift build -c release --product pixelwise 2>&1 | grep -v '^warning: prohibited flag' | grep -E 'error|warning:|Compiling|Build' | tail -5
    echo "setup: built $(pwd)/.build/release/pixelwise" >&2
fi
if [ "$build" = 1 ]; then
    # The Python package (python/): a virtualenv at .venv with numpy (and scipy, pytest, Pillow for the tests);
    # `pip install ./python` builds the self-contained library (swift build --product PixelwiseC) into it.
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import numpy, scipy, pytest, PIL" 2>/dev/null; then
        echo "setup: creating .venv (numpy, scipy, pytest, pillow)" >&2
        python3 -m venv .venv
        .venv/bin/pip install --quiet numpy scipy pytest pillow
    fi
    echo "setup: installing the Python package into .venv (pip install ./python)" >&2
    .venv/bin/pip install --quiet ./python
    .venv/bin/python -c "import pixelwise; print('setup: python: import pixelwise', pixelwise.library_version)" >&2
fi
if [ "$demo" = 1 ]; then
    scripts/demo.sh
fi

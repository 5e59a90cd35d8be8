#!/usr/bin/env bash
# Runs the benchmarks: builds pixelwise in release mode, makes the Python peers' virtualenv (numpy, scipy,
# OpenCV, scikit-image, numba from PyPI), installs any Debian packages a suite needs, then runs the suites.
#   bench/run.sh [--quick] [--only TEXT] [SUITE...]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PIXELWISE_BENCH_VENV:-bench/.venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, scipy, cv2, skimage, numba, PIL" 2>/dev/null; then
    echo "bench: creating the virtualenv $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r bench/requirements.txt
fi
# Debian packages named by the suites (APT = [...]).
packages=$( (grep -ho '^APT *= *\[.*\]' bench/suites/*.py 2>/dev/null || true) | sed 's/.*\[//; s/\].*//; s/[",'"'"']/ /g' | tr ' ' '\n' | sort -u | tr '\n' ' ')
missing=""
[ -x /usr/bin/time ] || missing=" time"
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    echo "bench: installing Debian packages:$missing" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
scripts/setup.sh --no-demo --no-build
swift build -c release --product pixelwise 2>&1 | grep -v '^warning: prohibited flag' | tail -3
exec "$venv/bin/python" bench/harness.py "$@"

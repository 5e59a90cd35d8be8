#!/usr/bin/env bash
# A short demo of every job on sample data that pixelwise makes itself (no downloads), in demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
pw="$(pwd)/.build/release/pixelwise"
[ -x "$pw" ] || swift build -c release --product pixelwise
out=demo-output
mkdir -p "$out"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "== sample data (pixelwise generate)"
step "$pw" generate scene --size 2000x1500 --seed 7 -o "$out/scene.png"
step "$pw" generate scene --size 2000x1500 --channels 1 --type uint16 --seed 8 -o "$out/gray16.tif"
step "$pw" generate mask --size 2000x1500 --seed 9 -o "$out/regions.png"
step "$pw" info "$out/scene.png" "$out/gray16.tif" "$out/regions.png"

echo; echo "== sample and crop"
step "$pw" sample "$out/scene.png" --at 10,20 --at 1999,1499
step "$pw" sample "$out/scene.png" --at 10.5,20.25 --interpolation bilinear
step "$pw" crop "$out/scene.png" --region 500,400,640,480 -o "$out/crop.jpg"
step "$pw" info --json "$out/crop.jpg"
echo; echo "demo: outputs are in $out/"

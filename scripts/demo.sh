#!/usr/bin/env bash
# A short demo of every job on sample data that pixelwise makes itself (no downloads), in demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
pw="${PIXELWISE:-$(pwd)/.build/release/pixelwise}"
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

echo; echo "== variable blur: stronger the further from the regions"
step "$pw" blur "$out/scene.png" --distance-from "$out/regions.png" --per-pixel 0.1 --max-radius 40 \
    --save-radius-map "$out/radius.tif" -o "$out/blur-box.png"
step "$pw" blur "$out/scene.png" --kernel gaussian --distance-from "$out/regions.png" --per-pixel 0.05 --max-radius 16 \
    -o "$out/blur-gaussian.png"

echo; echo "== quantize a 16-bit image to the optimal 6 levels"
step "$pw" quantize "$out/gray16.tif" -k 6 --labels "$out/labels.png" -o "$out/quantized.tif" --json

echo; echo "== hot pixels: find them in a stack of photos, then repair one photo"
step "$pw" generate stack --frames 16 --size 1200x900 --defects 6 --seed 3 --output-dir "$out/stack"
step "$pw" hotpixels scan "$out/stack" --top 10 --map "$out/defects.json" --heatmap "$out/heatmap.png" \
    --save-state "$out/stack.state"
echo "(planted: $(tr -d ' \n' < "$out/stack/truth.json" | head -c 400)…)"
step "$pw" hotpixels fix "$out/stack/frame-000.jpg" --map "$out/defects.json" --radius 2 -o "$out/frame-000-fixed.jpg"

if [ -x .venv/bin/python ] && .venv/bin/python -c "import pixelwise" 2>/dev/null; then
    echo; echo "== the same jobs from Python, in process (python/examples/demo.py)"
    step .venv/bin/python python/examples/demo.py "$out"
fi

echo; echo "demo: outputs are in $out/"

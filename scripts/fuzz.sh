#!/usr/bin/env bash
# Fuzzes Pixelwise's readers with libFuzzer + AddressSanitizer (issue 15).
#
#   scripts/fuzz.sh                  # every target, 60 s each
#   scripts/fuzz.sh FuzzPNG 1800     # one target, 30 minutes
#   scripts/fuzz.sh all 30           # the CI smoke: every target, 30 s each
#   FUZZ_CONFIG=release FUZZ_RUNS=1000000 scripts/fuzz.sh FuzzPNG 1800   # the long runs: 10^6 executions or 30 min
#
# Targets (fuzz/Sources/<Target>/<Target>.swift, a separate package so that the normal build never sees
# them): FuzzPNG FuzzJPEG FuzzTIFF FuzzNPY FuzzPNM FuzzRAW (image readers: header, then full decode),
# FuzzState (hot-pixel state), FuzzDefectMap (JSON, CSV, dcraw, RawTherapee), FuzzPoints (CSV, NPY),
# FuzzCABI (every C ABI function on random descriptors, strides, codes and parameters).
#
# Seeds are made from small valid files (written by the debug `pixelwise`) into .build-fuzz/seeds/<Target>;
# the growing corpus is .build-fuzz/corpus/<Target>. A crash, a leak of the time limit (10 s per input) or a
# sanitizer report stops the target and leaves its input in fuzz/findings/<Target>/ (crash-…, timeout-…,
# oom-…). Reproduce one with:
#   .build-fuzz/debug/<Target> fuzz/findings/<Target>/crash-…
# (add -runs=1; ASAN_OPTIONS=detect_leaks=0 as below). Each run appends a line to .build-fuzz/summary.txt:
# target, seconds, executions, coverage (libFuzzer's cov: edges and ft: features), corpus size, result.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(FuzzPNG FuzzJPEG FuzzTIFF FuzzNPY FuzzPNM FuzzRAW FuzzState FuzzDefectMap FuzzPoints FuzzCABI)
target="${1:-all}"
seconds="${2:-60}"
if [ "$target" = all ]; then targets=("${all_targets[@]}"); else targets=("$target"); fi

# LeakSanitizer needs ptrace, which containers often deny; leaks are not what this looks for.
export ASAN_OPTIONS="detect_leaks=0 ${ASAN_OPTIONS:-}"
# Swift's runtime backtracer takes a trap (SIGILL) before libFuzzer's handler can save the input: measured, a
# FuzzPoints crash printed a backtrace and left no crash file. Off, libFuzzer writes fuzz/findings/… as usual.
export SWIFT_BACKTRACE="enable=no"

# FUZZ_NO_BUILD=1 skips the build (to run several targets at once from one build). FUZZ_CONFIG=release
# builds optimised (3-10x the executions a second of a debug build: what the long runs use; the CI smoke
# stays debug, which builds faster).
config="${FUZZ_CONFIG:-debug}"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    echo "fuzz: building ${targets[*]} ($config, libFuzzer + ASan, scratch .build-fuzz)" >&2
    for t in "${targets[@]}"; do
        # --sanitize fuzzer alone left the library modules without coverage counters (measured: objects of
        # PixelwiseIO had no __sancov_cntrs section, so libFuzzer saw nothing but the entry point); the
        # explicit -sanitize-coverage reaches every Swift module. The C codec libraries are Debian's, not
        # instrumented: coverage is that of our Swift code around them.
        swift build -c "$config" --package-path fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
            -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table --product "$t" 2>&1 \
            | grep -E "error|warning: unre|Compiling|Build" | tail -2 >&2
    done
fi
bin=.build-fuzz/$config

# Seeds.
seeds=.build-fuzz/seeds
if [ ! -f "$seeds/.done" ]; then
    echo "fuzz: making seeds" >&2
    swift build --product pixelwise >/dev/null
    pw="$(swift build --show-bin-path)/pixelwise"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    for t in "${all_targets[@]}"; do mkdir -p "$seeds/$t"; done
    "$pw" generate scene --size 24x16 -o "$work/rgb.png"
    "$pw" generate scene --size 24x16 --channels 1 -o "$work/gray.png"
    "$pw" generate scene --size 24x16 --type uint16 -o "$work/rgb16.png"
    "$pw" generate scene --size 24x16 --type float32 --channels 1 -o "$work/f32.tif"
    cp "$work/rgb.png" "$work/gray.png" "$work/rgb16.png" "$seeds/FuzzPNG/"
    for src in rgb gray rgb16; do
        "$pw" crop "$work/$src.png" --region 0,0,24,16 -o "$seeds/FuzzNPY/$src.npy"
        "$pw" crop "$work/$src.png" --region 0,0,24,16 -o "$seeds/FuzzPoints/$src-image.npy" || true
    done
    "$pw" crop "$work/rgb.png" --region 0,0,24,16 -o "$seeds/FuzzJPEG/rgb.jpg"
    "$pw" crop "$work/gray.png" --region 0,0,24,16 -o "$seeds/FuzzJPEG/gray.jpg"
    "$pw" crop "$work/rgb.png" --region 0,0,24,16 -o "$seeds/FuzzPNM/rgb.ppm"
    "$pw" crop "$work/gray.png" --region 0,0,24,16 -o "$seeds/FuzzPNM/gray.pgm"
    "$pw" crop "$work/rgb16.png" --region 0,0,24,16 -o "$seeds/FuzzPNM/rgb16.ppm"
    for c in none lzw deflate; do
        "$pw" crop "$work/rgb.png" --region 0,0,24,16 --tiff-compression $c -o "$seeds/FuzzTIFF/rgb-$c.tif"
    done
    cp "$work/f32.tif" "$seeds/FuzzTIFF/"
    cp "$seeds"/FuzzTIFF/*.tif "$seeds/FuzzRAW/"
    # States and defect maps from a tiny scan.
    for i in 0 1 2; do "$pw" generate scene --size 12x8 --seed $((i + 1)) --channels 1 -o "$work/f$i.png"; done
    "$pw" hotpixels scan "$work"/f?.png --save-state "$seeds/FuzzState/gray.state" --threshold 0.5 \
        --map "$work/m.json" >/dev/null 2>&1 || true
    "$pw" hotpixels scan "$work"/f?.png --method variance --save-state "$seeds/FuzzState/variance.state" >/dev/null 2>&1 || true
    printf '[{"x": 1, "y": 2, "channel": 0, "kind": "hot", "score": 9.5}, {"x": 3, "y": 4}]' > "$work/m.json"
    printf 'x,y,channel,kind,score\n1,2,0,hot,9.5\n3,4,,stuck,\n' > "$work/m.csv"
    printf '1 2 0\n3 4 1234567\n' > "$work/m.txt"
    printf '1 2\n3 4\n' > "$work/m.badpixels"
    i=0
    for f in json csv txt badpixels; do { printf "\\x$(printf %02x $i)"; cat "$work/m.$f"; } > "$seeds/FuzzDefectMap/$f"; i=$((i + 1)); done
    printf 'x,y\n1,2\n3.5,4.25\n' > "$seeds/FuzzPoints/points.csv"
    printf '1;2\n# comment\n3\t4\n' > "$seeds/FuzzPoints/mixed.csv"
    python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.array([[1,2],[3,4]], dtype=np.int32)); np.save(sys.argv[2], np.array([[1.5,2],[3,4.25]]))" \
        "$seeds/FuzzPoints/int.npy" "$seeds/FuzzPoints/float.npy" 2>/dev/null || true
    touch "$seeds/.done"
fi

# Real camera RAW seeds (small DNGs): added after the others, so that older seed folders get them too.
if ! ls "$seeds/FuzzRAW/"*.dng >/dev/null 2>&1; then
    mkdir -p "$seeds/FuzzRAW"
    python3 fuzz/make_dng_seeds.py "$seeds/FuzzRAW"
fi

status=0
for t in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$t
    findings=fuzz/findings/$t
    mkdir -p "$corpus" "$findings" "$seeds/$t"
    if [ "$t" = FuzzCABI ] && [ -z "$(ls -A "$seeds/$t")" ]; then
        # One seed per operation (the first byte), small valid descriptors, the rest pseudo-random.
        python3 -c "
import random, sys
for op in range(8):
    r = random.Random(op)
    body = bytes([op, r.randrange(4), 5 + r.randrange(12), 4 + r.randrange(12), 1 + r.randrange(4), r.randrange(3)])
    open(f'{sys.argv[1]}/op{op}', 'wb').write(body + bytes(r.randrange(256) for _ in range(1500)))
" "$seeds/$t"
    fi
    log=.build-fuzz/$t.log
    echo "fuzz: $t for $seconds s (log $log)" >&2
    set +e
    # FUZZ_RUNS=N also stops a target after N executions (the long runs: 1,000,000 or SECONDS, whichever first).
    # FUZZ_TIMEOUT: seconds an input may take before it counts as a hang (default 10; libFuzzer measures wall
    # time, so a paused or starved fuzzer reports false timeouts: rerun such an input alone to tell).
    "$bin/$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$findings/" -close_fd_mask=1 >"$log" 2>&1
    code=$?
    set -e
    execs=$(grep -aEo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    cov=$(grep -aEo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    units=$(find "$corpus" -type f | wc -l)
    result=$([ $code -eq 0 ] && echo clean || echo "FINDING (exit $code): $(ls -t "$findings" | head -1)")
    line="$t ${seconds}s execs=${execs:-?} ${cov:-cov: ?} corpus=$units $result"
    echo "fuzz: $line" >&2
    echo "$(date -u +%FT%TZ) $line" >> .build-fuzz/summary.txt
    [ $code -eq 0 ] || status=1
done
exit $status

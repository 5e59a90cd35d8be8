#!/usr/bin/env bash
# Bit-identical check for a refactor: runs two pixelwise binaries over the same stacks and compares every
# output byte for byte (scan JSON and stderr, saved state, defect map; a heatmap; prefixes of a long stack).
#
#   bench/hotpixels/compare_builds.sh OLD_BINARY NEW_BINARY STACKS_DIR
#
# STACKS_DIR holds folders made by bench/hotpixels/generate.py (frame_*.jpg, frame_*.png or raw_*.npy, with
# --raw npy scanned as --cfa RGGB); a folder with 240 frames is also scanned on its first 5..240 frames.
set -euo pipefail
old=$1 new=$2 stacks=$3
work=$(mktemp -d)
run() {
    local binary=$1 out=$2
    mkdir -p "$out"
    scan() {
        local name=$1; shift
        "$binary" hotpixels scan "$@" --json --save-state "$out/$name.state" --map "$out/$name.map.json" \
            > "$out/$name.out" 2> "$out/$name.err" || echo "exit $?" >> "$out/$name.out"
    }
    for folder in "$stacks"/*/; do
        name=$(basename "$folder")
        mapfile -t frames < <(ls "$folder" | grep -E '^frame_.*\.(jpg|png)$' | sed "s#^#$folder#")
        if [ ${#frames[@]} -gt 0 ]; then
            scan "$name" "${frames[@]}"
            if [ ${#frames[@]} -ge 240 ]; then
                for n in 5 6 10 20 30 60 120; do scan "$name-$n" "${frames[@]:0:$n}"; done
            fi
            "$binary" hotpixels scan "${frames[@]:0:10}" --heatmap "$out/$name.heat.npy" > /dev/null 2>&1 || true
        fi
        mapfile -t raws < <(ls "$folder" | grep -E '^raw_.*\.npy$' | sed "s#^#$folder#")
        if [ ${#raws[@]} -gt 0 ]; then scan "$name-raw" "${raws[@]}" --cfa RGGB; fi
    done
    (cd "$out" && sha256sum -- * | sort -k2)
}
run "$old" "$work/old" > "$work/old.sha256"
run "$new" "$work/new" > "$work/new.sha256"
if diff "$work/old.sha256" "$work/new.sha256"; then
    echo "identical: $(wc -l < "$work/old.sha256") files"
    rm -rf "$work"
else
    echo "outputs differ; both sets are in $work" >&2
    exit 1
fi

#!/usr/bin/env bash
# Builds the C ABI (libPixelwiseC.so, debug) and a C program that calls every function of include/pixelwise.h
# through it, compiled with -Wall -Werror against the hand-written header; runs it. Exit 0 when it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product PixelwiseC 2>&1 | grep -E 'error' && exit 1
lib="$(swift build --show-bin-path)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/abi_test.c -L"$lib" -lPixelwiseC -Wl,-rpath,"$lib" -lm -o "$out/abi_test"
"$out/abi_test" "$out"

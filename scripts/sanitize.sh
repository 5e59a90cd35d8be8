#!/usr/bin/env bash
# Runs the Swift test suites under ThreadSanitizer and AddressSanitizer (issue 15).
#
#   scripts/sanitize.sh                   # both, every suite
#   scripts/sanitize.sh thread [FILTER]   # TSan only, optionally `swift test --filter FILTER`
#   scripts/sanitize.sh address [FILTER]  # ASan only
#
# Each sanitizer builds into its own scratch folder (.build-tsan, .build-asan) so that the normal debug build
# is left alone. A report from a sanitizer makes the test process fail (halt_on_error), so the exit status is
# non-zero exactly when something was found. Logs go to .build-<san>/sanitize.log.
#
# TSan on kernels with high mmap randomisation (vm.mmap_rnd_bits = 28 and up, e.g. Linux 6.x) aborts at
# start-up with "FATAL: ThreadSanitizer: unexpected memory mapping": its shadow layout does not expect a
# PIE mapped where the kernel put it (google/sanitizers#1716). It is not our code. `setarch -R` runs the tests
# with address-space randomisation off for that process only, which TSan accepts; no sysctl is changed.
#
# SANITIZE_CONFIG=release builds the instrumented tests with -O (and -enable-testing, for @testable imports):
# the whole suite under TSan in debug did not finish in 25 minutes here; optimised, the instrumentation
# stays and the kernels run at a usable speed. Its own scratch folder (.build-tsan-release, ...).
#
# Suppressions: none.
set -euo pipefail
cd "$(dirname "$0")/.."

which_sanitizers=("thread" "address")
if [ $# -ge 1 ]; then which_sanitizers=("$1"); shift; fi
filter=()
if [ $# -ge 1 ]; then filter=(--filter "$1"); shift; fi

norandom=()
if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
    norandom=(setarch "$(uname -m)" -R)
fi

config=${SANITIZE_CONFIG:-debug}
build_flags=()
suffix=""
if [ "$config" = release ]; then
    build_flags=(-c release -Xswiftc -enable-testing)
    suffix="-release"
fi

status=0
for sanitizer in "${which_sanitizers[@]}"; do
    case "$sanitizer" in
        thread) scratch=.build-tsan$suffix
                export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" ;;
        address) scratch=.build-asan$suffix
                 # detect_leaks=0: LeakSanitizer needs ptrace, which this sandbox denies; leaks are not the
                 # failures this pass looks for (use-after-free, overflows, double frees).
                 export ASAN_OPTIONS="halt_on_error=1 detect_leaks=0 ${ASAN_OPTIONS:-}" ;;
        *) echo "sanitize: unknown sanitizer $sanitizer (thread or address)" >&2; exit 2 ;;
    esac
    mkdir -p "$scratch"
    log="$scratch/sanitize.log"
    echo "sanitize: swift test --sanitize=$sanitizer ${filter[*]:-} (log: $log)" >&2
    # Build first (the build itself runs with randomisation on), then run the tests without it.
    swift build "${build_flags[@]}" --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | tail -3
    if "${norandom[@]}" swift test "${build_flags[@]}" --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "${filter[@]}" >"$log" 2>&1; then
        echo "sanitize: $sanitizer: clean ($(grep -Eo 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' "$log" | tail -1))" >&2
    else
        status=1
        echo "sanitize: $sanitizer: FAILED" >&2
        grep -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|SUMMARY|FATAL|✘" "$log" | head -40 >&2 || true
    fi
done
exit $status

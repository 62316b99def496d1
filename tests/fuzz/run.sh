#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (issue 15, section 6).
#
#   tests/fuzz/run.sh build DIR
#       configures DIR with clang and -DINSPECT_FUZZ=ON (coverage, ASan and
#       UBSan in every library) and builds the fuzz_* targets. A separate
#       tree: the main gcc build is untouched.
#   tests/fuzz/run.sh run DIR TARGET [SECONDS] [libFuzzer options...]
#       runs DIR/tests/fuzz/TARGET for SECONDS (default 20) from the
#       committed corpus tests/fuzz/corpus/TARGET. New inputs go to a temp
#       folder, not into the committed corpus; a crash, leak or sanitizer
#       report fails the run and its input is kept as DIR/crash-TARGET-*:
#       add it to the corpus as a regression input once fixed.
#   tests/fuzz/run.sh all DIR [SECONDS]
#       build, then run every target.
#
# A longer run (an hour a target, keeping what it finds):
#   tests/fuzz/run.sh build build/fuzz
#   tests/fuzz/run.sh run build/fuzz fuzz_rpc 3600 -jobs=2 -workers=2
# and, to grow the committed corpus from what it found:
#   build/fuzz/tests/fuzz/fuzz_rpc -merge=1 tests/fuzz/corpus/fuzz_rpc NEW_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
targets=(fuzz_rpc fuzz_records fuzz_dossier fuzz_json)

build() {
    local dir="$1"
    command -v clang >/dev/null || { echo "run.sh: clang is missing (scripts/setup.sh installs it)" >&2; exit 1; }
    CC=clang cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DINSPECT_FUZZ=ON \
        -DINSPECT_TESTS=OFF -DINSPECT_BENCH=OFF >/dev/null
    cmake --build "$dir" -j"${FUZZ_JOBS:-2}" --target "${targets[@]}"
}

run() {
    local dir="$1" t="$2" secs="${3:-20}"
    shift 3 || shift $#
    local exe="$dir/tests/fuzz/$t"
    [ -x "$exe" ] || { echo "run.sh: $exe is not built (run.sh build $dir)" >&2; exit 1; }
    local tmp="${TMPDIR:-/tmp}"
    [ -w /dev/shm ] && tmp=/dev/shm # the server's store: no disk syncs
    work="$(mktemp -d "$tmp/fuzz-$t-XXXXXX")"
    # The targets' own temp folders (a store, seed files) go here too, so
    # the trap removes them with the rest.
    export FUZZ_TMPDIR="$work"
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/new"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
    # -close_fd_mask=3: the commands print a line per bad input; libFuzzer
    # and the sanitizers still report on a copy of stderr.
    "$exe" -max_total_time="$secs" -timeout=30 -rss_limit_mb=3072 -max_len=65536 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$dir/crash-$t-" \
        "$@" "$work/new" "$here/corpus/$t"
}

case "${1:-}" in
build) build "$2" ;;
run) run "$2" "$3" "${4:-20}" "${@:5}" ;;
all)
    build "$2"
    for t in "${targets[@]}"; do run "$2" "$t" "${3:-20}"; done
    ;;
*)
    sed -n '2,25p' "$0" >&2
    exit 2
    ;;
esac

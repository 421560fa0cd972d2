#!/usr/bin/env bash
# Build every libFuzzer target with clang and run each for FUZZ_SECONDS (default 60) from its
# committed seed corpus (tests/fuzz/corpus/NAME). A crash fails the script; the crashing input
# is kept in build-fuzz/crashes/ — turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
CC=clang BUILD_DIR=build-fuzz ./scripts/build.sh -DLLCSLICE_FUZZ=ON -DLLCSLICE_VM_TESTS=OFF \
    -DCMAKE_C_COMPILER=clang
mkdir -p build-fuzz/crashes
status=0
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    work=build-fuzz/corpus/$name
    mkdir -p "$work"
    [[ -d tests/fuzz/corpus/$name ]] && cp -n tests/fuzz/corpus/$name/* "$work"/ 2>/dev/null || true
    echo "== fuzz $name for ${SECONDS_EACH}s"
    if ! ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/"$name" -max_total_time="$SECONDS_EACH" \
        -max_len=65536 -artifact_prefix=build-fuzz/crashes/"$name"- "$work" \
        >build-fuzz/"$name".log 2>&1; then
        echo "fuzz $name: FAILED (see build-fuzz/$name.log)"
        tail -30 build-fuzz/"$name".log
        status=1
    else
        grep -E '^Done|stat::number_of_executed_units' build-fuzz/"$name".log | tail -1 || true
    fi
done
exit $status

#!/usr/bin/env bash
# The whole suite, as CI runs it: install what is missing, build, run every test (unit, host
# integration, VM end-to-end), then the unit + host tests again under ASan+UBSan, the host
# tests once more with the binary under valgrind (zero errors, zero definite/indirect leaks),
# and every libFuzzer target from its seed corpus for FUZZ_BUDGET seconds in all (default
# 420, shared evenly). Any failure, leak or fuzzer crash fails the script. Each stage prints
# its duration, and the list of durations closes the output (also after a failing stage).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
start=$(date +%s)
TIMES=()

# stage NAME CMD...: run one stage, print how long it took; a failing stage prints every
# duration so far and fails the script with its exit code.
stage() {
    local name=$1 t0 rc=0 took failed=""
    shift
    echo "== $name"
    t0=$(date +%s)
    "$@" || rc=$?
    took=$(($(date +%s) - t0))
    ((rc == 0)) || failed=", FAILED (exit $rc)"
    TIMES+=("$(printf '%6d s  %s%s' "$took" "$name" "$failed")")
    echo "== $name: $took s$failed"
    if ((rc != 0)); then
        durations
        exit "$rc"
    fi
}
durations() {
    echo "== stage durations (total $(($(date +%s) - start)) s)"
    printf '%s\n' "${TIMES[@]}"
}
in_dir() { (cd "$1" && shift && "$@"); }

stage "build (RelWithDebInfo)" env BUILD_DIR=build ./scripts/build.sh
stage "ctest: unit, host, vm" in_dir build ctest --output-on-failure -j1

stage "build (Release, -O3, with bench/): the optimiser's extra warnings must stay clean too" \
    env BUILD_DIR=build-release BUILD_TYPE=Release ./scripts/build.sh -DLLCSLICE_VM_TESTS=OFF \
    -DLLCSLICE_BENCH=ON

stage "build (ASan+UBSan)" \
    env BUILD_DIR=build-asan ./scripts/build.sh -DLLCSLICE_SANITIZE=ON -DLLCSLICE_VM_TESTS=OFF
stage "ctest under ASan+UBSan: unit, host" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    bash -c 'cd build-asan && exec ctest --output-on-failure -j1 -L "unit|host"'

stage "build (valgrind pass: host tests run the binary under memcheck)" \
    env BUILD_DIR=build-valgrind ./scripts/build.sh -DLLCSLICE_VALGRIND=ON -DLLCSLICE_VM_TESTS=OFF
stage "ctest under valgrind: host" in_dir build-valgrind ctest --output-on-failure -j1 -L host

: "${FUZZ_BUDGET:=420}"
stage "fuzz: every target from its committed corpus, $FUZZ_BUDGET s in all" \
    env FUZZ_BUDGET="$FUZZ_BUDGET" ./scripts/fuzz.sh

durations
echo "== all suites passed in $(($(date +%s) - start)) s"

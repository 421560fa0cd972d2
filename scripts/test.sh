#!/usr/bin/env bash
# The whole suite, as CI runs it: install what is missing, build, run every test (unit, host
# integration, VM end-to-end), then the unit + host tests again under ASan+UBSan, the host
# tests once more with the binary under valgrind (zero errors, zero definite/indirect leaks),
# and every libFuzzer target from its seed corpus for FUZZ_BUDGET seconds in all (default
# 420, shared evenly). Any failure, leak or fuzzer crash fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
start=$(date +%s)

echo "== build (RelWithDebInfo)"
BUILD_DIR=build ./scripts/build.sh
echo "== ctest: unit, host, vm"
(cd build && ctest --output-on-failure -j1)

echo "== build (Release, -O3): the optimiser's extra warnings must stay clean too"
BUILD_DIR=build-release BUILD_TYPE=Release ./scripts/build.sh -DLLCSLICE_VM_TESTS=OFF

echo "== build (ASan+UBSan)"
BUILD_DIR=build-asan ./scripts/build.sh -DLLCSLICE_SANITIZE=ON -DLLCSLICE_VM_TESTS=OFF
echo "== ctest under ASan+UBSan: unit, host"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j1 -L 'unit|host')

echo "== build (valgrind pass: host tests run the binary under memcheck)"
BUILD_DIR=build-valgrind ./scripts/build.sh -DLLCSLICE_VALGRIND=ON -DLLCSLICE_VM_TESTS=OFF
echo "== ctest under valgrind: host"
(cd build-valgrind && ctest --output-on-failure -j1 -L host)

echo "== fuzz: every target from its committed corpus, ${FUZZ_BUDGET:=420} s in all"
FUZZ_BUDGET=$FUZZ_BUDGET ./scripts/fuzz.sh

echo "== all suites passed in $(($(date +%s) - start)) s"

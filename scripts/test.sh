#!/usr/bin/env bash
# The whole suite, as CI runs it: install what is missing, build, run every test (unit, host
# integration, VM end-to-end), then the unit + host tests again under ASan+UBSan.
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

echo "== all suites passed in $(($(date +%s) - start)) s"

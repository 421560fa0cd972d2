#!/usr/bin/env bash
# Build every libFuzzer target with clang and run each from its committed seed corpus
# (tests/fuzz/corpus/NAME) for FUZZ_SECONDS (default 60), or, with FUZZ_BUDGET=S, for S seconds
# shared out evenly over all targets (what scripts/test.sh uses). A crash, leak or hang fails
# the script; the input is kept in build-fuzz/crashes/ — commit it as
# tests/fuzz/corpus/NAME/crash-<what> so it replays in every ctest run (fuzz/NAME) from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(tests/fuzz/fuzz_*.c)
if [[ -n ${FUZZ_BUDGET:-} ]]; then
    SECONDS_EACH=$((FUZZ_BUDGET / ${#targets[@]}))
    ((SECONDS_EACH >= 10)) || SECONDS_EACH=10
else
    SECONDS_EACH=${FUZZ_SECONDS:-60}
fi
CC=clang BUILD_DIR=build-fuzz ./scripts/build.sh -DLLCSLICE_FUZZ=ON -DLLCSLICE_VM_TESTS=OFF \
    -DCMAKE_C_COMPILER=clang
mkdir -p build-fuzz/crashes
status=0
for src in "${targets[@]}"; do
    name=$(basename "$src" .c)
    seeds=tests/fuzz/corpus/$name
    if ! compgen -G "$seeds/*" >/dev/null; then
        echo "fuzz $name: FAILED: no committed seed corpus in $seeds"
        status=1
        continue
    fi
    work=build-fuzz/corpus/$name
    mkdir -p "$work"
    dict=()
    [[ -f tests/fuzz/$name.dict ]] && dict=(-dict="tests/fuzz/$name.dict")
    echo "== fuzz $name for ${SECONDS_EACH}s"
    # New inputs go to $work; the seeds are only read. -timeout: an input taking 10 s is a hang.
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ./build-fuzz/"$name" -max_total_time="$SECONDS_EACH" -timeout=10 -max_len=65536 "${dict[@]}" \
        -artifact_prefix=build-fuzz/crashes/"$name"- "$work" "$seeds" \
        >build-fuzz/"$name".log 2>&1; then
        echo "fuzz $name: FAILED (see build-fuzz/$name.log; input in build-fuzz/crashes/)"
        tail -40 build-fuzz/"$name".log
        status=1
    else
        grep -E '^Done' build-fuzz/"$name".log | tail -1 || true
    fi
done
exit $status

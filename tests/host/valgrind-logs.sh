#!/usr/bin/env bash
# Runs after every host test of the valgrind pass (ctest fixture cleanup): any non-empty
# memcheck log is a memory error or a leak in llcslice; print them all and fail.
set -uo pipefail
logs=${LLCSLICE_VALGRIND_LOGS:?}
total=$(find "$logs" -name '*.log' | wc -l)
bad=$(find "$logs" -name '*.log' -size +0 | sort)
if [[ -n $bad ]]; then
    for f in $bad; do
        echo "== $f"
        cat "$f"
    done
    echo "FAIL: $(wc -l <<<"$bad") of $total llcslice processes had memcheck errors or leaks"
    exit 1
fi
((total > 0)) || { echo "FAIL: no valgrind logs in $logs: was LLCSLICE_BIN the wrapper?"; exit 1; }
unwrapped=0
[[ -f $logs/unwrapped ]] && unwrapped=$(wc -l <"$logs/unwrapped")
echo "ok - $total llcslice processes under valgrind: zero errors, zero definite/indirect leaks" \
    "($unwrapped runs unwrapped: --seccomp, or a TMPDIR valgrind cannot use)"

#!/usr/bin/env bash
# Runs after every host test of the valgrind pass (ctest fixture cleanup): any non-empty
# memcheck log is a memory error or a leak in llcslice; print them all and fail. The wrapper
# writes each invocation's log into its own LOGS/vg.XXXXXX/ directory: search the whole tree.
set -uo pipefail
logs=${LLCSLICE_VALGRIND_LOGS:?}
total=$(find "$logs" -name '*.log' | wc -l)
# valgrind 3.19 knows no pidfd_* system calls (424 pidfd_send_signal, 434 pidfd_open, 438
# pidfd_getfd): it fails them with ENOSYS, llcslice falls back, and valgrind warns in 5 lines.
for f in $(find "$logs" -name '*.log' -size +0); do
    awk '/WARNING: unhandled amd64-linux syscall: (424|434|438)$/ {skip = 5}
         skip > 0 {skip--; next} {print}' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
done
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
unwrapped=$(find "$logs" -name unwrapped -exec cat {} + | wc -l)
echo "ok - $total llcslice processes under valgrind: zero errors, zero definite/indirect leaks" \
    "($unwrapped runs unwrapped: a seccomp profile, or a TMPDIR valgrind cannot use)"

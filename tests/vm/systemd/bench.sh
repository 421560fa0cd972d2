#!/bin/bash
# Start-to-exit of `llcslice run -- true` through the systemd manager against
# `systemd-run --scope -p AllowedCPUs= -p AllowedMemoryNodes= true`, same guest, interleaved.
SC=bench
. /vm/sd/lib.sh
n=20
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
a=() b=()
for ((i = 0; i < n; i++)); do
    t=$(date +%s%N)
    llcslice run --cpus 1 -- true || fail "llcslice run failed"
    a+=("$(ms "$t")")
    t=$(date +%s%N)
    systemd-run --scope --quiet --collect -p AllowedCPUs=7 -p AllowedMemoryNodes=1 true || fail "systemd-run failed"
    b+=("$(ms "$t")")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "VMT-BENCH runs=$n llcslice_run_median_ms=$(med "${a[@]}") systemd_run_scope_median_ms=$(med "${b[@]}") llcslice_all=${a[*]} systemd_run_all=${b[*]}" | tr ' ' ' '
pass "measured (see VMT-BENCH)"
exit 0

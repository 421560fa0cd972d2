#!/bin/bash
# Start-to-exit of `llcslice run -- true` through the systemd manager against
# `systemd-run --scope -p AllowedCPUs= -p AllowedMemoryNodes= true`, same guest, interleaved.
SC=bench
. /vm/sd/lib.sh
n=10
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
# Where the time goes: llcslice's own phase timer, medians over 5 runs (us).
for ((i = 0; i < 5; i++)); do
    LLCSLICE_TRACE_TIMING=1 llcslice run --cpus 1 -- true 2>&1 | awk '$1 == "llcslice-timing:" { print $2, $3 }'
done | awk '{ v[$1] = v[$1] " " $2; if (!($1 in o)) { o[$1] = ++n; k[n] = $1 } }
    END { for (i = 1; i <= n; i++) { m = split(v[k[i]], a, " ")
            for (x = 2; x <= m; x++) for (y = x; y > 1 && a[y - 1] + 0 > a[y] + 0; y--) { t = a[y]; a[y] = a[y - 1]; a[y - 1] = t }
            printf "%s=%.0f ", k[i], a[int((m + 1) / 2)] } print "" }' |
    sed 's/^/VMT-TRACE us: /'
pass "measured (see VMT-BENCH)"
exit 0

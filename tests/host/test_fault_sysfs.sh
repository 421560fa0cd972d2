#!/usr/bin/env bash
# CPU hot-unplug simulated in an fsroot: while a background loop takes cpuN directories away
# and back, rewrites cpu/online, empties or corrupts cache shared_cpu_list files, and removes
# node directories and distance rows, `llcslice topo` and `plan` run over and over. Every run
# either succeeds with a consistent topology (the LLCs and the nodes each partition the online
# CPUs, allowed = online, distances square) or fails with one clear line (exit 64 or 125);
# none crashes (under ASan+UBSan and valgrind too). Runs for at least FAULT_SYSFS_SECONDS and
# FAULT_SYSFS_RUNS runs, and until one topo succeeded; only WAIT_BOUND without that fails.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
SRC_FIX=${FIX:?}/16amd64-8n2c
[[ -d $SRC_FIX ]] || { echo "SKIP: no fixture $SRC_FIX"; exit 0; }
R=$T/root
cp -a "$SRC_FIX" "$R"
CPU=$R/sys/devices/system/cpu
NODE=$R/sys/devices/system/node
DURATION=${FAULT_SYSFS_SECONDS:-8}
MIN_RUNS=${FAULT_SYSFS_RUNS:-5}

# The unplugger: small random changes, each undone soon after, until $T/stop appears.
unplug() {
    local c n f
    while [[ ! -e $T/stop ]]; do
        c=$((RANDOM % 16)) n=$((RANDOM % 8))
        case $((RANDOM % 6)) in
        0) mv "$CPU/cpu$c" "$CPU/.cpu$c" 2>/dev/null && sleep 0.0$((RANDOM % 5)) &&
            mv "$CPU/.cpu$c" "$CPU/cpu$c" ;;
        1) echo "0-$((c > 0 ? c : 1))" >"$CPU/online.new" && mv "$CPU/online.new" "$CPU/online" &&
            sleep 0.01 && echo 0-15 >"$CPU/online.new" && mv "$CPU/online.new" "$CPU/online" ;;
        2) f=$CPU/cpu$c/cache/index3/shared_cpu_list
            [[ -f $f ]] && cp "$f" "$T/saved" && : >"$f" && sleep 0.01 && cp "$T/saved" "$f" ;;
        3) f=$CPU/cpu$c/cache/index3/shared_cpu_list
            [[ -f $f ]] && cp "$f" "$T/saved" && printf '0-%d,garbage' "$c" >"$f" && sleep 0.01 &&
            cp "$T/saved" "$f" ;;
        4) mv "$NODE/node$n" "$NODE/.node$n" 2>/dev/null && sleep 0.0$((RANDOM % 5)) &&
            mv "$NODE/.node$n" "$NODE/node$n" ;;
        5) f=$NODE/node$n/distance
            [[ -f $f ]] && cp "$f" "$T/saved.d" && echo "10 20" >"$f" && sleep 0.01 &&
            cp "$T/saved.d" "$f" ;;
        esac
        sleep 0.005
    done
}

# consistent FILE: topo JSON whose LLCs and nodes partition the online CPUs.
consistent() {
    jq -e '
        (.online_cpus | sort) as $on | (.nodes | length) as $nn
        | ($on | length) > 0
        and ([.llcs[].cpus[]] | sort) == $on
        and ([.nodes[].cpus[]] | sort) == $on
        and .allowed_cpus == $on
        and all(.nodes[]; (.distances | length) == $nn)
    ' "$1" >/dev/null
}

unplug &
UNPLUG=$!
PIDS+=($UNPLUG)
runs=0 good=0 bad=0 plans=0 shrunk=0 warned=0
declare -A why
start=$SECONDS
# Enough exposure (time and runs) and one success; a loaded machine just takes longer.
while ((SECONDS - start < DURATION || runs < MIN_RUNS || good == 0)); do
    ((SECONDS - start < WAIT_BOUND)) ||
        fail "no topo run succeeded in $runs runs over ${WAIT_BOUND} s while CPUs came and went"
    set +e
    "$BIN" topo --fsroot "$R" --json >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    runs=$((runs + 1))
    ((rc < 128)) || fail "topo crashed (exit $rc): $(cat "$T/err")"
    if ((rc == 0)); then
        consistent "$T/out" || fail "inconsistent topology: $(jq -c . "$T/out") (stderr: $(cat "$T/err"))"
        good=$((good + 1))
        [[ $(jq '.online_cpus | length' "$T/out") -lt 16 || $(jq '.nodes | length' "$T/out") -lt 8 ]] &&
            shrunk=$((shrunk + 1))
        [[ -s $T/err ]] && warned=$((warned + 1))
    else
        [[ $rc -eq 64 || $rc -eq 125 ]] || fail "topo exit $rc: $(cat "$T/err")"
        [[ $(wc -l <"$T/err") -eq 1 ]] || fail "topo failed with $(wc -l <"$T/err") lines: $(cat "$T/err")"
        bad=$((bad + 1))
        why[$(sed -E 's/[0-9]+/N/g; s/: .*//' "$T/err" | cut -c1-60)]=1
    fi
    set +e
    "$BIN" plan --fsroot "$R" --lock-dir "$L" --cpus 2 --json >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    ((rc < 128)) || fail "plan crashed (exit $rc): $(cat "$T/err")"
    if ((rc == 0)); then
        [[ $(jq '.cpus | length' "$T/out") -eq 2 ]] || fail "plan of 2 CPUs gave $(jq -c .cpus "$T/out")"
        plans=$((plans + 1))
    else
        [[ $rc -eq 64 || $rc -eq 75 || $rc -eq 77 || $rc -eq 125 ]] || fail "plan exit $rc: $(cat "$T/err")"
    fi
done
touch "$T/stop" # ends after the change in progress, which it undoes
wait "$UNPLUG" 2>/dev/null || true
ok "$runs topo runs during hot-unplug: $good consistent ($shrunk saw CPUs or nodes missing, $warned with warnings), $bad clean errors (${!why[*]}); $plans plans of 2 CPUs"

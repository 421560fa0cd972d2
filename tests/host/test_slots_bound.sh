#!/usr/bin/env bash
# llcslice slots keeps a bounded number of supervisors alive: 40 one-CPU dedicated jobs on a
# 4-CPU simulated host start as room on the host allows (plus a few waiters), not all at once.
# While every CPU is held by a blocked job nothing can end, so the runner has started all it
# will for now: its live children (the runs' supervisors) are counted then, and while the
# rest run. A runner without the bound forks every job before any of them runs.
source "$(dirname "$0")/run_lib.sh"

F=$FIX/64amd64-4s2n4ca2co # simulated: 8 LLCs of 8 CPUs; --allowed-cpus 0-3 leaves 4 CPUs
[[ -d $F ]] || { echo "SKIP: fixture $F missing"; exit 0; }
unset LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS LLCSLICE_LOCK_DIR LLCSLICE_LOCK_PREFIX
[[ -r /proc/$$/task/$$/children ]] || { echo "SKIP: no /proc/PID/task/TID/children"; exit 0; }

NJOBS=40 CPUS=4 BOUND=8 # 4 that fit + 4 waiters = 2x the CPU count
# Each job says it started, then holds its CPU until the test creates $T/go.
{
    printf 'mode: dedicated\ndefaults:\n  cpus: 1\n  command: |\n'
    printf '    echo $JOB >>%s/started\n' "$T"
    printf '    while [ ! -e %s/go ]; do sleep 0.02; done\njobs:\n' "$T"
    for ((j = 1; j <= NJOBS; j++)); do printf '  - name: j%s\n    env: {JOB: j%s}\n' "$j" "$j"; done
} >"$T/many.yaml"
touch "$T/started"

truncate_files "$T/err" "$T/out"
"$BIN" slots "$T/many.yaml" --lock-dir "$L" --fsroot "$F" --allowed-cpus 0-$((CPUS - 1)) \
    --log-dir "$T/logs" --json >"$T/out" 2>"$T/err" &
R=$!
PIDS+=("$R")
max=0
sample() { # the runner's live children: its runs' supervisors
    local c
    c=$(wc -w <"/proc/$R/task/$R/children" 2>/dev/null || echo 0)
    ((c > max)) && max=$c
    ((max <= BOUND)) || fail "$max supervisors alive at once (bound $BOUND); started: $(wc -l <"$T/started"); children: $(for p in $(cat /proc/$R/task/$R/children); do awk '{printf "%s:%s ", $1, $3}' /proc/$p/stat; done)"
    return 0
}
running() { kill -0 "$R" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$R/stat" 2>/dev/null) != Z ]]; }

# 1. The first CPUS jobs run and hold every CPU.
deadline=$(($(now_ms) + 120000))
while (($(wc -l <"$T/started") < CPUS)); do
    running || fail "runner ended early: $(tail -n 5 "$T/err")"
    (($(now_ms) < deadline)) || fail "gave up waiting for $CPUS jobs to start"
    sample
    sleep 0.01
done
sample
held=$max
((held >= CPUS)) || fail "only $held supervisors alive with $CPUS jobs running"
# 2. Let them go; the bound holds while the rest run.
touch "$T/go"
deadline=$(($(now_ms) + 300000))
while running; do
    (($(now_ms) < deadline)) || fail "slots did not finish"
    sample
    sleep 0.01
done
set +e
wait "$R"
RC=$?
set -e
[[ $RC -eq 0 ]] || fail "slots exited $RC: $(tail -n 5 "$T/err")"
jq -e --argjson n "$NJOBS" '.exit_code == 0 and (.jobs | length) == $n and
       all(.jobs[]; .state == "done")' "$T/out" >/dev/null || fail "json: $(head -c 600 "$T/out")"
[[ $(wc -l <"$T/started") -eq $NJOBS ]] || fail "want $NJOBS starts, got $(wc -l <"$T/started")"
no_locks_held
ok "$NJOBS one-CPU jobs on $CPUS simulated CPUs: $held supervisors alive while $CPUS jobs held every CPU, at most $max at any sample (bound $BOUND)"

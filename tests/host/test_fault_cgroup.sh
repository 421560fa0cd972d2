#!/usr/bin/env bash
# The job's cgroup parent (--cgroup-parent) taken away while the job runs: stopped the way
# systemd stops a unit (every process in the job's group killed, the groups removed), renamed,
# or emptied by moving the job's processes out and removing the groups. llcslice ends with the
# job's status and a clear warning where its group vanished, holds the CPUs exactly as long as
# the job runs, releases them after, and leaves nothing that `llcslice sweep` does not remove.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root to make cgroups"; exit 0; }
cgroup_usable || { echo "SKIP: no usable cgroup on this host"; exit 0; }
MNT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuset(,|$)/ {print $2; exit}' /proc/mounts)
V=1
if [[ -z $MNT ]]; then
    MNT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
    V=2
fi
[[ -n $MNT ]] || { echo "SKIP: no cpuset hierarchy"; exit 0; }
MARK=5555.$$
P=$MNT/lsfault-$$
PARENTS=()
cleanup_groups() {
    for p in "${PARENTS[@]}"; do
        [[ -d $p ]] || continue
        find "$p" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$p" 2>/dev/null || true
    done
}
trap 'cleanup_groups; cleanup' EXIT

make_parent() {
    mkdir "$P"
    PARENTS+=("$P")
    if [[ $V == 1 ]]; then
        cat "$MNT/cpuset.cpus" >"$P/cpuset.cpus"
        cat "$MNT/cpuset.mems" >"$P/cpuset.mems"
    fi
}
procs_file() { [[ $V == 1 ]] && echo tasks || echo cgroup.procs; }

start_job() { # start_job CMD: llcslice run under $P in the background; JOB, GROUP
    rm -f "$T/started"
    truncate_files "$T/err" "$T/out"
    "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --cgroup-parent "$P" -- sh -c "$1" \
        >"$T/out" 2>"$T/err" &
    JOB=$!
    PIDS+=($JOB)
    wait_until '[[ -e $T/started ]] || ! kill -0 $JOB 2>/dev/null'
    [[ -e $T/started ]] || fail "job never started: $(cat "$T/err")"
    GROUP=$(find "$P" -mindepth 1 -maxdepth 1 -type d -name "llcslice-$JOB-*")
    [[ -n $GROUP ]] || fail "no job group under $P"
    CPU=$("$BIN" locks --lock-dir "$L" --json | jq -r --argjson p "$JOB" \
        '.cpus[] | select([.holders[].pid] | index($p)) | .index')
    [[ -n $CPU ]] || fail "the job's supervisor holds no CPU"
}
finish_job() { touch "$T/release"; set +e; wait "$JOB"; RC=$?; set -e; rm -f "$T/release"; }
WAIT_RELEASE="t=0; while [ ! -e $T/release ] && [ \$t -lt 6000 ]; do sleep 0.05; t=\$((t+1)); done"
cpu_busy() { run_rc 75 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" -- true; }

# ---- stopped like a systemd unit: everything in the group killed, groups removed
make_parent
start_job "touch $T/started; sleep $MARK & exec sleep $MARK"
cpu_busy
# Killed processes leave the group when they are reaped: retry until it can go.
kill_all_rmdir() {
    for pid in $(cat "$GROUP/$(procs_file)" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    rmdir "$GROUP" 2>/dev/null || [[ ! -d $GROUP ]]
}
wait_until "the stopped job's group to go" kill_all_rmdir
wait_until "the stopped parent to go" 'rmdir "$P" 2>/dev/null || [[ ! -d $P ]]'
finish_job
[[ $RC -eq 137 ]] || fail "stopped: llcslice exit $RC, want 137 (job killed by SIGKILL): $(cat "$T/err")"
[[ $(count_sleepers "$MARK") -eq 0 ]] || fail "stopped: job processes left"
[[ ! -d $P ]] || fail "stopped: the parent came back"
no_locks_held
warned=""
grep -q "disappeared while the job ran" "$T/err" && warned=" (warned: its group vanished first)"
ok "parent stopped and removed under the job: llcslice -> 137$warned, CPU $CPU released, nothing left"

# ---- the parent renamed while the job runs
make_parent
start_job "touch $T/started; $WAIT_RELEASE; echo done"
mv "$P" "$P-moved"
PARENTS+=("$P-moved")
cpu_busy
finish_job
[[ $RC -eq 0 && $(cat "$T/out") == done ]] || fail "renamed: exit $RC, out '$(cat "$T/out")': $(cat "$T/err")"
grep -q "disappeared while the job ran" "$T/err" || fail "renamed: no warning: $(cat "$T/err")"
no_locks_held
# Left at its new place, unless a concurrent run's sweep (every run sweeps) got there first.
moved=$P-moved/$(basename "$GROUP")
sweep
[[ ! -d $moved ]] || fail "renamed: sweep left $moved: $(cat "$T/sweep")"
rmdir "$P-moved"
ok "parent renamed under the job: job finished (0), one warning, CPU $CPU released, group swept"

# ---- the job moved out, its group and parent removed: the CPUs stay held until it ends
make_parent
start_job "touch $T/started; $WAIT_RELEASE; echo done"
move_out_rmdir() {
    for pid in $(cat "$GROUP/$(procs_file)" 2>/dev/null); do echo "$pid" >"$MNT/$(procs_file)" 2>/dev/null || true; done
    rmdir "$GROUP" 2>/dev/null || [[ ! -d $GROUP ]]
}
wait_until "the job's group to empty and go" move_out_rmdir
rmdir "$P"
cpu_busy
finish_job
[[ $RC -eq 0 && $(cat "$T/out") == done ]] || fail "moved out: exit $RC: $(cat "$T/err")"
grep -q "disappeared while the job ran" "$T/err" || fail "moved out: no warning: $(cat "$T/err")"
no_locks_held
ok "job moved out and its groups removed: CPU $CPU held until the job ended (0), one warning"

# ---- a parent that is gone before the run
run_rc 64 "$BIN" run --lock-dir "$L" --cpus 1 --cgroup-parent "$P" -- touch "$T/ran"
failed_cleanly 64 "$P" "$T/ran"
ok "a --cgroup-parent that no longer exists: $(cat "$T/err")"

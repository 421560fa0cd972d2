#!/usr/bin/env bash
# The supervisor SIGKILLed at each phase of `llcslice run`, stopped there by a gdb breakpoint
# so the phase is exact: after the locks are acquired (ls_confine_prepare), after the job's
# cgroup was created (ls_job_spawn), with the init shim parked before the job starts
# (ls_job_start) and while the job runs (ls_job_wait). At the breakpoint the CPU is held (a
# competing dedicated run is busy: never handed out twice); after the SIGKILL the lock is free,
# the job never ran or is gone, and any cgroup left behind is removed by `llcslice sweep`.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v gdb >/dev/null || { echo "SKIP: gdb not installed"; exit 0; }
# The valgrind pass wraps the binary in a script gdb cannot stop inside; this test is about
# process lifetime, not memory.
[[ ${LLCSLICE_VALGRIND:-} == 1 ]] && { echo "SKIP: under the valgrind wrapper"; exit 0; }
REAL=$(realpath "$BIN")
MARK=7777.$$
CG=false
cgroup_usable && CG=true

holder_cpus() { # CPUs whose lock PID holds
    "$BIN" locks --lock-dir "$L" --json | jq -r --argjson p "$1" \
        '.cpus[] | select([.holders[].pid] | index($p)) | .index'
}

# phase FUNCTION DESCRIPTION: run until FUNCTION, check, SIGKILL, check again.
phase() {
    local fn=$1 what=$2
    rm -f "$T/at" "$T/go" "$T/started"
    cat >"$T/gdb.cmd" <<GDB
set pagination off
set confirm off
break $fn
run
shell touch $T/at
shell while [ ! -e $T/go ]; do sleep 0.05; done
continue
quit
GDB
    truncate_files "$T/gdb.out"
    setsid gdb -q -batch -x "$T/gdb.cmd" --args "$REAL" run --lock-dir "$L" --mode dedicated \
        --cpus 1 -- sh -c "touch $T/started; exec sleep $MARK" >"$T/gdb.out" 2>&1 &
    local gdbpid=$!
    PIDS+=($gdbpid)
    wait_until '[[ -e $T/at ]] || ! kill -0 $gdbpid 2>/dev/null'
    [[ -e $T/at ]] || fail "$what: gdb never reached $fn: $(tail -5 "$T/gdb.out")"
    local pid="" p
    for p in $(pgrep -P "$gdbpid"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$REAL" ]] && pid=$p
    done
    [[ -n $pid ]] || fail "$what: no llcslice under gdb"
    PIDS+=($pid)

    # At the breakpoint: the CPU is held, nobody else gets it.
    local cpu
    cpu=$(holder_cpus "$pid")
    [[ -n $cpu ]] || fail "$what: pid $pid holds no CPU lock at $fn"
    run_rc 75 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$cpu" -- true
    local group
    group=$(groups_of "$pid")
    if [[ $fn == ls_confine_prepare ]]; then
        [[ -z $group ]] || fail "$what: a cgroup exists before ls_confine_prepare: $group"
    elif $CG; then
        [[ -n $group ]] || fail "$what: no cgroup at $fn"
    fi
    if [[ $fn == ls_job_wait ]]; then
        wait_until '[[ -e $T/started ]]'
        [[ -e $T/started ]] || fail "$what: the job did not start"
    fi

    kill -KILL "$pid"
    touch "$T/go"
    wait "$gdbpid" 2>/dev/null || true
    wait_until "$what: the job to die with its supervisor" '[[ $(count_sleepers "$MARK") -eq 0 ]]'
    if [[ $fn != ls_job_wait ]]; then
        [[ ! -e $T/started ]] || fail "$what: the job started after its supervisor died"
    fi
    [[ -z $(pgrep -f -x "$REAL run --lock-dir $L .*" || true) ]] || fail "$what: an llcslice process survived"
    no_locks_held
    local left=""
    if [[ -n $group && -d $group ]]; then
        left="; its cgroup was left and sweep removed it"
        sweep
        [[ ! -d $group ]] || fail "$what: sweep did not remove $group: $(cat "$T/sweep")"
    fi
    [[ -z $(groups_of "$pid") ]] || fail "$what: groups left after sweep: $(groups_of "$pid")"
    run_rc 0 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$cpu" -- true
    local job="never ran"
    [[ $fn == ls_job_wait ]] && job="killed with it"
    ok "SIGKILL $what (${group:+cgroup made, }at $fn): CPU $cpu busy for others, then free; job $job$left"
}

phase ls_confine_prepare "after acquire"
phase ls_job_spawn "after cgroup create"
phase ls_job_start "with the shim parked"
phase ls_job_wait "during the job"

#!/usr/bin/env bash
# Signals and process lifetime with the real binary: SIGTERM/SIGINT/SIGHUP reach the job
# and llcslice exits with its status; a SIGKILLed llcslice takes the job down (the time it
# took is reported, not asserted: a loaded machine is slow) and the next run (or sweep)
# removes its cgroup; 1,000 children the job forked are all gone before the locks are
# released. As root (pid namespace) and, where setpriv can drop to nobody, unprivileged
# (subreaper shim, sched_setaffinity fallback).
source "$(dirname "$0")/run_lib.sh"

MARK=9999.$$
USERS=(root)
can_drop_privs && USERS+=(nobody)

as() { # as USER CMD... (execs: backgrounded, $! is then the command's own pid)
    if [[ $1 == nobody ]]; then
        shift
        exec "${NOBODY[@]}" "$@"
    fi
    shift
    exec "$@"
}

# Start llcslice run in the background as $1 with SIGINT at its default (a background job of
# a script would otherwise inherit it ignored), wait until the job wrote $T/started.
start_run() { # start_run USER RUN-ARGS...
    local user=$1
    shift
    rm -f "$T/started"
    truncate_files "$T/err" "$T/out"
    (as "$user" perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' -- "$BIN" run --lock-dir "$L" "$@" \
        >"$T/out" 2>"$T/err") &
    RUN=$!
    PIDS+=($RUN)
    wait_until "the job to start" '[[ -e $T/started ]] || ! kill -0 $RUN 2>/dev/null'
    [[ -e $T/started ]] || fail "job never started: $(cat "$T/err")"
}

finish() { set +e; wait "$RUN"; RC=$?; set -e; }

for user in "${USERS[@]}"; do
    # ---- forwarded signals: the job dies of them, llcslice reports 128+N
    for sig in TERM INT HUP; do
        start_run "$user" --cpus 1 -- sh -c "touch $T/started; exec sleep $MARK"
        kill -"$sig" "$RUN"
        finish
        want=$((128 + $(kill -l "$sig")))
        [[ $RC -eq $want ]] || fail "$user: SIG$sig: exit $RC, want $want: $(cat "$T/err")"
        [[ $(count_sleepers "$MARK") -eq 0 ]] || fail "$user: SIG$sig: job still running"
        [[ -z $(groups_of "$RUN") ]] || fail "$user: SIG$sig: group left"
    done
    no_locks_held
    ok "$user: SIGTERM -> 143, SIGINT -> 130, SIGHUP -> 129, job gone, group removed"

    # ---- a job that handles the signal decides the exit code
    start_run "$user" --cpus 1 -- sh -c "trap 'echo handled; exit 7' TERM; touch $T/started; sleep 30 & wait"
    kill -TERM "$RUN"
    finish
    [[ $RC -eq 7 && $(cat "$T/out") == handled ]] || fail "$user: trapped SIGTERM: exit $RC, out $(cat "$T/out")"
    ok "$user: a job trapping SIGTERM exits 7 and so does llcslice"

    # ---- SIGKILL of llcslice: the job and its children die with it
    for cleaner in run sweep; do
        start_run "$user" --cpus 1 -- sh -c "sleep $MARK & setsid sleep $MARK & touch $T/started; sleep $MARK"
        wait_until "$user: 3 sleepers" '[[ $(count_sleepers "$MARK") -eq 3 ]]'
        group=$(groups_of "$RUN")
        t0=$(now_ms)
        kill -KILL "$RUN"
        finish
        wait_until "$user: the job to die with its SIGKILLed supervisor" '[[ $(count_sleepers "$MARK") -eq 0 ]]'
        took=$(($(now_ms) - t0))
        no_locks_held
        how=""
        if [[ -n $group && -d $group ]]; then
            if [[ $cleaner == run ]]; then
                "$BIN" run --lock-dir "$L" --cpus 1 -- true
            else
                sweep
            fi
            [[ ! -d $group ]] || fail "$user: the next $cleaner did not remove $group: $(cat "$T/sweep" 2>/dev/null)"
            how=", next $cleaner removed $(basename "$group")"
        elif [[ -n $group ]]; then
            how=", $(basename "$group") already removed by a concurrent run or sweep"
        fi
        ok "$user: SIGKILLed llcslice: job and children gone in $took ms$how"
    done

    # ---- 1,000 children are gone before the locks are released: a second run waiting
    # for the same CPUs counts them once it gets the locks.
    rm -f "$T/count" "$T/release" "$T/err2"
    start_run "$user" --mode dedicated --cpus "$(nproc)" -- \
        sh -c "i=0; while [ \$i -lt 1000 ]; do sleep $MARK & i=\$((i+1)); done; touch $T/started; while [ ! -e $T/release ]; do sleep 0.05; done; exit 0"
    wait_until "$user: 1000 children running" '[[ $(count_sleepers "$MARK") -eq 1000 ]]'
    truncate_files "$T/err2"
    (as "$user" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --wait=600s -- \
        sh -c "pgrep -f -x 'sleep $MARK' | wc -l > $T/count" 2>"$T/err2") &
    COUNTER=$!
    PIDS+=($COUNTER)
    wait_until "$user: the counting run to queue behind the job" \
        'grep -q "waiting for" "$T/err2" 2>/dev/null || [[ -s $T/count ]]'
    touch "$T/release"
    finish
    wait "$COUNTER" || fail "$user: the counting run exited $?: $(cat "$T/err2")"
    rm -f "$T/release"
    [[ $RC -eq 0 ]] || fail "$user: the 1000-children run exited $RC: $(cat "$T/err")"
    [[ $(cat "$T/count") -eq 0 ]] || fail "$user: $(cat "$T/count") children alive when the locks were released"
    [[ $(count_sleepers "$MARK") -eq 0 ]] || fail "$user: children left"
    ok "$user: 1000 children forked by the job were gone before its locks were released"
done

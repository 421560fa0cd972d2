#!/usr/bin/env bash
# A job that forks 1,000 children which double-fork, call setsid and ignore SIGTERM, SIGHUP
# and SIGINT, then exits at once. Every one of them must be gone before llcslice releases the
# CPUs: a second run waiting for the same CPUs counts the survivors the moment it gets them.
# As root (pid namespace) and as nobody (subreaper shim, no cgroup).
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v perl >/dev/null || { echo "SKIP: perl not installed"; exit 0; }
MARK=8888.$$
USERS=(root)
can_drop_privs && USERS+=(nobody)

# Fork N daemons (double fork + setsid, SIGTERM/HUP/INT ignored across exec) and exit.
SPAWN='use POSIX; my ($n, $mark) = @ARGV;
for (1 .. $n) {
    my $p = fork // die "fork: $!";
    next if $p;
    POSIX::setsid();
    $SIG{$_} = "IGNORE" for qw(TERM HUP INT);
    exit 0 if fork;
    exec "sleep", $mark or POSIX::_exit(1);
}
exit 0;'

for user in "${USERS[@]}"; do
    pre=()
    [[ $user == nobody ]] && pre=("${NOBODY[@]}")
    rm -f "$T/count"
    truncate_files "$T/err" "$T/out"
    "${pre[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus "$(nproc)" -- \
        sh -c "perl -e '$SPAWN' 1000 $MARK; t=0; while [ \$(pgrep -c -f -x 'sleep $MARK') -lt 1000 ] && [ \$t -lt 3000 ]; do sleep 0.1; t=\$((t+1)); done; touch $T/spawned; t=0; while [ ! -e $T/release ] && [ \$t -lt 3000 ]; do sleep 0.1; t=\$((t+1)); done; exit 3" \
        >"$T/out" 2>"$T/err" &
    RUN=$!
    PIDS+=($RUN)
    wait_until '[[ -e $T/spawned ]] || ! kill -0 $RUN 2>/dev/null'
    [[ -e $T/spawned ]] || fail "$user: the daemons were never all up: $(cat "$T/err")"
    # Queue the counting run behind the job, then let the job exit.
    truncate_files "$T/err2"
    "${pre[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --wait=300s -- \
        sh -c "pgrep -c -f -x 'sleep $MARK' > $T/count" 2>"$T/err2" &
    WAITER=$!
    PIDS+=($WAITER)
    # (not "|| ! kill -0 $WAITER": once, under valgrind at load 100, that ended the wait while
    # the waiter was alive and waiting)
    wait_until 'grep -q "waiting for" "$T/err2" || [[ -s $T/count ]]'
    if ! grep -q "waiting for" "$T/err2"; then
        set +e
        wait "$WAITER"
        wrc=$?
        set -e
        fail "$user: the second run is not waiting: it exited $wrc (count: $(cat "$T/count" 2>/dev/null)): $(cat "$T/err2")"
    fi
    touch "$T/release"
    set +e
    wait "$RUN"
    rc=$?
    wait "$WAITER"
    set -e
    rm -f "$T/spawned" "$T/release"
    [[ $rc -eq 3 ]] || fail "$user: the job's exit code 3 became $rc: $(cat "$T/err")"
    [[ -s $T/count ]] || fail "$user: the waiting run never ran: $(cat "$T/err2")"
    [[ $(cat "$T/count") -eq 0 ]] || fail "$user: $(cat "$T/count") daemons alive when the CPUs were released"
    [[ $(count_sleepers "$MARK") -eq 0 ]] || fail "$user: daemons left: $(count_sleepers "$MARK")"
    no_locks_held
    ok "$user: 1000 setsid'd, double-forked, SIGTERM-ignoring children were all gone before the CPUs were released"
done

#!/usr/bin/env bash
# --wait end to end: a waiter says once whom it waits for, runs as soon as the holder is gone,
# times out with 75, and leaves the queue when interrupted.
source "$(dirname "$0")/run_lib.sh"

N=$(nproc)
hold() { # a run holding every CPU dedicated until $T/hold goes away
    touch "$T/hold"
    rm -f "$T/started"
    truncate_files "$T/holder.err"
    "$BIN" run --lock-dir "$L" --mode dedicated --cpus "$N" -- \
        sh -c "touch $T/started; while [ -e $T/hold ]; do sleep 0.05; done" 2>"$T/holder.err" &
    HOLDER=$!
    PIDS+=($HOLDER)
    wait_until "the holder to start" '[[ -e $T/started ]] || ! kill -0 $HOLDER 2>/dev/null'
    [[ -e $T/started ]] || fail "holder never started: $(cat "$T/holder.err")"
}

# ---- waits, says for whom once, then runs
hold
truncate_files "$T/err"
"$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --wait=600s -- sh -c "echo ran > $T/ran" 2>"$T/err" &
waiter=$!
PIDS+=($waiter)
wait_until "the waiter to say whom it waits for" 'grep -q "waiting for" "$T/err" || ! kill -0 $waiter 2>/dev/null'
[[ ! -e $T/ran ]] || fail "the waiter ran while every CPU was held"
rm "$T/hold"
wait $HOLDER
wait $waiter || fail "waiter exited $?: $(cat "$T/err")"
[[ $(cat "$T/ran") == ran ]] || fail "waiter's job did not run"
# Said once; an exiting holder may be said once more as "pid N ([comm])" (its command line is
# gone from /proc while its lock is still listed): every line names the holder.
grep -q "waiting for: .*pid $HOLDER" "$T/err" || fail "does not name the holder $HOLDER: $(cat "$T/err")"
! grep "waiting for" "$T/err" | grep -qv "pid $HOLDER " || fail "a 'waiting for' line without the holder: $(cat "$T/err")"
[[ $(grep -c "waiting for" "$T/err") -le 2 ]] || fail "want one 'waiting for' line: $(cat "$T/err")"
no_locks_held
ok "--wait: $(cat "$T/err")"

# ---- times out: 75 after the duration
hold
t0=$(now_ms)
run_rc 75 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --wait=400ms -- true
took=$(($(now_ms) - t0))
[[ $took -ge 400 ]] || fail "gave up after $took ms, before --wait=400ms"
grep -q "busy error" "$T/err" || fail "no busy error: $(cat "$T/err")"
ok "--wait=400ms with everything held: 75 after $took ms"

# ---- interrupted while waiting: dies of the signal, leaves the queue
truncate_files "$T/err"
"$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --wait -- true 2>"$T/err" &
waiter=$!
wait_until "a wait-queue file while waiting" 'ls "$L" | grep -q -- -wait- || ! kill -0 $waiter 2>/dev/null'
ls "$L" | grep -q -- -wait- || fail "no wait-queue file while waiting"
kill -TERM $waiter
set +e; wait $waiter; rc=$?; set -e
[[ $rc -eq 143 ]] || fail "SIGTERM while waiting: exit $rc"
! ls "$L" | grep -q -- -wait- || fail "wait-queue file left: $(ls "$L")"
rm "$T/hold"
wait $HOLDER
no_locks_held
ok "SIGTERM while waiting -> 143, queue entry removed"

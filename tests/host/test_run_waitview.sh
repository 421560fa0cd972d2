#!/usr/bin/env bash
# Waiting is visible: without a terminal a line when the holder changes and one per interval
# (LLCSLICE_WAIT_REPORT_INTERVAL, default a minute) saying how long of how long; on a terminal
# (tmux) one status line updated in place, replaced at the end by "reserved after waiting".
source "$(dirname "$0")/run_lib.sh"

N=$(nproc)
hold() {
    touch "$T/hold"
    rm -f "$T/started"
    truncate_files "$T/holder.err"
    "$BIN" run --lock-dir "$L" --mode dedicated --cpus "$N" -- \
        sh -c "touch $T/started; while [ -e $T/hold ]; do sleep 0.05; done" 2>"$T/holder.err" &
    HOLDER=$!
    PIDS+=($HOLDER)
    for _ in $(seq 1200); do [[ -e $T/started ]] && return; sleep 0.1; done
    fail "holder never started: $(cat "$T/holder.err")"
}
# wait_for FILE PATTERN COUNT: until FILE has COUNT lines matching PATTERN (bound: 2 minutes)
wait_for() {
    for _ in $(seq 1200); do
        [[ $(grep -c -- "$2" "$1" 2>/dev/null) -ge $3 ]] && return
        sleep 0.1
    done
    fail "no $3 lines '$2' in $1: $(cat "$1")"
}

hold
truncate_files "$T/err"
LLCSLICE_WAIT_REPORT_INTERVAL=200ms "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 \
    --wait 10m -- true 2>"$T/err" &
waiter=$!
PIDS+=($waiter)
wait_for "$T/err" "^llcslice: waited [0-9ms]* of 10m00s, waiting for: .*pid $HOLDER" 3
rm "$T/hold"
wait "$HOLDER"
wait "$waiter" || fail "waiter exited $?: $(cat "$T/err")"
! grep -q $'\r' "$T/err" || fail "carriage returns without a terminal"
ok "no terminal: periodic lines with the time waited of the limit and the holder"

hold
run_rc 75 env LLCSLICE_WAIT_REPORT_INTERVAL=soon "$BIN" run --lock-dir "$L" --mode dedicated \
    --cpus 1 --wait 1s -- true
grep -q "LLCSLICE_WAIT_REPORT_INTERVAL 'soon' is not a duration" "$T/err" ||
    fail "a bad LLCSLICE_WAIT_REPORT_INTERVAL is ignored silently: $(cat "$T/err")"
rm "$T/hold"
wait "$HOLDER"
ok "a bad LLCSLICE_WAIT_REPORT_INTERVAL is named in a warning"

command -v tmux >/dev/null || { echo "ok # skip tmux missing"; exit 0; }
SOCK=$T/tmux.sock
hold
tmux -S "$SOCK" new-session -d -x 80 -y 20 \
    "'$BIN' run --lock-dir '$L' --mode dedicated --cpus 1 --wait 5m -- true; echo rc=\$?; sleep 600"
PIDS+=($(tmux -S "$SOCK" display -p '#{pane_pid}'))
screen() { tmux -S "$SOCK" capture-pane -p >"$T/screen"; }
for _ in $(seq 1200); do
    screen
    grep -q "waited [1-9][0-9]*s of 5m00s, waiting for" "$T/screen" && break
    sleep 0.1
done
grep -q "waited [1-9][0-9]*s of 5m00s, waiting for" "$T/screen" || fail "no status line: $(cat "$T/screen")"
[[ $(grep -c "waited" "$T/screen") -eq 1 ]] || fail "status line not updated in place: $(cat "$T/screen")"
awk 'length > 80 { exit 1 }' "$T/screen" || fail "status line wider than the terminal"
rm "$T/hold"
wait "$HOLDER"
for _ in $(seq 1200); do
    screen
    grep -q "^rc=" "$T/screen" && break
    sleep 0.1
done
grep -q "^rc=0" "$T/screen" || fail "waiter did not finish: $(cat "$T/screen")"
grep -q "llcslice: reserved after waiting" "$T/screen" || fail "no final line: $(cat "$T/screen")"
! grep -q "waiting for" "$T/screen" || fail "status line left on screen: $(cat "$T/screen")"
tmux -S "$SOCK" kill-server
ok "terminal: one status line updated in place, then 'reserved after waiting'"
no_locks_held

#!/usr/bin/env bash
# /proc/locks hostile or huge, with the real binary: in a private mount namespace a file is
# bind-mounted over /proc/locks. 100,000 lines of other locks (FLOCK, POSIX, OFDLCK, LEASE,
# waiters, garbage) around the one real holder: `locks` still names that holder, `plan` and
# `run` work. Unreadable (mode 0000, read as nobody): locks, plan and run fail with one line
# naming /proc/locks, run nothing and hold nothing.
source "$(dirname "$0")/fault_lib.sh"
fault_private_mounts "$@"
source "$(dirname "$0")/run_lib.sh"
fault_trap
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v flock >/dev/null || { echo "SKIP: flock(1) not installed"; exit 0; }
[[ $FAULT_NS == 1 ]] || { echo "SKIP: needs root and a private mount namespace"; exit 0; }
M=$T/ran

# The one real holder, and its line as the kernel wrote it.
setsid flock -o -s "$L/llcslice-llc-0.lock" sleep 300 &
HOLDER=$!
PIDS+=($HOLDER)
wait_until 'grep -q "FLOCK .* $HOLDER " /proc/locks'
real=$(grep "FLOCK .* $HOLDER " /proc/locks | head -1 | sed 's/^[0-9]*: //')
[[ -n $real ]] || fail "holder $HOLDER never showed up in /proc/locks"
dev=$(awk '{print $6}' <<<"$real" | cut -d: -f1-2)

awk -v real="$real" -v dev="$dev" 'BEGIN {
    srand(42)
    for (i = 1; i <= 100000; i++) {
        if (i == 50000) { print i ": " real; continue }
        k = i % 8
        ino = int(rand() * 1e9)
        if (k == 0) print i ": FLOCK  ADVISORY  WRITE " 100000 + i " " dev ":" ino " 0 EOF"
        else if (k == 1) print i ": POSIX  ADVISORY  READ " 100000 + i " 08:01:" ino " 0 EOF"
        else if (k == 2) print i ": OFDLCK ADVISORY  WRITE -1 08:01:" ino " 0 EOF"
        else if (k == 3) print i ": -> FLOCK  ADVISORY  WRITE " 100000 + i " " dev ":" ino " 0 EOF"
        else if (k == 4) print i ": LEASE  ACTIVE    READ " 100000 + i " 00:2d:" ino " 0 EOF"
        else if (k == 5) print i ": FLOCK  ADVISORY  READ " 100000 + i " fd:0" (i % 10) ":" ino " 0 EOF"
        else if (k == 6) print i ": DELEG  ACTIVE    READ " 100000 + i " 00:2d:" ino " 0 EOF"
        else print i ": garbage \001\377 " ino
    }
}' >"$T/locks-huge"
lines=$(wc -l <"$T/locks-huge")
fault_mount --bind "$T/locks-huge" /proc/locks
[[ $(wc -l </proc/locks) -eq $lines ]] || fail "the bind mount over /proc/locks did not take"

t0=$(now_ms)
"$BIN" locks --lock-dir "$L" --json >"$T/out"
took=$(($(now_ms) - t0))
holders=$(jq -c '[.llcs[] | select(.index == 0) | .holders[] | {pid, mode}]' "$T/out")
[[ $holders == "[{\"pid\":$HOLDER,\"mode\":\"shared\"}]" ]] || fail "holders of llc-0: $holders"
run_rc 0 "$BIN" plan --lock-dir "$L" --cpus 1 --json
run_rc 0 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 -- true
ok "$lines-line /proc/locks: locks found the one real holder among them in $took ms; plan and run work"

# Unreadable.
umount /proc/locks
install -m 0000 /dev/null "$T/locks-closed"
fault_mount --bind "$T/locks-closed" /proc/locks
if can_drop_privs; then
    for cmd in "locks --lock-dir $L" "plan --lock-dir $L --cpus 1" "run --lock-dir $L --cpus 1 -- touch $M"; do
        # shellcheck disable=SC2086
        run_rc 125 "${NOBODY[@]}" "$BIN" $cmd
        one_line_error "cannot read /proc/locks: Permission denied"
        [[ ! -e $M ]] || fail "the job ran without /proc/locks"
    done
    umount /proc/locks
    kill -- "-$HOLDER" 2>/dev/null || kill "$HOLDER"
    wait "$HOLDER" 2>/dev/null || true
    no_locks_held
    ok "unreadable /proc/locks: locks, plan and run -> 125 with one line: $(cat "$T/err")"
else
    echo "ok - SKIP unreadable /proc/locks (cannot run as nobody)"
fi

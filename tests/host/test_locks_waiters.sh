#!/usr/bin/env bash
# `llcslice locks` lists the wait queue (issue #13 point 7): a real run --wait queued behind a
# real holder shows with its position, pid, command, what it waits for and reserves, and since
# when, in text and --json ("waiters"); a held wait file that does not parse, or whose owner
# is not the user its waiter runs as, is named in a warning instead of blocking silently.
source "$(dirname "$0")/run_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v flock >/dev/null || { echo "SKIP: flock not installed"; exit 0; }
CPU=$(cut -d, -f1 /sys/devices/system/cpu/online | cut -d- -f1)

truncate_files "$T/h.err" "$T/h.out"
"$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" -- \
    sh -c "touch $T/held; while [ ! -e $T/release ]; do sleep 0.05; done" >"$T/h.out" 2>"$T/h.err" &
holder=$!
PIDS+=($holder)
for _ in $(seq 1200); do [[ -e $T/held ]] && break; sleep 0.05; done
[[ -e $T/held ]] || fail "the holder did not start: $(cat "$T/h.err")"
truncate_files "$T/w.err" "$T/w.out"
"$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" --wait=5m -- true \
    >"$T/w.out" 2>"$T/w.err" &
waiter=$!
PIDS+=($waiter)
for _ in $(seq 1200); do
    [[ $("$BIN" locks --lock-dir "$L" --json | jq '.waiters | length') -ge 1 ]] && break
    sleep 0.05
done
run_rc 0 "$BIN" locks --lock-dir "$L" --json
w=$(jq -c '.waiters[0]' "$T/out")
[[ $(jq '.waiters | length' "$T/out") -eq 1 ]] || fail "want one waiter: $(cat "$T/out")"
jq -e --argjson p "$waiter" --argjson c "$CPU" '.waiters[0] | .position == 1 and .pid == $p and
    .mode == "dedicated" and .target_cpus == 1 and .reserves.cpus == [$c] and .malformed == false
    and (.since | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and .waiting_s >= 0
    and (.cmdline | contains("--wait") or contains("valgrind")) and (.wait_file | contains("-wait-"))' "$T/out" >/dev/null ||
    fail "waiter entry: $w"
[[ ! -s $T/err ]] || fail "warnings for a well-formed waiter: $(cat "$T/err")"
run_rc 0 "$BIN" locks --lock-dir "$L"
grep -q "^wait queue: 1 waiter(s)" "$T/out" || fail "text: no wait queue: $(cat "$T/out")"
grep -E "^1 +$waiter .*1 CPU\(s\) dedicated, reserves.* cpu $CPU " "$T/out" >/dev/null || fail "text waiter row: $(cat "$T/out")"
ok "a run --wait behind a holder: position 1, pid $waiter, 1 CPU dedicated reserving CPU $CPU, in text and JSON"

# A held wait file that is not llcslice's: garbage, owned by another user than its waiter pid.
if [[ $(id -u) -eq 0 ]]; then
    bogus=$L/llcslice-wait-00000000000000000001-$$.lock
    # Made and locked beside the lock dir, then moved in: a reader (the waiter above) removes
    # an unlocked wait file as a dead waiter's.
    echo "mode=exclusive cpus=999 not an llcslice wait file" >"$T/bogus"
    chown nobody "$T/bogus"
    exec 8<"$T/bogus"
    flock -x 8 # held through this shell's descriptor: nothing to clean up but the fd
    mv "$T/bogus" "$bogus"
    run_rc 0 "$BIN" locks --lock-dir "$L" --json
    jq -e '.waiters[0].malformed == true and .waiters[0].position == 1' "$T/out" >/dev/null ||
        fail "the bogus wait file is not listed first as malformed: $(jq -c .waiters "$T/out")"
    grep -q "warning: wait file $bogus (owner uid 65534) is held but does not parse" "$T/err" ||
        fail "no warning naming the malformed wait file: $(cat "$T/err")"
    grep -q "warning: wait file $bogus is owned by uid 65534, but its waiter pid $$ runs as uid 0" "$T/err" ||
        fail "no warning about the wait file's owner: $(cat "$T/err")"
    ok "a held malformed wait file owned by another user than its waiter: listed, and named in two warnings"
    exec 8<&-
fi
touch "$T/release"
wait "$waiter" || fail "the waiter failed: $(cat "$T/w.err")"

#!/usr/bin/env bash
# llcslice pin --qmp: a real paused qemu (TCG) started by someone else gets its vCPU thread
# pinned to the plan's CPU and every other thread to the service CPU (each thread's
# Cpus_allowed_list), the plan file records it; a hand-written plan file (--plan), then
# LLCSLICE_PLAN inside a run --perf job. Mismatched vCPU counts and non-plans are usage
# errors; a socket nobody opens times out (125).
source "$(dirname "$0")/run_lib.sh"

Q=$(command -v qemu-system-x86_64) || { echo "SKIP: qemu-system-x86_64 not installed"; exit 0; }
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
[[ $allowed == 0-* || $allowed == 0,1* ]] || { echo "SKIP: CPUs 0 and 1 not both allowed ($allowed)"; exit 0; }

# thread_cpus PID: "name|Cpus_allowed_list" per thread
thread_cpus() {
    for st in /proc/$1/task/*/status; do
        echo "$(sed -n 's/^Name:[[:space:]]*//p' "$st")|$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$st")"
    done
}

# ---- errors before any qemu
run_rc 64 "$BIN" pin --plan "$T/none.json"
grep -q -- "--qmp SOCKET is required" "$T/err" || fail "no --qmp: $(cat "$T/err")"
run_rc 64 env -u LLCSLICE_PLAN "$BIN" pin --qmp "$T/q.sock"
grep -q "no plan" "$T/err" || fail "no plan: $(cat "$T/err")"
echo '{"mode": "shared", "cpus": [0]}' >"$T/shared.json"
run_rc 64 "$BIN" pin --qmp "$T/q.sock" --plan "$T/shared.json"
grep -q "not a performance-mode plan" "$T/err" || fail "shared plan: $(cat "$T/err")"
run_rc 64 "$BIN" pin --qmp "$T/q.sock" --plan "$T/missing.json"
one_line_error "cannot read the plan file $T/missing.json"
echo '{"mode": "exclusive", "assignments": [[0, 0]], "service_cpu": 1}' >"$T/plan.json"
run_rc 125 "$BIN" pin --qmp "$T/q.sock" --plan "$T/plan.json" --timeout 1s
grep -q "did not open its QMP socket" "$T/err" || fail "timeout: $(cat "$T/err")"
ok "usage errors (no --qmp, no plan, shared plan, missing file); nobody on the socket: 125"

# ---- a qemu started by the test itself, hand-written plan: vCPU 0 -> CPU 0, service CPU 1
truncate_files "$T/qemu.log"
"$Q" -accel tcg -S -display none -nodefaults -no-user-config -name "pin-$$,debug-threads=on" \
    -m 64 -smp 1 -qmp "unix:$T/q.sock,server=on,wait=off" >"$T/qemu.log" 2>&1 &
qpid=$!
PIDS+=($qpid)
run_rc 0 "$BIN" pin --qmp "$T/q.sock" --plan "$T/plan.json" --json
[[ $(jq '.vcpu_threads | length' "$T/out") == 1 && $(jq '.pid' "$T/out") == "$qpid" ]] || fail "pin --json: $(cat "$T/out")"
vt=0 other=0
while IFS='|' read -r name cpus; do
    if [[ $name == "CPU 0/TCG" ]]; then
        [[ $cpus == 0 ]] || fail "vCPU thread on $cpus, want 0"
        vt=1
    else
        [[ $cpus == 1 ]] || fail "thread '$name' on $cpus, want the service CPU 1"
        other=$((other + 1))
    fi
done < <(thread_cpus $qpid)
[[ $vt == 1 && $other -ge 1 ]] || fail "threads seen: $(thread_cpus $qpid)"
[[ $(jq '.applied.vcpu_threads[0] | .[0], .[2]' "$T/plan.json" | tr '\n' ' ') == "0 0 " ]] || fail "plan file applied: $(cat "$T/plan.json")"
[[ $(jq '.assignments' -c "$T/plan.json") == '[[0,0]]' ]] || fail "plan file lost its assignments: $(cat "$T/plan.json")"
ok "hand-written plan: 'CPU 0/TCG' on CPU 0, $other other thread(s) on CPU 1, plan file has applied"

echo '{"mode": "exclusive", "assignments": [[0, 0], [1, 0]], "service_cpu": 1}' >"$T/two.json"
run_rc 64 "$BIN" pin --qmp "$T/q.sock" --plan "$T/two.json"
grep -q "has 1 vCPU(s) but the plan places 2" "$T/err" || fail "vCPU mismatch: $(cat "$T/err")"
kill -TERM $qpid
wait $qpid 2>/dev/null || true
ok "qemu with 1 vCPU against a 2-vCPU plan: 64 naming both"

# ---- inside a run --perf job: LLCSLICE_PLAN, qemu started by a wrapper script
if ! "$BIN" plan --lock-dir "$L" --perf 1x1x1 >/dev/null 2>&1; then
    echo "SKIP (rest): --perf 1x1x1 does not fit here"
    exit 0
fi
job='
"$0" -accel tcg -S -display none -nodefaults -no-user-config -m 64 -smp 1 \
    -name "pinjob,debug-threads=on" -qmp "unix:$1/j.sock,server=on,wait=off" &
q=$!
"$2" pin --qmp "$1/j.sock" >"$1/pin.out" 2>"$1/pin.err" || { echo "pin failed: $?"; kill $q; exit 9; }
vcpu=$(jq ".assignments[0][1]" "$LLCSLICE_PLAN") svc=$(jq .service_cpu "$LLCSLICE_PLAN")
for st in /proc/$q/task/*/status; do
    n=$(sed -n "s/^Name:[[:space:]]*//p" $st) c=$(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" $st)
    want=$svc; [ "$n" = "CPU 0/TCG" ] && want=$vcpu
    [ "$c" = "$want" ] || { echo "thread $n on $c, want $want"; kill $q; exit 8; }
done
jq -e ".applied.vcpu_threads[0][2] == $vcpu" "$LLCSLICE_PLAN" >/dev/null || { echo "no applied"; kill $q; exit 7; }
kill $q; wait $q; echo pinned-ok'
run_rc 0 "$BIN" run --lock-dir "$L" --perf 1x1x1 -- sh -c "$job" "$Q" "$T" "$BIN"
grep -q pinned-ok "$T/out" || fail "job: $(cat "$T/out") $(cat "$T/pin.err" 2>/dev/null)"
no_locks_held
ok "inside run --perf 1x1x1: pin reads LLCSLICE_PLAN, every thread where the plan says"

# ---- --follow ends when qemu does, even while qemu is an unreaped zombie of the same shell
job='
"$0" -accel tcg -S -display none -nodefaults -no-user-config -m 64 -smp 1 \
    -name "pinfollow,debug-threads=on" -qmp "unix:$1/f.sock,server=on,wait=off" &
q=$!
"$2" pin --qmp "$1/f.sock" --follow >"$1/follow.out" 2>&1 &
p=$!
while [ ! -s "$1/follow.out" ]; do kill -0 $p 2>/dev/null || break; sleep 0.1; done
kill -TERM $q
wait $p
echo "pin=$?"
wait $q
echo "qemu=$?"'
run_rc 0 timeout 120 "$BIN" run --lock-dir "$L" --perf 1x1x1 -- sh -c "$job" "$Q" "$T" "$BIN"
grep -q "^pin=0" "$T/out" || fail "pin --follow did not end with qemu: $(cat "$T/out") $(cat "$T/follow.out")"
grep -q "vCPU 0 (thread" "$T/follow.out" || fail "pin --follow printed no pinning: $(cat "$T/follow.out")"
no_locks_held
ok "pin --follow returns 0 once qemu has exited (zombie of the same shell included)"

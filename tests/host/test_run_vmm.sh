#!/usr/bin/env bash
# run --perf --vmm qemu: argument conflicts are usage errors before anything is reserved; a
# real paused qemu (TCG) gets the plan's -smp and a private QMP socket, its vCPU thread is
# pinned to the planned CPU and every other thread to the service CPU (Cpus_allowed_list of
# each /proc/PID/task/TID), the plan file records it, the exit code is qemu's, the socket
# directory and the locks are gone after; a VMM that never answers on QMP is killed (125), one
# that exits first passes its own exit code on.
source "$(dirname "$0")/run_lib.sh"

Q=$(command -v qemu-system-x86_64) || { echo "SKIP: qemu-system-x86_64 not installed"; exit 0; }
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
R=("$BIN" run --lock-dir "$L" --perf 1x1x1 --vmm qemu)

# ---- usage errors name the conflict
run_rc 64 "${R[@]}" -- "$Q" -smp 2
grep -q "qemu arguments set '-smp 2'" "$T/err" || fail "-smp conflict: $(cat "$T/err")"
grep -q -- "-smp 1,sockets=1,dies=1,cores=1,threads=1" "$T/err" || fail "no fixed -smp named: $(cat "$T/err")"
run_rc 64 "${R[@]}" -- "$Q" -numa node,nodeid=0
grep -q "qemu arguments set '-numa node,nodeid=0'" "$T/err" || fail "-numa conflict: $(cat "$T/err")"
run_rc 64 "${R[@]}" -- "$Q" -daemonize
grep -q -- "-daemonize" "$T/err" || fail "-daemonize: $(cat "$T/err")"
run_rc 64 "${R[@]}" -- "$Q" -m 1.5G
grep -q "whole number of MiB" "$T/err" || fail "-m 1.5G: $(cat "$T/err")"
run_rc 64 "$BIN" run --lock-dir "$L" --cpus 1 --vmm qemu -- "$Q"
grep -q "give --perf" "$T/err" || fail "--vmm without --perf: $(cat "$T/err")"
run_rc 64 "$BIN" run --lock-dir "$L" --perf 1x1x1 --vmm kvmtool -- "$Q"
grep -q "unknown VMM" "$T/err" || fail "--vmm kvmtool: $(cat "$T/err")"
run_rc 64 "$BIN" run --lock-dir "$L" --perf 1x1x1 --vmm-timeout 5s -- "$Q"
run_rc 64 "${R[@]}" --vmm-timeout 0 -- "$Q"
no_locks_held
ok "conflicting -smp/-numa/-daemonize, fractional -m, --vmm without --perf, unknown VMM: 64"

# Can this host hold --perf 1x1x1 (one LLC for the vCPU, a service CPU)?
if ! "$BIN" plan --lock-dir "$L" --perf 1x1x1 >"$T/plan" 2>&1; then
    echo "SKIP (rest): --perf 1x1x1 does not fit here: $(cat "$T/plan")"
    exit 0
fi
cgroup_usable || { echo "SKIP (rest): no usable cgroup here: $(cat "$T/probe")"; exit 0; }

# ---- a real paused qemu, pinned
name=llcslice-vmm-$$
truncate_files "$T/qemu.err" "$T/qemu.out"
"${R[@]}" -v -- "$Q" -accel tcg -S -display none -nodefaults -no-user-config \
    -name "$name,debug-threads=on" -m 64 >"$T/qemu.out" 2>"$T/qemu.err" &
sup=$!
PIDS+=($sup)
qpid=
for _ in $(seq 1200); do
    qpid=$(pgrep -f -- "-name $name" | while read -r p; do
        [[ $(cat /proc/$p/comm 2>/dev/null) == qemu-system-* ]] && echo "$p"; done | head -1) || true
    [[ -n $qpid ]] && plan=$(tr '\0' '\n' </proc/$qpid/environ | sed -n 's/^LLCSLICE_PLAN=//p')
    [[ -n $qpid && -n ${plan:-} && -r $plan ]] && jq -e .applied "$plan" >/dev/null 2>&1 && break
    kill -0 $sup 2>/dev/null || fail "run exited before pinning: $(cat "$T/qemu.err")"
    sleep 0.1
done
jq -e .applied "$plan" >/dev/null 2>&1 || fail "no applied pinning in the plan file after 120 s: $(cat "$T/qemu.err")"
cmd=$(tr '\0' ' ' </proc/$qpid/cmdline)
[[ $cmd == *"-smp 1,sockets=1,dies=1,cores=1,threads=1"* ]] || fail "qemu lacks the plan's -smp: $cmd"
[[ $cmd =~ -qmp\ unix:($TMPDIR/llcslice-qmp-[^/]*)/qmp.sock,server=on,wait=off ]] || fail "qemu lacks our -qmp: $cmd"
qmpdir=${BASH_REMATCH[1]}
vcpu_cpu=$(jq '.assignments[0][1]' "$plan")
svc=$(jq '.service_cpu' "$plan")
nthreads=0
for st in /proc/$qpid/task/*/status; do
    tname=$(sed -n 's/^Name:[[:space:]]*//p' "$st")
    allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$st")
    want=$svc
    [[ $tname == "CPU 0/TCG" ]] && want=$vcpu_cpu
    [[ $allowed == "$want" ]] || fail "thread '$tname' ($st) Cpus_allowed_list $allowed, want $want"
    nthreads=$((nthreads + 1))
done
grep -q "Name:[[:space:]]*CPU 0/TCG" /proc/$qpid/task/*/status || fail "no 'CPU 0/TCG' thread in qemu $qpid"
[[ $(jq '.applied.vcpu_threads | length' "$plan") == 1 ]] || fail "applied.vcpu_threads: $(jq -c .applied "$plan")"
[[ $(jq '.applied.vcpu_threads[0][0]' "$plan") == 0 && $(jq '.applied.vcpu_threads[0][2]' "$plan") == "$vcpu_cpu" ]] ||
    fail "applied.vcpu_threads: $(jq -c .applied "$plan")"
[[ $(jq "[.applied.service_threads[][1]] | all(. == $svc)" "$plan") == true ]] || fail "service threads: $(jq -c .applied "$plan")"
[[ $(jq '.applied.vcpu_threads + .applied.service_threads | length' "$plan") -ge 2 ]] || fail "too few threads recorded"
grep -q "qemu vCPU 0 (thread [0-9]*) -> CPU $vcpu_cpu" "$T/qemu.err" || fail "-v does not say the pinning: $(cat "$T/qemu.err")"
ok "qemu $qpid: vCPU thread on CPU $vcpu_cpu, $((nthreads - 1)) other thread(s) on service CPU $svc; plan file records it"

# a thread qemu starts later (an iothread added over QMP) is found by the rescans
python3 - "$qmpdir/qmp.sock" <<'PY' || fail "QMP object-add iothread failed"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"},
            {"execute": "object-add", "arguments": {"qom-type": "iothread", "id": "late"}}):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "error" in r:
            sys.exit(str(r))
        if "return" in r:
            break
PY
late=
for _ in $(seq 600); do
    for st in /proc/$qpid/task/*/status; do
        grep -q "^Name:[[:space:]]*IO late" "$st" 2>/dev/null && late=$(basename "$(dirname "$st")")
    done
    # the plan file names threads as qemu sees them (its pid namespace: NSpid's last field)
    [[ -n $late ]] && late_ns=$(awk '/^NSpid:/ { print $NF }' /proc/$qpid/task/$late/status)
    [[ -n $late ]] && jq -e "[.applied.service_threads[][0]] | index($late_ns)" "$plan" >/dev/null 2>&1 && break
    sleep 0.1
done
[[ -n $late ]] || fail "no 'IO late' thread after object-add"
jq -e "[.applied.service_threads[][0]] | index($late_ns)" "$plan" >/dev/null || fail "late thread $late ($late_ns in qemu's namespace) not recorded: $(jq -c .applied "$plan")"
[[ $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$qpid/task/$late/status) == "$svc" ]] || fail "late thread not on the service CPU"
ok "a thread started later (iothread $late) is pinned to the service CPU and recorded"

kill -TERM "$qpid"
set +e; wait $sup; rc=$?; set -e
[[ $rc -eq 0 ]] || fail "run exited $rc after qemu's SIGTERM (qemu exits 0 then): $(cat "$T/qemu.err")"
[[ ! -e $qmpdir ]] || fail "QMP socket directory $qmpdir left behind"
[[ ! -e $plan ]] || fail "plan file $plan left behind"
[[ -z $(groups_of $sup) ]] || fail "group left behind: $(groups_of $sup)"
no_locks_held
ok "qemu's exit code is the job's; socket dir, plan file, cgroup and locks released"

# ---- a VMM that never opens QMP is killed after --vmm-timeout; one that exits first keeps its code
run_rc 125 "${R[@]}" --vmm-timeout 1s -- sh -c 'sleep 60' sh
grep -q "did not open its QMP socket" "$T/err" || fail "QMP timeout message: $(cat "$T/err")"
grep -q "qemu killed" "$T/err" || fail "QMP timeout does not say qemu was killed: $(cat "$T/err")"
[[ -z $(ls "$TMPDIR" | grep llcslice-qmp) ]] || fail "socket dir left after the timeout: $(ls "$TMPDIR")"
run_rc 3 "${R[@]}" -- sh -c 'exit 3' sh
grep -q "exited before its QMP socket" "$T/err" || fail "early exit message: $(cat "$T/err")"
no_locks_held
ok "no QMP within --vmm-timeout: killed, 125; early exit: its own code (3)"

# ---- SIGTERM while waiting for QMP: forwarded at once, not after the bound. --kill-after
# 10m: the default 10 s grace would SIGKILL a job that valgrind under load is slow to end (137)
truncate_files "$T/err" "$T/out"
"${R[@]}" --vmm-timeout 10m --kill-after 10m -- sh -c 'sleep 600' sh >"$T/out" 2>"$T/err" &
sup=$!
PIDS+=($sup)
for _ in $(seq 600); do
    [[ -n $(ls "$TMPDIR" | grep llcslice-qmp) ]] && break
    sleep 0.1
done
[[ -n $(ls "$TMPDIR" | grep llcslice-qmp) ]] || fail "run did not get to waiting for QMP: $(cat "$T/err")"
kill -TERM $sup
for _ in $(seq 600); do kill -0 $sup 2>/dev/null || break; sleep 0.1; done
# Under valgrind with two busy loops beside it, 1 run in 10 did not act on this SIGTERM (never
# without valgrind, 0 of 8 under the same load): there, and only there, it is sent once more.
if kill -0 $sup 2>/dev/null && [[ ${LLCSLICE_VALGRIND:-} == 1 ]]; then
    echo "note: SIGTERM not acted on within 60 s under valgrind; sent again"
    kill -TERM $sup
fi
for _ in $(seq 2400); do kill -0 $sup 2>/dev/null || break; sleep 0.1; done
kill -0 $sup 2>/dev/null && fail "run still waits for QMP 5 min after SIGTERM: $(cat "$T/err")"
set +e; wait $sup; rc=$?; set -e
[[ $rc -eq 143 ]] || fail "SIGTERM while waiting for QMP: exit $rc, want 143: $(cat "$T/err")"
no_locks_held
ok "SIGTERM while waiting for QMP reaches the job at once (143)"

#!/usr/bin/env bash
# A reservation lives exactly as long as its job (issue #13), on this host's real cgroups and
# real flocks: standard descriptors closed at start; the supervisor SIGKILLed while its
# SIGTERM-ignoring job runs on (as root and as nobody); a nobody job stopping its shim and
# killing its supervisor; `llcslice slots` SIGKILLed with a job past its timeout.
source "$(dirname "$0")/run_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }

# --- fds 0-2 closed at start: /dev/null takes them, not a lockfile or the wait file --------
# (not under valgrind: it opens its log file first, on the lowest free descriptor)
if [[ ${LLCSLICE_VALGRIND:-} != 1 ]]; then
    rc=0
    "$BIN" run -v --lock-dir "$L" --mode dedicated --cpus 1 -- \
        sh -c "readlink /proc/self/fd/2 >$T/fd2; readlink /proc/self/fd/0 >$T/fd0" 0<&- 2>&- || rc=$?
    [[ $rc -eq 0 ]] || fail "run with stdin and stderr closed exited $rc; $("$BIN" run -v --lock-dir "$L" --mode dedicated --cpus 1 -- true 2>&1 0<&-)"
    [[ $(cat "$T/fd2") == /dev/null ]] || fail "the job's stderr is '$(cat "$T/fd2")', want /dev/null"
    [[ $(cat "$T/fd0") == /dev/null ]] || fail "the job's stdin is '$(cat "$T/fd0")', want /dev/null"
    for f in "$L"/*; do
        [[ ! -s $f ]] || fail "$f got text written into it: $(head -c 200 "$f")"
    done
    ok "started with stdin and stderr closed: the job sees /dev/null there, no lockfile was written to"
fi

# --- SIGKILL of the supervisor: the locks stay held until every process of the job is gone --
# A dedicated job ignoring SIGTERM, with a leftover child, keeps running for --kill-after
# after its supervisor is SIGKILLed. A second run --wait for the same CPU must not start
# while any of its processes (or anything in its cgroup) exists: looked at (from the host, by
# process and cgroup membership) the moment the second job starts.
CPU=$(cut -d, -f1 /sys/devices/system/cpu/online | cut -d- -f1)
USERS=(root)
[[ $(id -u) -eq 0 ]] || USERS=("$(id -un)")
can_drop_privs && USERS+=(nobody)
MARK=7781.$$
for user in "${USERS[@]}"; do
    pre=()
    [[ $user == nobody ]] && pre=("${NOBODY[@]}")
    rm -f "$T/started" "$T/b.started" "$T/b.release" "$T/cg"
    truncate_files "$T/a.err" "$T/a.out"
    "${pre[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" \
        --kill-after 5s -- sh -c "trap '' TERM; grep -m1 cpuset /proc/self/cgroup | cut -d: -f3 >$T/cg; sleep $MARK & touch $T/started; exec sleep $MARK" \
        >"$T/a.out" 2>"$T/a.err" &
    a=$!
    PIDS+=($a)
    for _ in $(seq 1200); do [[ -e $T/started ]] && break; sleep 0.05; done
    [[ -e $T/started ]] || fail "$user: the first job did not start: $(cat "$T/a.err")"
    cg=$(cat "$T/cg" 2>/dev/null || true)
    cgdir=""
    [[ -n $cg && $cg != / ]] && cgdir=$(awk '$0 ~ / - cgroup / && $NF ~ /(^|,)cpuset(,|$)/ {print $5; exit}' /proc/self/mountinfo)$cg
    truncate_files "$T/b.err" "$T/b.out"
    "${pre[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" --wait=5m -- \
        sh -c "touch $T/b.started; while [ ! -e $T/b.release ]; do sleep 0.05; done" \
        >"$T/b.out" 2>"$T/b.err" &
    b=$!
    PIDS+=($b)
    # the second run is queued behind the first before the kill
    for _ in $(seq 600); do grep -q "waiting for" "$T/b.err" && break; sleep 0.05; done
    grep -q "waiting for" "$T/b.err" || fail "$user: the second run is not waiting: $(cat "$T/b.err")"
    for _ in $(seq 600); do [[ $(count_sleepers "$MARK") -eq 2 ]] && break; sleep 0.05; done
    [[ $(count_sleepers "$MARK") -eq 2 ]] || fail "$user: the job's two sleeps did not start"
    kill -KILL "$a"
    for _ in $(seq 6000); do [[ -e $T/b.started ]] && break; sleep 0.05; done
    [[ -e $T/b.started ]] || fail "$user: the second job never started: $(cat "$T/b.err")"
    left=$(count_sleepers "$MARK" || true)
    incg=0
    [[ -n $cgdir && -d $cgdir ]] && incg=$(wc -l <"$cgdir/cgroup.procs" || true)
    touch "$T/b.release"
    wait "$b" || fail "$user: the second run failed: $(cat "$T/b.err")"
    [[ $left -eq 0 ]] || fail "$user: the second job started while $left process(es) of the first still ran"
    [[ $incg -eq 0 ]] || fail "$user: the second job started while $incg process(es) were in the first job's cgroup $cgdir"
    [[ $(count_sleepers "$MARK") -eq 0 ]] || fail "$user: the first job's processes are still running"
    if [[ $user != root ]]; then
        grep -q "warning: no pid namespace for the job.*SECURITY.md" "$T/a.err" || fail "$user: no warning that the job could detach: $(cat "$T/a.err")"
    fi
    ok "$user: supervisor SIGKILLed with a SIGTERM-ignoring job: the CPU stayed held until all of its processes${cgdir:+ and its cgroup} were gone"
done

# --- without root: a job that stops its shim and SIGKILLs its supervisor stays held --------
# (no pid namespace, so it can name both). The keeper keeps the CPU and wakes the shim, which
# ends the job: SIGTERM (ignored here), SIGKILL after --kill-after.
if can_drop_privs; then
    MARK=7782.$$
    rm -f "$T/detached"
    truncate_files "$T/a.err" "$T/a.out"
    "${NOBODY[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" \
        --kill-after 5s -- sh -c "trap '' TERM; echo \$PPID >$T/shim; sup=\$(cut -d' ' -f4 /proc/\$PPID/stat); kill -STOP \$PPID; kill -KILL \$sup; touch $T/detached; exec sleep $MARK" \
        >"$T/a.out" 2>"$T/a.err" &
    PIDS+=($!)
    for _ in $(seq 1200); do [[ -e $T/detached ]] && break; sleep 0.05; done
    [[ -e $T/detached ]] || fail "the job did not get to stop its shim: $(cat "$T/a.err")"
    # a run on the same CPU: busy, or (had the job detached) its job sees the old one running
    rm -f "$T/seen"
    set +e
    "${NOBODY[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" -- \
        sh -c "pgrep -f -x 'sleep $MARK' | wc -l >$T/seen" >"$T/b.out" 2>"$T/b.err"
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        [[ $(cat "$T/seen") -eq 0 ]] || fail "the CPU was handed out while the stopped-shim job still ran"
        echo "# (inconclusive: the first job had already ended)"
    else
        [[ $rc -eq 75 ]] || fail "the probing run exited $rc: $(cat "$T/b.err")"
    fi
    for _ in $(seq 1200); do [[ $(count_sleepers "$MARK") -eq 0 ]] && break; sleep 0.05; done
    [[ $(count_sleepers "$MARK") -eq 0 ]] || fail "the job that stopped its shim was never ended"
    "${NOBODY[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" --wait=5m -- true \
        || fail "the CPU was not freed after the job ended"
    # Under valgrind pidfd_open is missing, so the keeper cannot wake the stopped shim (which
    # holds nothing any more): do not leave it behind.
    [[ ${LLCSLICE_VALGRIND:-} == 1 ]] && { kill -KILL "$(cat "$T/shim")" 2>/dev/null || true; }
    ok "nobody: a job that SIGSTOPs its shim and SIGKILLs its supervisor keeps its CPU held and is still ended (SIGKILL after --kill-after)"
fi

# --- `llcslice slots` SIGKILLed: a run's timeout and its escalation still hold --------------
# The per-run supervisor enforces them itself: the stubborn job (SIGTERM ignored, timeout 1s)
# is SIGKILLed, the CPU then freed, although nothing is left of the runner.
MARK=7783.$$
cat >"$T/stub.yaml" <<YAML
jobs:
  - name: stubborn
    mode: dedicated
    cpus: 1
    timeout: 1s
    command: trap '' TERM; touch $T/stub.started; sleep $MARK
YAML
rm -f "$T/stub.started"
truncate_files "$T/s.err" "$T/s.out"
"$BIN" slots "$T/stub.yaml" --lock-dir "$L" --allowed-cpus "$CPU" --log-dir "$T/stublogs" \
    --kill-after 1s >"$T/s.out" 2>"$T/s.err" &
runner=$!
PIDS+=($runner)
for _ in $(seq 1200); do [[ -e $T/stub.started ]] && break; sleep 0.05; done
[[ -e $T/stub.started ]] || fail "the slot job did not start: $(cat "$T/s.err")"
kill -KILL "$runner"
for _ in $(seq 1200); do [[ $(count_sleepers "$MARK") -eq 0 ]] && break; sleep 0.05; done
[[ $(count_sleepers "$MARK") -eq 0 ]] || fail "the slot job ran on after its runner was SIGKILLed: $(cat "$T/stublogs/stubborn.log")"
"$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$CPU" --wait=5m -- true ||
    fail "the slot job's CPU was not freed"
ok "slots SIGKILLed: its SIGTERM-ignoring job was still SIGKILLed (timeout + --kill-after) and its CPU freed"

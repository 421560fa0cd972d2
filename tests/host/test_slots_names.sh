#!/usr/bin/env bash
# Slot jobs can be told apart while they run: each run's supervisor holds the CPUs under the
# title "llcslice slots FILE: JOB" (what `llcslice locks` shows) and its cgroup is named
# "llcslice-JOB-<pid>-..." (which sweep still parses: removed once the supervisor is gone).
source "$(dirname "$0")/run_lib.sh"
touch "$T/gate"
cat >"$T/n.yaml" <<YAML
version: 1
jobs:
  - name: compile-a
    command: "touch $T/a.started; while [ -e $T/gate ]; do sleep 0.1; done"
    cpus: 1
  - name: compile-b
    command: "touch $T/b.started; while [ -e $T/gate ]; do sleep 0.1; done"
    cpus: 1
YAML
mkdir -m 0700 "$T/logs"
truncate_files "$T/out"
"$BIN" slots "$T/n.yaml" --lock-dir "$L" --log-dir "$T/logs" >"$T/out" 2>&1 &
RUNNER=$!
PIDS+=($RUNNER)
for _ in $(seq 1200); do [[ -e $T/a.started && -e $T/b.started ]] && break; sleep 0.1; done
[[ -e $T/a.started && -e $T/b.started ]] || fail "jobs never started: $(cat "$T/out")"

if [[ -z ${LLCSLICE_VALGRIND:-} ]]; then # under valgrind the cmdline is valgrind's
    "$BIN" locks --lock-dir "$L" --json >"$T/locks.json"
    for j in compile-a compile-b; do
        jq -e --arg t "llcslice slots $T/n.yaml: $j" \
            '[.llcs[].holders[], .cpus[].holders[] | select(.cmdline == $t)] | length > 0' \
            "$T/locks.json" >/dev/null || fail "no holder '$j': $(cat "$T/locks.json")"
    done
    ok "locks names each job's holder 'llcslice slots FILE: JOB'"
fi

if cgroup_usable; then
    for j in compile-a compile-b; do
        g=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "llcslice-$j-[0-9]*" 2>/dev/null | head -1)
        [[ -n $g ]] || fail "no cgroup named after $j"
        grep -q . "$g/cgroup.procs" || fail "$g holds no process"
    done
    ok "cgroups are named llcslice-JOB-<pid>-..."
fi

# Supervisors killed outright (SIGKILL: no cleanup) leave groups whose owner is dead; one
# sweep (what every run does too) removes them: the labelled names still parse.
sups=$("$BIN" locks --lock-dir "$L" --json | jq -r '[.llcs[].holders[], .cpus[].holders[] | .pid] | unique | .[]')
[[ -n $sups ]] || fail "no holders in $L"
for p in $sups; do kill -KILL "$p" 2>/dev/null || true; done
rm "$T/gate"
if cgroup_usable; then
    for _ in $(seq 120); do
        "$BIN" sweep >/dev/null 2>&1 || true
        [[ -z $(find /sys/fs/cgroup -maxdepth 8 -type d -name "llcslice-compile-[ab]-[0-9]*" 2>/dev/null) ]] && break
        sleep 1
    done
    left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "llcslice-compile-[ab]-[0-9]*" 2>/dev/null)
    [[ -z $left ]] || fail "sweep left labelled groups: $left"
    ok "sweep removes labelled groups of dead supervisors"
fi
wait "$RUNNER" 2>/dev/null || true

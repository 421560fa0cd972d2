#!/usr/bin/env bash
# The unprivileged path (docs/SECURITY.md "What needs root"): nobody with a delegated cpuset
# subtree, the way systemd's Delegate=yes hands one out (the group directory and its
# tasks/cgroup.procs chowned to the user, the user's processes inside it), on this host's v1
# cpuset hierarchy. nobody's jobs get real child groups confined to the delegated CPUs, share
# the lock protocol with root (a CPU nobody holds is busy for root and the other way round),
# and a third user cannot use nobody's delegation.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
can_drop_privs || { echo "SKIP: needs root and setpriv to run as nobody"; exit 0; }
MNT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuset(,|$)/ {print $2; exit}' /proc/mounts)
[[ -n $MNT ]] || { echo "SKIP: no v1 cpuset hierarchy (the VM suite covers cgroup v2)"; exit 0; }
cgroup_usable || { echo "SKIP: no usable cgroup on this host"; exit 0; }
OTHER=(setpriv --reuid=4242 --regid=4242 --clear-groups --inh-caps=-all)
D=$MNT/lsdeleg-$$
drop_delegation() { # everything still in D is this test's: kill it, remove the groups
    local i
    for i in $(seq 50); do
        find "$D" -name tasks -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        find "$D" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$D" 2>/dev/null && return 0 # bare return in a trap would return 1
        sleep 0.2
    done
}
trap 'drop_delegation; cleanup' EXIT

# Delegate: one CPU (the last one allowed) and every memory node, owned by nobody.
ALLOWED=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
LASTCPU=$(jq -rn --arg l "$ALLOWED" '[$l | split(",")[] | split("-") | map(tonumber) | range(.[0]; (.[1] // .[0]) + 1)] | max')
mkdir "$D"
echo "$LASTCPU" >"$D/cpuset.cpus"
cat "$MNT/cpuset.mems" >"$D/cpuset.mems"
chown nobody:nogroup "$D" "$D/tasks" "$D/cgroup.procs"

# as_delegated CMD...: nobody, moved into D by itself (v1 needs write access to D's
# cgroup.procs only), runs CMD.
as_delegated() { "${NOBODY[@]}" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$D" "$@"; }

job='grep -E "^[0-9]+:cpuset:" /proc/self/cgroup | cut -d: -f3; grep Cpus_allowed_list /proc/self/status | cut -f2; id -u'
run_rc 0 as_delegated "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c "$job"
mapfile -t got <"$T/out"
[[ ${got[0]} == "/${D#"$MNT"/}/llcslice-"* ]] || fail "nobody's job is not in a child of $D: ${got[0]}"
[[ ${got[1]} == "$LASTCPU" && ${got[2]} == 65534 ]] || fail "nobody's job: cpus ${got[1]}, uid ${got[2]}"
grep -q "no usable cgroup" "$T/err" && fail "nobody fell back although it has a delegated group"
[[ -z $(find "$D" -mindepth 1 -type d) ]] || fail "nobody's job group was not removed"
no_locks_held
ok "nobody inside its delegated group: job in ${got[0]}, CPU ${got[1]}, group removed, no fallback"

run_rc 0 "${NOBODY[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --allowed-cpus "$LASTCPU" \
    --cgroup-parent "$D" -- sh -c "$job"
mapfile -t got <"$T/out"
[[ ${got[0]} == "/${D#"$MNT"/}/llcslice-"* && ${got[1]} == "$LASTCPU" ]] || fail "--cgroup-parent: ${got[*]}"
ok "nobody from outside with --cgroup-parent $D: job in ${got[0]}"

# Root and nobody share the lock protocol: nobody's dedicated CPU is busy for root.
truncate_files "$T/job.err" "$T/job.out"
as_delegated "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 -- \
    sh -c "touch $T/started; exec sleep 5555.$$" >"$T/job.out" 2>"$T/job.err" &
JOB=$!
PIDS+=($JOB)
wait_until '[[ -e $T/started ]] || ! kill -0 $JOB 2>/dev/null'
[[ -e $T/started ]] || fail "nobody's dedicated job did not start: $(cat "$T/job.err")"
run_rc 75 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 --allowed-cpus "$LASTCPU" -- true
grep -qE "CPU $LASTCPU: pid [0-9]+ \(.*\) exclusive" "$T/err" ||
    fail "root's busy error does not name nobody's supervisor: $(cat "$T/err")"
ok "CPU $LASTCPU held by nobody is busy for root: $(cut -c1-100 "$T/err")..."

# A third user cannot use nobody's delegation.
run_rc 64 "${OTHER[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --allowed-cpus "$LASTCPU" \
    --cgroup-parent "$D" -- true
one_line_error "$D"
SUP=$("$BIN" locks --lock-dir "$L" --json | jq -r --argjson c "$LASTCPU" '.cpus[] | select(.index == $c) | .holders[0].pid')
kill -TERM "$SUP"
wait "$JOB" 2>/dev/null || true
no_locks_held
ok "uid 4242 with nobody's delegated parent -> 64: $(cat "$T/err")"

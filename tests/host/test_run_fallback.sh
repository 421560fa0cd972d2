#!/usr/bin/env bash
# Without a usable cgroup (an unprivileged user here): run falls back to sched_setaffinity
# with a loud warning, --strict makes that an error, and a --cgroup-parent that cannot be
# used is refused rather than replaced.
source "$(dirname "$0")/run_lib.sh"

can_drop_privs || { echo "SKIP: needs root and setpriv to run as nobody"; exit 0; }
if "${NOBODY[@]}" sh -c 'mkdir /sys/fs/cgroup/cpuset/lsruntest-probe-$$ 2>/dev/null'; then
    echo "SKIP: nobody can create cgroups here"
    find /sys/fs/cgroup -maxdepth 2 -name 'lsruntest-probe-*' -exec rmdir {} + 2>/dev/null || true
    exit 0
fi
U=("${NOBODY[@]}")

run_rc 0 "${U[@]}" "$BIN" run --lock-dir "$L" --cpus 1 -- \
    sh -c 'echo "allowed=$(grep Cpus_allowed_list /proc/self/status | cut -f2)"; echo "cpus=$LLCSLICE_CPUS"; echo "nproc=$(nproc)"'
field() { sed -n "s/^$1=//p" "$T/out"; }
[[ $(field allowed) == "$(field cpus)" && $(field nproc) == 1 ]] || fail "affinity: $(cat "$T/out")"
grep -q "llcslice: WARNING: no usable cgroup.*sched_setaffinity.*--strict" "$T/err" || fail "no loud warning: $(cat "$T/err")"
no_locks_held
ok "no cgroup: pinned to $(field cpus) with sched_setaffinity, warned: $(cut -c1-100 "$T/err")..."

run_rc 0 "${U[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --memory-max 1G -- true
grep -q "memory nodes and --memory-max are not enforced" "$T/err" || fail "--memory-max not mentioned: $(cat "$T/err")"
ok "--memory-max without a cgroup is named in the warning"

run_rc 125 "${U[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --strict -- true
one_line_error "--strict refuses the sched_setaffinity fallback"
no_locks_held
ok "--strict: $(cat "$T/err")"

# An explicit parent nobody may write to: refused (one line), not replaced by the fallback.
parent=lsruntest-parent-$$
mount=$(awk '$3 == "cgroup" && $4 ~ /cpuset/ {print $2; exit}' /proc/mounts)
[[ -n $mount ]] || mount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [[ -n $mount ]] && mkdir "$mount/$parent" 2>/dev/null; then
    set +e
    "${U[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --cgroup-parent "$mount/$parent" -- true >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    left=$(find "$mount/$parent" -mindepth 1 -type d | wc -l)
    rmdir "$mount/$parent"
    [[ $rc -eq 64 ]] || fail "unwritable --cgroup-parent: exit $rc: $(cat "$T/err")"
    one_line_error "Permission denied"
    [[ $left -eq 0 ]] || fail "group left under the parent"
    no_locks_held
    ok "unwritable --cgroup-parent -> 64: $(cat "$T/err")"
fi

#!/usr/bin/env bash
# --cgroup-manager on a host without systemd as PID 1 (this build host: hybrid, cpuset on v1):
# auto and cgroupfs use the cgroupfs manager; systemd is an error (125) that says why, never a
# silent fallback; bad values are usage errors. The systemd side runs in tests/vm/systemd-run.sh.
source "$(dirname "$0")/run_lib.sh"

if [[ -d /run/systemd/system ]] && [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
    echo "SKIP: systemd host on cgroup v2 (auto would pick systemd); see the VM suite"
    exit 0
fi
cgroup_usable || { echo "SKIP: no usable cpuset cgroup here"; exit 0; }

for how in "" "--cgroup-manager auto" "--cgroup-manager cgroupfs"; do
    # shellcheck disable=SC2086 # $how is two words or none
    run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 -v $how -- sh -c 'sed -n "s/^[0-9]*:cpuset://p" /proc/self/cgroup'
    grep -q "llcslice-" "$T/out" || fail "${how:-default}: not in an llcslice cpuset group: $(cat "$T/out" "$T/err")"
    grep -q "cgroup /sys/fs/cgroup" "$T/err" || fail "${how:-default}: -v does not name the group: $(cat "$T/err")"
    ok "${how:-no flag}: cgroupfs group $(cat "$T/out")"
done
LLCSLICE_CGROUP_MANAGER=cgroupfs run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 -- true
ok "LLCSLICE_CGROUP_MANAGER=cgroupfs"

run_rc 125 "$BIN" run --lock-dir "$L" --cpus 1 --cgroup-manager systemd -- true
one_line_error "--cgroup-manager systemd cannot be used here"
no_locks_held
ok "--cgroup-manager systemd: $(cat "$T/err")"
LLCSLICE_CGROUP_MANAGER=systemd run_rc 125 "$BIN" run --lock-dir "$L" --cpus 1 -- true
one_line_error "cannot be used here"
ok "LLCSLICE_CGROUP_MANAGER=systemd: 125"
# A flag beats the environment.
LLCSLICE_CGROUP_MANAGER=systemd run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 --cgroup-manager cgroupfs -- true
ok "--cgroup-manager cgroupfs beats LLCSLICE_CGROUP_MANAGER=systemd"

run_rc 64 "$BIN" run --lock-dir "$L" --cgroup-manager docker -- true
one_line_error "unknown cgroup manager 'docker'"
ok "bad --cgroup-manager: 64"
run_rc 64 "$BIN" run --lock-dir "$L" --slice 'a/b' -- true
one_line_error "--slice"
ok "bad --slice: 64"
run_rc 64 "$BIN" run --lock-dir "$L" --cgroup-manager systemd --cgroup-parent /x -- true
one_line_error "--slice"
ok "--cgroup-parent with systemd: 64, points at --slice"
mkdir "$T/auto-locks"
LLCSLICE_CGROUP_MANAGER=systemd run_rc 64 "$BIN" run --lock-dir "$T/auto-locks" --cpus 1 --cgroup-manager auto --cgroup-parent /x -- true
one_line_error "--slice"
[[ -z $(ls "$T/auto-locks") ]] || fail "--cgroup-manager auto with LLCSLICE_CGROUP_MANAGER=systemd and --cgroup-parent reserved before it was refused"
ok "--cgroup-manager auto takes LLCSLICE_CGROUP_MANAGER=systemd too: --cgroup-parent refused (64) before anything is reserved"
mkdir "$T/fresh-locks"
LLCSLICE_CGROUP_MANAGER=bogus run_rc 64 "$BIN" run --lock-dir "$T/fresh-locks" --cpus 1 -- true
one_line_error "LLCSLICE_CGROUP_MANAGER: unknown cgroup manager 'bogus'"
[[ -z $(ls "$T/fresh-locks") ]] || fail "a bad LLCSLICE_CGROUP_MANAGER reserved before it was refused"
ok "bad LLCSLICE_CGROUP_MANAGER: 64 before anything is reserved"
run_rc 0 "$BIN" plan --lock-dir "$L" --cpus 1 --cgroup-manager systemd
run_rc 64 "$BIN" plan --lock-dir "$L" --cpus 1 --cgroup-manager docker
ok "plan accepts and checks --cgroup-manager"
run_rc 0 "$BIN" run --help
grep -q -- "--cgroup-manager auto|systemd|cgroupfs" "$T/out" || fail "run --help lacks --cgroup-manager"
ok "run --help documents --cgroup-manager and --slice"

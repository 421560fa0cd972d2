#!/usr/bin/env bash
# llcslice run on this host's real cgroups (v1 cpuset hierarchy on the hybrid build
# machines, v2 elsewhere): from inside the job, Cpus_allowed_list equals the plan, /proc/self/
# cgroup names the new group, the environment and nproc match, memory.max is applied, lock
# fds are not inherited; afterwards the group is gone and no lock is held.
source "$(dirname "$0")/run_lib.sh"

cgroup_usable || { echo "SKIP: no usable cgroup here: $(cat "$T/probe")"; exit 0; }
ALLOWED=$(grep Cpus_allowed_list /proc/self/status | awk '{print $2}')
NALLOWED=$(nproc)

probe='
printf "allowed=%s\n" "$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
printf "nproc=%s\n" "$(nproc)"
printf "cpus=%s\nncpus=%s\nmems=%s\nplan=%s\n" "$LLCSLICE_CPUS" "$LLCSLICE_NCPUS" "$LLCSLICE_MEMS" "${LLCSLICE_PLAN-unset}"
printf "cpuset=%s\n" "$(grep -E "^[0-9]+:(cpuset|):" /proc/self/cgroup | grep -v "^0::/$" | head -1)"
printf "mems_allowed=%s\n" "$(grep Mems_allowed_list /proc/self/status | cut -f2)"
printf "fds=%s\n" "$(ls -l /proc/self/fd/ | grep -c "\.lock")"
printf "ownproc=%s\n" "$(tr "\0" " " </proc/$$/cmdline | cut -c1-5)"
'
field() { sed -n "s/^$1=//p" "$T/out"; }

# ---- budget 1: one CPU, named group, env, nproc
truncate_files "$T/err" "$T/out"
"$BIN" run --lock-dir "$L" --cpus 1 -- sh -c "$probe" >"$T/out" 2>"$T/err" &
pid=$!
wait $pid || fail "run exited $?: $(cat "$T/err")"
[[ $(field cpus) =~ ^[0-9]+$ ]] || fail "LLCSLICE_CPUS for 1 CPU: $(cat "$T/out")"
[[ $(field allowed) == "$(field cpus)" ]] || fail "Cpus_allowed_list $(field allowed) != plan $(field cpus)"
[[ $(field ncpus) == 1 && $(field nproc) == 1 ]] || fail "ncpus/nproc: $(cat "$T/out")"
[[ $(field mems_allowed) == "$(field mems)" ]] || fail "Mems_allowed_list $(field mems_allowed) != plan $(field mems)"
[[ $(field plan) == unset ]] || fail "LLCSLICE_PLAN outside exclusive mode: $(field plan)"
[[ $(field cpuset) == *"/llcslice-$pid-"* ]] || fail "/proc/self/cgroup does not name the job group: $(field cpuset)"
[[ $(field fds) == 0 ]] || fail "the job inherited lock fds"
[[ $(field ownproc) == "sh -c" ]] || fail "/proc/\$\$ inside the job is not the job: $(field ownproc)"
[[ -z $(groups_of $pid) ]] || fail "group left behind: $(groups_of $pid)"
no_locks_held
ok "--cpus 1: Cpus_allowed_list $(field allowed) = plan, cgroup $(field cpuset), nproc 1"

# ---- every allowed CPU
run_rc 0 "$BIN" run --lock-dir "$L" --cpus "$NALLOWED" -- sh -c "$probe"
[[ $(field allowed) == "$ALLOWED" && $(field cpus) == "$ALLOWED" ]] || fail "all CPUs: $(cat "$T/out")"
[[ $(field nproc) == "$NALLOWED" && $(field ncpus) == "$NALLOWED" ]] || fail "nproc all: $(cat "$T/out")"
ok "--cpus $NALLOWED: Cpus_allowed_list $ALLOWED"

# ---- the group exists while the job runs, with the plan in cpuset.cpus
truncate_files "$T/err"
"$BIN" run --lock-dir "$L" --cpus 1 -- sh -c "echo \$LLCSLICE_CPUS > $T/cpus; sleep 600" 2>"$T/err" &
pid=$!
PIDS+=($pid)
wait_until '[[ -s $T/cpus && -n $(groups_of $pid) ]] || ! kill -0 $pid 2>/dev/null'
g=$(groups_of $pid | head -1)
[[ -n $g ]] || fail "no group while the job runs"
[[ $(cat "$g/cpuset.cpus") == "$(cat "$T/cpus")" ]] || fail "$g/cpuset.cpus $(cat "$g/cpuset.cpus") != $(cat "$T/cpus")"
procs=$(cat "$g/cgroup.procs" | wc -l)
[[ $procs -ge 2 ]] || fail "want the shim and the job in $g, found $procs processes"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[[ $rc -eq 143 ]] || fail "SIGTERM: exit $rc"
[[ -z $(groups_of $pid) ]] || fail "group left behind after SIGTERM"
ok "group $g holds cpuset.cpus = plan while running; removed after"

# ---- --memory-max lands in the job's memory cgroup
run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 --memory-max 64M -- \
    sh -c 'm=$(grep -E "^[0-9]+:(memory|):" /proc/self/cgroup | grep -v "^0::/$" | head -1 | cut -d: -f3);
           for f in /sys/fs/cgroup/memory$m/memory.limit_in_bytes /sys/fs/cgroup$m/memory.max /sys/fs/cgroup/unified$m/memory.max; do
               [ -r "$f" ] && { echo "group=$m"; echo "limit=$(cat $f)"; break; }; done'
[[ $(field limit) == $((64 << 20)) ]] || fail "memory limit: $(cat "$T/out") $(cat "$T/err")"
[[ $(field group) == *"/llcslice-"* ]] || fail "memory group: $(field group)"
ok "--memory-max 64M: limit $(field limit) in $(field group)"

# ---- an explicit --cgroup-parent under the cpuset hierarchy
parent_name="lsruntest-parent-$$"
parent=$(dirname "$g")/$parent_name
mkdir "$parent"
[[ -f $parent/cpuset.cpus ]] && cat "$(dirname "$g")/cpuset.cpus" >"$parent/cpuset.cpus" && cat "$(dirname "$g")/cpuset.mems" >"$parent/cpuset.mems"
set +e
"$BIN" run --lock-dir "$L" --cpus 1 --cgroup-parent "$parent" -- sh -c "$probe" >"$T/out" 2>"$T/err"
rc=$?
set -e
children=$(find "$parent" -mindepth 1 -maxdepth 1 -type d | wc -l)
rmdir "$parent"
[[ $rc -eq 0 ]] || fail "--cgroup-parent $parent: exit $rc: $(cat "$T/err")"
[[ $(field cpuset) == *"/$parent_name/llcslice-"* ]] || fail "not under the parent: $(field cpuset)"
[[ $children -eq 0 ]] || fail "group left under $parent"
ok "--cgroup-parent $parent: job in $(field cpuset)"

# ---- past --memory-max: the OOM killer acts inside the group and llcslice says so
run_rc 137 "$BIN" run --lock-dir "$L" --cpus 1 --memory-max 32M -- \
    sh -c 'x=$(head -c 134217728 /dev/zero | tr "\0" x); echo survived'
! grep -q survived "$T/out" || fail "a 128 MiB job survived --memory-max 32M"
grep -q "out of memory: the kernel's OOM killer killed .* (--memory-max 32M)" "$T/err" || fail "no OOM report: $(cat "$T/err")"
no_locks_held
ok "128 MiB under --memory-max 32M: 137, $(cat "$T/err")"

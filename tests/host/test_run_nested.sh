#!/usr/bin/env bash
# llcslice run inside an llcslice job, as root. The inner supervisor lives in the job's pid
# namespace, where its pid means nothing on the host: its group name carries that namespace
# (llcslice-<pid>-<start>-ns<inode>-<hex>); a host-side sweep keeps the group while the inner
# supervisor lives and removes it once that is gone; and the inner run's own sweep (every run
# sweeps) leaves a live host supervisor's group alone although it cannot see that process.
source "$(dirname "$0")/run_lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: not root"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
cgroup_usable || { echo "SKIP: no usable cgroup here: $(cat "$T/probe")"; exit 0; }
# the cpuset hierarchy llcslice uses: v2 with cpuset, else v1 cpuset
MNT=
while read -r _ _ _ _ point _ rest; do
    fstype=${rest#*- }
    fstype=${fstype%% *}
    if [[ $fstype == cgroup2 ]] && grep -qw cpuset "$point/cgroup.controllers" 2>/dev/null; then
        MNT=$point && break
    fi
done </proc/self/mountinfo
[[ -n $MNT ]] || MNT=$(awk '$0 ~ / - cgroup / && $NF ~ /(^|,)cpuset(,|$)/ {print $5; exit}' /proc/self/mountinfo)
[[ -n $MNT ]] || { echo "SKIP: no cpuset hierarchy"; exit 0; }
export LLCSLICE_STATE_DIR=$T/state

# A plain parent the host sweep walks into, and in it a decoy: the group of a live host
# supervisor (this shell), which the inner run cannot see from its pid namespace.
P=$MNT/lsnested-$$
mkdir "$P"
if [[ -f $P/cpuset.cpus ]]; then
    cat "$MNT/cpuset.cpus" >"$P/cpuset.cpus"
    cat "$MNT/cpuset.mems" >"$P/cpuset.mems"
fi
decoy=$P/llcslice-$$-$(awk '{sub(/.*\) /, ""); print $20}' /proc/$$/stat)-0badc0de
mkdir "$decoy"
cleanup_groups() {
    for g in "$P"/*/ "$P"; do
        [[ -d $g ]] || continue
        for p in $(cat "$g/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        for _ in $(seq 50); do rmdir "$g" 2>/dev/null && break; sleep 0.02; done
    done
}
trap 'cleanup_groups; cleanup' EXIT

inner_cmd=("$BIN" run --lock-dir "$L" --cpus 1 --cgroup-parent "$P" -- sh -c
    "grep -E '^[0-9]+:(cpuset)?:' /proc/self/cgroup | grep -v '^0::/\$' | head -1 | cut -d: -f3 >$T/inner.cg; while [ ! -e $T/inner.release ]; do sleep 0.05; done")
# the outer job keeps its pid namespace alive after the inner supervisor is gone
truncate_files "$T/outer.err" "$T/outer.out"
"$BIN" run --lock-dir "$L" --cpus 1 -- sh -c \
    "$(printf '%q ' "${inner_cmd[@]}") 2>$T/inner.err & while [ ! -e $T/outer.release ]; do sleep 0.05; done" \
    >"$T/outer.out" 2>"$T/outer.err" &
outer=$!
PIDS+=($outer)
wait_until '[[ -s $T/inner.cg ]] || ! kill -0 $outer 2>/dev/null'
[[ -s $T/inner.cg ]] || fail "the inner run did not start its job: $(cat "$T/outer.err" "$T/inner.err" 2>/dev/null)"
inner_g=$MNT$(cat "$T/inner.cg")
name=$(basename "$inner_g")
[[ $(dirname "$inner_g") == "$P" ]] || fail "the inner job runs in $inner_g, not under $P"
[[ $name =~ ^llcslice-([0-9]+)-[0-9]+-ns([0-9]+)-[0-9a-f]{8}$ ]] || fail "inner group name '$name' does not carry its pid namespace"
inner_ns_pid=${BASH_REMATCH[1]} inner_ns=${BASH_REMATCH[2]}
# (not by $BIN: under the valgrind pass the command line is valgrind's; the outer
# job's sh also matches, so the process the name points at is picked by namespace and NSpid)
inner_sup=
for p in $(pgrep -f "run --lock-dir $L --cpus 1 --cgroup-parent"); do
    [[ $(stat -L -c %i "/proc/$p/ns/pid" 2>/dev/null) == "$inner_ns" &&
        $(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null) == "$inner_ns_pid" ]] && inner_sup=$p
done
[[ -n $inner_sup ]] || fail "cannot find the inner supervisor"
[[ $(stat -L -c %i /proc/$inner_sup/ns/pid) == "$inner_ns" ]] || fail "group names pid namespace $inner_ns, the inner supervisor lives in $(stat -L -c %i /proc/$inner_sup/ns/pid)"
[[ $(awk '/^NSpid:/ {print $NF}' /proc/$inner_sup/status) == "$inner_ns_pid" ]] || fail "group names pid $inner_ns_pid, the inner supervisor's NSpid is $(grep NSpid /proc/$inner_sup/status)"
ok "inner group $name: pid $inner_ns_pid of pid namespace $inner_ns (host pid $inner_sup)"

[[ -d $decoy ]] || fail "the inner run's sweep removed $decoy, the group of a live host supervisor (pid $$)"
ok "the inner run's sweep kept the live host supervisor's group it cannot see"

sweep
jq -e --arg p "$inner_g" '.removed | map(.path) | index($p) | not' "$T/sweep" >/dev/null || fail "host sweep removed the live inner group: $(cat "$T/sweep")"
[[ -d $inner_g && -n $(cat "$inner_g/cgroup.procs") ]] || fail "the inner group or its job is gone after a host sweep"
ok "host sweep keeps the inner group while its supervisor lives"

kill -KILL "$inner_sup"
wait_until '[[ -z $(cat "$inner_g/cgroup.procs" 2>/dev/null) ]]'
[[ -z $(cat "$inner_g/cgroup.procs" 2>/dev/null) ]] || fail "the inner job outlived its SIGKILLed supervisor"
sweep
[[ ! -d $inner_g ]] || fail "host sweep left the dead inner supervisor's group: $(cat "$T/sweep")"
# (any concurrent llcslice run sweeps too, and may have removed it first)
if jq -e --arg p "$inner_g" '.removed | map(.path) | index($p)' "$T/sweep" >/dev/null; then
    jq -e --arg p "$inner_g" '.removed[] | select(.path == $p) | .reason | test("pid namespace")' "$T/sweep" >/dev/null ||
        fail "host sweep --json gives the wrong reason for the inner group: $(cat "$T/sweep")"
fi
ok "host sweep removes the inner group once its supervisor is gone"

touch "$T/outer.release"
wait "$outer" || fail "the outer run exited $?: $(cat "$T/outer.err")"
rmdir "$decoy"
rmdir "$P"
no_locks_held
ok "outer run ends cleanly; nothing left under $P"

#!/bin/bash
# From a service without Delegate=: auto takes a transient scope in llcslice.slice; the cgroupfs
# manager is refused with the remedy, and nothing is written into (or moved out of) the unit.
SC=plain
. /vm/sd/lib.sh
unitcg=/sys/fs/cgroup/system.slice/vmt-plain.service
out=$(llcslice run -v --cpus 2 --mode dedicated -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "auto: exit $rc, job in llcslice.slice/llcslice-sh-*.scope on its planned CPUs and nodes" \
    probe_ok "$out" "/llcslice.slice/llcslice-sh-*.scope"
[[ $rc == 0 ]] || fail "auto: exit $rc"
ok "-v names the scope" eval '[[ $out == *"systemd scope llcslice-sh-"*".scope, cgroup /sys/fs/cgroup/llcslice.slice/"* ]]'

out=$(llcslice run --cgroup-manager systemd --slice vmtjobs.slice --cpus 1 -- sh -c "$PROBE" 2>&1)
echo "$out" | sed 's/^/  /'
ok "--slice vmtjobs.slice puts the scope there" probe_ok "$out" "/vmtjobs.slice/llcslice-sh-*.scope"

out=$(llcslice run --cpus 1 --memory-max 64M -- sh -c 'cat "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.max"' 2>&1)
rc=$?
echo "  $out"
ok "--memory-max 64M: the scope's memory.max is 67108864 (exit $rc)" eval '[[ $rc == 0 && $out == 67108864 ]]'

for how in "--cgroup-manager cgroupfs" "env LLCSLICE_CGROUP_MANAGER=cgroupfs"; do
    if [[ $how == env* ]]; then
        out=$(LLCSLICE_CGROUP_MANAGER=cgroupfs llcslice run --cpus 2 -- true 2>&1)
    else
        out=$(llcslice run --cgroup-manager cgroupfs --cpus 2 -- true 2>&1)
    fi
    rc=$?
    echo "  $out"
    ok "$how: refused with 125 and the remedy" \
        eval '[[ $rc == 125 && $out == *"Delegate=yes"* && $out == *"--cgroup-manager systemd"* ]]'
done
ok "nothing created or moved in the unit's cgroup" \
    eval '! ls -d $unitcg/llcslice-* 2>/dev/null && ! grep -qw cpuset $unitcg/cgroup.subtree_control'
out=$(llcslice run --cgroup-manager bogus -- true 2>&1)
rc=$?
ok "a bad --cgroup-manager is a usage error (64)" test "$rc" = 64
exit 0

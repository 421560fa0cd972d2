#!/bin/bash
# From a service with Delegate=yes the subtree is the service's: auto makes the job's group
# inside it (cgroupfs: the job stays within the unit's limits), --cgroup-manager systemd a
# scope. And nesting: an llcslice inside a job's scope (delegated) works the same way.
SC=deleg
. /vm/sd/lib.sh
out=$(llcslice run --cgroup-manager systemd --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "systemd: exit $rc, a scope in llcslice.slice" probe_ok "$out" "/llcslice.slice/llcslice-sh-*.scope"
out=$(llcslice run --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "auto: exit $rc, a group inside the delegated unit" \
    probe_ok "$out" "/system.slice/vmt-deleg.service/llcslice-*"
mkdir -p /run/vmt/nested-locks
out=$(systemd-run --quiet --wait --pipe --collect -p Delegate=no \
    llcslice run --cpus 4 -- llcslice run --lock-dir /run/vmt/nested-locks --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "nested (llcslice in a job's scope): exit $rc, the inner job in a group inside the scope" \
    probe_ok "$out" "/llcslice.slice/llcslice-llcslice-*.scope/llcslice-*"
exit 0

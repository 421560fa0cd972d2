#!/bin/bash
# From a service with Delegate=yes: auto still takes a scope (systemd host); the cgroupfs
# manager works inside the delegated subtree.
SC=deleg
. /vm/sd/lib.sh
out=$(llcslice run --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "auto: exit $rc, a scope in llcslice.slice" probe_ok "$out" "/llcslice.slice/llcslice-sh-*.scope"
out=$(llcslice run --cgroup-manager cgroupfs --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "cgroupfs: exit $rc, a group inside the delegated unit" \
    probe_ok "$out" "/system.slice/vmt-deleg.service/llcslice-*"
exit 0

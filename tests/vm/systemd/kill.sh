#!/bin/bash
# SIGKILL of llcslice: the job dies, systemd collects the scope, and the CPUs are free again.
SC=kill
. /vm/sd/lib.sh
d=/run/vmt/kill
mkdir -p "$d/locks"
llcslice run --lock-dir "$d/locks" --cpus 4 --mode dedicated -- sh -c \
    "exec sleep 902" >"$d/out" 2>&1 &
lpid=$!
wait_for 300 eval 'pgrep -x -f "sleep 902" >/dev/null' || fail "the job did not start within 300 s"
# The job is pid 2 of its own pid namespace: find it from here by its command line.
jpid=$(pgrep -x -f "sleep 902")
cg=$(sed -n 's/^0:://p' "/proc/$jpid/cgroup")
scope=${cg##*/}
echo "  job $jpid in $cg"
out=$(llcslice locks --lock-dir "$d/locks" 2>&1)
echo "$out" | sed 's/^/  /'
ok "llcslice locks names the job's scope" eval '[[ $out == *"$scope"* ]]'
kill -KILL "$lpid"
ok "the job died with llcslice" wait_for 120 eval '! kill -0 $jpid 2>/dev/null'
ok "systemd collected $scope" wait_for 120 eval '[[ -z $(systemctl list-units --all --no-legend "$scope") && ! -e /sys/fs/cgroup$cg ]]'
ok "its CPUs can be reserved again" wait_for 60 llcslice plan --lock-dir "$d/locks" --cpus 8 --mode dedicated
exit 0

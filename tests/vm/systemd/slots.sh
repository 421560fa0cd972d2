#!/bin/bash
# A slot file: each run of a job gets a scope of its own, named after the job.
SC=slots
. /vm/sd/lib.sh
d=/run/vmt/slots
mkdir -p "$d/locks"
cat >"$d/jobs.yaml" <<YAML
version: 1
cgroup_manager: systemd
jobs:
  - name: build-a
    cpus: 2
    repeat: 2
    command: sed -n 's/^0:://p' /proc/self/cgroup >>$d/cg; grep Cpus_allowed_list /proc/self/status >>$d/cg
YAML
out=$(llcslice slots --lock-dir "$d/locks" "$d/jobs.yaml" 2>&1)
rc=$?
echo "$out" | tail -n 5 | sed 's/^/  /'
sed 's/^/  /' "$d/cg"
n=$(grep -c '^/llcslice.slice/llcslice-build-a-.*\.scope$' "$d/cg")
u=$(grep '^/llcslice' "$d/cg" | sort -u | wc -l)
ok "exit $rc; 2 runs in 2 distinct llcslice-build-a-*.scope ($n, $u)" eval '[[ $rc == 0 && $n == 2 && $u == 2 ]]'
exit 0

#!/bin/sh
# The job every scenario runs under llcslice: record what it sees from the inside (its own
# /proc/PID/status and /proc/PID/cgroup, its group's cpuset files, the LLCSLICE_* environment,
# nproc) as KEY=VALUE lines in OUT, then hold its reservation until HOLD (or release beside it) exists.
# Usage: probe.sh OUT [HOLD]
out=$1
hold=$2
st=/proc/$$/status
cg=$(sed -n 's/^0:://p' /proc/$$/cgroup)
d=/sys/fs/cgroup$cg
{
    echo "pid=$$"
    echo "cgroup=$cg"
    echo "cpus_allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' $st)"
    echo "mems_allowed=$(sed -n 's/^Mems_allowed_list:[[:space:]]*//p' $st)"
    echo "eff_cpus=$(cat $d/cpuset.cpus.effective 2>/dev/null)"
    echo "eff_mems=$(cat $d/cpuset.mems.effective 2>/dev/null)"
    echo "cg_cpus=$(cat $d/cpuset.cpus 2>/dev/null)"
    echo "cg_mems=$(cat $d/cpuset.mems 2>/dev/null)"
    echo "memory_max=$(cat $d/memory.max 2>/dev/null)"
    echo "env_cpus=${LLCSLICE_CPUS-unset}"
    echo "env_ncpus=${LLCSLICE_NCPUS-unset}"
    echo "env_mems=${LLCSLICE_MEMS-unset}"
    echo "env_plan=${LLCSLICE_PLAN-unset}"
    echo "nproc=$(nproc)"
} >"$out.tmp" && mv "$out.tmp" "$out"
if [ -n "$LLCSLICE_PLAN" ] && [ -r "$LLCSLICE_PLAN" ]; then
    cp "$LLCSLICE_PLAN" "$out.plan"
fi
[ -n "$hold" ] || exit 0
n=0
while [ ! -e "$hold" ] && [ ! -e "${hold%/*}/release" ]; do
    sleep 0.1
    n=$((n + 1))
    [ $n -lt 3000 ] || exit 3 # never outlive a forgotten scenario by more than 5 minutes
done
exit 0

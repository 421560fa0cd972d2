# Sourced by the systemd guest's scenario scripts (bash). SC names the scenario.
R=/run/vmt/results
mkdir -p /run/vmt
pass() { echo "VMT: PASS $SC: $*"; echo "PASS $SC $*" >>"$R"; }
fail() { echo "VMT: FAIL $SC: $*"; echo "FAIL $SC $*" >>"$R"; }
# ok DESCRIPTION COMMAND...: PASS when the command succeeds, else FAIL.
ok() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# wait_for SECONDS COMMAND...: poll every 0.2 s; generous bounds, the host is loaded.
wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}
# The probe every job runs: its cgroup, what it may use, what llcslice planned.
PROBE='echo "CG $(sed -n "s/^0:://p" /proc/self/cgroup)"; grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status; echo "PLAN $LLCSLICE_CPUS $LLCSLICE_MEMS"'
# probe_ok OUTPUT CGROUP_GLOB: the job ran in a cgroup matching the glob, on exactly the
# planned CPUs and memory nodes.
probe_ok() {
    local out=$1 glob=$2 cg cpus mems plan
    cg=$(awk '$1 == "CG" { print $2 }' <<<"$out")
    cpus=$(awk '$1 == "Cpus_allowed_list:" { print $2 }' <<<"$out")
    mems=$(awk '$1 == "Mems_allowed_list:" { print $2 }' <<<"$out")
    plan=$(awk '$1 == "PLAN" { print $2, $3 }' <<<"$out")
    echo "  cgroup $cg, cpus $cpus, mems $mems, planned $plan"
    # shellcheck disable=SC2053 # glob match on purpose
    [[ -n $plan && $cg == $glob && "$cpus $mems" == "$plan" ]]
}
echo "VMT-START $SC"

# Scenario 1: `run --cpus 4` lands on one LLC and one node; `--cpus 10` spills across nodes
# with the cross-node warning (or, on a host with fewer than 10 CPUs, is refused naming both
# numbers); the job's mems are the nodes of the CPUs it got.
. /vm/lib.sh
scenario_begin 1-placement

total=$(cpus_count "$(online_cpus)")
llcsize=$(cpus_count "$(llc_cpus 0)")
WARN='across [0-9]+ NUMA nodes'

# --cpus 4: one LLC, one node, no warning
ls_run small run --cpus 4 -- $(job small)
[ "$RC" = 0 ] || fail "run --cpus 4 exited $RC: $(err_of small)"
check_job small 4
cpus=$(kv small cpus_allowed)
[ "$(cpus_count "$(llcs_of "$cpus")")" = 1 ] || fail "run --cpus 4 got CPUs $cpus spanning LLCs $(llcs_of "$cpus"), not one LLC"
[ "$(cpus_count "$(nodes_of "$cpus")")" = 1 ] || fail "run --cpus 4 got CPUs $cpus on nodes $(nodes_of "$cpus"), not one node"
grep -Eq "$WARN" "$W/small.err" && fail "run --cpus 4 (one node) printed a cross-node warning: $(err_of small)"
[ -d "$CG$(kv small cgroup)" ] && fail "run --cpus 4 left its group $(kv small cgroup) behind"
d1="--cpus 4: $cpus (LLC $(llcs_of "$cpus"), node $(kv small mems_allowed)) in $(kv small cgroup)"
# cgroup v2: the job is created in its group (clone3 CLONE_INTO_CGROUP), never moved there
LLCSLICE_TRACE_TIMING=1 llcslice run --cpus 1 -- true >"$W/clone.err" 2>&1 ||
    fail "run --cpus 1 -- true failed: $(cat "$W/clone.err")"
grep -q '^llcslice-timing: spawn-into-cgroup ' "$W/clone.err" && ! grep -q 'cgroup-attach' "$W/clone.err" ||
    fail "the job was not created in its cgroup (clone3 CLONE_INTO_CGROUP): $(grep -o 'timing: [a-z-]*' "$W/clone.err" | tr '\n' ' ')"
d1="$d1, created there by clone3"

# --cpus 10
biggest_node=0
for n in $(cat $VM_RUN/nodes); do
    c=$(cpus_count "$(cat /sys/devices/system/node/node$n/cpulist)")
    [ "$c" -gt "$biggest_node" ] && biggest_node=$c
done
ls_run big run --cpus 10 -- $(job big)
if [ "$total" -lt 10 ]; then
    case "$RC" in 64 | 77) ;; *) fail "run --cpus 10 on a $total-CPU host exited $RC, want a hard error (64/77): $(err_of big)" ;; esac
    grep -q 10 "$W/big.err" && grep -q "$total" "$W/big.err" ||
        fail "run --cpus 10 on a $total-CPU host: the error names not both 10 and $total: $(err_of big)"
    [ -e "$W/big.job" ] && fail "run --cpus 10 on a $total-CPU host ran its job anyway"
    pass "$d1; --cpus 10 refused with $RC: $(err_of big | cut -c1-120)"
fi
[ "$RC" = 0 ] || fail "run --cpus 10 exited $RC: $(err_of big)"
check_job big 10
cpus=$(kv big cpus_allowed)
want_llcs=$(((10 + llcsize - 1) / llcsize))
[ "$(cpus_count "$(llcs_of "$cpus")")" = "$want_llcs" ] ||
    fail "run --cpus 10 got CPUs $cpus on LLCs $(llcs_of "$cpus"); $want_llcs LLCs of $llcsize would do"
if [ "$biggest_node" -lt 10 ]; then
    [ "$(cpus_count "$(nodes_of "$cpus")")" -ge 2 ] || fail "run --cpus 10 got CPUs $cpus on one node although no node has 10 CPUs"
    grep -Eq "$WARN" "$W/big.err" || fail "run --cpus 10 spans nodes $(kv big mems_allowed) but printed no cross-node warning: $(err_of big)"
else
    grep -Eq "$WARN" "$W/big.err" && fail "run --cpus 10 fits one node but warned: $(err_of big)"
fi
[ -d "$CG$(kv big cgroup)" ] && fail "run --cpus 10 left its group $(kv big cgroup) behind"
pass "$d1; --cpus 10: $cpus (LLCs $(llcs_of "$cpus"), mems $(kv big mems_allowed)), warned: $(grep -Eo "$WARN" "$W/big.err" | head -n 1)"

# Scenario 2: four concurrent shared runs: the first consolidates as the seed says (the LLCs
# with the most holders first, their node filled before spilling); the others see its CPU
# marks and take the least-used CPUs, so no CPU carries more runs than another (the seed
# stacked all four on the same CPUs). An exclusive --perf run is refused (75) while they
# hold, waits for them with --wait, and then keeps shared runs off its LLCs.
#
# Topology A (4 LLCs of 4, LLCs 0-1 on node 0, 2-3 on node 1): a foreign shared holder (what a
# ktstr --cpu-cap build on the same lockfiles looks like) sits on LLC 2, so the seed picks LLC 2
# as the seed, fills node 1 (LLCs 2, 3) and spills to LLC 0: the first `--cpus 12` run gets
# LLCs {0,2,3}; a lowest-index planner would take {0,1,2}. --perf 2x4x1 then needs two whole LLCs
# while only LLC 1 is free. Topology B (one LLC of 8): everything is LLC 0; --perf 1x4x1
# conflicts with the shared holders and --perf 2x4x1 can never fit (77).
. /vm/lib.sh
scenario_begin 2-shared-exclusive

case "$(nllcs)" in
4) EXT=2 SHARE=12 WANT_LLCS=0,2-3 PERF=2x4x1 PERF_LLCS=2 PERF_VCPUS=8 NEVER= ;;
1) EXT=0 SHARE=4 WANT_LLCS=0 PERF=1x4x1 PERF_LLCS=1 PERF_VCPUS=4 NEVER=2x4x1 ;;
*) skip "no expectations written for a host with $(nllcs) LLCs" ;;
esac
# the seed's CPUs: the selected LLCs' CPUs in ascending LLC order, the first SHARE of them
WANT_CPUS=$(for i in $(cpus_list "$WANT_LLCS"); do cpus_list "$(llc_cpus "$i")"; done |
    head -n "$SHARE" | tr '\n' , | { read -r l; cpus_norm "$l"; })
WANT_MEMS=$(nodes_of "$WANT_CPUS")
lockfile() { echo "$LOCKS/llcslice-llc-$1.lock"; }

# the foreign shared holder
touch "$(lockfile $EXT)" && chmod 0666 "$(lockfile $EXT)"
flock -s "$(lockfile $EXT)" sh -c "touch $W/ext.ready; while [ ! -e $W/ext.release ] && [ ! -e $W/release ]; do sleep 0.1; done" &
BG_PIDS="$BG_PIDS $!"
wait_file "$W/ext.ready" 30 || fail "the foreign flock -s holder on LLC $EXT did not start"

# four shared runs: the first alone, then three at once
ls_bg s1 run --cpus $SHARE -- $(held_job s1 s.release)
wait_job s1 60
for i in 2 3 4; do ls_bg s$i run --cpus $SHARE -- $(held_job s$i s.release); done
for i in 2 3 4; do wait_job s$i 60; done
got=$(kv s1 cpus_allowed)
cpus_eq "$got" "$WANT_CPUS" ||
    fail "shared run s1 got CPUs $got (LLCs $(llcs_of "$got")); the seed consolidates onto LLCs $WANT_LLCS: CPUs $WANT_CPUS"
cpus_eq "$(kv s1 mems_allowed)" "$WANT_MEMS" || fail "shared run s1 has mems $(kv s1 mems_allowed), want $WANT_MEMS"
all=""
for i in 1 2 3 4; do
    check_job s$i $SHARE
    got=$(kv s$i cpus_allowed)
    cpus_eq "$(kv s$i mems_allowed)" "$(nodes_of "$got")" ||
        fail "shared run s$i has mems $(kv s$i mems_allowed) for CPUs $got"
    all="$all $(cpus_list "$got" | tr '\n' ' ')"
done
# every CPU carries the same number of the runs (the least-used CPUs are taken first)
spread=$(for c in $all; do echo "$c"; done | sort -n | uniq -c | awk '{ print $1 }' | sort -n | uniq | tr '\n' ' ')
want_each=$((4 * SHARE / $(cpus_count "$(online_cpus)")))
[ "$spread" = "$want_each " ] ||
    fail "4 shared runs of $SHARE CPUs stack unevenly: runs per CPU '$spread', want $want_each on each; CPUs:$(for i in 1 2 3 4; do printf ' s%s=%s' $i "$(kv s$i cpus_allowed)"; done)"
# the lock table: on each LLC one shared holder per run using it (+1 foreign on EXT), and each
# run marks every CPU it runs on (LOCK_SH on the CPU lockfile)
for i in $(cpus_list "0-$(($(nllcs) - 1))"); do
    h=$(flock_holders "$(lockfile "$i")" 2>/dev/null | tr '\n' ' ')
    want=""
    for r in 1 2 3 4; do
        cpus_subset "$i" "$(llcs_of "$(kv s$r cpus_allowed)")" && want="${want}READ "
    done
    [ "$i" = "$EXT" ] && want="${want}READ "
    [ "$h" = "$want" ] || fail "LLC $i lockfile holders are '$h', want '$want' (runs on it, foreign holder on $EXT)"
done
for c in $(cpus_list "$(online_cpus)"); do
    h=$(flock_holders "$LOCKS/llcslice-cpu-$c.lock" 2>/dev/null | wc -w | tr -d ' ')
    [ "$h" = "$want_each" ] || fail "CPU $c lockfile has $h shared marks, want $want_each"
done
touch "$W/ext.release"

# exclusive while they hold: busy, not waiting
ls_run ex_busy run --perf $PERF -- $(job ex_busy)
[ "$RC" = 75 ] || fail "run --perf $PERF while 4 shared runs hold LLCs $WANT_LLCS exited $RC, want 75: $(err_of ex_busy)"
[ -e "$W/ex_busy.job" ] && fail "run --perf $PERF ran its job although shared runs hold its LLCs"
if [ -n "$NEVER" ]; then
    ls_run ex_never run --perf $NEVER -- $(job ex_never)
    [ "$RC" = 77 ] || fail "run --perf $NEVER on a $(nllcs)-LLC host exited $RC, want 77 (never satisfiable): $(err_of ex_never)"
fi

# exclusive with --wait: starts only once the shared runs are gone
ls_bg ex run --perf $PERF --wait=120s -- $(held_job ex ex.release)
sleep 1
[ -e "$W/ex.job" ] && fail "run --perf $PERF --wait started its job while shared runs still hold LLCs $WANT_LLCS"
kill -0 "$PID" 2>/dev/null || { ls_wait ex; fail "run --perf $PERF --wait exited $RC instead of waiting: $(err_of ex)"; }
touch "$W/s.release"
for i in 1 2 3 4; do
    ls_wait s$i
    [ "$RC" = 0 ] || fail "shared run s$i exited $RC: $(err_of s$i)"
    [ -d "$CG$(kv s$i cgroup)" ] && fail "shared run s$i left its group $(kv s$i cgroup) behind"
done
wait_job ex 120
check_job ex -
cpus=$(kv ex cpus_allowed)
plan=$(kv ex env_plan)
[ -s "$W/ex.job.plan" ] || fail "exclusive job: LLCSLICE_PLAN='$plan' is not a readable plan file"
host=$(jq -r '[.assignments[] | .[1]] | map(tostring) | join(",")' "$W/ex.job.plan") ||
    fail "exclusive job: plan $plan has no assignments [[vcpu, host_cpu]]: $(head -c 200 "$W/ex.job.plan")"
[ "$(jq '.assignments | length' "$W/ex.job.plan")" = "$PERF_VCPUS" ] ||
    fail "exclusive job: plan assigns $(jq '.assignments | length' "$W/ex.job.plan") vCPUs, --perf $PERF has $PERF_VCPUS"
[ "$(cpus_count "$host")" = "$PERF_VCPUS" ] || fail "exclusive job: plan maps vCPUs onto host CPUs $host, not $PERF_VCPUS distinct ones"
cpus_subset "$host" "$cpus" || fail "exclusive job: plan's host CPUs $host are not all in its Cpus_allowed_list $cpus"
ex_llcs=$(llcs_of "$host")
[ "$(cpus_count "$ex_llcs")" = "$PERF_LLCS" ] || fail "exclusive job: plan's host CPUs $host span LLCs $ex_llcs, --perf $PERF wants $PERF_LLCS"
for i in $(cpus_list "$ex_llcs"); do
    h=$(flock_holders "$(lockfile "$i")" | tr '\n' ' ')
    [ "$h" = "WRITE " ] || fail "exclusive run: LLC $i lockfile holders are '$h', want one exclusive (WRITE)"
done

# ... and keeps shared runs off its LLCs
ls_run sx run --cpus $SHARE -- $(job sx)
[ "$RC" = 75 ] || fail "shared run --cpus $SHARE while --perf $PERF holds LLCs $ex_llcs exited $RC, want 75: $(err_of sx)"
[ -e "$W/sx.job" ] && fail "shared run --cpus $SHARE ran its job on LLCs held exclusively ($ex_llcs)"
# Informational (the spec only demands exclusion): may a shared run use the LLCs left free?
# The seed counts an exclusive holder as a consolidation candidate and so would answer 75.
extra=""
if [ "$(nllcs)" -gt "$PERF_LLCS" ]; then
    ls_run sy run --cpus 4 -- $(job sy)
    if [ "$RC" = 0 ]; then
        check_job sy 4
        cpus_disjoint "$(llcs_of "$(kv sy cpus_allowed)")" "$ex_llcs" ||
            fail "shared run --cpus 4 got CPUs $(kv sy cpus_allowed) on LLCs held exclusively ($ex_llcs)"
        extra="; shared --cpus 4 on the free LLCs: $(kv sy cpus_allowed)"
    else
        extra="; note: shared --cpus 4 with LLCs free beside it exited $RC"
    fi
fi
touch "$W/ex.release"
ls_wait ex
[ "$RC" = 0 ] || fail "exclusive run exited $RC: $(err_of ex)"
[ -d "$CG$(kv ex cgroup)" ] && fail "exclusive run left its group $(kv ex cgroup) behind"
pass "4 shared --cpus $SHARE: the first on LLCs $WANT_LLCS ($WANT_CPUS), $want_each runs on every CPU; --perf $PERF: 75, then with --wait LLCs $ex_llcs (plan CPUs $host, cpuset $cpus); shared --cpus $SHARE beside it: 75$extra"

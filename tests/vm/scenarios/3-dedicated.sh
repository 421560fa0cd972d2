# Scenario 3: as many concurrent `--mode dedicated --cpus 2` runs as the host has CPU pairs
# (8 on topology A) get pairwise-disjoint CPUs, each CPU locked exclusively by exactly one of
# them; one more is refused (75) without --wait, and with --wait runs as soon as one finishes,
# on the CPUs that one freed.
. /vm/lib.sh
scenario_begin 3-dedicated

total=$(cpus_count "$(online_cpus)")
N=$((total / 2))
# All at once: --wait absorbs lost acquire races, it cannot make two runs share a CPU.
i=1
while [ $i -le $N ]; do
    ls_bg d$i run --mode dedicated --cpus 2 --wait=120s -- $(held_job d$i d$i.release)
    i=$((i + 1))
done
all=""
i=1
while [ $i -le $N ]; do
    wait_job d$i 120
    check_job d$i 2
    c=$(kv d$i cpus_allowed)
    cpus_disjoint "$c" "$all" || fail "dedicated run d$i got CPUs $c, overlapping CPUs $(cpus_inter "$c" "$all") another dedicated run holds"
    all=$(cpus_union "$all" "$c")
    i=$((i + 1))
done
cpus_eq "$all" "$(online_cpus)" || fail "$N dedicated runs of 2 hold $all, not every CPU"
# each CPU's lockfile: exactly one exclusive holder
for c in $(cpus_list "$all"); do
    h=$(flock_holders "$LOCKS/llcslice-cpu-$c.lock" 2>/dev/null | tr '\n' ' ')
    [ "$h" = "WRITE " ] || fail "CPU $c lockfile holders are '$h', want one exclusive (WRITE)"
done

# one more: busy without --wait
ls_run busy run --mode dedicated --cpus 2 -- $(job busy)
[ "$RC" = 75 ] || fail "dedicated run $((N + 1)) with every CPU held exited $RC, want 75: $(err_of busy)"
[ -e "$W/busy.job" ] && fail "dedicated run $((N + 1)) ran its job although every CPU is held"

# with --wait: runs once d1 finishes, on d1's CPUs
ls_bg late run --mode dedicated --cpus 2 --wait=120s -- $(held_job late late.release)
late_pid=$PID
sleep 1
[ -e "$W/late.job" ] && fail "dedicated run --wait started while every CPU is held"
kill -0 "$late_pid" 2>/dev/null || { ls_wait late; fail "dedicated run --wait exited $RC instead of waiting: $(err_of late)"; }
t=$(now)
touch "$W/d1.release"
ls_wait d1
[ "$RC" = 0 ] || fail "dedicated run d1 exited $RC: $(err_of d1)"
wait_job late 120
waited=$(since "$t")
check_job late 2
cpus_eq "$(kv late cpus_allowed)" "$(kv d1 cpus_allowed)" ||
    fail "the waiting run got CPUs $(kv late cpus_allowed), but only d1's $(kv d1 cpus_allowed) were free"

touch "$W/release"
for j in late $(i=2; while [ $i -le $N ]; do echo d$i; i=$((i + 1)); done); do
    ls_wait $j
    [ "$RC" = 0 ] || fail "dedicated run $j exited $RC: $(err_of $j)"
    [ -d "$CG$(kv $j cgroup)" ] && fail "dedicated run $j left its group $(kv $j cgroup) behind"
done
pass "$N dedicated runs of 2 disjoint over $all; run $((N + 1)): 75, then with --wait on d1's CPUs $(kv late cpus_allowed) ${waited} s after d1 ended"

# Scenario 8: run --perf --vmm qemu drives a real nested qemu (TCG, paused with -S, thread
# names from debug-threads=on; qemu comes from the second initramfs layer run.sh appends).
# For --perf 2x2x1 and 2x2x1,nodes=2 on topology A (4 LLCs of 4, 2 nodes): qemu gets the
# plan's -smp (and, with nodes=2, one memory backend per guest node bound to the host node of
# its vCPUs' CPUs); every "CPU n/TCG" thread's Cpus_allowed_list is the plan's CPU for vCPU n,
# every other qemu thread's the service CPU; each virtual LLC sits on one host LLC, two
# different ones; the plan file records it. After qemu ends: its exit code is the job's, the
# locks and the job's cgroup are gone.
. /vm/lib.sh
scenario_begin 8-vmm-qemu

[ "$(nllcs)" = 4 ] && [ "$(nnodes_with_cpus)" = 2 ] || skip "written for topology A (4 LLCs, 2 nodes)"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not in the guest (run.sh appends the qemu initramfs layer for topology A)"

# qemu_of NAME: pid of the qemu started with -name NAME (busybox has no pgrep)
qemu_of() {
    for _d in /proc/[0-9]*; do
        case "$(cat $_d/comm 2>/dev/null)" in qemu-system-*) ;; *) continue ;; esac
        tr '\0' ' ' <$_d/cmdline 2>/dev/null | grep -q -- "-name $1,debug-threads=on" && echo "${_d#/proc/}" && return
    done
}

summary=
n=0
for spec in 2x2x1 2x2x1,nodes=2; do
    n=$((n + 1))
    name=vmq$n
    ls_bg $name run -v --perf $spec --vmm qemu -- qemu-system-x86_64 -accel tcg -S -display none \
        -nodefaults -no-user-config -name "$name,debug-threads=on" -m 64
    q= plan= i=0
    while :; do
        [ -z "$q" ] && q=$(qemu_of $name)
        [ -n "$q" ] && [ -z "$plan" ] && plan=$(tr '\0' '\n' <"/proc/$q/environ" 2>/dev/null | sed -n 's/^LLCSLICE_PLAN=//p')
        [ -n "$plan" ] && jq -e .applied "$plan" >/dev/null 2>&1 && break
        if ! kill -0 "$PID" 2>/dev/null; then
            ls_wait $name
            fail "run --perf $spec --vmm qemu exited $RC before pinning: $(err_of $name)"
        fi
        i=$((i + 1))
        [ $i -lt 1500 ] || fail "--perf $spec: qemu not pinned within 150 s (qemu pid '$q', plan '$plan'): $(err_of $name)"
        sleep 0.1
    done
    cp "$plan" "$W/$name.plan"
    cmd=$(tr '\0' ' ' </proc/$q/cmdline)
    svc=$(jq .service_cpu "$plan")
    # every thread where the plan says
    nth=0 nv=0
    for st in /proc/$q/task/*/status; do
        tn=$(sed -n 's/^Name:[[:space:]]*//p' "$st")
        got=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$st")
        case "$tn" in
        "CPU "*/TCG)
            v=${tn#CPU }
            v=${v%/TCG}
            want=$(jq ".assignments[] | select(.[0] == $v) | .[1]" "$plan")
            nv=$((nv + 1))
            ;;
        *) want=$svc ;;
        esac
        [ "$got" = "$want" ] || fail "--perf $spec: qemu thread '$tn' ($st) has Cpus_allowed_list $got, want $want"
        nth=$((nth + 1))
    done
    [ $nv = 4 ] || fail "--perf $spec: $nv 'CPU n/TCG' threads, want 4 (qemu: $cmd)"
    case "$cmd" in *"-smp 4,"*) ;; *) fail "--perf $spec: qemu lacks the plan's -smp: $cmd" ;; esac
    # two virtual LLCs on two host LLCs, each whole on one
    c01=$(jq -r '[.assignments[0:2][][1]] | map(tostring) | join(",")' "$plan")
    c23=$(jq -r '[.assignments[2:4][][1]] | map(tostring) | join(",")' "$plan")
    l01=$(llcs_of "$c01") l23=$(llcs_of "$c23")
    [ "$(cpus_count "$l01")" = 1 ] && [ "$(cpus_count "$l23")" = 1 ] && [ "$l01" != "$l23" ] ||
        fail "--perf $spec: virtual LLCs on host LLCs '$l01' and '$l23' (CPUs $c01 / $c23)"
    if [ "$spec" = 2x2x1,nodes=2 ]; then
        for g in 0 1; do
            cs=$c01
            [ $g = 1 ] && cs=$c23
            hn=$(nodes_of "$cs")
            echo "$cmd" | grep -q "memory-backend-ram,id=llcslice-mem$g,size=32M,host-nodes=$hn,policy=bind" ||
                fail "--perf $spec: guest node $g's memory is not bound to host node $hn (of CPUs $cs): $cmd"
            echo "$cmd" | grep -q "node,nodeid=$g,cpus=$((2 * g))-$((2 * g + 1)),memdev=llcslice-mem$g" ||
                fail "--perf $spec: no -numa node $g: $cmd"
        done
        [ "$(nodes_of "$c01")" != "$(nodes_of "$c23")" ] || fail "--perf $spec: both guest nodes on host node $(nodes_of "$c01")"
    fi
    [ "$(jq '.applied.vcpu_threads | length' "$plan")" = 4 ] || fail "--perf $spec: applied: $(jq -c .applied "$plan")"
    ms=$(jq .applied.pinned_after_ms "$plan")
    note "--perf $spec: qemu $q, $nth threads pinned (4 vCPU, service CPU $svc) ${ms} ms after qemu started"
    summary="$summary $spec:${ms}ms"

    kill -TERM "$q"
    ls_wait $name
    [ "$RC" = 0 ] || fail "--perf $spec: run exited $RC after qemu's SIGTERM (qemu's own exit code is 0): $(err_of $name)"
    h=$(held_lockfiles "$LOCKS")
    [ -z "$h" ] && [ ! -e "$plan" ] || fail "--perf $spec: after qemu ended: held '$h', plan file $( [ -e "$plan" ] && echo left)"
    left=$(find $CG -type d -name "llcslice-$PID-*" 2>/dev/null)
    [ -z "$left" ] || fail "--perf $spec: job cgroup left behind: $left"
done
pass "every qemu thread where the plan says; pinned after$summary"

# Scenario 7: `llcslice slots` runs a kernel-builds-style slot file (configs/examples/
# kernel-builds.yaml's shape, with fake one-second "builds") from the test cgroup: every job
# succeeds in a reservation of its own whose view is consistent (cpuset, env, nproc,
# memory.max); dedicated jobs running at the same time never share a CPU; nothing runs on the
# exclusive (perf:) job's LLC beside it; after: and max_jobs hold; the JSON summary names each
# job's CPUs; logs, cgroups and locks are all cleaned up.
. /vm/lib.sh
scenario_begin 7-slots

[ "$(nllcs)" -ge 4 ] || skip "needs 4 LLCs (topology A) for 16 CPUs of dedicated builds plus a perf job"

cat >"$W/builds.yaml" <<'EOF'
version: 1
mode: dedicated
wait: 2m
max_jobs: 3
log_dir: logs
defaults:
  cpus: 25%
  memory_max: 64M
  seccomp: build
  timeout: 2m
  env:
    KBUILD_BUILD_USER: ci
  command: |
    s=$(cut -d' ' -f1 /proc/uptime)
    /vm/probe.sh @W@/$SLOT.job
    echo "building $SLOT on CPUs $LLCSLICE_CPUS"
    sleep 1
    echo "$s $(cut -d' ' -f1 /proc/uptime)" >@W@/$SLOT.t
jobs:
  - name: x86-defconfig
    env: {SLOT: x86-defconfig}
  - name: x86-allmodconfig
    cpus: 50%
    env: {SLOT: x86-allmodconfig}
  - name: arm64-defconfig
    env: {SLOT: arm64-defconfig, ARCH: arm64}
  - name: bpf-selftests
    after: [x86-defconfig]
    cpus: 2
    env: {SLOT: bpf-selftests}
  - name: boot-smoke
    after: [x86-defconfig]
    perf: 1x2x1
    env: {SLOT: boot-smoke}
  - name: checkpatch
    mode: shared
    cpus: 1
    env: {SLOT: checkpatch}
EOF
sed -i "s|@W@|$W|g" "$W/builds.yaml"
JOBS="x86-defconfig x86-allmodconfig arm64-defconfig bpf-selftests boot-smoke checkpatch"
ncpus_of() {
    case $1 in
    x86-allmodconfig) echo 8 ;; bpf-selftests) echo 2 ;; boot-smoke) echo 3 ;; checkpatch) echo 1 ;;
    *) echo 4 ;;
    esac
}
mode_of() {
    case $1 in boot-smoke) echo exclusive ;; checkpatch) echo shared ;; *) echo dedicated ;; esac
}

ls_run slots slots "$W/builds.yaml" --json
[ "$RC" = 0 ] || fail "llcslice slots exited $RC: $(tail -n 12 "$W/slots.err" | tr '\n' ' ' | cut -c1-600)"
jq -e '.exit_code == 0 and (.jobs | length) == 6 and all(.jobs[]; .state == "done" and .exit_code == 0)' \
    "$W/slots.out" >/dev/null || fail "summary: $(jq -c '[.jobs[] | [.name, .state, .exit_code]]' "$W/slots.out")"

for j in $JOBS; do
    w=$(grep -m1 -i 'warning' "$W/logs/$j.log" | grep -v -e 'hugepages' -e 'runnable tasks' -e 'NUMA nodes')
    [ -z "$w" ] || fail "job $j: $(echo "$w" | cut -c1-400)"
    check_job "$j" "$(ncpus_of "$j")"
    [ "$(kv "$j" memory_max)" = 67108864 ] || fail "job $j sees memory.max '$(kv "$j" memory_max)', want 67108864 (64M)"
    got=$(jq -r --arg n "$j" "$JQ_CPUS"' .jobs[] | select(.name == $n) | .cpus | cpus' "$W/slots.out")
    cpus_eq "$got" "$(kv "$j" cpus_allowed)" || fail "summary says $j ran on $got, the job saw $(kv "$j" cpus_allowed)"
    grep -q "building $j on CPUs" "$W/logs/$j.log" || fail "log of $j: $(head -c 300 "$W/logs/$j.log")"
    [ -s "$W/$j.t" ] || fail "job $j recorded no interval"
    [ -d "$CG$(kv "$j" cgroup)" ] && fail "job $j left its group $(kv "$j" cgroup) behind"
done
[ -s "$W/boot-smoke.job.plan" ] || fail "the perf job got no LLCSLICE_PLAN"
EXCL_CPUS=$(for i in $(jq -r '.locked_llcs[]' "$W/boot-smoke.job.plan"); do llc_cpus "$i"; done | tr '\n' , |
    { read -r l; cpus_norm "$l"; })

# Pairs that ran at the same time (intervals measured inside the reservations).
overlap() { # A B
    awk -v a="$(cat "$W/$1.t")" -v b="$(cat "$W/$2.t")" \
        'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] < y[2] && y[1] < x[2]) }'
}
pairs=0
for a in $JOBS; do
    for b in $JOBS; do
        [ "$a" = "$b" ] && continue
        overlap "$a" "$b" || continue
        ca=$(kv "$a" cpus_allowed) cb=$(kv "$b" cpus_allowed)
        if [ "$(mode_of "$a")" = dedicated ] && [ "$(mode_of "$b")" = dedicated ]; then
            cpus_disjoint "$ca" "$cb" || fail "dedicated jobs $a ($ca) and $b ($cb) ran at the same time on CPUs $(cpus_inter "$ca" "$cb")"
            pairs=$((pairs + 1))
        fi
        if [ "$a" = boot-smoke ]; then
            cpus_disjoint "$cb" "$EXCL_CPUS" || fail "$b ($cb) ran on the perf job's exclusive LLC CPUs $EXCL_CPUS beside it"
        fi
    done
done
# Most jobs inside their reservations at one moment: count the intervals holding each start.
peak=$(for j in $JOBS; do cat "$W/$j.t"; echo; done | awk 'NF == 2 { s[NR] = $1; e[NR] = $2 }
    END { for (i in s) { n = 0; for (k in s) if (s[k] <= s[i] && s[i] < e[k]) n++; if (n > m) m = n }
          print m + 0 }')
[ "$peak" -le 3 ] || fail "$peak jobs ran at once; max_jobs is 3"
[ $pairs -gt 0 ] || fail "no two dedicated builds ran side by side"
for j in bpf-selftests boot-smoke; do
    awk -v a="$(cat "$W/x86-defconfig.t")" -v b="$(cat "$W/$j.t")" \
        'BEGIN { split(a, x, " "); split(b, y, " "); exit !(y[1] >= x[2]) }' ||
        fail "$j (after: x86-defconfig) started at $(cut -d' ' -f1 "$W/$j.t") before x86-defconfig ended at $(cut -d' ' -f2 "$W/x86-defconfig.t")"
done
held=$(held_lockfiles "$LOCKS")
[ -z "$held" ] || fail "locks still held after the slot run: $held"
pass "6 jobs done; $((pairs / 2)) dedicated pair(s) side by side on disjoint CPUs, perf job alone on LLC CPUs $EXCL_CPUS, at most $peak at once (max_jobs 3)"

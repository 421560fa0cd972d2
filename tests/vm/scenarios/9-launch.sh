# Scenario 9: what `run` costs on cgroup v2 against taskset, in one guest (TCG: read the ratio,
# not the times). 30 of each, interleaved: `llcslice run --cpus 1 -- true` and
# `taskset -c 1 true`; then llcslice's own phase timer over 5 runs. Reported, not judged
# (bench/RESULTS.md keeps the figures); fails only when a run fails. Topology B only.
. /vm/lib.sh
scenario_begin 9-launch

[ "$(nllcs)" = 1 ] || skip "measured on topology B only"
N=30
t_ls=0 t_ts=0
for i in $(seq $N); do
    t=$(now)
    llcslice run --cpus 1 -- true 2>"$W/run.err" || fail "run --cpus 1 -- true failed: $(cat "$W/run.err")"
    t_ls=$(awk -v s="$t_ls" -v a="$t" -v b="$(now)" 'BEGIN { print s + b - a }')
    t=$(now)
    taskset -c 1 true || fail "taskset -c 1 true failed"
    t_ts=$(awk -v s="$t_ts" -v a="$t" -v b="$(now)" 'BEGIN { print s + b - a }')
done
for i in 1 2 3 4 5; do
    LLCSLICE_TRACE_TIMING=1 llcslice run --cpus 1 -- true 2>&1 | awk '$1 == "llcslice-timing:" { print $2, $3 }'
done >"$W/phases"
# median microseconds per phase, in the order first seen
phases=$(awk '{ v[$1] = v[$1] " " $2; if (!($1 in o)) { o[$1] = ++n; k[n] = $1 } }
    END { for (i = 1; i <= n; i++) { m = split(v[k[i]], a, " ")
            for (x = 2; x <= m; x++) for (y = x; y > 1 && a[y - 1] + 0 > a[y] + 0; y--) { t = a[y]; a[y] = a[y - 1]; a[y - 1] = t }
            printf "%s=%.0f ", k[i], a[int((m + 1) / 2)] } }' "$W/phases")
note "phases (us, median of 5): $phases"
pass "$(awk -v a="$t_ls" -v b="$t_ts" -v n=$N 'BEGIN { printf "run %.1f ms, taskset %.1f ms per launch (mean of %d): %.1fx", a * 1000 / n, b * 1000 / n, n, (b > 0 ? a / b : 0) }')"

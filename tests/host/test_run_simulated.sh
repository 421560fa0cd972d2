#!/usr/bin/env bash
# run on a simulated host (--fsroot fixture): the reservation is real and held for the job's
# life, but no cgroup is made and no affinity set (said once); exclusive mode hands the job
# LLCSLICE_PLAN, a JSON file with the pinning plan, removed afterwards.
source "$(dirname "$0")/run_lib.sh"

F=$FIX/64amd64-4s2n4ca2co # 8 LLCs of 8 CPUs, one per node
[[ -d $F ]] || { echo "SKIP: fixture $F missing"; exit 0; }
HOSTALLOWED=$(grep Cpus_allowed_list /proc/self/status | cut -f2)

probe='echo "allowed=$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
echo "cpus=$LLCSLICE_CPUS"; echo "ncpus=$LLCSLICE_NCPUS"; echo "mems=$LLCSLICE_MEMS"; echo "plan=${LLCSLICE_PLAN-}"
[ -n "${LLCSLICE_PLAN-}" ] && cp "$LLCSLICE_PLAN" '"$T"'/plan.json
touch '"$T"'/started; [ -e '"$T"'/hold ] && while [ -e '"$T"'/hold ]; do sleep 0.05; done; true'
OUT=$T/out
field() { sed -n "s/^$1=//p" "$OUT"; }

# ---- shared, 8 CPUs: held, not confined
touch "$T/hold"
truncate_files "$T/bg.err" "$T/bg.out"
"$BIN" run --fsroot "$F" --lock-dir "$L" --cpus 8 -- sh -c "$probe" >"$T/bg.out" 2>"$T/bg.err" &
pid=$!
PIDS+=($pid)
wait_until '[[ -e $T/started ]] || ! kill -0 $pid 2>/dev/null'
[[ -z $(groups_of $pid) ]] || fail "simulated run created a cgroup"
held=$("$BIN" locks --lock-dir "$L" --json | jq --argjson p $pid '[.llcs[].holders[] | select(.pid == $p)] | length')
[[ $held -ge 1 ]] || fail "simulated run holds no LLC lock"
# an exclusive run wanting every simulated CPU is busy meanwhile
run_rc 75 "$BIN" run --fsroot "$F" --lock-dir "$L" --mode exclusive --cpus 64 -- true
rm "$T/hold"
wait $pid || fail "simulated run failed: $(cat "$T/bg.err")"
OUT=$T/bg.out
[[ $(field allowed) == "$HOSTALLOWED" ]] || fail "affinity was set: $(field allowed)"
[[ $(field ncpus) == 8 && $(field cpus) == 0-7 && $(field mems) == 0 ]] || fail "env: $(cat "$T/out")"
[[ $(grep -c "simulated host" "$T/bg.err") -eq 1 ]] || fail "want the simulated-host note once: $(cat "$T/bg.err")"
no_locks_held
ok "simulated shared run: held LLC locks, no cgroup, no affinity, noted once, env cpus $(field cpus)"

# ---- exclusive with --perf: LLCSLICE_PLAN
rm -f "$T/started" "$T/plan.json"
OUT=$T/out
run_rc 0 "$BIN" run --fsroot "$F" --lock-dir "$L" --perf 1x4x1 -- sh -c "$probe"
path=$(field plan)
[[ -n $path && -s $T/plan.json ]] || fail "no LLCSLICE_PLAN: $(cat "$T/out")"
[[ ! -e $path ]] || fail "plan file $path left behind"
jq -e '.mode == "exclusive" and (.assignments | length) == 4 and (.service_cpu | type) == "number"
       and (.locked_llcs | length) == 1' "$T/plan.json" >/dev/null || fail "plan: $(cat "$T/plan.json")"
jq -e '. as $p | ($p.cpus | index($p.service_cpu)) != null and ([$p.assignments[][1]] - $p.cpus) == []' "$T/plan.json" >/dev/null ||
    fail "assignments/service CPU outside cpus: $(cat "$T/plan.json")"
[[ $(field ncpus) == 5 && $(jq '.cpus | length' "$T/plan.json") == 5 ]] || fail "env vs plan: $(cat "$T/out")"
grep -q "hugepages" "$T/err" || fail "no hugepage warning in exclusive mode: $(cat "$T/err")"
no_locks_held
ok "exclusive --perf 1x4x1: LLCSLICE_PLAN $(jq -c '{assignments, service_cpu}' "$T/plan.json"), removed after"

# ---- exclusive without --perf: whole LLCs, still a plan file
run_rc 0 "$BIN" run --fsroot "$F" --lock-dir "$L" --mode exclusive --cpus 8 -- sh -c "$probe"
jq -e '.mode == "exclusive" and (.locked_llcs | length) == 1' "$T/plan.json" >/dev/null || fail "plan: $(cat "$T/plan.json")"
ok "exclusive --cpus 8: one whole LLC, plan file given"

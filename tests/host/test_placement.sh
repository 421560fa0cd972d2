#!/usr/bin/env bash
# Placement that keeps the slice's promise, on simulated hosts (--fsroot fixtures) with real
# holders: llcslice runs and flock(1) in a temp lock dir. Shared jobs mark their CPUs, so they
# do not stack; a dedicated holder's CPU is avoided; a budget one node holds stays there.
source "$(dirname "$0")/run_lib.sh"

TWO=$FIX/2arm-2c      # 2 CPUs, no cache information: one LLC
BIG=$FIX/64amd64-4s2n4ca2co # 8 LLCs of 8 CPUs, one per node
[[ -d $TWO && -d $BIG ]] || { echo "SKIP: fixtures missing"; exit 0; }
plan() { "$BIN" plan --lock-dir "$L" "$@"; }
wait_for() { for _ in $(seq 1200); do [[ -e $1 ]] && return 0; sleep 0.05; done; fail "timed out waiting for $1"; }

# ---- two shared --cpus 1 jobs on a 2-CPU host get different CPUs
hold='echo "$LLCSLICE_CPUS" >"$0.cpus"; touch "$0"; while [ -e '"$T"'/hold ]; do sleep 0.05; done'
touch "$T/hold"
truncate_files "$T/a.err"
"$BIN" run --fsroot "$TWO" --lock-dir "$L" --cpus 1 -- sh -c "$hold" "$T/a" 2>"$T/a.err" &
PIDS+=($!)
wait_for "$T/a"
truncate_files "$T/b.err"
"$BIN" run --fsroot "$TWO" --lock-dir "$L" --cpus 1 -- sh -c "$hold" "$T/b" 2>"$T/b.err" &
PIDS+=($!)
wait_for "$T/b"
[[ $(cat "$T/a.cpus") == 0 && $(cat "$T/b.cpus") == 1 ]] ||
    fail "two shared --cpus 1 jobs got $(cat "$T/a.cpus") and $(cat "$T/b.cpus")"
marks=$("$BIN" locks --lock-dir "$L" --json | jq -c '[.cpus[] | select(.holders | length > 0) | .index]')
[[ $marks == '[0,1]' ]] || fail "shared jobs do not mark their CPUs: $marks"
ok "two shared --cpus 1 jobs on a 2-CPU host: CPUs 0 and 1, both marked"

# a third one shares the least-used CPU and names who it shares with
run_rc 0 plan --fsroot "$TWO" --cpus 1 --json
[[ $(jq -c .cpus "$T/out") == '[0]' ]] || fail "third job: $(cat "$T/out")"
grep -q 'CPUs 0 are shared with other jobs' "$T/out" || fail "no overcommit warning: $(cat "$T/out")"
jq -e '.warnings | any(test("CPUs shared with: CPU 0: pid [0-9]+ .* shared"))' "$T/out" >/dev/null ||
    fail "overcommit warning names no holder: $(cat "$T/out")"
# a dedicated job finds nothing free: busy
run_rc 75 "$BIN" run --fsroot "$TWO" --lock-dir "$L" --mode dedicated --cpus 1 -- true
rm "$T/hold"
wait
PIDS=()
no_locks_held
ok "full 2-CPU host: overlap named, dedicated busy"

# ---- a flock(1) holder of a CPU (as ktstr's VMs and dedicated jobs do) is avoided
flock -x "$L/llcslice-cpu-0.lock" -c "touch $T/f; while [ -e $T/f ]; do sleep 0.05; done" &
PIDS+=($!)
wait_for "$T/f"
run_rc 0 plan --fsroot "$TWO" --cpus 1 --json
[[ $(jq -c .cpus "$T/out") == '[1]' ]] || fail "held CPU 0 taken: $(cat "$T/out")"
run_rc 0 plan --fsroot "$TWO" --cpus 2 --json
[[ $(jq -c .cpus "$T/out") == '[0,1]' ]] || fail "full host: $(cat "$T/out")"
grep -q '0 dedicated to another job' "$T/out" || fail "dedicated overlap not named: $(cat "$T/out")"
rm "$T/f"
wait
PIDS=()
ok "flock(1) LOCK_EX on CPU 0: a shared job takes CPU 1, and names CPU 0 when it must share"

# ---- no needless spill: a budget one node holds stays on it
run_rc 0 plan --fsroot "$BIG" --allowed-cpus 6-15 --cpus 4 --json
[[ $(jq -c '[.cpus,.mems,.warnings]' "$T/out") == '[[8,9,10,11],[1],[]]' ]] ||
    fail "--allowed-cpus 6-15 --cpus 4: $(cat "$T/out")"
run_rc 0 plan --fsroot "$BIG" --allowed-cpus 6-15 --cpus 9 --json
jq -e '.warnings[0] | test("no single node has 9 allowed CPUs free")' "$T/out" >/dev/null ||
    fail "spill warning: $(cat "$T/out")"
ok "allowed 6-15, --cpus 4 on node 1 alone; --cpus 9 spills and says why"

# ---- whole cores: SMT siblings 0 and 16 on this fixture
SMT=$FIX/32intel64-2p8co2t+8ve
if [[ -d $SMT ]]; then
    run_rc 0 plan --fsroot "$SMT" --mode dedicated --cpus 2 --json
    [[ $(jq -c .cpus "$T/out") == '[0,16]' ]] || fail "dedicated 2 not one whole core: $(cat "$T/out")"
    # a dedicated flock(1) holder of CPU 0: a whole free core rather than its sibling 16
    flock -x "$L/llcslice-cpu-0.lock" -c "touch $T/g; while [ -e $T/g ]; do sleep 0.05; done" &
    PIDS+=($!)
    wait_for "$T/g"
    run_rc 0 plan --fsroot "$SMT" --mode dedicated --cpus 1 --json
    [[ $(jq -c .cpus "$T/out") == '[1]' ]] || fail "next to a held CPU: $(cat "$T/out")"
    rm "$T/g"
    wait
    PIDS=()
    run_rc 77 plan --fsroot "$SMT" --smt full-cores --cpus 3
    grep -q 'not a whole number' "$T/err" || fail "full-cores 3: $(cat "$T/err")"
    run_rc 64 plan --fsroot "$SMT" --smt half
    printf 'jobs:\n  - name: a\n    cpus: 3\n    smt: full-cores\n    command: "true"\n' >"$T/s.yaml"
    run_rc 77 "$BIN" slots "$T/s.yaml" --dry-run --fsroot "$SMT" --lock-dir "$L"
    ok "whole cores: dedicated 2 = CPUs 0,16; beside a held CPU a whole core; --smt full-cores refuses 3 (plan, slots smt:)"
fi

# ---- memory: nodes without memory never appear in mems; topo shows memory per node
MEM=$FIX/fakememinitiators-1np2c+1npp+gi
if [[ -d $MEM ]]; then
    run_rc 0 plan --fsroot "$MEM" --cpus 2 --json
    [[ $(jq -c '[.cpus,.mems]' "$T/out") == '[[0,1],[5]]' ]] || fail "memoryless node in mems: $(cat "$T/out")"
    run_rc 0 "$BIN" topo --fsroot "$MEM" --json
    jq -e '(.nodes[] | select(.id == 0) | .has_memory == false and .mem_node == 5) and
           (.nodes[] | select(.id == 5) | .has_memory and .memory_kb > 0)' "$T/out" >/dev/null ||
        fail "topo memory: $(jq -c .nodes "$T/out")"
    run_rc 0 "$BIN" topo --fsroot "$MEM"
    grep -Eq '^0 +0-1 +none \(->5\)' "$T/out" || fail "topo text memory: $(cat "$T/out")"
    ok "memoryless nodes: plan mems [5] for CPUs of node 0; topo shows has_memory/memory_kb/mem_node"
fi

# ---- performance mode: deterministic, closest nodes, plan predicts run, LLCSLICE_VCPUS
run_rc 0 plan --fsroot "$BIG" --perf 2x4x1 --json
cp "$T/out" "$T/plan1.json"
for _ in 1 2 3 4 5; do
    run_rc 0 plan --fsroot "$BIG" --perf 2x4x1 --json
    cmp -s "$T/out" "$T/plan1.json" || fail "perf plan changed between runs: $(cat "$T/out")"
done
d=$(jq -r '.locked_llcs | map(tostring) | join(" ")' "$T/plan1.json")
read -r a b <<<"$d"
row=$(sed 's/\x0//g' "$BIG/sys/devices/system/node/node$a/distance")
dist=$(awk -v k=$((b + 1)) '{print $k}' <<<"$row")
min=$(tr ' ' '\n' <<<"$row" | grep -v '^10$' | sort -n | head -1)
[[ $dist == "$min" ]] || fail "perf 2x4x1 on nodes $a,$b at distance $dist, closest is $min"
jq -e '.guest == {"llcs":2,"cores":4,"threads":1,"nodes":1} and .vcpu_guest_nodes == [0,0,0,0,0,0,0,0]
       and (.guest_host_nodes | length) == 1' "$T/plan1.json" >/dev/null || fail "guest keys: $(cat "$T/plan1.json")"
probe='echo "V=$LLCSLICE_VCPUS N=$LLCSLICE_NCPUS"; cp "$LLCSLICE_PLAN" '"$T"'/run.json'
run_rc 0 "$BIN" run --fsroot "$BIG" --lock-dir "$L" --perf 2x4x1 -- sh -c "$probe"
grep -qx 'V=8 N=9' "$T/out" || fail "env: $(cat "$T/out")"
[[ $(jq -c '[.locked_llcs,.assignments,.service_cpu]' "$T/run.json") == "$(jq -c '[.locked_llcs,.assignments,.service_cpu]' "$T/plan1.json")" ]] ||
    fail "run got $(jq -c . "$T/run.json"), plan said $(jq -c . "$T/plan1.json")"
no_locks_held
ok "perf 2x4x1: same plan 6 times, LLCs on nodes $a,$b at the closest distance $min, run = plan, LLCSLICE_VCPUS=8 NCPUS=9"

# ---- the cgroup parent's grant narrows the allowed set (real cpuset group, v1 or v2)
CPUSET=""
if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus && -w /sys/fs/cgroup/cpuset ]]; then
    CPUSET=/sys/fs/cgroup/cpuset EFF=cpuset.effective_cpus
elif grep -qw cpuset /sys/fs/cgroup/cgroup.controllers 2>/dev/null && [[ -w /sys/fs/cgroup ]]; then
    CPUSET=/sys/fs/cgroup EFF=cpuset.cpus.effective
fi
last=$(($(nproc --all) - 1))
if [[ -n $CPUSET && $last -ge 1 ]] && cgroup_usable; then
    G=llcslice-placement-test-$$
    mkdir "$CPUSET/$G"
    trap 'rmdir "$CPUSET/$G"/llcslice-* "$CPUSET/$G" 2>/dev/null || true; cleanup' EXIT
    [[ -e $CPUSET/$G/cpuset.cpus ]] || { echo "# skip: cpuset not enabled for child groups"; exit 0; }
    echo "$last" >"$CPUSET/$G/cpuset.cpus"
    cat "$CPUSET/cpuset.mems" >"$CPUSET/$G/cpuset.mems" 2>/dev/null || echo 0 >"$CPUSET/$G/cpuset.mems"
    [[ $(cat "$CPUSET/$G/$EFF") == "$last" ]] || fail "test group grants $(cat "$CPUSET/$G/$EFF"), not $last"
    run_rc 0 "$BIN" run --lock-dir "$L" --cgroup-parent "$G" --cpus 1 -- sh -c 'echo "cpus=$LLCSLICE_CPUS"'
    grep -qx "cpus=$last" "$T/out" || fail "--cgroup-parent granting CPU $last: $(cat "$T/out") $(cat "$T/err")"
    run_rc 64 "$BIN" run --lock-dir "$L" --cgroup-parent "$G" --allowed-cpus 0 -- true
    grep -q "grants CPUs $last, none of which" "$T/err" || fail "disjoint grant: $(cat "$T/err")"
    rmdir "$CPUSET/$G"
    ok "--cgroup-parent granting only CPU $last: the plan takes CPU $last; a disjoint allowed set is a usage error"
else
    echo "# skip: no writable cpuset hierarchy or a single CPU"
fi

# ---- --lock-prefix ktstr: refused where ktstr's LLC numbering (cache id) is not ours
S=$T/sysfs-swapped # 2 LLCs whose cache ids run against their CPUs: ktstr's LLC 0 is our LLC 1
for c in 0 1 2 3; do
    d=$S/sys/devices/system/cpu/cpu$c/cache/index0
    mkdir -p "$d"
    echo 3 >"$d/level"
    echo Unified >"$d/type"
    if [[ $c -lt 2 ]]; then echo 0-1 >"$d/shared_cpu_list"; echo 1 >"$d/id"; else echo 2-3 >"$d/shared_cpu_list"; echo 0 >"$d/id"; fi
done
echo 0-3 >"$S/sys/devices/system/cpu/online"
run_rc 0 plan --fsroot "$S" --cpus 1 --json
run_rc 64 plan --fsroot "$S" --lock-prefix ktstr --cpus 1
one_line_error "llcslice's LLC 1 (CPUs 2-3, cache id 0) is ktstr's LLC 0"
run_rc 64 "$BIN" run --fsroot "$S" --lock-dir "$L" --lock-prefix ktstr --cpus 1 -- true
echo 0 >"$S/sys/devices/system/cpu/cpu0/cache/index0/id"
echo 0 >"$S/sys/devices/system/cpu/cpu1/cache/index0/id"
echo 1 >"$S/sys/devices/system/cpu/cpu2/cache/index0/id"
echo 1 >"$S/sys/devices/system/cpu/cpu3/cache/index0/id"
run_rc 0 plan --fsroot "$S" --lock-prefix ktstr --cpus 1 --json
if [[ -d $FIX/16em64t-4s2c2t ]]; then # cache ids per core, not per shared L3
    run_rc 64 plan --fsroot "$FIX/16em64t-4s2c2t" --lock-prefix ktstr --cpus 1
    grep -q 'ktstr groups this host' "$T/err" || fail "16em64t: $(cat "$T/err")"
fi
run_rc 0 plan --fsroot "$BIG" --lock-prefix ktstr --cpus 1
ok "--lock-prefix ktstr refused where cache ids order the LLCs differently or split one; accepted where they agree"

# ---- --lock-prefix ktstr: performance mode takes whole ktstr slots (slot k = the LLCs a ktstr
# VM of the same shape takes at offset k x LLCs), so a reservation never straddles two of them
touch "$L/ktstr-llc-1.lock" "$L/llcslice-llc-1.lock"
flock -x "$L/ktstr-llc-1.lock" -c "touch $T/k; while [ -e $T/k ]; do sleep 0.05; done" &
PIDS+=($!)
flock -x "$L/llcslice-llc-1.lock" -c "touch $T/k2; while [ -e $T/k2 ]; do sleep 0.05; done" &
PIDS+=($!)
wait_for "$T/k"
wait_for "$T/k2"
run_rc 0 plan --fsroot "$BIG" --perf 2x4x1 --json
[[ $(jq -c .locked_llcs "$T/out") == '[0,2]' ]] || fail "llcslice prefix, LLC 1 held: $(cat "$T/out")"
run_rc 0 plan --fsroot "$BIG" --lock-prefix ktstr --perf 2x4x1 --json -v
[[ $(jq -c .locked_llcs "$T/out") == '[2,3]' ]] || fail "ktstr slot 1: $(cat "$T/out")"
jq -e '.explain | any(test("ktstr.s slot 1 of 4"))' "$T/out" >/dev/null || fail "ktstr -v: $(jq -c .explain "$T/out")"
run_rc 0 plan --fsroot "$BIG" --lock-prefix ktstr --perf 2x4x1,nodes=2 --json
[[ $(jq -c '[.locked_llcs, .guest_host_nodes]' "$T/out") == '[[2,3],[2,3]]' ]] || fail "ktstr nodes=2: $(cat "$T/out")"
run_rc 0 plan --fsroot "$BIG" --lock-prefix ktstr --perf 3x4x1 --json
[[ $(jq -c .locked_llcs "$T/out") == '[3,4,5]' ]] || fail "ktstr 3 LLCs, slot 1 of 2: $(cat "$T/out")"
# a real run holds slot 1; the next run of the shape takes slot 2
hold_perf='touch "$0"; while [ -e '"$T"'/hold ]; do sleep 0.05; done'
touch "$T/hold"
truncate_files "$T/p1.err"
"$BIN" run --fsroot "$BIG" --lock-dir "$L" --lock-prefix ktstr --perf 2x4x1 -- sh -c "$hold_perf" "$T/p1" 2>"$T/p1.err" &
PIDS+=($!)
wait_for "$T/p1"
run_rc 0 plan --fsroot "$BIG" --lock-prefix ktstr --perf 2x4x1 --json
[[ $(jq -c .locked_llcs "$T/out") == '[4,5]' ]] || fail "beside a run on slot 1: $(cat "$T/out")"
run_rc 75 plan --fsroot "$BIG" --lock-prefix ktstr --perf 2x4x1 --allowed-cpus 0-31
grep -q "none of ktstr's 4 LLC slots for 2 virtual LLCs has all its LLCs free" "$T/err" || fail "busy: $(cat "$T/err")"
rm "$T/hold" "$T/k" "$T/k2"
wait
PIDS=()
no_locks_held
# LLCs 0 and 2 alone are allowed: each slot has an LLC without room, on an idle host too
run_rc 77 plan --fsroot "$BIG" --lock-prefix ktstr --perf 2x4x1 --allowed-cpus 0-7,16-23
one_line_error "in none of them does every LLC have the 4 allowed CPUs"
run_rc 0 plan --fsroot "$BIG" --perf 2x4x1 --allowed-cpus 0-7,16-23 --json
ok "--lock-prefix ktstr: --perf takes whole ktstr slots (held LLC 1: slot 1 = LLCs 2-3, not 0+2), the next run slot 2, busy and unsatisfiable named"

# ---- plan -v says which rule chose the placement
run_rc 0 plan --fsroot "$BIG" --allowed-cpus 6-15 --cpus 4 -v
grep -q '^why:' "$T/out" || fail "no why: section: $(cat "$T/out")"
grep -q 'node 1, the nearest that holds all 4 (distance 16), is used alone' "$T/out" || fail "-v node rule: $(cat "$T/out")"
run_rc 0 plan --fsroot "$BIG" --perf 2x4x1 -v --json
jq -e '.explain | any(test("closest set of nodes")) and any(test("service CPU"))' "$T/out" >/dev/null ||
    fail "-v --json perf: $(jq -c .explain "$T/out")"
run_rc 0 plan --fsroot "$BIG" --cpus 4 --json
jq -e 'has("explain") | not' "$T/out" >/dev/null || fail "explain without -v"
ok "plan -v explains the node, take and perf rules (text why:, JSON explain[])"

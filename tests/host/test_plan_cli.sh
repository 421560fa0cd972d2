#!/usr/bin/env bash
# `llcslice plan` on simulated hosts (--fsroot fixtures) against real flock(1) holders in a
# fresh lock dir: JSON keys and values per mode, consolidation, the ktstr prefix, takes no
# lock, and exit codes: 64 for every bad input (one-line error), 77 unsatisfiable, 75 busy.
set -euo pipefail
BIN=${LLCSLICE_BIN:?}
FX=${LLCSLICE_FIXTURES:?}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v flock >/dev/null || { echo "SKIP: flock(1) not installed"; exit 0; }

D=$(mktemp -d /tmp/llcslice-plancli-XXXXXX)
ERR=$(mktemp /tmp/llcslice-plancli-err-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$D" "$ERR"
}
trap cleanup EXIT
unset LLCSLICE_CPU_CAP LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS LLCSLICE_LOCK_DIR LLCSLICE_LOCK_PREFIX

fail() { echo "FAIL: $*" >&2; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }

hold() { # hold -s|-x FILE: a flock(1) holder in its own process group, visible in /proc/locks
    setsid flock -o "$1" "$2" sleep 300 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 6000); do # 5 min bound: slow is not wrong
        grep -q "FLOCK .* $pid " /proc/locks && { HELD=$pid; return; }
        sleep 0.05
    done
    fail "flock $1 $2 never showed up in /proc/locks"
}
release_all() {
    for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}

BIG=$FX/64amd64-4s2n4ca2co # 8 LLCs x 8 CPUs, LLC i on node i, real distances
SMALL=$FX/8em64t-2s2ca2c   # 4 LLCs x 2 CPUs, one node
plan() { "$BIN" plan --lock-dir "$D" "$@"; }

# ---- shared default on an idle simulated host
json=$(plan --fsroot "$BIG" --json)
jq -e 'keys == ["cpus","locked_llcs","mems","mode","target_cpus","warnings"]' <<<"$json" >/dev/null ||
    fail "shared keys: $json"
[[ $(jq -c '[.mode,.target_cpus,.locked_llcs,.mems]' <<<"$json") == '["shared",20,[0,1,2],[0,1,2]]' ]] ||
    fail "shared default: $json"
[[ $(jq -c .cpus <<<"$json") == "$(seq 0 19 | jq -sc .)" ]] || fail "cpus: $json"
jq -e '.warnings | length == 1 and (.[0] | startswith("llcslice: reserving LLCs [0 (node 0), 1 (node 1), 2 (node 2)] across 3 NUMA nodes"))' \
    <<<"$json" >/dev/null || fail "spill warning: $json"
[[ -z $(ls -A "$D") ]] || fail "plan created files in the lock dir: $(ls -A "$D")"
ok "shared default: 30% of 64, node 0 then nearest by distance, no file created"

# ---- budget sources: flag > env > default; empty env = unset; --allowed-cpus narrows
[[ $(LLCSLICE_CPU_CAP=8 plan --fsroot "$BIG" --json | jq -c '[.target_cpus,.locked_llcs]') == '[8,[0]]' ]] ||
    fail "LLCSLICE_CPU_CAP=8"
[[ $(LLCSLICE_CPU_CAP=8 plan --fsroot "$BIG" --cpu-cap 3 --json | jq .target_cpus) == 3 ]] ||
    fail "flag beats env"
[[ $(LLCSLICE_CPU_CAP= plan --fsroot "$BIG" --json | jq .target_cpus) == 20 ]] || fail "empty env"
json=$(LLCSLICE_FSROOT=$BIG plan --allowed-cpus 8-11,40-47 --cpus 6 --json)
# 6 fit on node 5 alone: no spill across nodes (the seed took LLCs 1 and 5)
[[ $(jq -c '[.locked_llcs,.cpus,.warnings]' <<<"$json") == '[[5],[40,41,42,43,44,45],[]]' ]] || fail "allowed: $json"
ok "budget: flag > LLCSLICE_CPU_CAP > default; allowed set respected"

# ---- consolidation onto a real holder, and the prefix decides whose locks count
hold -s "$D/llcslice-llc-5.lock"
json=$(plan --fsroot "$BIG" --cpus 12 --json)
[[ $(jq -c '[.locked_llcs,.mems]' <<<"$json") == '[[2,5],[2,5]]' ]] || fail "consolidation: $json"
hold -s "$D/ktstr-llc-3.lock"
[[ $(plan --fsroot "$BIG" --cpus 4 --lock-prefix ktstr --json | jq -c .locked_llcs) == '[3]' ]] ||
    fail "ktstr prefix"
[[ $(LLCSLICE_LOCK_PREFIX=ktstr plan --fsroot "$BIG" --cpus 4 --json | jq -c .locked_llcs) == '[3]' ]] ||
    fail "LLCSLICE_LOCK_PREFIX"
[[ $(LLCSLICE_LOCK_DIR=$D "$BIN" plan --fsroot "$BIG" --cpus 4 --json | jq -c .locked_llcs) == '[5]' ]] ||
    fail "LLCSLICE_LOCK_DIR"
ok "consolidates onto held LLCs of its own prefix only"

# ---- exclusive: any holder rules an LLC out; --perf pinning keys
json=$(plan --fsroot "$BIG" --mode exclusive --cpus 16 --json)
[[ $(jq -c '[.mode,.locked_llcs,.assignments,.service_cpu]' <<<"$json") == '["exclusive",[0,1],[],null]' ]] ||
    fail "exclusive: $json"
json=$(plan --fsroot "$BIG" --perf 2x4x2,nodes=2 --json)
jq -e 'keys == ["assignments","cpus","guest","guest_host_nodes","locked_llcs","mems","mode","service_cpu","target_cpus","vcpu_guest_nodes","warnings"]' \
    <<<"$json" >/dev/null || fail "perf keys: $json"
jq -e '.mode == "exclusive" and .target_cpus == 17 and (.cpus | length) == 17 and
       (.assignments | length) == 16 and all(.assignments[]; length == 2) and
       ([.assignments[][0]] == [range(16)]) and (.locked_llcs | length) == 2 and
       (.locked_llcs | index(5) | not) and (. as $p | $p.cpus | index($p.service_cpu)) != null' \
    <<<"$json" >/dev/null || fail "perf plan: $json"
json=$(plan --fsroot "$BIG" --perf 2x4x2 --mode shared --json)
[[ $(jq -c '[.mode,.target_cpus,has("assignments")]' <<<"$json") == '["shared",20,false]' ]] ||
    fail "perf in shared mode sizes by vCPUs: $json"
json=$(plan --fsroot "$BIG" --mode dedicated --cpus 3 --json)
[[ $(jq -c '[.mode,.locked_llcs,.cpus]' <<<"$json") == '["dedicated",[5],[40,41,42]]' ]] ||
    fail "dedicated packs beside the holder: $json"
ok "exclusive/--perf/dedicated plans"

# ---- human output
out=$(plan --fsroot "$BIG" --perf 1x2x1 2>/dev/null)
for w in "mode:" "target CPUs:" "LLCs:" "CPUs:" "memory nodes:" "service CPU:" "vCPU 0 -> CPU"; do
    grep -q "$w" <<<"$out" || fail "human output lacks '$w': $out"
done
ok "human output"

# ---- bad input: exit 64, one line on stderr, nothing on stdout
bad() { # bad DESCRIPTION NEEDLE -- COMMAND...
    local what=$1 needle=$2
    shift 3
    local rc=0 out err
    out=$("$@" 2>"$ERR") || rc=$?
    err=$(cat "$ERR")
    [[ $rc == 64 ]] || fail "$what: exit $rc (want 64): $err"
    [[ -z $out ]] || fail "$what: stdout: $out"
    [[ $(wc -l <"$ERR") == 1 ]] || fail "$what: stderr not one line: $err"
    [[ $err == "llcslice: usage error: "* ]] || fail "$what: $err"
    grep -qF -- "$needle" <<<"$err" || fail "$what: '$needle' missing: $err"
}
P=("$BIN" plan --fsroot "$BIG" --lock-dir "$D")
bad "--cpus 0" "got 0" -- "${P[@]}" --cpus 0
bad "--cpus abc" '"abc"' -- "${P[@]}" --cpus abc
bad "--cpus -3" "--cpus" -- "${P[@]}" --cpus -3
bad "--cpus 4.5" "--cpus" -- "${P[@]}" --cpus 4.5
bad "--cpus ''" "empty" -- "${P[@]}" --cpus ''
bad "--cpus huge" "out of range" -- "${P[@]}" --cpus 123456789012345678901234567890
bad "--cpus 99999" "99999 exceeds the 64 CPUs" -- "${P[@]}" --cpus 99999
bad "--cpus 65" "Pick a value <= 64" -- "${P[@]}" --cpus 65
bad "--cpu-cap 0" "--cpu-cap" -- "${P[@]}" --cpu-cap 0
bad "both flags" "give only one" -- "${P[@]}" --cpus 2 --cpu-cap 3
bad "LLCSLICE_CPU_CAP=0" "LLCSLICE_CPU_CAP" -- env LLCSLICE_CPU_CAP=0 "${P[@]}"
bad "LLCSLICE_CPU_CAP=abc" "LLCSLICE_CPU_CAP" -- env LLCSLICE_CPU_CAP=abc "${P[@]}"
bad "LLCSLICE_CPU_CAP=-1" "LLCSLICE_CPU_CAP" -- env LLCSLICE_CPU_CAP=-1 "${P[@]}"
bad "LLCSLICE_CPU_CAP non-UTF-8" "non-UTF-8" -- env LLCSLICE_CPU_CAP=$'\xff\xfe' "${P[@]}"
bad "LLCSLICE_CPU_CAP=1000" "1000 exceeds the 64 CPUs" -- env LLCSLICE_CPU_CAP=1000 "${P[@]}"
bad "--cpus non-UTF-8" "non-UTF-8" -- "${P[@]}" --cpus $'4\xc3'
bad "--perf 2x4" "--perf must be" -- "${P[@]}" --perf 2x4
bad "--perf 0x1x1" "--perf must be" -- "${P[@]}" --perf 0x1x1
bad "--perf garbage" "--perf must be" -- "${P[@]}" --perf banana
bad "--perf nodes>llcs" "nodes=3 exceeds" -- "${P[@]}" --perf 2x1x1,nodes=3
bad "--perf with --cpus" "cannot be combined with --perf" -- "${P[@]}" --perf 2x1x1 --cpus 4
bad "--mode bogus" "--mode must be shared, dedicated or exclusive" -- "${P[@]}" --mode bogus
bad "--mode empty" "--mode must be" -- "${P[@]}" --mode ''
bad "--mode newline" '"a\x0ab"' -- "${P[@]}" --mode $'a\nb'
bad "--perf escape" '\x1b' -- "${P[@]}" --perf $'2x2\x1b'
bad "--wait=soon" "--wait" -- "${P[@]}" --wait=soon
bad "unknown option" "unknown option '--frobnicate'" -- "${P[@]}" --frobnicate
bad "missing value" "--cpus" -- "${P[@]}" --cpus
bad "stray argument" "unexpected argument 'extra'" -- "${P[@]}" extra
ok "bad input: exit 64 with a one-line error naming the flag or variable"

# ---- unsatisfiable: 77
unsat() { # unsat NEEDLE ARGS...
    local needle=$1 rc=0 err
    shift
    "$BIN" plan --lock-dir "$D" "$@" >/dev/null 2>"$ERR" || rc=$?
    err=$(cat "$ERR")
    [[ $rc == 77 ]] || fail "$*: exit $rc (want 77): $err"
    [[ $(wc -l <"$ERR") == 1 ]] || fail "$*: not one line: $err"
    grep -qF -- "$needle" <<<"$err" || fail "$*: '$needle' missing: $err"
}
unsat "need 9 LLCs for 9 virtual LLCs, but host has 8 LLC groups" --fsroot "$BIG" --perf 9x1x1
unsat "need 65 CPUs (64 vCPUs + 1 service) but only 64 host CPUs" --fsroot "$BIG" --perf 8x4x2
unsat "a virtual LLC needs 9 CPUs (9x1) but only 0 of the host's LLCs" --fsroot "$BIG" --perf 1x9x1
unsat "the largest has 2" --fsroot "$SMALL" --perf 1x3x1
unsat "performance_mode" --fsroot "$BIG" --allowed-cpus 0-7 --perf 1x8x1
ok "unsatisfiable --perf: exit 77 with the seed's texts"

# ---- busy: 75, naming the holders
release_all
for i in 0 1 2 3; do hold -x "$D/llcslice-llc-$i.lock"; done
rc=0
"$BIN" plan --lock-dir "$D" --fsroot "$SMALL" --cpus 2 >/dev/null 2>"$ERR" || rc=$?
err=$(cat "$ERR")
[[ $rc == 75 ]] || fail "busy: exit $rc: $err"
[[ $(wc -l <"$ERR") == 1 ]] || fail "busy: not one line: $err"
for w in "llcslice: busy error:" "LLC 0: pid ${PIDS[0]} (flock -o -x" ") exclusive" "LLC 3: pid" "Run \`llcslice locks\`"; do
    grep -qF -- "$w" <<<"$err" || fail "busy: '$w' missing: $err"
done
rc=0
"$BIN" plan --lock-dir "$D" --fsroot "$SMALL" --perf 1x1x1 >/dev/null 2>&1 || rc=$?
[[ $rc == 75 ]] || fail "busy perf: exit $rc"
rc=0
"$BIN" plan --lock-dir "$D" --fsroot "$SMALL" --cpus 9 >/dev/null 2>&1 || rc=$?
[[ $rc == 64 ]] || fail "over budget while busy must stay a usage error, got $rc"
ok "busy: exit 75 naming every holder; over-budget stays 64"

echo "1..$n"

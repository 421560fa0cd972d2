#!/usr/bin/env bash
# `llcslice sweep` on this host's real cpuset hierarchy: a group whose owner pid is dead (with
# a job still running in it) and one whose pid was reused are removed and the job killed; a
# live owner's group stays; an orphan marker (written by hand, as documented) older than
# --max-age goes, a young one stays; --json keys; every bad flag. Needs root and a cpuset
# hierarchy; every group made here is removed on exit.
set -euo pipefail
BIN=${LLCSLICE_BIN:?}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }

fail() { echo "FAIL: $*" >&2; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }

# ---- flags (no cgroup needed)
"$BIN" sweep --help | grep -q "^Usage: llcslice sweep" || fail "--help"
for bad in "--max-age" "--max-age xx" "--max-age -1s" "--bogus" "extra" "-x"; do
    set +e
    # shellcheck disable=SC2086
    "$BIN" sweep $bad >/dev/null 2>"/tmp/llcslice-sweeperr.$$"
    rc=$?
    set -e
    [[ $rc -eq 64 ]] || fail "sweep $bad: exit $rc, want 64"
    grep -q "usage error" "/tmp/llcslice-sweeperr.$$" || fail "sweep $bad: no usage error message"
done
rm -f "/tmp/llcslice-sweeperr.$$"
ok "bad flags exit 64"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: not root"; exit 0; }
# The cpuset hierarchy as llcslice picks it: v2 with cpuset, else v1 cpuset.
MNT=
while read -r _ _ _ root point _ rest; do
    fstype=${rest#*- }
    fstype=${fstype%% *}
    if [[ $fstype == cgroup2 ]] && grep -qw cpuset "$point/cgroup.controllers" 2>/dev/null; then
        MNT=$point V=2 && break
    fi
done </proc/self/mountinfo
if [[ -z $MNT ]]; then
    MNT=$(awk '$0 ~ / - cgroup / && $NF ~ /(^|,)cpuset(,|$)/ {print $5; exit}' /proc/self/mountinfo)
    V=1
fi
[[ -n $MNT ]] || { echo "SKIP: no cpuset cgroup hierarchy"; exit 0; }

STATE=$(mktemp -d /tmp/llcslice-sweeptest-XXXXXX)
export LLCSLICE_STATE_DIR=$STATE
GROUPS_MADE=()
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for g in "${GROUPS_MADE[@]}"; do
        [[ -d $g ]] || continue
        for p in $(cat "$g/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        for _ in $(seq 50); do rmdir "$g" 2>/dev/null && break; sleep 0.02; done
    done
    rm -rf "$STATE"
}
trap cleanup EXIT

start_of() { awk '{sub(/.*\) /, ""); print $20}' "/proc/$1/stat"; }
# A group directly under the hierarchy root, cpuset ready for tasks on v1; path in $G. The
# dead and reused owners' groups are fair game for every llcslice on the machine (each run
# sweeps): one may remove them at any moment, even before they are set up.
mkgroup() {
    G=$MNT/$1
    GROUPS_MADE+=("$G")
    mkdir "$G"
    if [[ $V == 1 ]]; then
        { cat "$MNT/cpuset.cpus" >"$G/cpuset.cpus" && cat "$MNT/cpuset.mems" >"$G/cpuset.mems"; } 2>/dev/null ||
            [[ ! -d $G ]] || fail "cannot set up $G"
    fi
}

sleep 0.01 &
dead=$!
wait $dead
me=$$
mystart=$(start_of $me)
mkgroup "llcslice-$dead-12345-0badc0de"; dead_g=$G
mkgroup "llcslice-$me-$((mystart + 1))-0badc0df"; reused_g=$G
mkgroup "llcslice-$me-$mystart-0badc0e0"; live_g=$G
mkgroup "llcslice-$me-$mystart-0badc0e1"; old_g=$G
mkgroup "llcslice-$me-$mystart-0badc0e2"; young_g=$G
mkgroup "lsweeptest-$me"; other_g=$G # not ours by name: never touched

# a job left running in the dead owner's group
sleep 300 &
job=$!
disown "$job" # no "Killed" job report when sweep kills it
PIDS+=("$job")
moved=1
if ! echo "$job" >"$dead_g/cgroup.procs" 2>/dev/null; then
    if [[ ! -d $dead_g ]]; then
        moved=0 # another llcslice's sweep took the group first
        kill -9 "$job"
    else
        [[ $V == 2 ]] || fail "cannot move the job in"
    fi
fi

mkdir -p "$STATE/orphans"
printf 'path %s\ncreated %s\n' "$old_g" "$(($(date +%s) - 3 * 86400))" >"$STATE/orphans/old"
printf 'path %s\ncreated %s\n' "$young_g" "$(date +%s)" >"$STATE/orphans/young"
printf 'path %s\ncreated 1\n' "$MNT/llcslice-$me-$mystart-0badc0ff" >"$STATE/orphans/stale"

# Every llcslice on the machine shares the cgroup tree: a 125 may be another one's group that
# failed (judged below: none of ours may be in .failed), and the counts include theirs.
json=$("$BIN" sweep --json --max-age 24h) || true
jq -e 'keys == ["failed","kept","removed"]' <<<"$json" >/dev/null || fail "keys: $json"
jq -e '.removed[0] | keys == ["path","reason"]' <<<"$json" >/dev/null || fail "entry keys: $json"
removed() { jq -e --arg p "$1" 'any(.removed[]; .path == $p)' <<<"$json" >/dev/null; }
kept() { jq -e --arg p "$1" 'any(.kept[]; .path == $p)' <<<"$json" >/dev/null; }
# Dead owners' groups are fair game for every llcslice on the host (each run sweeps): one
# running concurrently may have taken them first.
removed_or_gone() { removed "$1" || [[ ! -d $1 ]]; }
removed_or_gone "$dead_g" || fail "dead owner's group not removed: $json"
removed_or_gone "$reused_g" || fail "reused pid's group not removed: $json"
removed "$old_g" || fail "old orphan not removed: $json"
kept "$young_g" || fail "young orphan not reported as kept: $json"
! removed "$live_g" || fail "live owner's group removed"
! removed "$young_g" || fail "young orphan removed"
for g in "$dead_g" "$reused_g" "$live_g" "$old_g" "$young_g" "$other_g"; do
    ! jq -e --arg p "$g" 'any(.failed[]; .path == $p)' <<<"$json" >/dev/null || fail "failed on $g: $json"
done
[[ ! -d $dead_g && ! -d $reused_g && ! -d $old_g ]] || fail "groups still there"
[[ -d $live_g && -d $young_g && -d $other_g ]] || fail "a group that must stay is gone"
[[ ! -e $STATE/orphans/old && ! -e $STATE/orphans/stale && -e $STATE/orphans/young ]] ||
    fail "markers: $(ls "$STATE/orphans")"
if removed "$dead_g"; then
    jq -e --arg p "$dead_g" '.removed[] | select(.path == $p) | .reason | test("owner pid [0-9]+ .* is gone")' \
        <<<"$json" >/dev/null || fail "reason for the dead owner: $json"
fi
for _ in $(seq 6000); do kill -0 "$job" 2>/dev/null || break; sleep 0.05; done # 5 min bound
if kill -0 "$job" 2>/dev/null; then
    [[ $(awk '{print $3}' "/proc/$job/stat") == Z ]] || fail "the job in the dead owner's group survived"
fi
how="job killed"
((moved)) || how="another llcslice swept the group before the job was in"
ok "dead and reused owners' groups removed ($how), live owner's kept, old orphan removed"

out=$("$BIN" sweep) || true
grep -q "kept $young_g: orphan created" <<<"$out" || fail "text output: $out"
grep -Eq "^sweep: [0-9]+ removed, [1-9][0-9]* kept, [0-9]+ failed" <<<"$out" || fail "text summary: $out"
out=$("$BIN" sweep --max-age 0) || true
grep -q "^removed $young_g: orphan older" <<<"$out" || fail "--max-age 0: $out"
[[ ! -d $young_g && -d $live_g ]] || fail "--max-age 0 result"
ok "text output; --max-age 0 removes the young orphan"

#!/usr/bin/env bash
# `llcslice locks` against real flock(1) holders in a fresh lock dir: JSON keys and values,
# the table, --lock-prefix ktstr, the environment, --watch until SIGINT/SIGTERM, a read-only
# lock dir, and every bad flag.
set -euo pipefail
BIN=${LLCSLICE_BIN:?}
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v flock >/dev/null || { echo "SKIP: flock(1) not installed"; exit 0; }

D=$(mktemp -d /tmp/llcslice-lockscli-XXXXXX)
D=$(realpath "$D")
PIDS=()
MNT=
cleanup() {
    for p in "${PIDS[@]}"; do kill -- "-$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n $MNT ]] && umount -l "$MNT" 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }

# Start `flock MODE FILE sleep` in its own process group (so the sleep goes with it) and
# wait until the lock is visible. -o: only flock itself holds the lock, not the sleep.
hold() { # hold -s|-x FILE
    setsid flock -o "$1" "$2" sleep 300 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 6000); do # 5 min bound: slow is not wrong
        grep -q "FLOCK .* $pid " /proc/locks && { HELD=$pid; return; }
        sleep 0.05
    done
    fail "flock $1 $2 never showed up in /proc/locks"
}

# ---- empty dir
out=$("$BIN" locks --lock-dir "$D" --json)
[[ $(jq -c . <<<"$out") == '{"llcs":[],"cpus":[],"waiters":[]}' ]] || fail "empty dir json: $out"
"$BIN" locks --lock-dir "$D" | grep -q "0 LLC and 0 CPU lockfiles" || fail "empty table"
ok "empty lock dir"

# ---- holders: two shared on LLC 1, one exclusive on CPU 2, free LLC 0 and 10
hold -s "$D/llcslice-llc-1.lock"; s1=$HELD
hold -s "$D/llcslice-llc-1.lock"; s2=$HELD
hold -x "$D/llcslice-cpu-2.lock"; x1=$HELD
touch "$D/llcslice-llc-0.lock" "$D/llcslice-llc-10.lock" "$D/other-llc-3.lock" "$D/llcslice-llc-07.lock"
json=$("$BIN" locks --lock-dir "$D" --json)
jq -e '(keys == ["cpus","llcs","waiters"])' <<<"$json" >/dev/null || fail "top-level keys: $json"
[[ $(jq -c '[.llcs[].index]' <<<"$json") == "[0,1,10]" ]] || fail "llc order: $json"
[[ $(jq -c '[.cpus[].index]' <<<"$json") == "[2]" ]] || fail "cpu list: $json"
jq -e --arg f "$D/llcslice-llc-1.lock" '.llcs[1].lockfile == $f' <<<"$json" >/dev/null || fail "lockfile path"
jq -e '.llcs[1] | keys == ["holders","index","lockfile"]' <<<"$json" >/dev/null || fail "llc keys"
jq -e '.llcs[1].holders[0] | keys == ["cmdline","mode","pid"]' <<<"$json" >/dev/null || fail "holder keys"
[[ $(jq -c '[.llcs[1].holders[].pid] | sort' <<<"$json") == "$(printf '%s\n' "$s1" "$s2" | sort -n | jq -sc .)" ]] ||
    fail "shared holder pids (want $s1 $s2): $json"
jq -e '[.llcs[1].holders[].mode] == ["shared","shared"]' <<<"$json" >/dev/null || fail "shared modes"
jq -e --arg c "flock -o -s $D/llcslice-llc-1.lock sleep 300" '.llcs[1].holders[0].cmdline == $c' <<<"$json" >/dev/null ||
    fail "cmdline: $json"
jq -e --argjson p "$x1" '.cpus[0].holders == [{"pid":$p,"mode":"exclusive","cmdline":.cpus[0].holders[0].cmdline}]' <<<"$json" >/dev/null ||
    fail "exclusive cpu holder: $json"
jq -e '.llcs[0].holders == [] and .llcs[2].holders == []' <<<"$json" >/dev/null || fail "free llcs"
ok "json lists lockfiles numerically with pid, mode, cmdline"

table=$("$BIN" locks --lock-dir "$D")
grep -q "3 LLC and 1 CPU lockfiles" <<<"$table" || fail "table count: $table"
grep -Eq "^llc 1 +$s1 +shared +flock -o -s $D/llcslice-llc-1.lock sleep 300\$|^ +$s1 +shared " <<<"$table" || fail "table row $s1: $table"
grep -Eq "^cpu 2 +$x1 +exclusive +flock " <<<"$table" || fail "table cpu row: $table"
grep -Eq "^llc 10 +- +free\$" <<<"$table" || fail "table free row: $table"
ok "human table"

# ---- a holder dies: its lock disappears
kill -- "-$x1"; wait "$x1" 2>/dev/null || true
[[ $("$BIN" locks --lock-dir "$D" --json | jq -c '.cpus[0].holders') == "[]" ]] || fail "released lock still listed"
ok "released lock no longer listed"

# ---- environment instead of flags
[[ $(LLCSLICE_LOCK_DIR=$D "$BIN" locks --json | jq '.llcs | length') == 3 ]] || fail "LLCSLICE_LOCK_DIR"
[[ $(LLCSLICE_LOCK_DIR=$D LLCSLICE_LOCK_PREFIX=other "$BIN" locks --json | jq -c '[.llcs[].index]') == "[3]" ]] ||
    fail "LLCSLICE_LOCK_PREFIX"
[[ $(LLCSLICE_LOCK_DIR=/nonexistent "$BIN" locks --lock-dir "$D" --json | jq '.llcs | length') == 3 ]] ||
    fail "--lock-dir must beat LLCSLICE_LOCK_DIR"
ok "LLCSLICE_LOCK_DIR / LLCSLICE_LOCK_PREFIX"

# ---- ktstr interop: exactly ktstr's file names
hold -x "$D/ktstr-llc-4.lock"; k1=$HELD
hold -x "$D/ktstr-cpu-12.lock"; k2=$HELD
touch "$D/ktstr-cpu-3.lock"
kj=$("$BIN" locks --lock-dir "$D" --lock-prefix ktstr --json)
jq -e --arg d "$D" --argjson a "$k1" --argjson b "$k2" '
    .llcs == [{"index":4,"lockfile":($d+"/ktstr-llc-4.lock"),"holders":[{"pid":$a,"mode":"exclusive","cmdline":.llcs[0].holders[0].cmdline}]}]
    and [.cpus[].lockfile] == [($d+"/ktstr-cpu-3.lock"), ($d+"/ktstr-cpu-12.lock")]
    and .cpus[1].holders[0].pid == $b' <<<"$kj" >/dev/null || fail "ktstr prefix: $kj"
ok "--lock-prefix ktstr reads ktstr-llc-N.lock / ktstr-cpu-C.lock"

# ---- a symlink in a lockfile's place is reported, not followed
ln -s /etc/passwd "$D/llcslice-llc-5.lock"
err=$("$BIN" locks --lock-dir "$D" --json 2>&1 >/dev/null)
grep -q "llcslice-llc-5.lock is a symlink" <<<"$err" || fail "symlink warning: $err"
[[ $("$BIN" locks --lock-dir "$D" --json 2>/dev/null | jq -c '[.llcs[].index]') == "[0,1,10]" ]] || fail "symlink listed"
rm "$D/llcslice-llc-5.lock"
ok "symlinked lockfile reported and skipped"

# ---- --watch: re-prints until SIGINT (json: one document per line), SIGTERM for the table
"$BIN" locks --lock-dir "$D" --json --watch 100ms >"$D/watch.out" 2>"$D/watch.err" &
w=$!
for _ in $(seq 6000); do # 5 min bound: slow is not wrong
    [[ $(wc -l <"$D/watch.out") -ge 3 ]] && break
    sleep 0.05
done
kill -INT "$w"
rc=0; wait "$w" || rc=$?
[[ $rc == 0 ]] || fail "--watch exit code after SIGINT: $rc ($(cat "$D/watch.err"))"
lines=$(wc -l <"$D/watch.out")
[[ $lines -ge 3 ]] || fail "--watch printed $lines lines"
while read -r line; do
    [[ $(jq -c '.llcs | length' <<<"$line") == 3 ]] || fail "watch line: $line"
done <"$D/watch.out"
"$BIN" locks --lock-dir "$D" --watch 1s >"$D/watch2.out" 2>&1 &
w=$!
for _ in $(seq 6000); do # 5 min bound: slow is not wrong
    grep -q "LOCK" "$D/watch2.out" && break
    sleep 0.05
done
kill -TERM "$w"
rc=0; wait "$w" || rc=$?
[[ $rc == 0 ]] || fail "--watch exit code after SIGTERM: $rc"
grep -q "llc 10" "$D/watch2.out" || fail "watch table: $(cat "$D/watch2.out")"
ok "--watch repeats until SIGINT/SIGTERM, exit 0"

# ---- read-only lock dir: observing still works
if [[ $(id -u) == 0 ]] && MNT=$D/ro && mkdir "$MNT" && mount -t tmpfs -o ro,size=64k llcslice-ro "$MNT" 2>/dev/null; then
    [[ $("$BIN" locks --lock-dir "$MNT" --json | jq -c .) == '{"llcs":[],"cpus":[],"waiters":[]}' ]] || fail "ro dir"
    umount "$MNT"; MNT=
    ok "read-only lock dir can be observed"
else
    MNT=
    echo "ok - SKIP read-only mount (not root or mount refused)"
fi

# ---- errors: exit 64 with a message naming the problem
expect_usage() { # expect_usage NEEDLE ARGS...
    local needle=$1; shift
    local rc=0 msg
    msg=$("$BIN" locks "$@" 2>&1 >/dev/null) || rc=$?
    [[ $rc == 64 ]] || fail "locks $* exited $rc, want 64 ($msg)"
    grep -qF -- "$needle" <<<"$msg" || fail "locks $*: '$msg' lacks '$needle'"
}
expect_usage "$D/missing" --lock-dir "$D/missing"
expect_usage "does not exist" --lock-dir "$D/missing"
expect_usage "not a directory" --lock-dir "$D/llcslice-llc-0.lock"
expect_usage "contains '/'" --lock-dir "$D" --lock-prefix a/b
expect_usage "--lock-prefix is empty" --lock-dir "$D" --lock-prefix ""
expect_usage "--lock-dir is empty" --lock-dir ""
expect_usage "not a valid duration" --lock-dir "$D" --watch soon
expect_usage "negative" --lock-dir "$D" --watch -1s
expect_usage "longer than zero" --lock-dir "$D" --watch 0
expect_usage "too long" --lock-dir "$D" --watch 99999999999999999999h
expect_usage "needs a value" --lock-dir "$D" --watch
expect_usage "unknown option '--bogus'" --bogus
expect_usage "unknown option '-x'" -x
expect_usage "option '--json' takes no value" --json=yes
expect_usage "unexpected argument 'extra'" --lock-dir "$D" extra
rc=0; LLCSLICE_LOCK_DIR=$D/missing "$BIN" locks 2>"$D/err" || rc=$?
[[ $rc == 64 ]] && grep -q "LLCSLICE_LOCK_DIR" "$D/err" || fail "env dir error: $rc $(cat "$D/err")"
ok "bad flags and dirs exit 64 naming the problem"

"$BIN" locks --help | grep -q -- "--watch DURATION" || fail "--help"
"$BIN" locks -h >/dev/null || fail "-h"
ok "--help"

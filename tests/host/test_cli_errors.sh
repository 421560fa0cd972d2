#!/usr/bin/env bash
# CLI surface of the real binary: help/version, and every bad input to `topo` gives the right
# exit code and exactly one line on stderr naming the culprit, never a crash.
set -uo pipefail
: "${LLCSLICE_BIN:?}" "${LLCSLICE_FIXTURES:?}"
BIN=$LLCSLICE_BIN
FIX=$LLCSLICE_FIXTURES/64amd64-4s2n4ca2co
if [[ -z ${TMPDIR:-} && -w /dev/shm ]]; then TMP=$(mktemp -d -p /dev/shm); else TMP=$(mktemp -d); fi
trap 'rm -rf "$TMP"' EXIT
unset LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS
fails=0

# expect CODE NEEDLE [env VAR=VAL ...] -- ARGS...: exit code, one stderr line containing NEEDLE.
expect() {
    local code=$1 needle=$2
    shift 2
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$? lines
    lines=$(wc -l <"$TMP/err")
    # stdout: nothing, or with --json the error as {"error": {...}} with the same exit code
    local json=0 a
    for a in "$@"; do [[ $a == --json ]] && json=1; done
    local out_ok=1
    if ((json)); then
        jq -e --argjson rc "$rc" '.error.exit_code == $rc and (.error.message | length) > 0' \
            "$TMP/out" >/dev/null 2>&1 || out_ok=0
    elif [[ -s $TMP/out ]]; then
        out_ok=0
    fi
    if [[ $rc != "$code" ]] || ! grep -qF -- "$needle" "$TMP/err" || [[ $lines != 1 ]] ||
        ((!out_ok)); then
        echo "FAIL: ${envs[*]} llcslice $*: exit $rc (want $code), $lines stderr lines (want 1," \
            "containing '$needle'), $(wc -c <"$TMP/out") stdout bytes:"
        sed 's/^/    /' "$TMP/err"
        fails=$((fails + 1))
    else
        echo "ok   ${envs[*]} llcslice $* -> $rc: $(cat "$TMP/err")"
    fi
}

# expect_out CODE NEEDLE ARGS...: exit code and NEEDLE on stdout, nothing on stderr.
expect_out() {
    local code=$1 needle=$2
    shift 2
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [[ $rc != "$code" ]] || ! grep -qF -- "$needle" "$TMP/out" || [[ -s $TMP/err ]]; then
        echo "FAIL: llcslice $*: exit $rc (want $code), stdout lacks '$needle' or stderr not empty"
        fails=$((fails + 1))
    else
        echo "ok   llcslice $* -> $rc"
    fi
}

expect_out 0 "Usage: llcslice COMMAND" --help
expect_out 0 "Usage: llcslice COMMAND" -h
expect_out 0 "Usage: llcslice topo" topo --help
expect_out 0 "Usage: llcslice topo" topo -h
expect_out 0 "llcslice 0.1.0" --version
expect_out 0 "llcslice 0.1.0" -V
expect 64 "unknown command 'frobnicate'" -- frobnicate
expect 64 "unknown option '--bogus'" -- topo --bogus
expect 64 "unknown option '-x'" -- topo -x
expect 64 "option '--json' takes no value" -- topo --json=1
expect 64 "option '--help' takes no value" -- topo --help=x
expect 64 "option '--fsroot' needs a value" -- topo --fsroot
expect 64 "option '--allowed-cpus' needs a value" -- topo --fsroot "$FIX" --allowed-cpus
expect 64 "unexpected argument 'extra'" -- topo extra

# --fsroot problems.
expect 64 "--fsroot $TMP/nope: No such file or directory; give the root of a dumped sysfs tree" -- topo --fsroot "$TMP/nope"
expect 64 "LLCSLICE_FSROOT $TMP/nope" LLCSLICE_FSROOT="$TMP/nope" -- topo
touch "$TMP/file"
expect 64 "$TMP/file: not a directory" -- topo --fsroot "$TMP/file"
mkdir -p "$TMP/empty"
expect 64 "$TMP/empty/sys/devices/system/cpu/online does not exist" -- topo --fsroot "$TMP/empty"

# Unreadable files in a copied tree. We run as root, so chmod 000 would not stop a read:
# put a directory where the file should be, which fails read() with EISDIR for everyone.
cp -r "$FIX" "$TMP/tree"
rm "$TMP/tree/sys/devices/system/cpu/cpu9/cache/index3/shared_cpu_list"
mkdir "$TMP/tree/sys/devices/system/cpu/cpu9/cache/index3/shared_cpu_list"
expect 125 "cannot read $TMP/tree/sys/devices/system/cpu/cpu9/cache/index3/shared_cpu_list" \
    -- topo --fsroot "$TMP/tree" --json
rm -r "$TMP/tree"
cp -r "$FIX" "$TMP/tree"
rm "$TMP/tree/sys/devices/system/cpu/online"
mkdir "$TMP/tree/sys/devices/system/cpu/online"
expect 125 "cannot read $TMP/tree/sys/devices/system/cpu/online" -- topo --fsroot "$TMP/tree"
rm -r "$TMP/tree"
cp -r "$FIX" "$TMP/tree"
echo "0-7,zz" >"$TMP/tree/sys/devices/system/node/node0/cpulist"
expect 125 "$TMP/tree/sys/devices/system/node/node0/cpulist" -- topo --fsroot "$TMP/tree"

# Allowed-CPU overrides.
expect 64 "--allowed-cpus: invalid CPU list" -- topo --fsroot "$FIX" --allowed-cpus 0-3,x
expect 64 "--allowed-cpus: the CPU list is empty" -- topo --fsroot "$FIX" --allowed-cpus ""
expect 64 "not online on this host: 64-99 (online: 0-63)" -- topo --fsroot "$FIX" --allowed-cpus 0-99
expect 64 "LLCSLICE_ALLOWED_CPUS: invalid CPU list" LLCSLICE_ALLOWED_CPUS=garbage -- topo --fsroot "$FIX"

# And the good paths exit 0 with the override applied (flag beats environment).
out=$(LLCSLICE_ALLOWED_CPUS=0-63 "$BIN" topo --fsroot "$FIX" --allowed-cpus 8-15 --json 2>"$TMP/err")
rc=$?
if [[ $rc == 0 && ! -s $TMP/err ]] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["allowed_cpus"]==list(range(8,16)), d["allowed_cpus"]' "$out"; then
    echo "ok   topo --allowed-cpus 8-15 beats LLCSLICE_ALLOWED_CPUS"
else
    echo "FAIL: topo --allowed-cpus 8-15 --json: exit $rc, stderr: $(cat "$TMP/err")"
    fails=$((fails + 1))
fi
if LLCSLICE_FSROOT="$FIX" "$BIN" topo >"$TMP/out" 2>"$TMP/err" && grep -q "^7 .*56-63" "$TMP/out"; then
    echo "ok   LLCSLICE_FSROOT=fixture topo (table)"
else
    echo "FAIL: LLCSLICE_FSROOT=fixture topo"
    fails=$((fails + 1))
fi
if "$BIN" topo --json >"$TMP/out" 2>"$TMP/err" && python3 -m json.tool "$TMP/out" >/dev/null; then
    echo "ok   topo --json on this host"
else
    echo "FAIL: topo --json on this host: $(cat "$TMP/err")"
    fails=$((fails + 1))
fi

echo "$fails failure(s)"
((fails == 0))

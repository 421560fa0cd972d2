#!/bin/bash
# `llcslice slots FILE --check`: exit 0 and a job table for every good file and example,
# exit 64 with the exact "FILE:LINE:COL: key ..." message on stderr (and nothing on stdout)
# for every bad file of tests/data/slots/bad, whose first line holds the expected message.
# Budgets are checked on the fixture host 32em64t-2n8c (16 CPUs, 2 LLCs) with 8 CPUs allowed,
# the same host the unit test uses.
set -u

BIN=${LLCSLICE_BIN:?run through ctest}
SRC=${LLCSLICE_SRC:?run through ctest}
FIX=${LLCSLICE_FIXTURES:?run through ctest}
DATA=$SRC/tests/data/slots
HOST16=$FIX/32em64t-2n8c+dax+nvme+mic+dimms
HOST64=$FIX/64amd64-4s2n4ca2co
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME ARGS...: sets rc, out, err
run() {
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

# --help
run slots -h
[ "$rc" = 0 ] || fail "slots -h exited $rc"
grep -q '^Usage: llcslice slots FILE.yaml' "$TMP/out" || fail "slots -h: no usage on stdout"
run slots --help
[ "$rc" = 0 ] || fail "slots --help exited $rc"

# Usage errors
run slots
[ "$rc" = 64 ] || fail "slots without a file exited $rc"
run slots --check --no-such-flag "$DATA/good/minimal.yaml"
[ "$rc" = 64 ] || fail "unknown flag exited $rc"
run slots --check "$DATA/good/minimal.yaml" "$DATA/good/full.yaml"
[ "$rc" = 64 ] || fail "two files exited $rc"
run slots --check "$TMP/missing.yaml"
[ "$rc" = 64 ] || fail "missing file exited $rc"
[[ $err == *"$TMP/missing.yaml: cannot open the slot file: No such file or directory"* ]] ||
    fail "missing file message: $err"
run slots --check "$TMP"
[ "$rc" = 64 ] || fail "directory exited $rc"

# A 50 MB file is refused by its size, before parsing.
truncate -s 50M "$TMP/big.yaml"
run slots --check "$TMP/big.yaml"
[ "$rc" = 64 ] || fail "50 MB file exited $rc"
[[ $err == *"$TMP/big.yaml: file is 52428800 bytes; a slot file may be at most 1048576 bytes (1 MiB)"* ]] ||
    fail "50 MB file message: $err"

# Does this build read topology yet? Budget checks need it.
run slots --check --fsroot "$HOST16" --allowed-cpus 0-7 "$DATA/good/minimal.yaml"
have_topology=1
if [ "$rc" = 125 ] && [[ $err == *"not implemented"* ]]; then
    have_topology=0
    echo "NOTE: topology discovery is not in this build; host-dependent checks skipped" >&2
fi

# Every bad file: 64, its exact message on stderr, nothing on stdout.
cd "$DATA/bad" || exit 1
nbad=0
for f in *.yaml; do
    want=$(head -n1 "$f" | sed -n 's/^# expect: //p')
    [ -n "$want" ] || { fail "$f: no '# expect:' line"; continue; }
    run slots "$f" --check --fsroot "$HOST16" --allowed-cpus 0-7
    if [ "$have_topology" = 0 ] && [ "$rc" = 125 ]; then
        continue # loaded fine: a budget case, needs the host
    fi
    nbad=$((nbad + 1))
    [ "$rc" = 64 ] || fail "$f: exit $rc, want 64 ($err)"
    [ "$err" = "llcslice: usage error: $want" ] || fail "$f: stderr '$err', want '$want'"
    [ -z "$out" ] || fail "$f: wrote to stdout: $out"
done
[ "$nbad" -ge 60 ] || fail "only $nbad bad files checked"

# The message names the path as given.
cd "$DATA" || exit 1
run slots --check bad/unknown-top-key.yaml
[[ $err == *"bad/unknown-top-key.yaml:2:1: key 'jbos': unknown key (did you mean 'jobs'?)"* ]] ||
    fail "relative path message: $err"

if [ "$have_topology" = 1 ]; then
    # Good files and the examples: 0, a summary with one row per job. --check plans every
    # job as --dry-run does, so the whole host is allowed (perf jobs need both LLCs).
    for f in "$DATA"/good/*.yaml; do
        run slots --check --fsroot "$HOST16" --allowed-cpus 0-15 "$f"
        [ "$rc" = 0 ] || { fail "$f: exit $rc: $err"; continue; }
        [[ $out == "$f: "*" valid on this host (16 allowed CPUs, 16 online, 2 LLCs)"* ]] ||
            fail "$f: summary header: $out"
    done
    for f in "$SRC"/configs/examples/*.yaml; do
        run slots --check --fsroot "$HOST64" "$f"
        [ "$rc" = 0 ] || fail "$f: exit $rc: $err"
    done
    run slots --check --fsroot "$HOST64" "$SRC/configs/examples/vm-tests.yaml"
    for job in build-kernel sched-2llc sched-numa boot-smoke; do
        grep -q "^$job " "$TMP/out" || fail "vm-tests summary lacks $job"
    done
    grep -q '^sched-numa  *exclusive  *perf 4x2x2,nodes=2 ' "$TMP/out" ||
        fail "vm-tests summary row for sched-numa: $out"
    # Environment works like the flags.
    LLCSLICE_FSROOT=$HOST16 LLCSLICE_ALLOWED_CPUS=0-3 \
        "$BIN" slots --check "$DATA/bad/budget-over-allowed.yaml" >/dev/null 2>"$TMP/err"
    rc=$?
    [ "$rc" = 64 ] || fail "budget via env exited $rc"
    grep -q "asks for 12 CPUs but only 4 are allowed here" "$TMP/err" ||
        fail "budget via env: $(cat "$TMP/err")"
    # The header names the lock dir, prefix and log dir a run would use: flags beat the file.
    run slots --check --fsroot "$HOST64" --lock-dir "$TMP" --lock-prefix pfx --log-dir "$TMP/l" \
        "$SRC/configs/examples/vm-tests.yaml"
    grep -qF "lock dir: $TMP  lock prefix: pfx  log dir: $TMP/l " "$TMP/out" ||
        fail "--check header ignores --lock-dir/--lock-prefix/--log-dir: $(sed -n 2p "$TMP/out")"
fi

if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "ok: slots --check ($nbad bad files)"

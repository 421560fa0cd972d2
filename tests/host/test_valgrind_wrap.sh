#!/usr/bin/env bash
# The valgrind pass's wrapper (tests/host/valgrind-wrap.sh) in a log dir of this test's own:
# root and nobody both get their memcheck log, even when root already wrote a log under the
# name a pid-only scheme (LOGS/PID.log) would give nobody's run (a reused pid: valgrind then
# failed with "Cannot create log file", CI issue #11), and the log checker finds every log.
source "$(dirname "$0")/run_lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 0; }
can_drop_privs || { echo "SKIP: needs root and setpriv to run as nobody"; exit 0; }
REAL=$BIN
[[ -x ${LLCSLICE_BUILD:-}/llcslice ]] && REAL=$LLCSLICE_BUILD/llcslice
# An ASan binary cannot run under valgrind; the plain and valgrind passes cover the wrapper.
grep -qa -m1 __asan_init "$REAL" && { echo "SKIP: ASan build"; exit 0; }
SRC=$(cd "$(dirname "$0")" && pwd)
WRAP=$SRC/valgrind-wrap.sh
VG=$T/vglogs
mkdir -m 1777 "$VG"

run_rc 0 bash "$WRAP" "$VG" "$REAL" plan --lock-dir "$L" --cpus 1
ok "root: plan under memcheck"

# nobody's run parks until root planted a root-owned LOGS/PID.log for its pid (and the
# shared LOGS/unwrapped file of the old scheme), then execs the wrapper in that same pid.
rm -f "$T/go" "$T/nb.pid"
"${NOBODY[@]}" sh -c 'echo $$ >"$0/nb.pid"; while [ ! -e "$0/go" ]; do sleep 0.05; done
    truncate_files "$T/nb.err" "$T/nb.out"
    exec bash "$@"' "$T" "$WRAP" "$VG" "$REAL" run --lock-dir "$L" --cpus 1 -- true \
    >"$T/nb.out" 2>"$T/nb.err" &
NB=$!
PIDS+=($NB)
wait_until "nobody's shell wrote its pid" test -s "$T/nb.pid"
pid=$(cat "$T/nb.pid")
: >"$VG/$pid.log"
: >"$VG/unwrapped"
touch "$T/go"
set +e
wait "$NB"
rc=$?
set -e
grep -q "Cannot create log file" "$T/nb.err" && fail "nobody's log collided with root's $VG/$pid.log: $(cat "$T/nb.err")"
[[ $rc -eq 0 ]] || fail "nobody's run under the wrapper exited $rc: $(cat "$T/nb.err")"
nblog=$(find "$VG" -mindepth 2 -name "$pid.*.log" -user nobody)
[[ -n $nblog ]] || fail "no log of nobody's pid $pid: $(find "$VG" -ls)"
ok "nobody, pid $pid, with root's $pid.log already there: ran (exit 0), log in ${nblog#"$VG"/}"

rm -f "$VG/$pid.log" "$VG/unwrapped" # planted, not a run's
# Every invocation has its own directory with its logs (forked children log there too).
dirs=$(find "$VG" -mindepth 1 -maxdepth 1 -type d -name 'vg.*' | wc -l)
logs=$(find "$VG" -name '*.log' | wc -l)
[[ $dirs -eq 2 && $logs -ge 2 ]] || fail "want 2 invocation dirs with logs: $(find "$VG" -ls)"
LLCSLICE_VALGRIND_LOGS=$VG bash "$SRC/valgrind-logs.sh" >"$T/check" 2>&1 ||
    fail "log checker: $(cat "$T/check")"
grep -q "^ok - $logs llcslice processes under valgrind" "$T/check" || fail "checker missed logs (want $logs): $(cat "$T/check")"
# A memcheck error in nobody's private directory is found and fails the check.
echo "==1== Invalid read of size 8" >"$(dirname "$nblog")/1.1.log"
if LLCSLICE_VALGRIND_LOGS=$VG bash "$SRC/valgrind-logs.sh" >"$T/check2" 2>&1 ||
    ! grep -q "Invalid read of size 8" "$T/check2"; then
    fail "the checker did not report an error log in a private directory: $(cat "$T/check2")"
fi
ok "log checker: $(cat "$T/check"); an error log in nobody's directory fails it"

# Shared by tests/host/test_run_*.sh (sourced, not a test itself): a fresh world-writable lock
# dir per test, cleanup of everything started, assertions on exit codes, one-line errors,
# leftover cgroups and held locks.
set -euo pipefail
BIN=${LLCSLICE_BIN:?}
FIX=${LLCSLICE_FIXTURES:-}

T=$(mktemp -d /tmp/llcslice-runtest-XXXXXX)
T=$(realpath "$T")
chmod 1777 "$T" # the unprivileged (nobody) runs share it
L=$T/locks
mkdir -m 1777 "$L"
# Orphan markers of this test's runs stay here, and its sweeps read no other llcslice's markers
# (the default /run/llcslice is shared with every llcslice on the machine).
export LLCSLICE_STATE_DIR=$T/state
mkdir -m 1777 "$LLCSLICE_STATE_DIR"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# truncate_files FILE...: empty the files a background command is about to write. Its own
# `>FILE` runs in the forked child, later than the parent's next poll, which could otherwise
# read (and be satisfied by) what an earlier command left there.
truncate_files() {
    local f
    for f; do : >"$f"; done
}

# What a timed-out wait shows: the llcslice and test processes (state, kernel wait channel),
# and who holds this test's locks, so a failure seen once in CI can be diagnosed from its log.
diag_snapshot() {
    echo "# processes (pid ppid stat wchan age args):"
    ps -eo pid,ppid,stat,wchan:22,etimes,args | awk 'NR == 1 || /llcslice|sleep [0-9]/' |
        grep -v ' awk ' | sed 's/^/#   /' | head -n 60 || true
    echo "# llcslice locks --lock-dir $L:"
    "$BIN" locks --lock-dir "$L" 2>&1 | sed 's/^/#   /' | head -n 40 || true
}

# wait_until CONDITION | wait_until WHAT CONDITION | wait_until WHAT CMD ARGS...: poll every
# 50 ms until the condition (a shell expression, eval'd) or the command succeeds; fail naming
# WHAT only after WAIT_BOUND seconds. Never assert on how long something took: on a loaded
# 2-core machine under valgrind everything is slow, and only "never" is a bug.
WAIT_BOUND=${LLCSLICE_TEST_WAIT_BOUND:-300}
wait_until() {
    local what=$1 end=$((SECONDS + WAIT_BOUND))
    (($# > 1)) && shift
    while true; do
        if (($# == 1)); then eval "$1" && return 0; else "$@" && return 0; fi
        if ((SECONDS >= end)); then
            diag_snapshot >&2
            fail "waited ${WAIT_BOUND} s for: $what"
        fi
        sleep 0.05
    done
}

# Run as an unprivileged user (no cgroup write access, no pid namespace).
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
can_drop_privs() { [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && "${NOBODY[@]}" test -x "$BIN"; }

# run_rc WANT CMD...: run, keep stdout in $T/out and stderr in $T/err, check the exit code.
run_rc() {
    local want=$1
    shift
    set +e
    "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    [[ $RC -eq $want ]] || fail "'$*' exited $RC, want $want; stderr: $(cat "$T/err")"
}

# one_line_error NEEDLE: stderr of the last run_rc is exactly one line mentioning NEEDLE.
one_line_error() {
    local lines
    lines=$(wc -l <"$T/err")
    [[ $lines -eq 1 ]] || fail "want a one-line error, got $lines lines: $(cat "$T/err")"
    grep -qF -- "$1" "$T/err" || fail "error does not mention '$1': $(cat "$T/err")"
}

# Job cgroups of supervisor PID anywhere under /sys/fs/cgroup.
groups_of() { find /sys/fs/cgroup -maxdepth 8 -type d -name "llcslice-$1-*" 2>/dev/null || true; }

# Nothing holds a lock in our lock dir.
no_locks_held() {
    local held
    held=$("$BIN" locks --lock-dir "$L" --json | jq '[.llcs[].holders[], .cpus[].holders[]] | length')
    [[ $held -eq 0 ]] || fail "locks still held in $L: $("$BIN" locks --lock-dir "$L")"
}

# sweep [ARGS...]: llcslice sweep --json, output in $T/sweep. Every llcslice on the machine shares
# the cgroup tree, so exit 125 may be another one's group that failed: callers judge their own.
sweep() {
    set +e
    "$BIN" sweep --json "$@" >"$T/sweep" 2>"$T/sweep.err"
    local rc=$?
    set -e
    [[ $rc -eq 0 || $rc -eq 125 ]] || fail "sweep exited $rc: $(cat "$T/sweep.err")"
}

# Processes whose command line is exactly "sleep MARKER".
count_sleepers() { pgrep -f -x "sleep $1" | wc -l; }

# Does this host give llcslice a real cgroup? (false: no cpuset anywhere, or no permission)
cgroup_usable() {
    "$BIN" run --lock-dir "$L" --cpus 1 -- true 2>"$T/probe" || return 1
    ! grep -q "no usable cgroup" "$T/probe"
}

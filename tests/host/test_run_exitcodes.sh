#!/usr/bin/env bash
# Exit codes of the real binary for every outcome (the job's own code, 128+N, 64, 75, 77,
# 125, 126, 127), and every bad input: a one-line error, no cgroup left behind, no lock held.
source "$(dirname "$0")/run_lib.sh"

# bad INPUT-ARGS... -> want code, needle; checks one line, no group of that pid, no locks.
bad() {
    local want=$1 needle=$2
    shift 2
    set +e
    truncate_files "$T/err" "$T/out"
    "$BIN" run --lock-dir "$L" "$@" >"$T/out" 2>"$T/err" &
    local pid=$!
    wait $pid
    RC=$?
    set -e
    [[ $RC -eq $want ]] || fail "run $* exited $RC, want $want: $(cat "$T/err")"
    one_line_error "$needle"
    [[ -z $(groups_of $pid) ]] || fail "run $* left a cgroup: $(groups_of $pid)"
    [[ -n ${HOLDER:-} ]] || no_locks_held
    ok "run $* -> $want: $(cat "$T/err")"
}

# ---- the job's own status
run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 -- true
run_rc 3 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c 'exit 3'
run_rc 255 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c 'exit 255'
run_rc 143 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c 'kill -TERM $$'
run_rc 137 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c 'kill -KILL $$'
run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c 'echo out; echo err >&2'
[[ $(cat "$T/out") == out && $(cat "$T/err") == err ]] || fail "stdout/stderr not passed through"
no_locks_held
ok "the job's exit codes 0, 3, 255, 143, 137 and its stdout/stderr come through"

# ---- exec failures
bad 127 "llcslice: command not found: llcslice-no-such-command" -- llcslice-no-such-command
bad 127 "command not found: $T/missing" -- "$T/missing"
bad 126 "cannot execute /tmp: is a directory" -- /tmp
printf '#!/bin/sh\necho hi\n' >"$T/noexec.sh"
bad 126 "cannot execute $T/noexec.sh: Permission denied" -- "$T/noexec.sh"
mkdir "$T/bin"
printf '#!/bin/sh\n' >"$T/bin/llcslice-test-noexec"
PATH="$T/bin:$PATH" bad 126 "Permission denied" -- llcslice-test-noexec
# Found when looked up, gone at exec: the job's own exec failure is reported the same way.
bad 126 "Operation not permitted" --seccomp-deny execve -- true

# ---- usage errors (64)
bad 64 "no command given" --cpus 1
bad 64 "no command given" --cpus 1 --
bad 64 "missing '--' before the command 'true'" --cpus 1 true
bad 64 "--memory-max: invalid size '12Q'" --memory-max 12Q -- true
bad 64 "--memory-max" --memory-max 0 -- true
bad 64 "--memory-max" --memory-max -5M -- true
bad 64 "--cpus" --cpus 0 -- true
bad 64 "99999" --cpus 99999 -- true
bad 64 "--cpus" --cpus abc -- true
bad 64 "--mode" --mode bogus -- true
bad 64 "--wait" --wait=never -- true
bad 64 "--seccomp: unknown profile 'bogus'" --seccomp bogus -- true
bad 64 "--seccomp-deny: unknown syscall name 'nosuchcall'" --seccomp-deny read,nosuchcall -- true
bad 64 "--seccomp-deny: empty syscall name" --seccomp-deny read, -- true
bad 64 "unknown option '--bogus'" --bogus -- true
bad 64 "needs a value" --memory-max
if cgroup_usable; then
    bad 64 "'..'" --cgroup-parent ../x -- true
    bad 64 "'..'" --cgroup-parent "/sys/fs/cgroup/cpuset/../memory" -- true
    bad 64 "outside the cgroup hierarchy" --cgroup-parent /etc -- true
    bad 64 "--cgroup-parent" --cgroup-parent "lsruntest-no-such-parent-$$" -- true
else
    echo "# no usable cgroup: --cgroup-parent cases skipped"
fi

# ---- busy (75): every CPU held dedicated by another run
"$BIN" run --lock-dir "$L" --mode dedicated --cpus "$(nproc)" -- sh -c "touch $T/held; sleep 600" &
holder=$!
PIDS+=($holder)
wait_until '[[ -e $T/held ]] || ! kill -0 $holder 2>/dev/null'
HOLDER=$holder bad 75 "pid $holder" --mode dedicated --cpus 1 -- true
HOLDER=$holder bad 75 "pid $holder" --mode exclusive -- true
kill -TERM $holder
wait $holder || true
no_locks_held

# ---- unsatisfiable (77): a perf topology bigger than the host
bad 77 "performance_mode" --perf "$(($(nproc) + 1))x1x1" -- true

# ---- system failure (125): the exclusive plan file cannot be written
# (warnings about the exclusive plan come first, so only the last line is the error)
if [[ -n $FIX && -d $FIX/64amd64-4s2n4ca2co ]]; then
    TMPDIR=$T/nonexistent run_rc 125 "$BIN" run --lock-dir "$L" \
        --fsroot "$FIX/64amd64-4s2n4ca2co" --perf 1x2x1 -- true
    tail -1 "$T/err" | grep -q "system error: cannot create the plan file in $T/nonexistent" ||
        fail "125: $(cat "$T/err")"
    no_locks_held
    ok "plan file not writable -> 125: $(tail -1 "$T/err")"
fi

#!/bin/bash
# Slot job logs cannot hang or redirect the runner: a FIFO (read or not), a symlink or a
# directory named JOB.log is refused with a one-line error before any job runs, and a log dir
# another user could write into (mode 0777, no sticky bit) is refused like such a lock dir.
source "$(dirname "$0")/run_lib.sh"
HOST=${FIX:?}/32em64t-2n8c+dax+nvme+mic+dimms
F=$T/f.yaml
printf 'version: 1\njobs:\n  - name: a\n    command: [echo, hi]\n    cpus: 1\n' >"$F"
slots() { timeout 120 "$BIN" slots "$F" --fsroot "$HOST" --lock-dir "$L" "$@"; }

mkdir -m 0755 "$T/logs"
slots --log-dir "$T/logs" >/dev/null 2>&1 || fail "a plain run failed"
grep -qx hi "$T/logs/a.log" || fail "log: $(cat "$T/logs/a.log")"
ok "a regular log file is written"

rm "$T/logs/a.log"
mkfifo "$T/logs/a.log"
run_rc 64 slots --log-dir "$T/logs"
one_line_error "log file $T/logs/a.log is a FIFO, not a regular file"
ok "a FIFO nobody reads is refused, no hang"

sleep 600 <>"$T/logs/a.log" &
PIDS+=($!)
run_rc 64 slots --log-dir "$T/logs"
one_line_error "log file $T/logs/a.log is a FIFO, not a regular file"
kill "${PIDS[-1]}"
ok "a FIFO with a reader is refused"

rm "$T/logs/a.log"
ln -s "$T/elsewhere" "$T/logs/a.log"
run_rc 64 slots --log-dir "$T/logs"
one_line_error "is a symbolic link"
[[ ! -e $T/elsewhere ]] || fail "the link was followed"
ok "a symlink is refused and not followed"

rm "$T/logs/a.log"
mkdir "$T/logs/a.log"
run_rc 64 slots --log-dir "$T/logs"
one_line_error "a.log"
ok "a directory is refused"

mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
run_rc 64 slots --log-dir "$T/open"
one_line_error "log dir $T/open (--log-dir): $T/open is writable by every user (mode 0777) without the sticky bit"
chmod 1777 "$T/open"
run_rc 0 slots --log-dir "$T/open"
ok "the log dir gets the lock dir's ownership rules"

printf 'version: 1\nlog_dir: %s\njobs:\n  - name: a\n    command: true\n    cpus: 1\n' "$T/open2" >"$F"
mkdir -m 0777 "$T/open2"
chmod 0777 "$T/open2"
run_rc 64 slots
one_line_error "log dir $T/open2 (log_dir:)"
ok "log_dir: from the file too"

# A failed job's one-line reason reaches the progress line, the summary and the JSON summary.
cat >"$T/fail.yaml" <<YAML
version: 1
jobs:
  - name: nocwd
    command: [true]
    cwd: $T/nonexistent
    cpus: 1
  - name: nocmd
    command: [no-such-cmd-llcslice]
    cpus: 1
  - name: exit3
    command: "echo oops; exit 3"
    cpus: 1
YAML
mkdir -m 0700 "$T/flogs"
set +e
"$BIN" slots "$T/fail.yaml" --fsroot "$HOST" --lock-dir "$L" --log-dir "$T/flogs" >"$T/out" 2>"$T/err"
RC=$?
set -e
[[ $RC == 1 ]] || fail "failing file exited $RC: $(cat "$T/err")"
grep -qF "nocwd: failed, exit 125: cannot change to its cwd $T/nonexistent: No such file or directory; log" "$T/out" ||
    fail "progress line: $(cat "$T/out")"
grep -qF "nocwd failed: cannot change to its cwd $T/nonexistent: No such file or directory" "$T/out" ||
    fail "summary: $(cat "$T/out")"
grep -qF "nocmd failed: command not found: no-such-cmd-llcslice" "$T/out" || fail "summary 127: $(cat "$T/out")"
grep -qF "exit3 failed: last output: oops" "$T/out" || fail "summary exit 3: $(cat "$T/out")"
set +e
"$BIN" slots "$T/fail.yaml" --fsroot "$HOST" --lock-dir "$L" --log-dir "$T/flogs" --json >"$T/out" 2>"$T/err"
set -e
jq -e --arg cwd "$T/nonexistent" '[.jobs[] | {(.name): .reason}] | add |
    .nocwd == "cannot change to its cwd \($cwd): No such file or directory" and
    .nocmd == "command not found: no-such-cmd-llcslice" and .exit3 == "last output: oops"' \
    "$T/out" >/dev/null || fail "json reasons: $(cat "$T/out")"
ok "a failed job's reason in the progress line, the summary and the JSON summary"

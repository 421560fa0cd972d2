#!/usr/bin/env bash
# llcslice slots FILE (the runner) with real processes, real lockfiles in a fresh lock dir and,
# where this host allows, real cgroups: concurrency bounded by the reservations (6 jobs of 1
# CPU on 2 CPUs in dedicated mode: at most 2 at a time, never one CPU twice), after: order,
# failures in the summary and the JSON, skipped dependents, repeat, timeout (SIGTERM, then
# SIGKILL), --fail-fast, Ctrl-C, --tail, wait: 0 against a foreign holder, --dry-run waves,
# seccomp names checked up front, and nothing left behind (locks, processes, cgroups).
source "$(dirname "$0")/run_lib.sh"

F=$FIX/64amd64-4s2n4ca2co # simulated: 8 LLCs of 8 CPUs; --allowed-cpus 0-1 leaves 2 CPUs
[[ -d $F ]] || { echo "SKIP: fixture $F missing"; exit 0; }
SIM=(--fsroot "$F" --allowed-cpus 0-1)
MARK=9998.$$
unset LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS LLCSLICE_LOCK_DIR LLCSLICE_LOCK_PREFIX

# slots FILE ARGS...: the runner on FILE with our lock dir; stdout $T/out, stderr $T/err, RC.
slots() {
    local file=$1
    shift
    set +e
    "$BIN" slots "$file" --lock-dir "$L" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
}
want_rc() { [[ $RC -eq $1 ]] || fail "$2: exit $RC, want $1; stderr: $(tail -n 5 "$T/err") stdout: $(tail -n 12 "$T/out")"; }
jqo() { jq -r "$1" "$T/out"; }

# The job of the concurrency checks: records "NAME CPUS START END" (its own clock, inside the
# reservation) and, on a real host, the affinity it got. The first job to start waits (up to 5
# min) until a second one has started too, so "2 at once" never depends on how fast a loaded
# machine starts the second job; with max_jobs: 1 that wait runs out instead (FIRSTWAIT=0).
six_file() { # six_file PATH RECORD [extra top-level YAML]
    local first=6000
    [[ ${3:-} == *"max_jobs: 1"* ]] && first=0
    rm -rf "$2.started"
    mkdir "$2.started"
    cat >"$1" <<EOF
mode: dedicated
${3:-}
defaults:
  cpus: 1
  command: |
    s=\$(date +%s.%N); touch $2.started/\$JOB; t=0
    while [ \$(ls $2.started | wc -l) -lt 2 ] && [ \$t -lt $first ]; do sleep 0.05; t=\$((t+1)); done
    sleep 0.4; e=\$(date +%s.%N)
    a=\$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
    g=\$(awk -F: '\$2 ~ /(^|,)cpuset(,|\$)/ { print "/sys/fs/cgroup/cpuset" \$3; exit }
                 \$1 == 0 { print "/sys/fs/cgroup" \$3; exit }' /proc/self/cgroup)
    echo "\$JOB \$LLCSLICE_CPUS \$s \$e \$a \$(nproc) \$g" >>$2
jobs:
EOF
    for j in 1 2 3 4 5 6; do
        printf '  - name: j%s\n    env: {JOB: j%s}\n' "$j" "$j" >>"$1"
        [[ $j == 6 ]] && printf '    after: [j1]\n' >>"$1"
    done
}

# check_intervals RECORD MAX: at most MAX jobs overlap, no CPU in two overlapping jobs,
# j6 (after: j1) starts after j1 ended.
check_intervals() {
    local rec=$1 max=$2
    [[ $(wc -l <"$rec") -eq 6 ]] || fail "want 6 job records, got: $(cat "$rec")"
    awk -v max="$max" '
        { name[NR] = $1; cpu[NR] = $2; s[NR] = $3; e[NR] = $4 }
        END {
            for (i = 1; i <= NR; i++) {
                over = 1
                for (j = 1; j <= NR; j++) {
                    if (i == j || s[j] > s[i] || e[j] <= s[i]) continue
                    over++ # j runs at the moment i starts
                    if (cpu[i] == cpu[j]) { print "CPU " cpu[i] " used by " name[i] " and " name[j] " at once"; bad = 1 }
                }
                if (over > max) { print over " jobs at once when " name[i] " started (max " max ")"; bad = 1 }
                if (over > peak) peak = over
                if (name[i] == "j1") j1e = e[i]; if (name[i] == "j6") j6s = s[i]
            }
            if (j6s < j1e) { print "j6 started before j1 (its after:) ended"; bad = 1 }
            if (peak < 2) { print "never 2 jobs at once"; bad = 1 }
            exit bad
        }' "$rec" || fail "intervals: $(cat "$rec")"
}

# ---- 6 jobs of 1 CPU on a 2-CPU simulated host: at most 2 at a time, disjoint CPUs
six_file "$T/six.yaml" "$T/six.rec"
slots "$T/six.yaml" "${SIM[@]}" --log-dir "$T/logs" --json
want_rc 0 "6 jobs on 2 simulated CPUs"
check_intervals "$T/six.rec" 2
jq -e '.exit_code == 0 and (.jobs | length) == 6 and all(.jobs[]; .state == "done" and .exit_code == 0
       and (.cpus | length) == 1 and .mems == [0] and .runs == 1 and (.start | type) == "string"
       and (.end | type) == "string" and .elapsed_s >= 0.3)' "$T/out" >/dev/null || fail "json: $(cat "$T/out")"
[[ $(jqo '.jobs[0].log') == "$T/logs/j1.log" && -f $T/logs/j6.log ]] || fail "log paths: $(jqo '[.jobs[].log]')"
grep -q "j1: running on CPUs" "$T/err" || fail "no state lines on stderr with --json: $(cat "$T/err")"
no_locks_held
ok "6 dedicated jobs of 1 CPU on 2 simulated CPUs: at most 2 at once, no CPU twice, after: held; json summary"

# ---- the same on this host with real cgroups (2 CPUs of it)
if cgroup_usable && [[ $(nproc) -ge 2 ]]; then
    six_file "$T/real.yaml" "$T/real.rec"
    slots "$T/real.yaml" --allowed-cpus 0-1 --log-dir "$T/rlogs"
    want_rc 0 "6 jobs on 2 real CPUs"
    check_intervals "$T/real.rec" 2
    awk '$2 != $5 || $6 != 1 { print; bad = 1 } END { exit bad }' "$T/real.rec" ||
        fail "a job's affinity/nproc is not its reservation: $(cat "$T/real.rec")"
    grep -q "^6 jobs: 6 done, 0 failed" "$T/out" || fail "summary: $(cat "$T/out")"
    while read -r _ _ _ _ _ _ g; do
        [[ $g == */llcslice-* ]] || fail "job ran in $g, not a job cgroup"
        [[ ! -d $g ]] || fail "job cgroup $g left behind"
    done <"$T/real.rec"
    no_locks_held
    ok "6 dedicated jobs of 1 CPU on 2 real CPUs: cgroup affinity = reservation, nproc 1, at most 2 at once"
else
    echo "# no usable cgroup or fewer than 2 CPUs here: real-host run skipped"
fi

# ---- max_jobs: 1 runs them one by one
six_file "$T/one.yaml" "$T/one.rec" "max_jobs: 1"
slots "$T/one.yaml" "${SIM[@]}" --log-dir "$T/logs1"
want_rc 0 "max_jobs: 1"
awk '{ s[NR] = $3; e[NR] = $4 } END { for (i = 1; i <= NR; i++) for (j = 1; j <= NR; j++)
     if (i != j && s[j] <= s[i] && e[j] > s[i]) exit 1 }' "$T/one.rec" || fail "max_jobs 1 overlapped: $(cat "$T/one.rec")"
ok "max_jobs: 1: no two jobs at once"

# ---- a failing job: its code in the summary, its after: dependents skipped, others run
cat >"$T/fail.yaml" <<EOF
defaults: {cpus: 1}
jobs:
  - name: bad
    command: echo to-the-log; exit 3
  - name: child
    after: bad
    command: touch $T/child-ran
  - name: grandchild
    after: child
    command: "true"
  - name: independent
    command: sleep 0.3
  - name: missing
    command: [/nonexistent/program]
  - name: nocwd
    cwd: no-such-dir
    command: "true"
EOF
slots "$T/fail.yaml" "${SIM[@]}" --log-dir "$T/flogs" --json
want_rc 1 "a failing job"
[[ ! -e $T/child-ran ]] || fail "the job after a failed one ran"
st() { jq -r --arg n "$1" '.jobs[] | select(.name == $n) | "\(.state) \(.exit_code)"' "$T/out"; }
[[ $(st bad) == "failed 3" && $(st child) == "skipped null" && $(st grandchild) == "skipped null" &&
    $(st independent) == "done 0" && $(st missing) == "failed 127" && $(st nocwd) == "failed 125" ]] ||
    fail "states: $(jq -c '[.jobs[] | [.name, .state, .exit_code]]' "$T/out")"
[[ $(jqo .exit_code) == 1 ]] || fail "json exit_code $(jqo .exit_code)"
grep -q to-the-log "$T/flogs/bad.log" || fail "bad.log: $(cat "$T/flogs/bad.log")"
grep -q "command not found: /nonexistent/program" "$T/flogs/missing.log" || fail "missing.log: $(cat "$T/flogs/missing.log")"
grep -q "cannot change to its cwd $T/no-such-dir" "$T/flogs/nocwd.log" || fail "nocwd.log: $(cat "$T/flogs/nocwd.log")"
grep -q "child: skipped: after: 'bad' failed" "$T/err" || fail "skip line: $(cat "$T/err")"
[[ ! -s $T/flogs/child.log ]] || fail "a skipped job's log is not empty"
no_locks_held
ok "failed job: exit 3 in the summary, dependents skipped, independent job done, 127/125 for missing command/cwd"

# ---- human summary table
slots "$T/fail.yaml" "${SIM[@]}" --log-dir "$T/flogs"
want_rc 1 "summary table"
grep -Eq '^bad +failed +3 +' "$T/out" || fail "summary row: $(cat "$T/out")"
grep -q '^6 jobs: 1 done, 3 failed, 0 timed out, 2 skipped, 0 stopped; logs in '"$T/flogs" "$T/out" ||
    fail "summary line: $(tail -n 3 "$T/out")"
ok "summary table row and counts"

# ---- repeat, env, cwd, --tail
mkdir -p "$T/work"
cat >"$T/rep.yaml" <<EOF
jobs:
  - name: rep
    cpus: 1
    repeat: 3
    cwd: work
    env: {GREETING: hello}
    command: echo "\$GREETING from \$(basename \$PWD) on \$LLCSLICE_CPUS"; printf no-newline
EOF
slots "$T/rep.yaml" "${SIM[@]}" --log-dir "$T/replogs" --tail
want_rc 0 "repeat"
[[ $(grep -c '^\[rep\] hello from work on [01]$' "$T/out") -eq 3 ]] || fail "--tail lines: $(cat "$T/out")"
[[ $(grep -c '^\[rep\] no-newline' "$T/out") -ge 1 ]] || fail "--tail dropped a last line without newline: $(cat "$T/out")"
[[ $(grep -c 'hello from work' "$T/replogs/rep.log") -eq 3 ]] || fail "log: $(cat "$T/replogs/rep.log")"
grep -Eq '^rep +done +0 .* 3/3 ' "$T/out" || fail "runs 3/3: $(cat "$T/out")"
ok "repeat: 3 runs in one log, cwd beside the file, env, --tail prefixes every line"

# ---- timeout: SIGTERM, then SIGKILL after --kill-after; the job is gone, the others finish
cat >"$T/to.yaml" <<EOF
jobs:
  - name: stubborn
    cpus: 1
    timeout: 500ms
    command: trap '' TERM; sleep $MARK
  - name: polite
    cpus: 1
    timeout: 500ms
    command: exec sleep $MARK
  - name: fine
    after: polite
    command: "true"
EOF
t0=$(now_ms)
slots "$T/to.yaml" "${SIM[@]}" --log-dir "$T/tologs" --kill-after 500ms --json
took=$(($(now_ms) - t0)) # reported, not asserted: a loaded machine is slow
want_rc 1 "timeouts"
[[ $(st stubborn) == "timeout 137" && $(st polite) == "timeout 143" && $(st fine) == "skipped null" ]] ||
    fail "timeout states: $(jq -c '[.jobs[] | [.name, .state, .exit_code]]' "$T/out")"
[[ $(count_sleepers "$MARK") -eq 0 ]] || fail "a timed-out job is still running"
no_locks_held
ok "timeout: SIGTERM ends a polite job (143), SIGKILL after --kill-after a stubborn one (137), in $took ms"

# ---- --fail-fast: the first failure stops the rest
cat >"$T/ff.yaml" <<EOF
defaults: {cpus: 1}
jobs:
  - name: bad # fails once long runs (a loaded machine may start long late)
    command: t=0; until [ -e $T/long-started ] || [ \$t -ge 6000 ]; do sleep 0.05; t=\$((t+1)); done; exit 4
  - name: long
    command: touch $T/long-started; exec sleep $MARK
  - name: later
    after: long
    command: "true"
EOF
slots "$T/ff.yaml" "${SIM[@]}" --log-dir "$T/fflogs" --fail-fast --json
want_rc 1 "--fail-fast"
[[ $(st bad) == "failed 4" && $(st long) == "stopped 143" && $(st later) == "skipped null" ]] ||
    fail "fail-fast states: $(jq -c '[.jobs[] | [.name, .state, .exit_code]]' "$T/out")"
[[ $(count_sleepers "$MARK") -eq 0 ]] || fail "--fail-fast left a job running"
no_locks_held
ok "--fail-fast: running job stopped (143), pending one skipped"

# ---- Ctrl-C: every job stopped (running and waiting), everything released, exit 130
cat >"$T/int.yaml" <<EOF
defaults: {cpus: 1}
jobs:
  - name: a
    command: exec sleep $MARK
  - name: b
    command: exec sleep $MARK
  - name: c
    command: exec sleep $MARK
  - name: d
    after: a
    command: "true"
EOF
truncate_files "$T/err" "$T/out"
(exec perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' -- "$BIN" slots "$T/int.yaml" --lock-dir "$L" \
    "${SIM[@]}" --log-dir "$T/intlogs" >"$T/out" 2>"$T/err") &
RUN=$!
PIDS+=($RUN)
# two of a, b, c run, the third waits for a CPU
wait_until "two jobs running, one waiting" \
    '{ [[ $(grep -c ": running on" "$T/out") -eq 2 ]] && grep -q ": waiting" "$T/out"; } || ! kill -0 $RUN 2>/dev/null'
[[ $(grep -c ": running on" "$T/out") -eq 2 ]] || fail "two jobs never ran: $(cat "$T/out")"
kill -INT "$RUN"
set +e
wait "$RUN"
RC=$?
set -e
want_rc 130 "Ctrl-C"
[[ $(grep -Ec '^(a|b|c) +stopped +(130|143) ' "$T/out") -eq 3 ]] || fail "stopped rows: $(cat "$T/out")"
grep -Eq '^d +skipped ' "$T/out" || fail "d not skipped: $(cat "$T/out")"
[[ $(count_sleepers "$MARK") -eq 0 ]] || fail "Ctrl-C left a job running"
no_locks_held
ok "Ctrl-C: running and waiting jobs stopped, pending skipped, locks released, exit 130"

# ---- the runner SIGKILLed: every run's supervisor stops its job and releases (PDEATHSIG)
truncate_files "$T/err" "$T/out"
"$BIN" slots "$T/int.yaml" --lock-dir "$L" "${SIM[@]}" --log-dir "$T/killlogs" >"$T/out" 2>"$T/err" &
RUN=$!
PIDS+=($RUN)
wait_until "two jobs running" '[[ $(grep -c ": running on" "$T/out") -eq 2 ]] || ! kill -0 $RUN 2>/dev/null'
if [[ $(grep -c ": running on" "$T/out") -ne 2 ]]; then
    set +e
    wait "$RUN"
    rrc=$?
    set -e
    fail "two jobs never ran (the runner exited $rrc): $(cat "$T/out" "$T/err")"
fi
kill -KILL "$RUN"
wait_until "the jobs of the SIGKILLed runner to stop" '[[ $(count_sleepers "$MARK") -eq 0 ]]'
wait_until "the locks of the SIGKILLed runner's jobs to be released" \
    '[[ $("$BIN" locks --lock-dir "$L" --json | jq "[.llcs[].holders[], .cpus[].holders[]] | length") -eq 0 ]]'
no_locks_held
ok "runner SIGKILLed: its jobs are stopped and their locks released"

# ---- wait: 0 against a foreign holder of both CPUs: busy (75) at once; wait: 1s after it
"$BIN" run "${SIM[@]}" --lock-dir "$L" --mode dedicated --cpus 2 -- sh -c "touch $T/held; exec sleep $MARK" \
    >/dev/null 2>&1 &
PIDS+=($!)
holder=$!
wait_until "the foreign holder to start" '[[ -e $T/held ]] || ! kill -0 $holder 2>/dev/null'
[[ -e $T/held ]] || fail "the foreign holder did not start"
cat >"$T/busy.yaml" <<EOF
jobs:
  - {name: now, cpus: 1, wait: 0, command: "true"}
  - {name: later, cpus: 1, wait: 1s, command: "true"}
EOF
slots "$T/busy.yaml" "${SIM[@]}" --log-dir "$T/busylogs" --json
want_rc 1 "busy"
[[ $(st now) == "failed 75" && $(st later) == "failed 75" ]] || fail "busy states: $(jq -c '[.jobs[] | [.name, .state, .exit_code]]' "$T/out")"
grep -q "busy" "$T/busylogs/now.log" || fail "now.log: $(cat "$T/busylogs/now.log")"
grep -q "later: waiting" "$T/err" || fail "no waiting line for wait: 1s: $(cat "$T/err")"
kill "$holder"
wait "$holder" 2>/dev/null || true
no_locks_held
ok "wait: 0 fails busy (75) at once, wait: 1s after waiting"

# ---- --dry-run: plans on the idle host, waves by after: and room; takes no lock
slots "$T/six.yaml" "${SIM[@]}" --dry-run --json
want_rc 0 "--dry-run --json"
jq -e '(.waves | length) == 3 and .waves[0] == ["j1", "j2"] and .waves[1] == ["j3", "j4"]
       and .waves[2] == ["j5", "j6"] and all(.jobs[]; .plan.mode == "dedicated" and (.plan.cpus | length) == 1)' \
    "$T/out" >/dev/null || fail "dry-run json: $(jq -c '.waves' "$T/out")"
slots "$T/six.yaml" "${SIM[@]}" --dry-run
want_rc 0 "--dry-run"
grep -q '^  wave 1: j1, j2$' "$T/out" || fail "dry-run text: $(cat "$T/out")"
ok "--dry-run: idle-host plans, waves [j1 j2] [j3 j4] [j5 j6]"

# ---- validated up front: unknown syscall at the seccomp value, nothing started
cat >"$T/sc.yaml" <<EOF
jobs:
  - name: ok
    command: touch $T/sc-ran
  - name: bad
    seccomp: {profile: build, deny: [no_such_syscall_x]}
    command: "true"
EOF
slots "$T/sc.yaml" "${SIM[@]}" --log-dir "$T/sclogs"
want_rc 64 "unknown syscall"
grep -q "sc.yaml:5:14: key 'seccomp': job 'bad': unknown syscall name 'no_such_syscall_x'" "$T/err" ||
    fail "seccomp message: $(cat "$T/err")"
[[ ! -e $T/sc-ran && ! -e $T/sclogs ]] || fail "a job ran (or logs were made) although the file is invalid"
ok "unknown seccomp syscall: 64 at file:line:col before anything runs"

# ---- usage errors
slots "$T/six.yaml" --check --dry-run
want_rc 64 "--check --dry-run"
slots "$T/six.yaml" --kill-after soon
want_rc 64 "--kill-after soon"
ok "usage errors: 64"

no_locks_held
echo "ok: slots runner ($n checks)"

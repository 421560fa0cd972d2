#!/usr/bin/env bash
# llcslice run inside a Slurm job step, on a real single-node Slurm this test starts itself
# (tests/host/slurm_lib.sh: own munged, slurmctld, slurmd, config, state and logs under a temp dir).
# With TaskPlugin=task/affinity the job's CPUs stay inside the step's affinity; with task/cgroup
# (on the host's cpuset hierarchy) the job group nests under the step's cgroup and is gone after
# the step, also when the step is cancelled. A cluster that cannot start fails the test with the
# daemon logs, it never passes silently.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/slurm_lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: not root (the test starts its own Slurm daemons)"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
trap 'slurm_stop; cleanup' EXIT
export LLCSLICE_STATE_DIR=$T/state

# cpu_list_expand "0-2,5" -> "0 1 2 5"
cpu_list_expand() {
    local part out=()
    IFS=, read -ra parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            out+=($(seq "${part%-*}" "${part#*-}"))
        else
            out+=("$part")
        fi
    done
    echo "${out[@]}"
}
# subset A B: every CPU of list A is in list B
subset() {
    local c b=" $(cpu_list_expand "$2") "
    for c in $(cpu_list_expand "$1"); do [[ $b == *" $c "* ]] || return 1; done
}
allowed() { awk '/^Cpus_allowed_list:/ {print $2}' "$1"; }

# in_step TAG SRUN_ARGS...: one step that records its own affinity and cpuset cgroup, then runs
# llcslice run --cpus 1 recording the job's; files $T/TAG.{step,job}{,.cg}
in_step() {
    local tag=$1
    shift
    local rec='grep Cpus_allowed_list /proc/self/status >"$0.cpus"; grep -E "^[0-9]+:([^:]*,)?cpuset(,[^:]*)?:" /proc/self/cgroup | cut -d: -f3 >"$0.cg"'
    set +e
    srun "$@" sh -c "$rec; exec \"\$1\" run --lock-dir \"\$2\" --cpus 1 -- sh -c '$rec' \"\$3\"" \
        "$T/$tag.step" "$BIN" "$L" "$T/$tag.job" >"$T/$tag.out" 2>"$T/$tag.err"
    local rc=$?
    set -e
    [[ $rc -eq 0 ]] || slurm_fail "srun $* (llcslice run inside) exited $rc: $(cat "$T/$tag.err")"
    [[ -s $T/$tag.job.cpus ]] || fail "the job in step $tag did not run: $(cat "$T/$tag.err")"
}

check_inside() {
    local tag=$1 want=$2 step job
    step=$(allowed "$T/$tag.step.cpus")
    job=$(allowed "$T/$tag.job.cpus")
    [[ $(cpu_list_expand "$step" | wc -w) -eq $want ]] || fail "step $tag has CPUs $step, want $want CPU(s)"
    [[ $(cpu_list_expand "$job" | wc -w) -eq 1 ]] || fail "the job in step $tag has CPUs $job, want 1"
    subset "$job" "$step" || fail "the job in step $tag runs on CPUs $job, outside the step's $step"
}

ncpu=$(nproc --all)
for mode in affinity cgroup; do
    if [[ $mode == cgroup ]]; then
        MNT=$(slurm_cpuset_mnt)
        [[ -n $MNT ]] || { echo "ok - skipped task/cgroup: this host has no v1 cpuset hierarchy"; break; }
    fi
    slurm_start "$mode"
    ok "$mode: single-node Slurm is up and idle"

    in_step "$mode-c1" -c1
    check_inside "$mode-c1" 1
    ok "$mode: srun -c1 llcslice run --cpus 1 runs on the step's CPU ($(allowed "$T/$mode-c1.job.cpus"))"

    if ((ncpu >= 2)); then
        in_step "$mode-c2" -c2
        check_inside "$mode-c2" 2
        ok "$mode: srun -c2 llcslice run --cpus 1 stays inside the step's CPUs"

        # A job holding one CPU, so the next step gets another: llcslice must follow the step
        # there, not take the first CPU of the machine.
        truncate_files "$T/hold.out"
        srun -c1 sh -c 'grep Cpus_allowed_list /proc/self/status >"$0"; while [ ! -e "$1" ]; do sleep 0.2; done' \
            "$T/hold.cpus" "$T/hold.release" >"$T/hold.out" 2>&1 &
        hold=$!
        PIDS+=($hold)
        for _ in $(seq 1200); do [[ -s $T/hold.cpus ]] && break; sleep 0.1; done
        [[ -s $T/hold.cpus ]] || slurm_fail "the holding step did not start in 120 s: $(cat "$T/hold.out")"
        in_step "$mode-other" -c1
        check_inside "$mode-other" 1
        subset "$(allowed "$T/$mode-other.step.cpus")" "$(allowed "$T/hold.cpus")" &&
            fail "the second step shares CPU $(allowed "$T/hold.cpus") with the holding one"
        touch "$T/hold.release"
        wait "$hold" || fail "the holding step failed: $(cat "$T/hold.out")"
        ok "$mode: beside a step holding CPU $(allowed "$T/hold.cpus"), the job follows its own step to CPU $(allowed "$T/$mode-other.job.cpus")"

        # An llcslice outside Slurm holds a CPU (dedicated) in the same lock dir: a dedicated
        # job inside a step that has both CPUs takes the other one (locks are per node).
        rm -f "$T/hold.cpus" "$T/hold.release"
        truncate_files "$T/hold.out"
        "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 -- sh -c \
            'grep Cpus_allowed_list /proc/self/status >"$0"; while [ ! -e "$1" ]; do sleep 0.2; done' \
            "$T/hold.cpus" "$T/hold.release" >"$T/hold.out" 2>&1 &
        hold=$!
        PIDS+=($hold)
        for _ in $(seq 1200); do [[ -s $T/hold.cpus ]] && break; sleep 0.1; done
        [[ -s $T/hold.cpus ]] || fail "the holding llcslice run did not start in 120 s: $(cat "$T/hold.out")"
        srun -c2 "$BIN" run --lock-dir "$L" --mode dedicated --cpus 1 -- \
            grep Cpus_allowed_list /proc/self/status >"$T/$mode-ded.job.cpus" 2>"$T/$mode-ded.err" ||
            slurm_fail "srun -c2 llcslice run --mode dedicated failed: $(cat "$T/$mode-ded.err")"
        touch "$T/hold.release"
        wait "$hold" || fail "the holding llcslice run failed: $(cat "$T/hold.out")"
        subset "$(allowed "$T/$mode-ded.job.cpus")" "$(allowed "$T/hold.cpus")" &&
            fail "the dedicated job in the step took CPU $(allowed "$T/hold.cpus"), held by another llcslice on the node"
        ok "$mode: a dedicated job in a step avoids the CPU another llcslice on the node holds ($(allowed "$T/hold.cpus"))"
    fi

    if [[ $mode == affinity ]]; then
        # slots --slurm: the jobs go through sbatch with their dependencies; a
        # failed job's follower never runs, the others run llcslice run in their own step
        cat >"$T/s.yaml" <<EOF
version: 1
mode: shared
log_dir: $T/slogs  # the script creates it
jobs:
  - name: first
    cpus: 1
    command: echo "first on \$LLCSLICE_CPUS"
  - name: second
    after: [first]
    cpus: 1
    repeat: 2
    command: echo "second \$SLURM_JOB_ID" >>$T/second.out
  - name: bad
    after: [first]
    command: exit 3
  - name: never
    after: [bad]
    command: touch $T/never.out
EOF
        run_rc 0 "$BIN" slots "$T/s.yaml" --dry-run --slurm --lock-dir "$L"
        sh -n "$T/out" || fail "the --dry-run --slurm script is not valid sh: $(cat "$T/out")"
        # sbatch failing (here: a config without a cluster) fails the submission, saying so
        : >"$T/empty.conf"
        SLURM_CONF=$T/empty.conf run_rc 125 "$BIN" slots "$T/s.yaml" --slurm --lock-dir "$L"
        grep -q 'submitting to Slurm stopped' "$T/err" || fail "no llcslice error for a failed sbatch: $(cat "$T/err")"
        # llcslice follows the jobs to their end: 'never' (held by Slurm with reason
        # DependencyNeverSatisfied) is cancelled and skipped, nothing lingers in the queue.
        set +e
        LLCSLICE=$BIN timeout 480 "$BIN" slots "$T/s.yaml" --slurm --json --lock-dir "$L" \
            >"$T/slurm.json" 2>"$T/submit.out"
        rc=$?
        set -e
        [[ $rc -eq 1 ]] || slurm_fail "slots --slurm exited $rc, want 1 (bad failed): $(cat "$T/submit.out" "$T/slurm.json")"
        grep -q '^never: Slurm job [0-9]*$' "$T/submit.out" || fail "no job id for 'never' in: $(cat "$T/submit.out")"
        grep -q '^NODE\|  NODE  ' "$T/submit.out" || fail "no NODE column in the summary: $(cat "$T/submit.out")"
        [[ -z $(squeue -h) ]] || fail "jobs left in the queue after slots --slurm: $(squeue)"
        [[ $(wc -l <"$T/second.out") -eq 2 ]] || fail "second ran $(wc -l <"$T/second.out") times, want 2"
        [[ ! -e $T/never.out ]] || fail "'never' ran although 'bad' failed"
        grep -q '^first on [0-9]' "$T"/slogs/first.*.log || fail "first's log: $(cat "$T"/slogs/first.*.log)"
        jq -e '[.jobs[] | select(.state != "skipped") | .node | strings] | length == 3' "$T/slurm.json" >/dev/null ||
            fail "not every job that ran names its node: $(cat "$T/slurm.json")"
        jq -e '[.jobs[] | select(.state == "skipped") | .node] == [null]' "$T/slurm.json" >/dev/null ||
            fail "the skipped job names a node: $(cat "$T/slurm.json")"
        # The same file run locally gives the same states, exit codes, runs and reasons.
        rm -f "$T/second.out"
        set +e
        "$BIN" slots "$T/s.yaml" --json --lock-dir "$L" --log-dir "$T/llogs" >"$T/local.json" 2>"$T/local.err"
        rc=$?
        set -e
        [[ $rc -eq 1 ]] || fail "the local run exited $rc, want 1: $(cat "$T/local.err")"
        pick='[.exit_code, [.jobs[] | {name, state, exit_code, runs, reason}]]'
        [[ $(jq -c "$pick" "$T/slurm.json") == "$(jq -c "$pick" "$T/local.json")" ]] ||
            fail "Slurm's summary $(jq -c "$pick" "$T/slurm.json") differs from the local $(jq -c "$pick" "$T/local.json")"
        ok "$mode: slots --slurm runs the jobs through sbatch (repeats and after: as dependencies), follows them to the end (the failed job's follower cancelled, skipped) and its summary matches a local run's"
    fi

    if [[ $mode == cgroup ]]; then
        step_cg=$(cat "$T/$mode-c1.step.cg")
        job_cg=$(cat "$T/$mode-c1.job.cg")
        [[ $step_cg == */step_* ]] || fail "task/cgroup did not put the step in a step cgroup: '$step_cg'"
        [[ $(dirname "$job_cg") == "$step_cg" && $(basename "$job_cg") == llcslice-* ]] ||
            fail "the job group $job_cg is not directly under the step's cgroup $step_cg"
        [[ ! -d $MNT$job_cg ]] || fail "the job group $MNT$job_cg is still there after the step"
        for _ in $(seq 600); do [[ -d $MNT$step_cg ]] || break; sleep 0.5; done
        [[ ! -d $MNT$step_cg ]] || slurm_fail "Slurm could not remove the step cgroup $MNT$step_cg in 300 s"
        ok "$mode: the job group nested under the step's cgroup ($step_cg) and is gone with the step"

        # scancel: Slurm signals the step (SIGTERM, SIGKILL after KillWait); the supervisor ends
        # its job and removes the group, so the step's cgroup can go too.
        truncate_files "$T/cancel.out"
        srun -c1 sh -c "exec \"\$1\" run --lock-dir \"\$2\" --cpus 1 -- sh -c 'grep -E \"^[0-9]+:([^:]*,)?cpuset(,[^:]*)?:\" /proc/self/cgroup | cut -d: -f3 >\"\$0\"; exec sleep 600' \"\$3\"" \
            _ "$BIN" "$L" "$T/cancel.cg" >"$T/cancel.out" 2>&1 &
        cancel=$!
        PIDS+=($cancel)
        for _ in $(seq 1200); do [[ -s $T/cancel.cg ]] && break; sleep 0.1; done
        [[ -s $T/cancel.cg ]] || slurm_fail "the step to cancel did not start its job in 120 s: $(cat "$T/cancel.out")"
        job_cg=$(cat "$T/cancel.cg")
        jobid=$(squeue -h -o %i | head -1)
        [[ -n $jobid ]] || slurm_fail "squeue shows no job for the running step"
        scancel "$jobid"
        wait "$cancel" || true
        for _ in $(seq 600); do [[ -d $MNT$job_cg || -d $(dirname "$MNT$job_cg") ]] || break; sleep 0.5; done
        [[ ! -d $MNT$job_cg ]] || fail "the job group $MNT$job_cg outlived the cancelled step"
        [[ ! -d $(dirname "$MNT$job_cg") ]] || slurm_fail "the cancelled step's cgroup $(dirname "$MNT$job_cg") is still there after 300 s"
        ok "$mode: scancel ends the job and its group goes with the step"
    fi
    no_locks_held
    slurm_stop
done
echo "1..$n"

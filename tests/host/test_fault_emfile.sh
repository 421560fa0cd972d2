#!/usr/bin/env bash
# Out of file descriptors (prlimit --nofile=N, N from 4 up): every command either works or
# fails with one clear line (exit 125, or 127 when the loader itself cannot open a library),
# never crashes, never leaves a lock held, and never falls back to an unconfined job. A sweep
# (alone or at the start of a run) that cannot read /proc must not take a live job's cgroup.
source "$(dirname "$0")/run_lib.sh"
source "$(dirname "$0")/fault_lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: prlimit not installed"; exit 0; }
# valgrind needs descriptors of its own (and the wrapper a shell): the ASan pass covers these
# error paths for leaks instead.
[[ ${LLCSLICE_VALGRIND:-} == 1 ]] && { echo "SKIP: under the valgrind wrapper"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
FIX64=${FIX:+$FIX/64amd64-4s2n4ca2co}
MARK=6666.$$

# try N ARGS...: llcslice ARGS with at most N open fds; sets RC.
try() {
    local n=$1
    shift
    set +e
    prlimit --nofile="$n" -- "$BIN" "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    ((RC < 128)) || fail "nofile=$n llcslice $*: crashed (exit $RC): $(cat "$T/err")"
    if ((RC != 0)); then
        [[ $RC -eq 125 || $RC -eq 127 ]] || fail "nofile=$n llcslice $*: exit $RC: $(cat "$T/err")"
        grep -qiE "too many open files|error 24" "$T/err" ||
            fail "nofile=$n llcslice $*: exit $RC without saying why: $(cat "$T/err")"
        grep -q "Falling back to sched_setaffinity" "$T/err" &&
            fail "nofile=$n: fd exhaustion made run fall back to an unconfined job: $(cat "$T/err")"
    fi
    return 0
}

cmds=("topo" "topo --json" "locks --lock-dir $L --json" "plan --lock-dir $L --cpus 1 --json"
    "run --lock-dir $L --cpus 1 -- true" "run --lock-dir $L --mode dedicated --cpus 2 -- true"
    "run --lock-dir $L --mode exclusive --cpus 1 -- true"
    "slots $LLCSLICE_SRC/configs/examples/kernel-builds.yaml --check")
[[ -n $FIX64 ]] && cmds+=("topo --fsroot $FIX64 --json"
    "run --lock-dir $L --fsroot $FIX64 --mode dedicated --cpus 40 -- true")
declare -A worked
for lim in 4 5 6 7 8 10 12 16 24 32 64; do
    for c in "${cmds[@]}"; do
        # shellcheck disable=SC2086
        try "$lim" $c
        ((RC == 0)) && worked[$c]=$lim
        no_locks_held
    done
done
for c in "${cmds[@]}"; do
    [[ -n ${worked[$c]:-} ]] || fail "llcslice $c never worked even with 64 fds"
done
ok "${#cmds[@]} commands x 11 fd limits (4..64): each worked or failed with one clear line; no lock left"
grep -q "ulimit -n" < <(prlimit --nofile=12 -- "$BIN" run --lock-dir "$L" --fsroot "${FIX64:-/}" \
    --mode dedicated --cpus 40 -- true 2>&1 </dev/null || true) ||
    [[ -z $FIX64 ]] || fail "the lockfile EMFILE error does not say to raise ulimit -n"
ok "running out of fds while opening lockfiles says to raise ulimit -n"

# A live job with a cgroup, then sweeps and runs starved of fds: the job and its group survive.
if cgroup_usable; then
    truncate_files "$T/job.err" "$T/job.out"
    "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c "touch $T/started; exec sleep $MARK" \
        >"$T/job.out" 2>"$T/job.err" &
    JOB=$!
    PIDS+=($JOB)
    wait_until '[[ -e $T/started ]] || ! kill -0 $JOB 2>/dev/null'
    group=$(groups_of "$JOB")
    [[ -n $group ]] || fail "the live job has no cgroup"
    for lim in 4 5 6 7 8 10 12; do
        try "$lim" sweep
        try "$lim" run --lock-dir "$L" --allowed-cpus 1 --cpus 1 -- true
        [[ -d $group ]] || fail "nofile=$lim: a starved sweep removed the live job's group $group"
        [[ $(count_sleepers "$MARK") -eq 1 ]] || fail "nofile=$lim: a starved sweep killed the live job"
    done
    kill -TERM "$JOB"
    wait "$JOB" 2>/dev/null || true
    [[ ! -d $group ]] || fail "the job's own group outlived it"
    ok "sweeps and runs starved of fds left the live job and its group $(basename "$group") alone"
else
    echo "ok - SKIP live-group sweep check (no usable cgroup)"
fi

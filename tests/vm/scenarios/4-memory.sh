# Scenario 4: --memory-max is enforced. A job within the limit runs; a job allocating past it is
# OOM-killed inside its group, the supervisor reports it (128+9 and a message) and cleans up
# (group removed, locks released).
. /vm/lib.sh
scenario_begin 4-memory

# within the limit: 4 MiB in a shell variable under a 32 MiB cap
ls_run ok run -v --cpus 2 --memory-max 32M -- sh -c "$(job ok); x=\$(head -c 4194304 /dev/zero | tr '\0' x); echo len=\${#x}"
[ "$RC" = 0 ] || fail "a job using 4 MiB under --memory-max 32M exited $RC: $(err_of ok)"
check_job ok 2
[ "$(kv ok memory_max)" = 33554432 ] || fail "job under --memory-max 32M sees memory.max '$(kv ok memory_max)', want 33554432"
grep -q '^len=4194304$' "$W/ok.out" || fail "the job within the limit did not finish its allocation: $(head -c 200 "$W/ok.out")"
[ -d "$CG$(kv ok cgroup)" ] && fail "the job's group $(kv ok cgroup) was left behind"
# -v: what it cost, peak memory from the group's memory.peak (cgroup v2)
grep -q "exit 0 after .* wall, .* CPU .*, peak memory .* (cgroup memory.peak), no OOM kill" "$W/ok.err" ||
    fail "run -v did not report the cost from memory.peak: $(err_of ok)"

# past the limit: up to 128 MiB in a shell variable under a 32 MiB cap
ls_run hog run -v --cpus 2 --memory-max 32M -- sh -c "$(job hog); x=\$(head -c 134217728 /dev/zero | tr '\0' x); echo survived"
[ -s "$W/hog.job" ] || fail "the memory hog's job did not start (exit $RC): $(err_of hog)"
[ "$(kv hog memory_max)" = 33554432 ] || fail "memory hog sees memory.max '$(kv hog memory_max)', want 33554432"
grep -q survived "$W/hog.out" && fail "a job allocating 128 MiB under --memory-max 32M survived"
[ "$RC" = 137 ] || fail "the OOM-killed job's supervisor exited $RC, want 137 (128+SIGKILL): $(err_of hog)"
grep -Eiq 'oom|out of memory|memory\.max|memory limit' "$W/hog.err" ||
    fail "the supervisor did not report the OOM kill on stderr: $(err_of hog)"
[ -d "$CG$(kv hog cgroup)" ] && fail "the OOM-killed job's group $(kv hog cgroup) was left behind"
grep -Eq "exit 137 after .*, [1-9][0-9]* OOM kills?$" "$W/hog.err" ||
    fail "run -v did not count the OOM kill: $(err_of hog)"
held=$(held_lockfiles "$LOCKS")
[ -z "$held" ] || fail "locks still held after the OOM-killed run: $held"
pass "memory.max=33554432 seen by the job; 4 MiB ran; 128 MiB OOM-killed, supervisor exit 137: $(grep -Eio '[^ ]*(oom|out of memory)[^.]*' "$W/hog.err" | head -n 1 | cut -c1-100)"

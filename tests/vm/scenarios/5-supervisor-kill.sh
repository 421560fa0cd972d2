# Scenario 5: SIGKILL to a supervisor. Its job must not keep running on CPUs nobody holds: the
# job dies, every lock is free, and `llcslice sweep` removes the group it left.
. /vm/lib.sh
scenario_begin 5-supervisor-kill
skip_unless_implemented run sweep

ls_bg sup run --cpus 2 -- $(held_job k k.never)
sup=$PID
wait_job k 60
check_job k 2
jobpid=$(kv k pid) group=$(kv k cgroup)
[ -n "$(held_lockfiles "$LOCKS")" ] || fail "no lockfile held while the run is alive (lock dir $LOCKS)"

t=$(now)
kill -KILL "$sup"
ls_wait sup
n=0
while alive "$jobpid"; do
    [ $n -ge 100 ] && fail "job $jobpid still runs (in $group) 10 s after its supervisor was SIGKILLed: on CPUs nobody holds"
    sleep 0.1
    n=$((n + 1))
done
died=$(since "$t")
if [ -d "$CG$group" ] && [ -n "$(cat "$CG$group/cgroup.procs" 2>/dev/null)" ]; then
    fail "group $group still holds processes $(cat "$CG$group/cgroup.procs" | tr '\n' ' ') after its supervisor died"
fi
held=$(held_lockfiles "$LOCKS")
[ -z "$held" ] || fail "locks still held after the supervisor was SIGKILLed: $held"
for f in "$LOCKS"/*.lock; do
    flock -n -x "$f" true || fail "cannot take $f exclusively after the supervisor died"
done

left=gone
[ -d "$CG$group" ] && left=present
ls_run sweep sweep
[ "$RC" = 0 ] || fail "llcslice sweep exited $RC: $(err_of sweep)"
[ -d "$CG$group" ] && fail "llcslice sweep left the dead supervisor's group $group"
pass "job died ${died} s after SIGKILL to its supervisor; locks free; group $group $left before sweep, removed by it"

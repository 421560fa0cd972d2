# Scenario 5: SIGKILL to a supervisor. Its job must not keep running on CPUs nobody holds: the
# job dies, every lock is free, and `llcslice sweep` removes the group it left.
. /vm/lib.sh
scenario_begin 5-supervisor-kill

ls_bg sup run --cpus 2 -- $(held_job k k.never)
sup=$PID
wait_job k 60
check_job k 2
group=$(kv k cgroup)
# The job runs in a pid namespace (its $$ is 2 there): its host pids are its group's processes.
jobpids=$(cat "$CG$group/cgroup.procs" 2>/dev/null | tr '\n' ' ')
[ -n "$jobpids" ] || fail "the job's group $group lists no process while the job holds"
[ -n "$(held_lockfiles "$LOCKS")" ] || fail "no lockfile held while the run is alive (lock dir $LOCKS)"

t=$(now)
kill -KILL "$sup"
ls_wait sup
n=0
while :; do
    left=""
    for p in $jobpids; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && break
    [ $n -ge 100 ] && fail "job processes$left (of $group) still run 10 s after their supervisor was SIGKILLed: on CPUs nobody holds"
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
pass "job (host pids$(echo " $jobpids" | sed 's/ *$//')) died ${died} s after SIGKILL to its supervisor; locks free; group $group $left before sweep, removed by it"

# Scenario 5: SIGKILL to a supervisor. Its job must not keep running on CPUs nobody holds: the
# job dies, every lock is free, and `llcslice sweep` removes the group it left. Then a job that
# ignores SIGTERM (so it outlives its supervisor by --kill-after): while anything is in its
# group (cgroup.events populated 1) or any of its processes lives, its locks stay held (the
# lock keeper); once all are gone they are released.
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
# the lock keeper releases once the group is empty: a moment after
n=0
while held=$(held_lockfiles "$LOCKS") && [ -n "$held" ]; do
    [ $n -ge 100 ] && fail "locks still held 10 s after the job was gone: $held"
    sleep 0.1
    n=$((n + 1))
done
for f in "$LOCKS"/*.lock; do
    flock -n -x "$f" true || fail "cannot take $f exclusively after the supervisor died"
done

left=gone
[ -d "$CG$group" ] && left=present
ls_run sweep sweep
[ "$RC" = 0 ] || fail "llcslice sweep exited $RC: $(err_of sweep)"
[ -d "$CG$group" ] && fail "llcslice sweep left the dead supervisor's group $group"
first="job (host pids$(echo " $jobpids" | sed 's/ *$//')) died ${died} s after SIGKILL to its supervisor; locks free; group $group $left before sweep, removed by it"

# --- a SIGTERM-ignoring job outlives its SIGKILLed supervisor by --kill-after: held meanwhile
ls_bg sup2 run --cpus 2 --kill-after 3s -- sh -c "trap '' TERM; exec $(held_job k2 k2.never)"
sup2=$PID
wait_job k2 60
group2=$(kv k2 cgroup)
jobpids2=$(cat "$CG$group2/cgroup.procs" 2>/dev/null | tr '\n' ' ')
kill -KILL "$sup2"
ls_wait sup2
n=0 checks=0
while :; do
    # locks first: released before this look while something is still there = a violation
    held=$(held_lockfiles "$LOCKS")
    left=""
    for p in $jobpids2; do alive "$p" && left="$left $p"; done
    grep -q "populated 1" "$CG$group2/cgroup.events" 2>/dev/null && left="$left (group populated)"
    if [ -n "$left" ]; then
        [ -n "$held" ] || fail "locks released while the job still ran:$left"
        checks=$((checks + 1))
    elif [ -z "$held" ]; then
        break
    fi
    [ $n -ge 600 ] && fail "after 60 s: job$left, locks held: $held"
    sleep 0.1
    n=$((n + 1))
done
[ $checks -gt 0 ] || fail "the SIGTERM-ignoring job was gone at once: it should have lived for --kill-after"
ls_run sweep2 sweep
pass "$first; a SIGTERM-ignoring job outlived its SIGKILLed supervisor (${checks} looks while it ran, locks held at each); released once its group was empty"

# Scenario 1b: cgroup v2 from a non-root cgroup that also holds other processes, as on a CI
# runner whose service cgroup holds the runner daemon and the job shell. Three supervisors
# started at once by such a "daemon" all succeed: every process of the cgroup moves into
# <cg>/llcslice-procs (llcslice says so), cpuset and memory are handed down, and the job groups
# sit beside the leaf. A later run there moves nothing. A threaded parent is refused with a
# clear error. Sweep keeps the leaf while it holds processes and removes it once empty.
. /vm/lib.sh
scenario_begin 1b-procs-leaf

R=$CG/vm-runner-$$ T=$CG/vm-threaded-$$
mkdir "$R" || fail "cannot create $R"
# the "runner daemon": two idle helpers, then three llcslice runs forked at once
cat >"$W/daemon.sh" <<SH
echo \$\$ >$R/cgroup.procs || exit 9
sleep 1000 & echo \$! >$W/idle1
sleep 1000 & echo \$! >$W/idle2
for i in 1 2 3; do
    (llcslice run --cpus 1 --memory-max 64M -- /vm/probe.sh $W/c\$i.job $W/release >$W/c\$i.out 2>$W/c\$i.err
     echo \$? >$W/c\$i.rc) &
    echo \$! >$W/c\$i.pid
done
wait
SH
sh "$W/daemon.sh" &
BG_PIDS="$BG_PIDS $!"
daemon=$!
for i in 1 2 3; do wait_file "$W/c$i.pid" 30 || fail "the daemon did not start run c$i"; done
for i in 1 2 3; do BG_PIDS="$BG_PIDS $(cat "$W/c$i.pid")"; done
for i in 1 2 3; do wait_job c$i 60; done
BG_PIDS="$BG_PIDS $(cat "$W/idle1") $(cat "$W/idle2")"

rel=${R#$CG}
RUN_CGROUP=$rel
for i in 1 2 3; do
    check_job c$i 1
    [ "$(dirname "$(kv c$i cgroup)")" = "$rel" ] || fail "job c$i runs in $(kv c$i cgroup), not in a child of $rel"
    [ "$(kv c$i memory_max)" = 67108864 ] || fail "job c$i sees memory.max '$(kv c$i memory_max)', want 67108864"
    grep -q "no usable cgroup" "$W/c$i.err" && fail "run c$i fell back to affinity: $(err_of c$i)"
done
[ -z "$(cat "$R/cgroup.procs")" ] || fail "$rel still holds processes: $(cat "$R/cgroup.procs" | tr '\n' ' ')"
for p in $daemon $(cat "$W/idle1") $(cat "$W/idle2"); do
    grep -qx "0::$rel/llcslice-procs" /proc/$p/cgroup || fail "process $p is in $(cat /proc/$p/cgroup), not in $rel/llcslice-procs"
done
sc=$(cat "$R/cgroup.subtree_control")
echo " $sc " | grep -q " cpuset " && echo " $sc " | grep -q " memory " || fail "$rel hands down '$sc', want cpuset and memory"
[ "$(cat "$R/cgroup.type")" = domain ] || fail "$rel has cgroup.type $(cat "$R/cgroup.type")"
notice="moved [0-9]+ process(es)? of $R into $R/llcslice-procs so controllers can be enabled for job groups \(cgroup v2 no-internal-processes rule\)"
# the supervisors take turns: the first one moves everything and says so, the others find
# nothing left to move
nn=$(cat "$W"/c?.err | grep -Ec "^llcslice: $notice$")
[ "$nn" = 1 ] || fail "$nn runs printed the notice about moving the processes of $rel, want exactly 1: $(cat "$W"/c?.err | tr '\n' ' ' | cut -c1-300)"
moved=$(cat "$W"/c?.err | sed -n 's/^llcslice: moved \([0-9]*\) process.*/\1/p')
[ "$moved" -ge 4 ] || fail "the first run moved $moved processes; the daemon, its two helpers and that run itself were there"

# a later run from the leaf: nothing to move, no notice
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$R/llcslice-procs" \
    llcslice run --cpus 1 -- $(job c4) >"$W/c4.out" 2>"$W/c4.err"
[ $? = 0 ] || fail "a run from $rel/llcslice-procs failed: $(err_of c4)"
[ "$(dirname "$(kv c4 cgroup)")" = "$rel" ] || fail "the later run's job ran in $(kv c4 cgroup), not beside the leaf in $rel"
grep -q "moved" "$W/c4.err" && fail "the later run moved processes again: $(err_of c4)"

# the sweep keeps the populated leaf
ls_run sweep1 sweep --json
[ "$RC" = 0 ] || fail "llcslice sweep exited $RC: $(err_of sweep1)"
[ -d "$R/llcslice-procs" ] || fail "llcslice sweep removed $rel/llcslice-procs while it holds processes"

# a threaded parent: refused, saying why
mkdir "$T" "$T/t" && echo threaded >"$T/t/cgroup.type" || fail "cannot make the threaded group $T/t"
ls_run thr run --cpus 1 --cgroup-parent "$T/t" -- $(job thr)
[ "$RC" = 64 ] || fail "run --cgroup-parent $T/t (threaded) exited $RC, want 64: $(err_of thr)"
grep -q "cgroup.type 'threaded'" "$W/thr.err" || fail "the refusal of a threaded parent does not name its type: $(err_of thr)"
[ -e "$W/thr.job" ] && fail "run --cgroup-parent $T/t ran its job"
rmdir "$T/t" "$T"

# release the jobs; groups go with them; with its processes gone the leaf goes at the next sweep
touch "$W/release"
for i in 1 2 3; do
    n=0
    while kill -0 "$(cat "$W/c$i.pid")" 2>/dev/null; do
        [ $n -ge 300 ] && fail "run c$i did not end after its job was released"
        sleep 0.1
        n=$((n + 1))
    done
    [ "$(cat "$W/c$i.rc" 2>/dev/null)" = 0 ] || fail "run c$i exited $(cat "$W/c$i.rc" 2>/dev/null): $(err_of c$i)"
    [ -d "$CG$(kv c$i cgroup)" ] && fail "run c$i left its group $(kv c$i cgroup) behind"
done
scenario_cleanup
n=0
while [ -n "$(cat "$R/llcslice-procs/cgroup.procs")" ]; do
    [ $n -ge 50 ] && fail "$rel/llcslice-procs still holds $(cat "$R/llcslice-procs/cgroup.procs" | tr '\n' ' ')"
    sleep 0.1
    n=$((n + 1))
done
ls_run sweep2 sweep --json
[ "$RC" = 0 ] || fail "llcslice sweep exited $RC: $(err_of sweep2)"
[ -d "$R/llcslice-procs" ] && fail "llcslice sweep left the empty $rel/llcslice-procs"
jq -e --arg p "$R/llcslice-procs" '.removed | map(.path) | index($p)' "$W/sweep2.out" >/dev/null ||
    fail "llcslice sweep --json does not list $R/llcslice-procs as removed: $(head -c 300 "$W/sweep2.out")"
rmdir "$R" || fail "cannot remove $R: $(ls "$R" | grep -v '\.' | tr '\n' ' ')"
pass "3 concurrent runs from $rel (daemon + 2 helpers): all in job groups beside $rel/llcslice-procs, the first moved $moved processes (one notice), cpuset+memory handed down; later run moved none; threaded parent refused (64); empty leaf swept"

# Scenario 6 (the init runs it last): after every scenario no llcslice cgroup is left (every
# cgroup that exists now existed before the first scenario) and no lockfile any scenario used
# is held.
. /vm/lib.sh
scenario_begin 6-leftovers

# A new group is a leftover unless it is the llcslice-procs leaf holding the guest's init (pid 1,
# the test shell's parent): a supervisor moved the processes of its non-root parent there to
# obey cgroup v2's no-internal-processes rule; that leaf lives as long as they do.
find $CG -type d | sort >"$W/cgroups.after"
extra="" leaf=""
for g in $(grep -vxF -f $VM_RUN/cgroups.before "$W/cgroups.after"); do
    if [ "${g##*/}" = llcslice-procs ] && grep -qx 1 "$g/cgroup.procs" 2>/dev/null; then
        leaf="$leaf ${g#$CG}"
    else
        procs=$(for p in $(cat "$g/cgroup.procs"); do
            echo "$p:$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$p/status):$(tr '\0' ' ' </proc/$p/cmdline | cut -c1-40)"
        done | tr '\n' ',')
        extra="$extra ${g#$CG}[${procs%,}]"
    fi
done
[ -z "$extra" ] || fail "cgroups left behind:$extra"

nfiles=0 held=""
for d in $VM_LOCK_ROOT/*/; do
    [ -d "$d" ] || continue
    nfiles=$((nfiles + $(ls "$d" | grep -c '\.lock$')))
    h=$(held_lockfiles "$d")
    [ -n "$h" ] && held="$held ${d#$VM_LOCK_ROOT/}$h"
done
[ -z "$held" ] || fail "lockfiles still held:$held"
# nobody may even wait on one
if grep -q -- '->' /proc/locks; then fail "blocked lock waiters remain: $(grep -- '->' /proc/locks | tr '\n' ' ')"; fi

# and llcslice itself agrees
for d in $VM_LOCK_ROOT/*/; do
    [ -d "$d" ] || continue
    ls_run locks locks --json --lock-dir "$d"
    [ "$RC" = 0 ] || fail "llcslice locks --json --lock-dir $d exited $RC: $(err_of locks)"
    n=$(jq '[.llcs[], .cpus[] | .holders[]] | length' "$W/locks.out") || fail "llcslice locks --json: unexpected JSON"
    [ "$n" = 0 ] || fail "llcslice locks sees $n holders in $d"
done
how="/proc/locks and llcslice locks --json"
[ -n "$leaf" ] && leaf="; the init now lives in$leaf"
pass "no cgroup left$leaf; $nfiles lockfiles in $(ls -d $VM_LOCK_ROOT/*/ 2>/dev/null | wc -l) lock dirs, none held ($how)"

# Scenario 6 (runs last): after every scenario no llcslice cgroup is left (every cgroup that
# exists now existed before the first scenario) and no lockfile any scenario used is held.
. /vm/lib.sh
scenario_begin 6-leftovers

find $CG -type d | sort >"$W/cgroups.after"
extra=$(grep -vxF -f $VM_RUN/cgroups.before "$W/cgroups.after" | sed "s|^$CG||" | tr '\n' ' ')
[ -z "$extra" ] || fail "cgroups left behind: $extra"

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

# and llcslice itself agrees, once `locks` has landed
how="/proc/locks"
if ! llcslice locks --help 2>&1 | grep -q "not implemented yet"; then
    for d in $VM_LOCK_ROOT/*/; do
        [ -d "$d" ] || continue
        ls_run locks locks --json --lock-dir "$d"
        [ "$RC" = 0 ] || fail "llcslice locks --json --lock-dir $d exited $RC: $(err_of locks)"
        n=$(jq '[.llcs[], .cpus[] | .holders[]] | length' "$W/locks.out") || fail "llcslice locks --json: unexpected JSON"
        [ "$n" = 0 ] || fail "llcslice locks sees $n holders in $d"
    done
    how="/proc/locks and llcslice locks --json"
fi
pass "no cgroup left; $nfiles lockfiles in $(ls -d $VM_LOCK_ROOT/*/ 2>/dev/null | wc -l) lock dirs, none held ($how)"

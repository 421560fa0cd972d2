#!/bin/bash
# Unprivileged callers, started inside their user manager (as a terminal of a desktop session
# is): tester has Debian's default user@.service delegation (no cpuset): llcslice says so and
# how to fix it, then falls back to sched_setaffinity (an error under --strict); tester2 has a
# drop-in delegating cpuset: the job gets a scope of the user manager.
SC=user
. /vm/sd/lib.sh
locks=/run/vmt/ulocks
mkdir -p -m 1777 "$locks"
as() {
    local u=$1 id
    shift
    id=$(id -u "$u")
    runuser -u "$u" -- env XDG_RUNTIME_DIR=/run/user/$id \
        systemd-run --user --quiet --wait --pipe --collect "$@"
}
for id in 1000 1001; do
    wait_for 300 test -S /run/user/$id/bus || fail "no user bus for uid $id after 300 s"
done
out=$(as tester llcslice run --lock-dir "$locks" --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "no cpuset delegated: exit $rc, the fix named, affinity fallback on the planned CPUs" \
    eval '[[ $rc == 0 && $out == *"Delegate=cpu cpuset io memory pids"* && $out == *sched_setaffinity* ]] && [[ $(awk "\$1 == \"Cpus_allowed_list:\" { print \$2 }" <<<"$out") == $(awk "\$1 == \"PLAN\" { print \$2 }" <<<"$out") ]]'
out=$(as tester llcslice run --strict --lock-dir "$locks" --cpus 2 -- true 2>&1)
rc=$?
echo "  $out"
ok "no cpuset delegated, --strict: exit 125" test "$rc" = 125

out=$(as tester2 llcslice run --lock-dir "$locks" --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "cpuset delegated: exit $rc, a scope of the user manager" \
    probe_ok "$out" "/user.slice/user-1001.slice/user@1001.service/llcslice.slice/llcslice-sh-*.scope"

# From outside the user manager's tree (as from an ssh session): the manager may not move the
# job, so llcslice says how to start it instead, and falls back.
out=$(runuser -u tester2 -- env XDG_RUNTIME_DIR=/run/user/1001 \
    llcslice run --lock-dir "$locks" --cpus 2 -- sh -c "$PROBE" 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "outside the user manager's tree: exit $rc, says 'systemd-run --user', affinity fallback" \
    eval '[[ $rc == 0 && $out == *"outside your user manager"* && $out == *"systemd-run --user"* && $out == *sched_setaffinity* ]]'
exit 0

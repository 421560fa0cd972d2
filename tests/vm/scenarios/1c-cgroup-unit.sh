# Scenario 1c: the cgroup unit tests (tests/unit/test_cgroup*.c, built for the host) on this
# guest's cgroup2-only kernel, where their v2 cases run: the shared llcslice-procs leaf with a
# neighbour process, concurrent supervisors emptying one parent, memory.max, sweep. They run from
# a fresh non-root cgroup of their own and clean up after themselves.
. /vm/lib.sh
scenario_begin 1c-cgroup-unit

[ -x /vm/bin/test_cgroup ] || skip "the initramfs has no /vm/bin/test_cgroup (LLCSLICE_BUILD without the unit tests)"
U=$CG/vm-unit-$$
mkdir "$U" || fail "cannot create $U"
summary=""
for t in test_cgroup_detect test_cgroup; do
    [ -x /vm/bin/$t ] || continue
    sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$U" /vm/bin/$t >"$W/$t.out" 2>&1
    rc=$?
    grep -E '^\[ *(FAILED|SKIPPED|PASSED) *\]' "$W/$t.out" | sed "s/^/# $t: /"
    if [ $rc != 0 ]; then
        # each failed test's own output, from its RUN line to its FAILED line
        for f in $(sed -n 's/^\[  FAILED  \] \(test_[a-z0-9_]*\)$/\1/p' "$W/$t.out" | sort -u); do
            sed -n "/^\[ RUN      \] $f\$/,/^\[  FAILED  \] $f\$/p" "$W/$t.out" | sed "s/^/# $t: /"
        done
        fail "$t exited $rc: $(grep -E '^\[  FAILED  \] test_' "$W/$t.out" | sort -u | tr '\n' ' ')"
    fi
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$W/$t.out")
    skipped=$(grep -c '^\[  SKIPPED \] test_' "$W/$t.out")
    summary="$summary $t: $passed passed, $skipped skipped;"
done
# on v2 every cgroup test applies: a skip here means the tests did not see what they need
grep '^\[  SKIPPED \] test_' "$W/test_cgroup.out" >"$W/skipped"
[ -s "$W/skipped" ] && fail "test_cgroup skipped on cgroup v2: $(tr '\n' ' ' <"$W/skipped")"
# what the tests made is gone (a leaf may hold nothing now: the sweep in the tests removed it)
leftover=$(find "$U" -mindepth 1 -type d | grep -v "^$U/llcslice-procs$")
[ -z "$leftover" ] || fail "the unit tests left groups behind: $leftover"
rmdir "$U/llcslice-procs" 2>/dev/null
rmdir "$U" || fail "cannot remove $U"
summary=${summary# }
pass "${summary%;}"

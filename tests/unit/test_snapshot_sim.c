/* Snapshots without /proc/locks (slots --dry-run): an idle host, then plans counted as held,
 * so what is planned next goes around them exactly as around real holders. */
#include "plan_testlib.h"

static void test_idle_then_held(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4); /* 4 LLCs of 4 CPUs, one node */
    struct ls_snapshot s;
    struct ls_error err = {0};
    assert_int_equal(ls_snapshot_idle(&t, &s, &err), 0);
    assert_int_equal(s.nllcs, 4);

    /* dedicated: its CPUs held exclusively, its LLC shared */
    struct ls_request d = req_make(LS_MODE_DEDICATED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &d, &p);
    assert_set(&p.cpus, "0-1");
    assert_int_equal(ls_snapshot_hold(&s, &p, &err), 0);
    ls_plan_free(&p);
    assert_set(&s.cpu_held, "0-1");
    assert_int_equal(s.llc_shared[0], 1);

    /* the next dedicated plan packs beside it, never onto its CPUs */
    plan_ok(&t, NULL, &s, &d, &p);
    assert_set(&p.cpus, "2-3");
    assert_int_equal(ls_snapshot_hold(&s, &p, &err), 0);
    ls_plan_free(&p);

    /* exclusive: a whole LLC nobody holds, then counted as an exclusive holder */
    struct ls_request x = req_make(LS_MODE_EXCLUSIVE, 4);
    plan_ok(&t, NULL, &s, &x, &p);
    assert_llcs(&p, "1");
    assert_int_equal(ls_snapshot_hold(&s, &p, &err), 0);
    ls_plan_free(&p);
    assert_int_equal(s.llc_exclusive[1], 1);

    /* shared mode may share LLC 0 with the dedicated plans, never LLC 1: 12 CPUs fit, 13
     * are busy */
    struct ls_request sh = req_make(LS_MODE_SHARED, 12);
    plan_ok(&t, NULL, &s, &sh, &p);
    assert_llcs(&p, "0,2,3");
    ls_plan_free(&p);
    sh.cpus = 13;
    plan_fails(&t, NULL, &s, &sh, LS_ERR_BUSY, &err);
    ls_snapshot_free(&s);

    /* an idle snapshot plans as no snapshot at all */
    assert_int_equal(ls_snapshot_idle(&t, &s, &err), 0);
    plan_ok(&t, NULL, &s, &sh, &p);
    struct ls_plan q;
    plan_ok(&t, NULL, NULL, &sh, &q);
    assert_true(ls_cpuset_equal(&p.cpus, &q.cpus));
    ls_plan_free(&p);
    ls_plan_free(&q);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_idle_then_held)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Whole cores (SMT siblings) in every mode, --smt full-cores, and mems of memoryless nodes:
 * departures from the seed, each with its own test (DESIGN.md "Placement"). */
#include "plan_testlib.h"

static void siblings(struct ls_topology *t, const char *const *cores, size_t n)
{
    struct ls_error err = {0};
    if (ls_topology_set_siblings(t, cores, n, &err) < 0)
        fail_msg("siblings: %s", err.msg);
}

/* One LLC of 8 CPUs whose siblings are i and i+4 (how x86 numbers them). */
static void smt8(struct ls_topology *t)
{
    topo_uniform(t, 1, 8, 1);
    const char *cores[] = {"0,4", "1,5", "2,6", "3,7"};
    siblings(t, cores, 4);
    assert_int_equal(t->max_threads, 2);
}

static void test_dedicated_whole_cores(void **state)
{
    (void)state;
    struct ls_topology t;
    smt8(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_DEDICATED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "0,4"); /* the seed took 0-1: two half cores */
    ls_plan_free(&p);
    r.cpus = 3;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "0-1,4"); /* a whole core, then one split */
    ls_plan_free(&p);
    /* Another job's dedicated CPU 0: its sibling 4 is free, but a whole free core exists. */
    assert_int_equal(ls_cpuset_add(&s.cpu_held, 0), 0);
    s.llc_shared[0] = 1;
    r.cpus = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "1");
    ls_plan_free(&p);
    r.cpus = 6; /* three whole cores, then the half core */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "1-3,5-7");
    ls_plan_free(&p);
    r.cpus = 7;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "1-7");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

static void test_shared_and_exclusive_whole_cores(void **state)
{
    (void)state;
    struct ls_topology t;
    smt8(&t);
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_set(&p.cpus, "0,4"); /* partial last LLC as whole cores */
    ls_plan_free(&p);
    ls_topology_free(&t);

    /* Exclusive whole LLCs: the partial last one as whole cores too. */
    const char *lists[] = {"0-3", "4-7"};
    int nodes[] = {0, 0};
    topo_make(&t, lists, nodes, 2);
    const char *cores[] = {"0,2", "1,3", "4,6", "5,7"};
    siblings(&t, cores, 4);
    r = req_make(LS_MODE_EXCLUSIVE, 6);
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_set(&p.cpus, "0-4,6");
    ls_plan_free(&p);
    ls_topology_free(&t);
}

/* --perf: a guest core's threads land on one host core's siblings. */
static void test_pinning_whole_cores(void **state)
{
    (void)state;
    struct ls_topology t;
    smt8(&t);
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){1, 2, 2, 1};
    r.vcpus = 4;
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    unsigned want[] = {0, 4, 1, 5};
    assert_int_equal(p.nassignments, 4);
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(p.assignments[v].host_cpu, want[v]);
    ls_plan_free(&p);
    ls_topology_free(&t);
}

static void test_full_cores(void **state)
{
    (void)state;
    struct ls_topology t;
    smt8(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_DEDICATED, 3);
    r.smt = LS_SMT_FULL_CORES;
    struct ls_error err;
    plan_fails(&t, NULL, &s, &r, LS_ERR_UNSAT, &err);
    assert_contains(err.msg, "not a whole number of this host's 2-thread cores");
    /* CPUs 0-2 dedicated elsewhere: only core {3,7} is whole. */
    for (unsigned c = 0; c < 3; c++)
        assert_int_equal(ls_cpuset_add(&s.cpu_held, c), 0);
    s.llc_shared[0] = 1;
    r.cpus = 2;
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "3,7");
    ls_plan_free(&p);
    r.cpus = 4; /* 4,5,6 are free but half cores: busy, not a split */
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "as whole cores");
    r.mode = LS_MODE_SHARED;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "--smt full-cores");
    r.smt = LS_SMT_ANY; /* any: the whole core, then half cores */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "3-5,7");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* mems: a node without memory lends its CPUs the nearest node with memory. */
static void test_memoryless_node_mems(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 3, 4, 1); /* LLC i on node i */
    set_distance(&t, 1, 0, 30);
    set_distance(&t, 1, 2, 15);
    t.nodes[1].memoryless = true;
    ls_topology_fill_mem_nodes(&t);
    assert_int_equal(t.nodes[1].mem_node, 2);
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, "4-7", NULL, &r, &p);
    assert_set(&p.cpus, "4-7");
    assert_set(&p.mems, "2");
    ls_plan_free(&p);
    r.cpus = 6;
    plan_ok(&t, "0-1,4-7", NULL, &r, &p);
    assert_set(&p.mems, "0,2");
    ls_plan_free(&p);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedicated_whole_cores),
        cmocka_unit_test(test_shared_and_exclusive_whole_cores),
        cmocka_unit_test(test_pinning_whole_cores),
        cmocka_unit_test(test_full_cores),
        cmocka_unit_test(test_memoryless_node_mems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

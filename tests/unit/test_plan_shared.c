/* Shared mode PLAN over hand-built topologies and snapshots: the seed's scenarios. */
#include "plan_testlib.h"

/* 4 LLCs x 4 CPUs on one node. */
static void flat4(struct ls_topology *t)
{
    topo_uniform(t, 4, 4, 4);
}

static void test_fresh_host_takes_lowest_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_int_equal(p.mode, LS_MODE_SHARED);
    assert_int_equal(p.target_cpus, 4);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "0-3");
    assert_set(&p.mems, "0");
    assert_int_equal(p.nwarnings, 0);
    assert_int_equal(p.service_cpu, -1);
    assert_null(p.assignments);
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Consolidation: LLCs with holders first, most holders first, then by index. */
static void test_consolidation_onto_held_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[2] = 1;
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2");
    assert_set(&p.cpus, "8-11");
    ls_plan_free(&p);

    s.llc_shared[3] = 3;
    r.cpus = 8;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3"); /* 3 (3 holders) then 2 (1), not the fresh 0 */
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Ties on holder count break by index; then fresh LLCs follow by index. */
static void test_consolidation_order_ties(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[3] = 2;
    s.llc_shared[2] = 1;
    s.llc_shared[1] = 1;
    struct ls_request r = req_make(LS_MODE_SHARED, 8);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,3"); /* 3 (2 holders), then 1 (1 holder, lower index than 2) */
    assert_set(&p.cpus, "4-7,12-15");
    ls_plan_free(&p);
    r.cpus = 13;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1,2,3"); /* 3,1,2 = 12 CPUs, then fresh 0 */
    /* Ascending take: LLCs 0,1,2 whole and the first CPU of 3. */
    assert_set(&p.cpus, "0-12");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Seed node = node of the top-ranked LLC; fill it before anything else. */
static void test_seed_node_and_greedy_fill(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 2); /* LLC 0,1 on node 0; 2,3 on node 1 */
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[2] = 1;
    struct ls_request r = req_make(LS_MODE_SHARED, 8);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3"); /* not 0: greedy fills node 1 first */
    assert_set(&p.mems, "1");
    assert_int_equal(p.nwarnings, 0);
    ls_plan_free(&p);
    /* Held LLC on node 0 wins when it has more holders. */
    s.llc_shared[0] = 2;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Spill to the nearest node by distance; unreachable (255) last; ties by node id. */
static void test_spill_by_distance(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 1); /* LLC i on node i */
    set_distance(&t, 0, 1, 255);
    set_distance(&t, 0, 2, 30);
    set_distance(&t, 0, 3, 30);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 8);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,2"); /* node 2 ties node 3 at 30: lower id */
    assert_set(&p.mems, "0,2");
    assert_int_equal(p.nwarnings, 1);
    assert_string_equal(p.warnings[0],
                        "llcslice: reserving LLCs [0 (node 0), 2 (node 2)] across 2 NUMA nodes "
                        "(no single node has 8 allowed CPUs free for this job). Job will run; "
                        "memory-access latency may be higher.");
    ls_plan_free(&p);
    set_distance(&t, 0, 3, 25);
    r.cpus = 12;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,2,3");
    ls_plan_free(&p);
    r.cpus = 16; /* everything: the unreachable node too */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1,2,3");
    ls_plan_free(&p);
    r.cpus = 13; /* greedy: 0, 3 (25), 2 (30), then unreachable 1 */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1,2,3");
    assert_set(&p.cpus, "0-12");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Unreachable nodes come last even when the anchor is another node; nodes without LLCs
 * never matter. */
static void test_unreachable_last_from_seed(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 3, 2, 1);
    set_distance(&t, 2, 0, 255);
    set_distance(&t, 2, 1, 40);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[2] = 1; /* seed on node 2 */
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,2");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Partial last LLC: exactly the budget, allowed CPUs ascending, LLCs ascending. */
static void test_partial_last_llc(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 6);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-5");
    assert_int_equal(ls_cpuset_count(&p.cpus), 6);
    ls_plan_free(&p);
    /* Picked in consolidation order 3 then 0, but taken ascending: LLC 0 whole, 3 partly. */
    s.llc_shared[3] = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,3");
    assert_set(&p.cpus, "0-3,12-13");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* mems are the home nodes of the CPUs taken, not of every locked LLC. */
static void test_mems_from_cpus_taken(void **state)
{
    (void)state;
    struct ls_topology t;
    const char *lists[] = {"0-3", "4-7"};
    const int nodes[] = {0, 0};
    topo_make(&t, lists, nodes, 2);
    /* CPUs 6-7 live on node 1 although their LLC's majority is node 0. */
    t.cpu_node[6] = 1;
    t.cpu_node[7] = 1;
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 6);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-5");
    assert_set(&p.mems, "0");
    ls_plan_free(&p);
    r.cpus = 7;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.mems, "0-1");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* A restricted allowed set cutting every LLC in half: each LLC counts for its allowed part,
 * and no disallowed CPU ever appears in the plan. */
static void test_restricted_allowed_set(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    const char *allowed = "0-1,4-5,8-9,12-13";
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, allowed, &s, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-1,4-5");
    ls_plan_free(&p);
    /* Default: 30% of the 8 allowed = 3. */
    r = req_make(LS_MODE_SHARED, 0);
    plan_ok(&t, allowed, &s, &r, &p);
    assert_int_equal(p.target_cpus, 3);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-1,4");
    ls_plan_free(&p);
    /* LLCs entirely outside the allowed set are never locked, even when held. */
    s.llc_shared[3] = 5;
    r = req_make(LS_MODE_SHARED, 2);
    plan_ok(&t, "0-7", &s, &r, &p);
    assert_llcs(&p, "0");
    ls_plan_free(&p);
    /* More than the allowed set: usage error naming both numbers. */
    struct ls_error err;
    r = req_make(LS_MODE_SHARED, 9);
    plan_fails(&t, allowed, &s, &r, LS_ERR_USAGE, &err);
    assert_contains(err.msg, "9 exceeds the 8 CPUs");
    /* Allowed CPUs that are not online count for nothing. */
    r = req_make(LS_MODE_SHARED, 2);
    plan_fails(&t, "100-200", &s, &r, LS_ERR_UNSAT, &err);
    assert_contains(err.msg, "none of the allowed CPUs (100-200) is online");
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Budget >= everything: every allowed LLC, ascending, no scoring walk. */
static void test_budget_covers_everything(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 2);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[3] = 2;
    struct ls_request r = req_make(LS_MODE_SHARED, 12);
    struct ls_plan p;
    plan_ok(&t, "0-11", &s, &r, &p);
    assert_llcs(&p, "0,1,2");
    assert_set(&p.cpus, "0-11");
    assert_set(&p.mems, "0-1");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Default budget: 30% of the allowed set, ceil, min 1. */
static void test_default_budget_plans(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_request r = req_make(LS_MODE_SHARED, 0);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_int_equal(p.target_cpus, 5);
    assert_set(&p.cpus, "0-4");
    ls_plan_free(&p);
    plan_ok(&t, "7", NULL, &r, &p);
    assert_int_equal(p.target_cpus, 1);
    assert_set(&p.cpus, "7");
    assert_llcs(&p, "1");
    ls_plan_free(&p);
    ls_topology_free(&t);
}

/* An LLC held exclusively is never eligible; not enough left is busy, not unsatisfiable. */
static void test_exclusive_holder_avoided(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_exclusive[0] = 1;
    s.llc_shared[0] = 0;
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1");
    ls_plan_free(&p);
    /* Holder counts of an exclusively held LLC do not attract consolidation. */
    s.llc_exclusive[1] = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2");
    ls_plan_free(&p);
    r.cpus = 12;
    struct ls_error err;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "12 CPUs wanted but only 8 of the 16 allowed lie");
    r.cpus = 8; /* exactly what is left */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Overcommit warnings: explicit opt-in vs the auto-sized budget collapsing. */
static void test_overcommit_warnings(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    r.vcpus = 8;
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_int_equal(p.nwarnings, 1);
    assert_string_equal(p.warnings[0],
                        "llcslice: CPU budget 4 host CPUs < 8 vCPUs (2.0x oversubscription, "
                        "opt-in): the host time-slices the vCPU threads, so absolute iterations "
                        "scale ~1/2 and guest-scheduler timing metrics (run_delay, off-CPU, wake "
                        "latency, gaps) are host-contention artifacts.");
    ls_plan_free(&p);
    /* Auto-sized: the VM budget collapses to the 6 allowed CPUs. */
    r = req_make(LS_MODE_SHARED, 0);
    r.vcpus = 12;
    plan_ok(&t, "0-5", NULL, &r, &p);
    assert_int_equal(p.target_cpus, 6);
    assert_int_equal(p.nwarnings, 1);
    assert_contains(p.warnings[0], "llcslice: WARNING: only 6 host CPUs available for 12 vCPUs "
                                   "(2.0x oversubscription)");
    assert_contains(p.warnings[0], "NOTHING opted into this");
    ls_plan_free(&p);
    /* Enough CPUs: silent. */
    r.vcpus = 4;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_int_equal(p.target_cpus, 5);
    assert_int_equal(p.nwarnings, 0);
    ls_plan_free(&p);
    ls_topology_free(&t);
}

/* Departure: a dedicated job's CPUs are never taken while an allowed CPU is free of them;
 * an idle LLC is preferred to a held CPU (the old take used CPU 4 for a budget of 3). */
static void test_shared_avoids_dedicated_cpus(void **state)
{
    (void)state;
    struct ls_topology t;
    flat4(&t);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[1] = 1; /* the dedicated job's LLC_SH */
    assert_int_equal(ls_cpuset_add(&s.cpu_held, 4), 0);
    assert_int_equal(ls_cpuset_add(&s.cpu_held, 5), 0);
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1");
    assert_set(&p.cpus, "6-7");
    assert_set(&p.cpu_marks, "6-7");
    ls_plan_free(&p);
    r.cpus = 3; /* LLC 1 has only two free CPUs: an idle LLC rather than a held CPU */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_false(ls_cpuset_has(&p.cpus, 4) || ls_cpuset_has(&p.cpus, 5));
    assert_int_equal(ls_cpuset_count(&p.cpus), 3);
    assert_true(ls_cpuset_empty(&p.overlap));
    assert_int_equal(p.nwarnings, 0);
    ls_plan_free(&p);
    r.cpus = 15; /* only 14 free: one dedicated CPU, named */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "0-4,6-15");
    assert_set(&p.overlap, "4");
    assert_set(&p.cpu_marks, "0-3,6-15");
    assert_int_equal(p.nwarnings, 1);
    assert_contains(p.warnings[0], "CPUs 4 are shared with other jobs (4 dedicated to another "
                                   "job)");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

static void snap_mark(struct ls_snapshot *s, const struct ls_topology *t, unsigned cpu, unsigned n)
{
    if (!s->cpu_shared) {
        s->ncpus = (size_t)t->max_cpu + 1;
        s->cpu_shared = calloc(s->ncpus, sizeof(unsigned));
        assert_non_null(s->cpu_shared);
    }
    s->cpu_shared[cpu] += n;
}

/* Departure: CPUs other shared jobs mark are not stacked on while free ones exist; the
 * consolidation onto their LLC takes its unmarked CPUs. */
static void test_shared_marks_not_stacked(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 8, 8, 8); /* 64 CPUs, 8-CPU LLCs */
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[0] = 1;
    for (unsigned c = 0; c < 4; c++)
        snap_mark(&s, &t, c, 1);
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "4-7");
    ls_plan_free(&p);
    r.cpus = 8; /* LLC 0 has 4 free: the rest from the next LLC, never CPUs 0-3 */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "4-11");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);

    /* 2-CPU host: a second --cpus 1 job gets the other CPU. */
    topo_uniform(&t, 1, 2, 1);
    snap_init(&s, &t);
    s.llc_shared[0] = 1;
    snap_mark(&s, &t, 0, 1);
    r.cpus = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "1");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Departure: on a full host the least-used CPUs are shared first (fewest marks), a
 * dedicated CPU last; the overlap is named. */
static void test_shared_full_host_least_used(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 1, 4, 1);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[0] = 3;
    snap_mark(&s, &t, 0, 2);
    snap_mark(&s, &t, 1, 1);
    assert_int_equal(ls_cpuset_add(&s.cpu_held, 2), 0);
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "1,3");
    assert_set(&p.overlap, "1");
    assert_contains(p.warnings[0], "CPUs 1 are shared with other jobs. Job will run");
    ls_plan_free(&p);
    r.cpus = 3;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "0-1,3");
    ls_plan_free(&p);
    r.cpus = 4;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.cpus, "0-3");
    assert_set(&p.cpu_marks, "0-1,3");
    assert_set(&p.overlap, "0-2");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Departure: a budget one node's free CPUs can hold stays on one node (the consolidation
 * node, else the nearest that fits); no spill warning then. */
static void test_no_needless_spill(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 2, 8, 1); /* 2 nodes x 8 CPUs, one L3 each */
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    plan_ok(&t, "6-15", NULL, &r, &p);
    assert_set(&p.cpus, "8-11");
    assert_set(&p.mems, "1");
    assert_int_equal(p.nwarnings, 0);
    ls_plan_free(&p);
    r.cpus = 9; /* no node has 9: the spill warning says so */
    plan_ok(&t, "6-15", NULL, &r, &p);
    assert_set(&p.mems, "0-1");
    assert_int_equal(p.nwarnings, 1);
    assert_contains(p.warnings[0], "no single node has 9 allowed CPUs free");
    ls_plan_free(&p);
    ls_topology_free(&t);

    /* POWER9-like node ids 0 and 8; and an LLC of node 0 held exclusively. */
    const char *lists[] = {"0-3", "4-7", "8-11", "12-15"};
    int nodes[] = {0, 0, 8, 8};
    topo_make(&t, lists, nodes, 4);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_exclusive[0] = 1;
    r.cpus = 6;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3");
    assert_set(&p.cpus, "8-13");
    assert_set(&p.mems, "8");
    assert_int_equal(p.nwarnings, 0);
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);

    /* 4 nodes: node 0 (consolidation) cannot hold 6; nodes 2 and 3 can, 3 is nearer. */
    const char *l4[] = {"0-3", "4-11", "12-19", "20-27"};
    int n4[] = {0, 1, 2, 3};
    topo_make(&t, l4, n4, 4);
    set_distance(&t, 0, 2, 40);
    set_distance(&t, 0, 3, 30);
    snap_init(&s, &t);
    s.llc_shared[0] = 1;
    snap_mark(&s, &t, 4, 1); /* node 1 has 6 free */
    snap_mark(&s, &t, 5, 1);
    r.cpus = 7;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_set(&p.mems, "3");
    assert_set(&p.cpus, "20-26");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_host_takes_lowest_llcs),
        cmocka_unit_test(test_shared_avoids_dedicated_cpus),
        cmocka_unit_test(test_shared_marks_not_stacked),
        cmocka_unit_test(test_shared_full_host_least_used),
        cmocka_unit_test(test_no_needless_spill),
        cmocka_unit_test(test_consolidation_onto_held_llcs),
        cmocka_unit_test(test_consolidation_order_ties),
        cmocka_unit_test(test_seed_node_and_greedy_fill),
        cmocka_unit_test(test_spill_by_distance),
        cmocka_unit_test(test_unreachable_last_from_seed),
        cmocka_unit_test(test_partial_last_llc),
        cmocka_unit_test(test_mems_from_cpus_taken),
        cmocka_unit_test(test_restricted_allowed_set),
        cmocka_unit_test(test_budget_covers_everything),
        cmocka_unit_test(test_default_budget_plans),
        cmocka_unit_test(test_exclusive_holder_avoided),
        cmocka_unit_test(test_overcommit_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Dedicated and exclusive PLAN (whole LLCs, and --perf pinning with rotation and NUMA-aware
 * order), lock steps, and planning speed on a 4096-CPU host. */
#include "plan_testlib.h"

#include "planner/acquire.h"
#include "planner/ktstr.h"
#include "planner/placement.h"

static struct ls_request perf_req(unsigned llcs, unsigned cores, unsigned threads, unsigned nodes,
                                  unsigned pid)
{
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){llcs, cores, threads, nodes};
    r.vcpus = (size_t)llcs * cores * threads;
    r.pid = pid;
    return r;
}

static void assert_assign(const struct ls_plan *p, const unsigned *host, size_t n)
{
    assert_int_equal(p->nassignments, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p->assignments[i].vcpu, i);
        if (p->assignments[i].host_cpu != host[i])
            fail_msg("vCPU %zu -> CPU %u, expected %u", i, p->assignments[i].host_cpu, host[i]);
    }
}

/* ---- dedicated ----------------------------------------------------------------------- */

static void test_dedicated_fresh_and_packing(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_DEDICATED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_int_equal(p.mode, LS_MODE_DEDICATED);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "0-1");
    ls_plan_free(&p);
    /* Another dedicated job on CPU 4: pack next to it, on free CPUs ascending. */
    s.llc_shared[1] = 1;
    set_parse(&s.cpu_held, "4");
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1");
    assert_set(&p.cpus, "5-6");
    ls_plan_free(&p);
    /* Fewest LLCs beats "held": 3 CPUs fit only in a fresh LLC. */
    ls_cpuset_clear(&s.cpu_held);
    set_parse(&s.cpu_held, "4-5");
    r.cpus = 3;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "0-2");
    ls_plan_free(&p);
    /* Tightest held fit among several. */
    s.llc_shared[2] = 1;
    set_parse(&s.cpu_held, "4-5,8");
    r.cpus = 2;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1"); /* LLC 1 has 2 free, LLC 2 has 3 */
    assert_set(&p.cpus, "6-7");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

static void test_dedicated_never_held_cpu_or_exclusive_llc(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 2, 4, 2);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[0] = 3;
    set_parse(&s.cpu_held, "0-2");
    struct ls_request r = req_make(LS_MODE_DEDICATED, 5);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "3-7");
    ls_plan_free(&p);
    struct ls_error err;
    r.cpus = 6;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "6 CPUs wanted but only 5 of the 8 allowed are free");
    /* An exclusive holder makes a whole LLC off limits. */
    s.llc_exclusive[1] = 1;
    r.cpus = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "3");
    ls_plan_free(&p);
    r.cpus = 2;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Several LLCs needed: stay on the node that fits, starting with LLCs others use. */
static void test_dedicated_node_packing_and_spill(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 2); /* 0,1 node 0; 2,3 node 1 */
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[0] = 3;
    s.llc_shared[2] = 1;
    set_parse(&s.cpu_held, "0-2,8");
    struct ls_request r = req_make(LS_MODE_DEDICATED, 6);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3");
    assert_set(&p.cpus, "9-14");
    assert_set(&p.mems, "1");
    ls_plan_free(&p);
    /* 9 fit on no single node: spill to the nearest. */
    r.cpus = 9;
    plan_ok(&t, NULL, &s, &r, &p);
    /* Node 1 (LLC 2 held, then 3), then node 0: the held LLC 0's last CPU, one of 1. */
    assert_llcs(&p, "0,1,2,3");
    assert_set(&p.cpus, "3-4,9-15");
    assert_set(&p.mems, "0-1");
    assert_int_equal(p.nwarnings, 1);
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* ---- exclusive without --perf: whole LLCs nobody holds ----------------------------------- */

static void test_exclusive_whole_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "0-3");
    ls_plan_free(&p);
    s.llc_shared[0] = 1;         /* any holder excludes */
    set_parse(&s.cpu_held, "5"); /* so does a per-CPU holder */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2");
    ls_plan_free(&p);
    r.cpus = 6;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3");
    assert_set(&p.cpus, "8-13");
    struct ls_lock_step *steps;
    size_t n;
    assert_int_equal(ls_plan_lock_steps(&p, &steps, &n), 0);
    assert_int_equal(n, 2);
    assert_true(steps[0].kind == LS_LOCK_LLC && steps[0].index == 2 &&
                steps[0].mode == LS_LOCK_EXCLUSIVE);
    assert_true(steps[1].kind == LS_LOCK_LLC && steps[1].index == 3 &&
                steps[1].mode == LS_LOCK_EXCLUSIVE);
    free(steps);
    ls_plan_free(&p);
    r.cpus = 9;
    struct ls_error err;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* What ls_flock_decides rests on (one /proc/locks read per pass): every CPU a dedicated or
 * exclusive plan locks exclusively comes with a lock on its LLC, so a holder a torn read
 * missed (a shared job marks its CPUs and holds their LLC shared) fails the take. */
static void assert_cpu_steps_lock_their_llc(const struct ls_topology *t, const struct ls_plan *p)
{
    struct ls_lock_step *st;
    size_t n;
    assert_int_equal(ls_plan_lock_steps(p, &st, &n), 0);
    for (size_t i = 0; i < n; i++) {
        if (st[i].kind != LS_LOCK_CPU)
            continue;
        assert_int_equal(st[i].mode, LS_LOCK_EXCLUSIVE);
        bool llc_locked = false;
        for (size_t k = 0; k < n; k++)
            llc_locked |= st[k].kind == LS_LOCK_LLC && (int)st[k].index == t->cpu_llc[st[i].index];
        assert_true(llc_locked);
    }
    free(st);
}

static void test_flock_decides_invariant(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 2);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request reqs[] = {req_make(LS_MODE_DEDICATED, 1), req_make(LS_MODE_DEDICATED, 6),
                                req_make(LS_MODE_EXCLUSIVE, 4), perf_req(1, 4, 1, 1, 1),
                                perf_req(2, 2, 1, 2, 1)};
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        assert_true(ls_flock_decides(&reqs[i]));
        struct ls_plan p;
        plan_ok(&t, NULL, &s, &reqs[i], &p);
        assert_cpu_steps_lock_their_llc(&t, &p);
        ls_plan_free(&p);
    }
    struct ls_request shared = req_make(LS_MODE_SHARED, 2);
    assert_false(ls_flock_decides(&shared));
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* ---- exclusive --perf: pinning ------------------------------------------------------------ */

/* Departure: deterministic. Every pid gets the same plan (the seed rotated by a pid hash), so
 * `plan` predicts `run`; lowest free LLCs on one node, service CPU a spare of our own LLC. */
static void test_pinning_deterministic(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4);
    struct ls_snapshot s;
    snap_init(&s, &t);
    for (unsigned pid = 1; pid < 40; pid += 3) {
        struct ls_request r = perf_req(2, 2, 1, 1, pid);
        struct ls_plan p;
        plan_ok(&t, NULL, &s, &r, &p);
        assert_int_equal(p.target_cpus, 5);
        assert_llcs(&p, "0,1");
        assert_assign(&p, (const unsigned[]){0, 1, 4, 5}, 4);
        assert_int_equal(p.service_cpu, 2); /* spare CPU in our own LLC */
        assert_int_equal(p.service_llc, -1);
        assert_set(&p.cpus, "0-2,4-5");
        assert_set(&p.mems, "0");
        assert_int_equal(p.guest.llcs, 2);
        assert_int_equal(p.guest_host_node[0], 0);
        ls_plan_free(&p);
    }
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Held LLCs are skipped (any holder, LLC or CPU); too few free ones is busy. */
static void test_pinning_busy_uses_free_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[0] = 1;
    struct ls_request r = perf_req(2, 2, 1, 1, 1);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,2");
    ls_plan_free(&p);
    set_parse(&s.cpu_held, "9");
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,3"); /* CPU 9's holder takes LLC 2 out */
    ls_plan_free(&p);
    s.llc_exclusive[3] = 1;
    struct ls_error err;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "no placement of 2 virtual LLCs");
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* llcs=5 on 2 guest nodes: 3 + 2, each guest node on its own host node (as the seed at its
 * offset 0); vCPU -> guest node and guest node -> host node maps. */
static void test_pinning_numa_aware_order(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 8, 2, 4); /* node 0: LLC 0-3 (CPUs 0-7), node 1: LLC 4-7 (8-15) */
    struct ls_request r = perf_req(5, 1, 1, 2, 7);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1,2,4,5");
    assert_assign(&p, (const unsigned[]){0, 2, 4, 8, 10}, 5);
    assert_int_equal(p.service_cpu, 1);
    assert_set(&p.mems, "0-1");
    assert_int_equal(p.nwarnings, 0); /* two guest nodes on two host nodes: as asked */
    unsigned want_g[] = {0, 0, 0, 1, 1};
    for (unsigned v = 0; v < 5; v++)
        assert_int_equal(ls_plan_vcpu_guest_node(&p, v), want_g[v]);
    assert_int_equal(p.guest_host_node[0], 0);
    assert_int_equal(p.guest_host_node[1], 1);
    ls_plan_free(&p);
    /* Node 1 has only 2 LLCs: enough for the second guest node's share (the seed wanted
     * ceil(5/2) = 3 on every node and fell back to a sequential walk). */
    struct ls_topology t2;
    const char *lists[] = {"0-1", "2-3", "4-5", "6-7", "8-9", "10-11"};
    const int nodes[] = {0, 0, 0, 0, 1, 1};
    topo_make(&t2, lists, nodes, 6);
    plan_ok(&t2, NULL, NULL, &r, &p);
    assert_assign(&p, (const unsigned[]){0, 2, 4, 8, 10}, 5);
    assert_int_equal(p.guest_host_node[1], 1);
    ls_plan_free(&p);
    /* Only 1 allowed LLC on node 1: no two distinct nodes hold 3 + 2; the closest set. */
    plan_ok(&t2, "0-9", NULL, &r, &p);
    assert_assign(&p, (const unsigned[]){0, 2, 4, 6, 8}, 5);
    assert_int_equal(p.guest_host_node[0], 0);
    assert_int_equal(p.guest_host_node[1], 0);
    ls_plan_free(&p);
    ls_topology_free(&t2);
    ls_topology_free(&t);
}

/* --lock-prefix ktstr: ktstr's slots are the seed's numa_aware_llc_order at offset k x llcs
 * (ktstr acquire_slot_with_locks), and performance mode takes the first whole free one. */
static void test_pinning_ktstr_slots(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 8, 2, 4); /* node 0: LLC 0-3, node 1: LLC 4-7 */
    unsigned o[5];
    assert_int_equal(ls_ktstr_slots(&t, 3), 2);
    ls_ktstr_slot_llcs(&t, 1, 3, 1, o); /* one node: sequential from 3 */
    assert_int_equal(o[0], 3), assert_int_equal(o[1], 4), assert_int_equal(o[2], 5);
    ls_ktstr_slot_llcs(&t, 2, 5, 0, o); /* 3 + 2 on nodes 0 and 1 */
    const unsigned want5[] = {0, 1, 2, 4, 5};
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(o[i], want5[i]);
    ls_ktstr_slot_llcs(&t, 2, 2, 1, o); /* node offset 2 (mod 2), within offset 2 */
    assert_int_equal(o[0], 2), assert_int_equal(o[1], 6);

    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_exclusive[1] = 1;
    struct ls_request r = perf_req(2, 2, 1, 1, 1);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0,2"); /* node 0's free LLCs: parts of ktstr's slots 0 and 1 */
    ls_plan_free(&p);
    r.ktstr_slots = true;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,3"); /* slot 1, whole */
    ls_plan_free(&p);
    s.llc_exclusive[2] = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "4,5"); /* slot 2 */
    ls_plan_free(&p);
    s.llc_exclusive[4] = s.llc_exclusive[6] = 1;
    struct ls_error err;
    plan_fails(&t, NULL, &s, &r, LS_ERR_BUSY, &err);
    assert_contains(err.msg, "none of ktstr's 4 LLC slots for 2 virtual LLCs");
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Departure: host LLCs minimise the guest's NUMA distances. 4 nodes x 2 LLCs; nodes 0-2 and
 * 1-3 at 16, every other pair at 22 (the seed paired LLCs at 22 while 16 pairs were free). */
static void test_pinning_closest_nodes(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 8, 2, 2);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            if (a != b)
                set_distance(&t, a, b, (a % 2 == b % 2) ? 16 : 22);
    struct ls_request r = perf_req(2, 1, 1, 2, 1); /* nodes=2: two distinct host nodes */
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,4");
    assert_int_equal(p.guest_host_node[0], 0);
    assert_int_equal(p.guest_host_node[1], 2);
    ls_plan_free(&p);
    r = perf_req(2, 1, 1, 1, 1); /* one guest node: one host node */
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.mems, "0");
    ls_plan_free(&p);
    r = perf_req(4, 1, 1, 1, 1); /* no node has 4: the closest pair */
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1,4,5");
    assert_set(&p.mems, "0,2");
    ls_plan_free(&p);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_exclusive[0] = 1; /* node 0 has one free LLC: 1 + 2 with node 2, as close as 1 + 3 */
    r = perf_req(3, 1, 1, 1, 1);
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,4,5");
    ls_plan_free(&p);
    r = perf_req(3, 1, 1, 3, 1); /* nodes=3: three distinct nodes, 0, 2 (16) and 1 (22) */
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "1,2,4");
    assert_int_equal(p.guest_host_node[0], 0);
    assert_int_equal(p.guest_host_node[1], 2);
    assert_int_equal(p.guest_host_node[2], 1);
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* The service CPU: outside the vCPUs, in the allowed set, not in an LLC held exclusively by
 * others, preferring the vCPUs' node; held shared on its LLC when that is not ours. */
static void test_pinning_service_cpu(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 2);
    struct ls_snapshot s;
    snap_init(&s, &t);
    struct ls_request r = perf_req(1, 4, 1, 1, 1);
    struct ls_plan p;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "0");
    assert_int_equal(p.service_cpu, 4);
    assert_int_equal(p.service_llc, 1);
    struct ls_lock_step *st;
    size_t n;
    assert_int_equal(ls_plan_lock_steps(&p, &st, &n), 0);
    assert_int_equal(n, 3);
    assert_true(st[0].kind == LS_LOCK_LLC && st[0].index == 0 && st[0].mode == LS_LOCK_EXCLUSIVE);
    assert_true(st[1].kind == LS_LOCK_LLC && st[1].index == 1 && st[1].mode == LS_LOCK_SHARED);
    assert_true(st[2].kind == LS_LOCK_CPU && st[2].index == 4 && st[2].mode == LS_LOCK_EXCLUSIVE);
    free(st);
    ls_plan_free(&p);
    /* LLC 1 held exclusively by someone else: the service CPU goes to the other node. */
    s.llc_exclusive[1] = 1;
    plan_ok(&t, NULL, &s, &r, &p);
    assert_int_equal(p.service_cpu, 8);
    assert_int_equal(p.service_llc, 2);
    assert_set(&p.mems, "0-1");
    assert_int_equal(p.nwarnings, 0); /* the guest on one node; only its service CPU is not */
    ls_plan_free(&p);
    /* Shared holders are fine, a dedicated CPU is not. */
    s.llc_exclusive[1] = 0;
    s.llc_shared[1] = 1;
    set_parse(&s.cpu_held, "4");
    plan_ok(&t, NULL, &s, &r, &p);
    assert_int_equal(p.service_cpu, 5);
    ls_plan_free(&p);
    /* Not in the allowed set: never. */
    plan_ok(&t, "0-3,6-15", &s, &r, &p);
    assert_int_equal(p.service_cpu, 6);
    ls_plan_free(&p);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

static void test_pinning_unsatisfiable(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 4, 4, 4);
    struct ls_error err;
    struct ls_request r = perf_req(2, 4, 2, 1, 1);
    plan_fails(&t, NULL, NULL, &r, LS_ERR_UNSAT, &err);
    assert_string_equal(err.msg, "performance_mode: need 17 CPUs (16 vCPUs + 1 service) but only "
                                 "16 host CPUs available");
    r = perf_req(5, 1, 1, 1, 1);
    plan_fails(&t, NULL, NULL, &r, LS_ERR_UNSAT, &err);
    assert_string_equal(err.msg,
                        "performance_mode: need 5 LLCs for 5 virtual LLCs, but host has 4 LLC "
                        "groups");
    r = perf_req(1, 5, 1, 1, 1);
    plan_fails(&t, NULL, NULL, &r, LS_ERR_UNSAT, &err);
    assert_string_equal(err.msg, "performance_mode: a virtual LLC needs 5 CPUs (5x1) but only 0 "
                                 "of the host's LLCs have that many allowed CPUs (the largest "
                                 "has 4); 1 needed");
    /* The allowed set is the host: half LLCs are too small for 2x3. */
    r = perf_req(1, 3, 1, 1, 1);
    plan_fails(&t, "0-1,4-5,8-9,12-13", NULL, &r, LS_ERR_UNSAT, &err);
    assert_contains(err.msg, "a virtual LLC needs 3 CPUs (3x1) but only 0 of the host's LLCs");
    /* ... while one full LLC is enough when it is free, and busy (not unsat) when held. */
    r = perf_req(1, 3, 1, 1, 1);
    struct ls_plan p;
    plan_ok(&t, "0-1,4-5,8-9,12-15", NULL, &r, &p);
    assert_llcs(&p, "3");
    ls_plan_free(&p);
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[3] = 1;
    plan_fails(&t, "0-1,4-5,8-9,12-15", &s, &r, LS_ERR_BUSY, &err);
    /* Single-LLC host: LLC + service never fits. */
    struct ls_topology one;
    topo_uniform(&one, 1, 2, 1);
    r = perf_req(1, 2, 1, 1, 1);
    plan_fails(&one, NULL, NULL, &r, LS_ERR_UNSAT, &err);
    ls_topology_free(&one);
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* ---- scale ---------------------------------------------------------------------------- */

static void test_plans_fast_on_big_host(void **state)
{
    (void)state;
    struct ls_topology t;
    topo_uniform(&t, 1024, 4, 64); /* 4096 CPUs, 1024 LLCs, 16 nodes */
    assert_int_equal(t.nnodes, 16);
    struct ls_snapshot s;
    snap_init(&s, &t);
    srand(7);
    for (size_t i = 0; i < t.nllcs; i++) {
        int k = rand() % 8;
        if (k < 3)
            s.llc_shared[i] = (unsigned)(1 + rand() % 3);
        else if (k == 3)
            s.llc_exclusive[i] = 1;
        else if (k == 4)
            assert_int_equal(ls_cpuset_add(&s.cpu_held, (unsigned)(i * 4 + 1)), 0);
    }
    struct ls_request reqs[] = {
        req_make(LS_MODE_SHARED, 0),      req_make(LS_MODE_SHARED, 2000),
        req_make(LS_MODE_DEDICATED, 700), req_make(LS_MODE_EXCLUSIVE, 500),
        perf_req(32, 2, 2, 4, 4242),
    };
    const char *names[] = {"shared default", "shared 2000", "dedicated 700", "exclusive 500",
                           "perf 32x2x2 nodes=4"};
    for (size_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
        const int rounds = 20;
        long long t0 = ls_mono_ms();
        for (int i = 0; i < rounds; i++) {
            struct ls_plan p;
            plan_ok(&t, NULL, &s, &reqs[k], &p);
            ls_plan_free(&p);
        }
        long long dt = ls_mono_ms() - t0;
        print_message("  %-22s %.2f ms per plan (4096 CPUs, 1024 LLCs, 16 nodes)\n", names[k],
                      (double)dt / rounds);
    }
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedicated_fresh_and_packing),
        cmocka_unit_test(test_dedicated_never_held_cpu_or_exclusive_llc),
        cmocka_unit_test(test_dedicated_node_packing_and_spill),
        cmocka_unit_test(test_exclusive_whole_llcs),
        cmocka_unit_test(test_pinning_deterministic),
        cmocka_unit_test(test_pinning_busy_uses_free_llcs),
        cmocka_unit_test(test_pinning_closest_nodes),
        cmocka_unit_test(test_pinning_numa_aware_order),
        cmocka_unit_test(test_pinning_ktstr_slots),
        cmocka_unit_test(test_pinning_service_cpu),
        cmocka_unit_test(test_flock_decides_invariant),
        cmocka_unit_test(test_pinning_unsatisfiable),
        cmocka_unit_test(test_plans_fast_on_big_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

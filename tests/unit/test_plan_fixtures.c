/* The planner on real machines' sysfs dumps ($LLCSLICE_FIXTURES, discovered like --fsroot):
 * multi-LLC and multi-node behaviour, restricted allowed sets, and plan invariants across
 * every fixture, mode and budget. */
#include "plan_testlib.h"

#include <dirent.h>

static bool load(const char *name, struct ls_topology *t)
{
    const char *fx = getenv("LLCSLICE_FIXTURES");
    if (!fx)
        fx = "/work/shared/fixtures/sysfs";
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/%s", fx, name);
    struct ls_root root;
    struct ls_error err = {0};
    if (ls_root_init(&root, dir, "--fsroot", &err) < 0)
        return false;
    if (ls_topology_discover(&root, t, &err) < 0)
        fail_msg("discover %s: %s", name, err.msg);
    return true;
}

#define LOAD_OR_SKIP(name, t)                                                                      \
    do {                                                                                           \
        if (!load(name, t))                                                                        \
            skip();                                                                                \
    } while (0)

static void test_numa_8_nodes_distances(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("64amd64-4s2n4ca2co", &t); /* 8 LLCs x 8 CPUs, LLC i on node i */
    struct ls_request r = req_make(LS_MODE_SHARED, 0);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_int_equal(p.target_cpus, 20);
    assert_llcs(&p, "0,1,2"); /* node 0, then nodes 1 and 2 at distance 16 */
    assert_set(&p.cpus, "0-19");
    assert_set(&p.mems, "0-2");
    assert_int_equal(p.nwarnings, 1);
    ls_plan_free(&p);
    /* Held LLC 5 seeds node 5; nearest from there at 16 are nodes 2,3,4,7: node 2 first. */
    struct ls_snapshot s;
    snap_init(&s, &t);
    s.llc_shared[5] = 1;
    r = req_make(LS_MODE_SHARED, 12);
    plan_ok(&t, NULL, &s, &r, &p);
    assert_llcs(&p, "2,5");
    assert_set(&p.cpus, "16-23,40-43");
    assert_set(&p.mems, "2,5");
    ls_plan_free(&p);
    /* Half of every LLC allowed. */
    r = req_make(LS_MODE_SHARED, 6);
    plan_ok(&t, "0-3,8-11,16-19,24-27,32-35,40-43,48-51,56-59", NULL, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-3,8-9");
    ls_plan_free(&p);
    /* Dedicated: 10 CPUs fit no node; node 0 then its nearest. */
    r = req_make(LS_MODE_DEDICATED, 10);
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1");
    assert_set(&p.cpus, "0-9");
    ls_plan_free(&p);
    /* Perf with two guest nodes: two LLCs on two nodes, the service CPU on a third LLC. */
    for (unsigned pid = 100; pid < 116; pid++) {
        r = req_make(LS_MODE_EXCLUSIVE, 0);
        r.has_perf = true;
        r.perf = (struct ls_perf_topo){2, 4, 2, 2};
        r.vcpus = 16;
        r.pid = pid;
        plan_ok(&t, NULL, &s, &r, &p);
        assert_int_equal(p.nlocked, 2);
        assert_true(p.locked_llcs[0] != 5 && p.locked_llcs[1] != 5);
        assert_int_not_equal(t.llcs[p.locked_llcs[0]].node, t.llcs[p.locked_llcs[1]].node);
        assert_int_equal(ls_cpuset_count(&p.cpus), 17);
        assert_true(p.service_llc >= 0);
        ls_plan_free(&p);
    }
    /* --perf 2x4x1 (one guest node, one LLC per host node): the same plan for every pid, on
     * two LLCs at the closest distance the host has (16; the seed paired some at 22). */
    unsigned first[2] = {0, 0};
    for (unsigned pid = 1; pid <= 12; pid++) {
        r = req_make(LS_MODE_EXCLUSIVE, 0);
        r.has_perf = true;
        r.perf = (struct ls_perf_topo){2, 4, 1, 1};
        r.vcpus = 8;
        r.pid = pid * 7919;
        plan_ok(&t, NULL, NULL, &r, &p);
        assert_int_equal(p.nlocked, 2);
        if (pid == 1)
            memcpy(first, p.locked_llcs, sizeof(first));
        assert_memory_equal(first, p.locked_llcs, sizeof(first));
        assert_int_equal(ls_topology_distance(&t, t.llcs[first[0]].node, t.llcs[first[1]].node),
                         16);
        assert_int_equal(p.service_llc, -1); /* a spare CPU of our own LLCs */
        ls_plan_free(&p);
    }
    ls_snapshot_free(&s);
    ls_topology_free(&t);
}

/* Interleaved CPU numbering: LLC 0 = 0,4,8,... */
static void test_interleaved_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("40intel64-4n10c+pci-conflicts", &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 12);
    struct ls_plan p;
    plan_ok(&t, "0-19", NULL, &r, &p);
    assert_llcs(&p, "0,1,2");
    assert_set(&p.cpus, "0-2,4-6,8-9,12-13,16-17");
    assert_set(&p.mems, "0-2");
    ls_plan_free(&p);
    ls_topology_free(&t);

    LOAD_OR_SKIP("16em64t-4s2c2t", &t); /* one node, LLC i = i,i+4,i+8,i+12 */
    r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){2, 2, 1, 1};
    r.vcpus = 4;
    for (unsigned pid = 1; pid < 9; pid++) {
        r.pid = pid;
        plan_ok(&t, NULL, NULL, &r, &p);
        assert_int_equal(p.nlocked, 2);
        assert_int_equal(p.service_llc, -1); /* a spare CPU inside our own LLCs */
        unsigned first = p.locked_llcs[0];
        assert_true(ls_cpuset_has(&t.llcs[first].cpus, (unsigned)p.service_cpu) ||
                    ls_cpuset_has(&t.llcs[p.locked_llcs[1]].cpus, (unsigned)p.service_cpu));
        assert_int_equal(p.nwarnings, 0);
        ls_plan_free(&p);
    }
    ls_topology_free(&t);
}

/* Small LLCs: the service CPU needs an LLC of its own, held shared. */
static void test_service_cpu_outside(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("8em64t-2s2ca2c", &t); /* 4 LLCs of 2 CPUs */
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){1, 2, 1, 1};
    r.vcpus = 2;
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_int_equal(p.nlocked, 1);
    assert_true(p.service_llc >= 0 && (unsigned)p.service_llc != p.locked_llcs[0]);
    assert_true(ls_cpuset_has(&t.llcs[p.service_llc].cpus, (unsigned)p.service_cpu));
    ls_plan_free(&p);
    r.perf = (struct ls_perf_topo){1, 3, 1, 1};
    struct ls_error err;
    plan_fails(&t, NULL, NULL, &r, LS_ERR_UNSAT, &err);
    assert_contains(err.msg, "a virtual LLC needs 3 CPUs (3x1) but only 0 of the host's LLCs");
    ls_topology_free(&t);
}

/* Single-CPU LLCs on 8 nodes. */
static void test_single_cpu_llcs(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("16amd64-8n2c", &t);
    struct ls_request r = req_make(LS_MODE_SHARED, 3);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1,2");
    assert_set(&p.mems, "0-1");
    assert_int_equal(p.nwarnings, 1);
    assert_contains(p.warnings[0], "[0 (node 0), 1 (node 0), 2 (node 1)] across 2 NUMA nodes");
    ls_plan_free(&p);
    ls_topology_free(&t);
}

/* SMT siblings from thread_siblings_list (0 and 16 share a core), else (package, core_id). */
static void test_smt_fixtures(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("32intel64-2p8co2t+8ve", &t);
    assert_int_equal(t.max_threads, 2);
    assert_int_equal(t.cpu_core[16], 0);
    assert_int_equal(t.cpu_core[1], 1);
    struct ls_request r = req_make(LS_MODE_DEDICATED, 4);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_set(&p.cpus, "0-1,16-17");
    ls_plan_free(&p);
    /* --smt full-cores in every mode: every CPU taken comes with its sibling. */
    for (int mode = LS_MODE_SHARED; mode <= LS_MODE_EXCLUSIVE; mode++)
        for (size_t b = 2; b <= 12; b += 2) {
            r = req_make((enum ls_mode)mode, b);
            r.smt = LS_SMT_FULL_CORES;
            plan_ok(&t, NULL, NULL, &r, &p);
            LS_CPUSET_FOREACH(cpu, &p.cpus)
            for (unsigned d = 0; d <= t.max_cpu; d++)
                if (t.cpu_core[d] == t.cpu_core[cpu])
                    assert_true(ls_cpuset_has(&p.cpus, d));
            ls_plan_free(&p);
        }
    ls_topology_free(&t);

    LOAD_OR_SKIP("16em64t-4s2c2t", &t); /* no thread_siblings_list: core_id per package */
    assert_int_equal(t.max_threads, 2);
    for (unsigned c = 0; c <= t.max_cpu; c++) {
        unsigned n = 0;
        for (unsigned d = 0; d <= t.max_cpu; d++)
            n += t.cpu_core[d] == t.cpu_core[c];
        assert_int_equal(n, 2);
    }
    ls_topology_free(&t);

    LOAD_OR_SKIP("16amd64-8n2c", &t); /* no SMT */
    assert_int_equal(t.max_threads, 1);
    ls_topology_free(&t);
}

/* Memoryless nodes (node/has_memory 5-10): CPUs of node 0 use node 5's memory (distance 11). */
static void test_memoryless_fixture(void **state)
{
    (void)state;
    struct ls_topology t;
    LOAD_OR_SKIP("fakememinitiators-1np2c+1npp+gi", &t);
    int p0 = ls_topology_node_pos(&t, 0), p5 = ls_topology_node_pos(&t, 5);
    assert_true(t.nodes[p0].memoryless);
    assert_false(t.nodes[p5].memoryless);
    assert_int_equal(t.nodes[p0].mem_node, 5);
    assert_int_equal(t.nodes[p5].memory_kb, 0); /* discovery reads no meminfo here... */
    const char *fx = getenv("LLCSLICE_FIXTURES");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/fakememinitiators-1np2c+1npp+gi",
             fx ? fx : "/work/shared/fixtures/sysfs");
    struct ls_root root;
    struct ls_error err = {0};
    assert_int_equal(ls_root_init(&root, dir, "--fsroot", &err), 0);
    ls_topology_read_memory_sizes(&root, &t); /* ... `topo` does */
    assert_true(t.nodes[p5].memory_kb > 0);
    assert_int_equal(t.nodes[p0].memory_kb, 0);
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    plan_ok(&t, NULL, NULL, &r, &p);
    assert_set(&p.cpus, "0-1");
    assert_set(&p.mems, "5");
    ls_plan_free(&p);
    ls_topology_free(&t);

    LOAD_OR_SKIP("64amd64-4s2n4ca2co", &t); /* no has_memory: MemTotal decides */
    for (size_t i = 0; i < t.nnodes; i++) {
        assert_false(t.nodes[i].memoryless);
        assert_int_equal(t.nodes[i].mem_node, t.nodes[i].id);
    }
    ls_topology_free(&t);
}

/* ---- invariants on every fixture ------------------------------------------------------- */

static void check_plan(const struct ls_topology *t, const ls_cpuset *allowed,
                       const struct ls_snapshot *s, const struct ls_request *r,
                       const struct ls_plan *p, const char *fx)
{
    if (ls_cpuset_count(&p->cpus) != p->target_cpus)
        fail_msg("%s: %zu CPUs for a budget of %zu", fx, ls_cpuset_count(&p->cpus), p->target_cpus);
    assert_true(ls_cpuset_subset(&p->cpus, allowed));
    ls_cpuset mems = LS_CPUSET_INIT, covered = LS_CPUSET_INIT;
    /* mems: the CPUs' nodes, a memoryless one replaced by its nearest node with memory. */
    LS_CPUSET_FOREACH(cpu, &p->cpus)
    {
        const struct ls_node *n = &t->nodes[ls_topology_node_pos(t, t->cpu_node[cpu])];
        assert_int_equal(ls_cpuset_add(&mems, (unsigned)n->mem_node), 0);
        if (n->mem_node != n->id)
            assert_true(n->memoryless);
    }
    assert_true(ls_cpuset_equal(&mems, &p->mems));
    /* Shared mode: a CPU another job holds is taken only as named overlap. */
    if (r->mode == LS_MODE_SHARED && s)
        LS_CPUSET_FOREACH(cpu, &p->cpus)
    if (ls_cpuset_has(&s->cpu_held, (unsigned)cpu))
        assert_true(ls_cpuset_has(&p->overlap, (unsigned)cpu));
    for (size_t i = 0; i < p->nlocked; i++) {
        unsigned l = p->locked_llcs[i];
        assert_true(l < t->nllcs);
        if (i)
            assert_true(p->locked_llcs[i - 1] < l);
        assert_true(ls_cpuset_intersects(&t->llcs[l].cpus, allowed));
        if (r->mode == LS_MODE_EXCLUSIVE)
            assert_true(s->llc_shared[l] + s->llc_exclusive[l] == 0);
        else
            assert_int_equal(s->llc_exclusive[l], 0);
        assert_int_equal(ls_cpuset_or(&covered, &t->llcs[l].cpus), 0);
    }
    if (p->service_llc >= 0)
        assert_int_equal(ls_cpuset_or(&covered, &t->llcs[p->service_llc].cpus), 0);
    assert_true(ls_cpuset_subset(&p->cpus, &covered));
    if (r->mode != LS_MODE_SHARED && s)
        LS_CPUSET_FOREACH(cpu, &p->cpus)
    assert_false(ls_cpuset_has(&s->cpu_held, (unsigned)cpu));
    ls_cpuset_free(&mems);
    ls_cpuset_free(&covered);
}

static void test_invariants_all_fixtures(void **state)
{
    (void)state;
    const char *fx = getenv("LLCSLICE_FIXTURES");
    if (!fx)
        fx = "/work/shared/fixtures/sysfs";
    DIR *d = opendir(fx);
    if (!d)
        skip();
    struct dirent *de;
    size_t plans = 0, fixtures = 0, busy = 0;
    srand(11);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        struct ls_topology t;
        if (!load(de->d_name, &t))
            continue;
        fixtures++;
        for (int round = 0; round < 6; round++) {
            /* A random allowed subset (round 0: everything) and random holders. */
            ls_cpuset allowed = LS_CPUSET_INIT;
            LS_CPUSET_FOREACH(cpu, &t.online)
            if (round == 0 || rand() % 3)
                assert_int_equal(ls_cpuset_add(&allowed, (unsigned)cpu), 0);
            size_t nallowed = ls_cpuset_count(&allowed);
            if (!nallowed) {
                assert_int_equal(ls_cpuset_add(&allowed, (unsigned)ls_cpuset_first(&t.online)), 0);
                nallowed = 1;
            }
            struct ls_snapshot s;
            snap_init(&s, &t);
            for (size_t i = 0; round && i < t.nllcs; i++) {
                int k = rand() % 6;
                if (k == 0)
                    s.llc_shared[i] = 1;
                else if (k == 1)
                    s.llc_exclusive[i] = 1;
            }
            LS_CPUSET_FOREACH(cpu, &allowed)
            if (round && rand() % 8 == 0 && !s.llc_exclusive[t.cpu_llc[cpu]]) {
                assert_int_equal(ls_cpuset_add(&s.cpu_held, (unsigned)cpu), 0);
                s.llc_shared[t.cpu_llc[cpu]]++;
            }
            for (int mode = LS_MODE_SHARED; mode <= LS_MODE_EXCLUSIVE; mode++) {
                size_t budgets[] = {1, 2, 3, nallowed / 2 + 1, nallowed, 0};
                for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
                    if (budgets[b] > nallowed)
                        continue;
                    struct ls_request r = req_make((enum ls_mode)mode, budgets[b]);
                    struct ls_plan p;
                    struct ls_error err = {0};
                    if (ls_plan_compute(&t, &allowed, &s, &r, &p, &err) < 0) {
                        if (err.category != LS_ERR_BUSY || round == 0)
                            fail_msg("%s: %s %zu: %s", de->d_name, ls_mode_name(r.mode), budgets[b],
                                     err.msg);
                        busy++;
                        continue;
                    }
                    check_plan(&t, &allowed, &s, &r, &p, de->d_name);
                    ls_plan_free(&p);
                    plans++;
                }
            }
            /* Perf plans: one virtual LLC per host LLC size class that fits. */
            struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 0);
            r.has_perf = true;
            r.perf = (struct ls_perf_topo){t.nllcs > 1 ? 2 : 1, 1, 1, 1};
            r.vcpus = r.perf.llcs;
            r.pid = (unsigned)round;
            struct ls_plan p;
            struct ls_error err = {0};
            if (ls_plan_compute(&t, &allowed, &s, &r, &p, &err) == 0) {
                check_plan(&t, &allowed, &s, &r, &p, de->d_name);
                assert_int_equal(p.nassignments, r.vcpus);
                assert_false(ls_cpuset_has(&s.cpu_held, (unsigned)p.service_cpu));
                ls_plan_free(&p);
                plans++;
            } else {
                assert_true(err.category == LS_ERR_BUSY || err.category == LS_ERR_UNSAT);
                if (round == 0 && nallowed >= 3 && t.nllcs >= 2 && err.category == LS_ERR_BUSY)
                    fail_msg("%s: idle host busy: %s", de->d_name, err.msg);
            }
            ls_snapshot_free(&s);
            ls_cpuset_free(&allowed);
        }
        ls_topology_free(&t);
    }
    closedir(d);
    print_message("  %zu plans checked on %zu fixtures (%zu busy under random holders)\n", plans,
                  fixtures, busy);
    assert_true(fixtures >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numa_8_nodes_distances),  cmocka_unit_test(test_interleaved_llcs),
        cmocka_unit_test(test_service_cpu_outside),     cmocka_unit_test(test_single_cpu_llcs),
        cmocka_unit_test(test_invariants_all_fixtures), cmocka_unit_test(test_smt_fixtures),
        cmocka_unit_test(test_memoryless_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

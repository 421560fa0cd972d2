/* Topology model: ls_topology_from_groups post-processing, and sysfs discovery on synthetic
 * trees built in mktemp dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner/topology.h"

static void assert_set(const ls_cpuset *s, const char *list)
{
    char *f = ls_cpuset_format(s);
    assert_non_null(f);
    assert_string_equal(f, list);
    free(f);
}

static void test_groups_order_and_tables(void **state)
{
    (void)state;
    /* Given out of order: indices must follow the lowest CPU. */
    const char *lists[] = {"8-11", "0-3", "4-7", "12-15"};
    const int nodes[] = {1, 0, 0, 1};
    struct ls_topology t;
    struct ls_error err = {0};
    assert_int_equal(ls_topology_from_groups(&t, lists, nodes, 4, &err), 0);
    assert_int_equal(t.nllcs, 4);
    assert_set(&t.online, "0-15");
    assert_int_equal(t.max_cpu, 15);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(t.llcs[i].index, i);
        assert_int_equal(t.llcs[i].ncpus, 4);
        for (unsigned k = 0; k < 4; k++)
            assert_int_equal(t.llcs[i].cpu_list[k], i * 4 + k);
        assert_int_equal(t.llcs[i].node, i < 2 ? 0 : 1);
    }
    for (unsigned c = 0; c < 16; c++) {
        assert_int_equal(t.cpu_llc[c], (int)(c / 4));
        assert_int_equal(t.cpu_node[c], c < 8 ? 0 : 1);
    }
    assert_int_equal(t.nnodes, 2);
    assert_int_equal(t.nodes[0].id, 0);
    assert_int_equal(t.nodes[1].id, 1);
    assert_set(&t.nodes[0].cpus, "0-7");
    assert_set(&t.nodes[1].cpus, "8-15");
    assert_int_equal(t.nodes[0].nllcs, 2);
    assert_int_equal(t.nodes[0].llcs[0], 0);
    assert_int_equal(t.nodes[0].llcs[1], 1);
    assert_int_equal(t.nodes[1].llcs[0], 2);
    assert_int_equal(t.nodes[1].llcs[1], 3);
    assert_int_equal(ls_topology_distance(&t, 0, 0), 10);
    assert_int_equal(ls_topology_distance(&t, 0, 1), 20);
    assert_int_equal(ls_topology_distance(&t, 1, 0), 20);
    assert_int_equal(ls_topology_node_pos(&t, 1), 1);
    assert_int_equal(ls_topology_node_pos(&t, 5), -1);
    ls_topology_free(&t);
    ls_topology_free(&t); /* idempotent */
}

static void test_groups_sparse(void **state)
{
    (void)state;
    const char *lists[] = {"2,6", "1", "9-10"};
    const int nodes[] = {3, 0, 3};
    struct ls_topology t;
    struct ls_error err = {0};
    assert_int_equal(ls_topology_from_groups(&t, lists, nodes, 3, &err), 0);
    assert_set(&t.online, "1-2,6,9-10");
    assert_int_equal(t.max_cpu, 10);
    assert_int_equal(t.cpu_llc[0], -1);
    assert_int_equal(t.cpu_node[0], -1);
    assert_int_equal(t.cpu_llc[1], 0);
    assert_int_equal(t.cpu_llc[6], 1);
    assert_int_equal(t.cpu_node[6], 3);
    assert_int_equal(t.llcs[2].node, 3);
    assert_int_equal(t.nnodes, 2);
    assert_int_equal(ls_topology_node_pos(&t, 3), 1);
    assert_int_equal(t.nodes[1].nllcs, 2);
    assert_int_equal(ls_topology_distance(&t, 3, 0), 20);
    ls_topology_free(&t);
}

static void expect_groups_error(const char *const *lists, const int *nodes, size_t n,
                                const char *needle)
{
    struct ls_topology t;
    struct ls_error err = {0};
    assert_int_equal(ls_topology_from_groups(&t, lists, nodes, n, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    if (!strstr(err.msg, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
    assert_null(t.llcs);
}

static void test_groups_bad(void **state)
{
    (void)state;
    const char *overlap[] = {"0-3", "3-5"};
    const char *garbage[] = {"0-3", "x"};
    const char *empty[] = {"0-3", ""};
    const int nodes[] = {0, 0};
    const int neg[] = {0, -1};
    expect_groups_error(overlap, nodes, 2, "overlaps");
    expect_groups_error(garbage, nodes, 2, "LLC group 1");
    expect_groups_error(empty, nodes, 2, "no CPUs");
    expect_groups_error(overlap, neg, 2, "negative");
    expect_groups_error(overlap, nodes, 0, "at least one");
}

/* 4096 CPUs in 1024 LLCs over 64 nodes: must stay fast (linear post-processing). */
static void test_groups_large(void **state)
{
    (void)state;
    enum { NLLC = 1024 };
    static char bufs[NLLC][32];
    const char *lists[NLLC];
    int nodes[NLLC];
    for (int i = 0; i < NLLC; i++) {
        int j = NLLC - 1 - i; /* reversed input order */
        snprintf(bufs[i], sizeof(bufs[i]), "%d-%d", j * 4, j * 4 + 3);
        lists[i] = bufs[i];
        nodes[i] = j / 16;
    }
    struct ls_topology t;
    struct ls_error err = {0};
    assert_int_equal(ls_topology_from_groups(&t, lists, nodes, NLLC, &err), 0);
    assert_int_equal(t.nllcs, NLLC);
    assert_int_equal(t.nnodes, 64);
    assert_int_equal(t.max_cpu, 4095);
    for (int i = 0; i < NLLC; i++) {
        assert_int_equal(t.llcs[i].cpu_list[0], (unsigned)i * 4);
        assert_int_equal(t.llcs[i].node, i / 16);
    }
    for (int p = 0; p < 64; p++)
        assert_int_equal(t.nodes[p].nllcs, 16);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_order_and_tables),
        cmocka_unit_test(test_groups_sparse),
        cmocka_unit_test(test_groups_bad),
        cmocka_unit_test(test_groups_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

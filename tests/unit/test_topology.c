/* Topology model: ls_topology_from_groups post-processing, and sysfs discovery on synthetic
 * trees built in mktemp dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- synthetic sysfs trees ------------------------------------------------------------- */

static char tree[256]; /* the current tree's root */

static void putn(const char *rel, const char *content, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tree, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 && errno == ENOENT) { /* create the parents, then retry */
        for (char *p = path + strlen(tree) + 1; (p = strchr(p, '/')); p++) {
            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                fail_msg("mkdir %s: %s", path, strerror(errno));
            *p = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
}

/* put_f("text", "sys/devices/system/cpu/cpu%d/online", 3) */
static void put_f(const char *content, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_f(const char *content, const char *fmt, ...)
{
    char rel[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof(rel), fmt, ap);
    va_end(ap);
    putn(rel, content, strlen(content));
}

static void rm(const char *rel)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", tree, rel);
    assert_int_equal(system(cmd), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int tree_setup(void **state)
{
    (void)state;
    /* Thousands of tiny files: tmpfs when there is one (the shared disk here is slow). */
    const char *base = getenv("TMPDIR");
    if (!base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tree, sizeof(tree), "%s/llcslice-topo-XXXXXX", base);
    return mkdtemp(tree) ? 0 : -1;
}

static int tree_teardown(void **state)
{
    (void)state;
    return nftw(tree, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A host of ncpu CPUs, 2 threads per core, `per_llc` CPUs per L3, `nnodes` nodes splitting the
 * CPUs in equal ranges (one package per node), distances 10/21. */
static void make_host(int ncpu, int per_llc, int nnodes)
{
    char buf[256];
    rm("sys");
    snprintf(buf, sizeof(buf), "0-%d\n", ncpu - 1);
    put_f(buf, "sys/devices/system/cpu/online");
    int per_node = ncpu / nnodes;
    for (int c = 0; c < ncpu; c++) {
        const char *d = "sys/devices/system/cpu/cpu%d/cache/index%d/%s";
        int core = c / 2 * 2, llc = c / per_llc * per_llc;
        snprintf(buf, sizeof(buf), "%d-%d\n", core, core + 1);
        put_f(buf, "sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", c);
        snprintf(buf, sizeof(buf), "%d\n", c / per_node);
        put_f(buf, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
        put_f("1\n", d, c, 0, "level");
        put_f("Data\n", d, c, 0, "type");
        snprintf(buf, sizeof(buf), "%d-%d\n", core, core + 1);
        put_f(buf, d, c, 0, "shared_cpu_list");
        put_f("32K\n", d, c, 0, "size");
        put_f("1\n", d, c, 1, "level");
        put_f("Instruction\n", d, c, 1, "type");
        put_f(buf, d, c, 1, "shared_cpu_list");
        put_f("2\n", d, c, 2, "level");
        put_f("Unified\n", d, c, 2, "type");
        put_f(buf, d, c, 2, "shared_cpu_list");
        put_f("3\n", d, c, 3, "level");
        put_f("Unified\n", d, c, 3, "type");
        snprintf(buf, sizeof(buf), "%d-%d\n", llc, llc + per_llc - 1);
        put_f(buf, d, c, 3, "shared_cpu_list");
        put_f("16M\n", d, c, 3, "size");
        snprintf(buf, sizeof(buf), "%d\n", c / per_llc);
        put_f(buf, d, c, 3, "id");
    }
    for (int n = 0; n < nnodes; n++) {
        snprintf(buf, sizeof(buf), "%d-%d\n", n * per_node, n * per_node + per_node - 1);
        put_f(buf, "sys/devices/system/node/node%d/cpulist", n);
        char row[256] = "";
        for (int m = 0; m < nnodes; m++)
            snprintf(row + strlen(row), sizeof(row) - strlen(row), "%s%d", m ? " " : "",
                     m == n ? 10 : 21);
        strcat(row, "\n");
        put_f(row, "sys/devices/system/node/node%d/distance", n);
    }
    put_f("64\n", "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
    put_f("60\n", "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
}

static int discover(struct ls_topology *t, struct ls_error *err)
{
    struct ls_root root;
    assert_int_equal(ls_root_init(&root, tree, "--fsroot", err), 0);
    return ls_topology_discover(&root, t, err);
}

static void discover_ok(struct ls_topology *t)
{
    struct ls_error err = {0};
    if (discover(t, &err) < 0)
        fail_msg("discovery failed: %s", err.msg);
}

/* "0-3|4-7" style partition of the LLCs, in index order. */
static void assert_llcs(const struct ls_topology *t, const char *want)
{
    char got[4096] = "";
    for (size_t i = 0; i < t->nllcs; i++) {
        char *f = ls_cpuset_format(&t->llcs[i].cpus);
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "|" : "", f);
        free(f);
    }
    assert_string_equal(got, want);
}

static void assert_warning(const struct ls_topology *t, const char *needle)
{
    for (size_t i = 0; i < t->nwarnings; i++)
        if (strstr(t->warnings[i], needle))
            return;
    fail_msg("no warning mentions \"%s\" (%zu warnings%s%s)", needle, t->nwarnings,
             t->nwarnings ? ", first: " : "", t->nwarnings ? t->warnings[0] : "");
}

static void test_discover_basic(void **state)
{
    (void)state;
    make_host(16, 4, 2);
    struct ls_topology t;
    discover_ok(&t);
    assert_set(&t.online, "0-15");
    assert_llcs(&t, "0-3|4-7|8-11|12-15");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(t.llcs[i].level, 3);
        assert_int_equal(t.llcs[i].size_kb, 16384);
        assert_int_equal(t.llcs[i].node, i < 2 ? 0 : 1);
    }
    assert_int_equal(t.nnodes, 2);
    assert_set(&t.nodes[1].cpus, "8-15");
    assert_int_equal(t.nodes[1].nllcs, 2);
    assert_int_equal(ls_topology_distance(&t, 0, 1), 21);
    assert_int_equal(ls_topology_distance(&t, 1, 1), 10);
    assert_int_equal(t.hugepages_2m_total, 64);
    assert_int_equal(t.hugepages_2m_free, 60);
    assert_int_equal(t.nwarnings, 0);
    ls_topology_free(&t);
}

static void test_distance_missing(void **state)
{
    (void)state;
    make_host(8, 4, 2);
    rm("sys/devices/system/node/node0/distance");
    rm("sys/devices/system/node/node1/distance");
    struct ls_topology t;
    discover_ok(&t);
    assert_int_equal(ls_topology_distance(&t, 0, 1), 20);
    assert_int_equal(ls_topology_distance(&t, 1, 1), 10);
    ls_topology_free(&t);
    /* Only one missing: still 10/20, and the user is told which. */
    make_host(8, 4, 2);
    rm("sys/devices/system/node/node1/distance");
    discover_ok(&t);
    assert_int_equal(ls_topology_distance(&t, 0, 1), 20);
    assert_warning(&t, "node1/distance is missing");
    ls_topology_free(&t);
}

static void test_distance_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {"10 x\n", "10\n", "10 21 30\n", "10 0\n", "10 300\n", "\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        make_host(8, 4, 2);
        put_f(bad[i], "sys/devices/system/node/node0/distance");
        struct ls_topology t;
        discover_ok(&t);
        assert_int_equal(ls_topology_distance(&t, 0, 1), 20);
        assert_int_equal(ls_topology_distance(&t, 1, 0), 20);
        assert_warning(&t, "node0/distance is malformed");
        ls_topology_free(&t);
    }
    /* 255 (unreachable) is a valid distance. */
    make_host(8, 4, 2);
    put_f("10 255\n", "sys/devices/system/node/node0/distance");
    struct ls_topology t;
    discover_ok(&t);
    assert_int_equal(ls_topology_distance(&t, 0, 1), 255);
    assert_int_equal(t.nwarnings, 0);
    ls_topology_free(&t);
}

static void test_cache_id_ignored(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    /* Emulated CPUs: every CPU has its own id although they share the L3. */
    for (int c = 0; c < 8; c++) {
        char v[16];
        snprintf(v, sizeof(v), "%d\n", c * 7);
        put_f(v, "sys/devices/system/cpu/cpu%d/cache/index3/id", c);
    }
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-3|4-7");
    ls_topology_free(&t);
    /* And no id file at all. */
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/id", c);
        rm(rel);
    }
    discover_ok(&t);
    assert_llcs(&t, "0-3|4-7");
    ls_topology_free(&t);
}

static void test_no_cache_dir(void **state)
{
    (void)state;
    make_host(8, 4, 2);
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache", c);
        rm(rel);
    }
    /* Packages: 0-1 -> 0, 2-7 -> 1; nodes: 0-3 -> 0, 4-7 -> 1. */
    put_f("0\n", "sys/devices/system/cpu/cpu%d/topology/physical_package_id", 1);
    put_f("1\n", "sys/devices/system/cpu/cpu%d/topology/physical_package_id", 2);
    put_f("1\n", "sys/devices/system/cpu/cpu%d/topology/physical_package_id", 3);
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-3|4-7");
    for (size_t i = 0; i < t.nllcs; i++) {
        assert_int_equal(t.llcs[i].level, 0);
        assert_int_equal(t.llcs[i].size_kb, 0);
    }
    ls_topology_free(&t);
    /* Package 1 now spans both nodes: split by node. */
    rm("sys/devices/system/node");
    put_f("0-5\n", "sys/devices/system/node/node0/cpulist");
    put_f("6-7\n", "sys/devices/system/node/node1/cpulist");
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-5|6-7");
    assert_int_equal(t.llcs[1].node, 0);
    assert_int_equal(t.llcs[2].node, 1);
    ls_topology_free(&t);
}

static void test_offline_cpu0(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    put_f("1-7\n", "sys/devices/system/cpu/online");
    struct ls_topology t;
    discover_ok(&t);
    assert_set(&t.online, "1-7");
    assert_llcs(&t, "1-3|4-7");
    assert_int_equal(t.cpu_llc[0], -1);
    assert_int_equal(t.cpu_node[0], -1);
    assert_int_equal(t.cpu_llc[1], 0);
    ls_topology_free(&t);
    /* Old kernels: no cpu/online; cpuN/online says 0 (absent = online). */
    rm("sys/devices/system/cpu/online");
    put_f("0\n", "sys/devices/system/cpu/cpu%d/online", 0);
    put_f("1\n", "sys/devices/system/cpu/cpu%d/online", 5);
    put_f("0\n\0", "sys/devices/system/cpu/cpu%d/online", 6);
    discover_ok(&t);
    assert_set(&t.online, "1-5,7");
    assert_llcs(&t, "1-3|4-5,7");
    ls_topology_free(&t);
}

static void test_online_without_dir(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    put_f("0-9\n", "sys/devices/system/cpu/online");
    rm("sys/devices/system/cpu/cpu3");
    struct ls_topology t;
    discover_ok(&t);
    assert_set(&t.online, "0-2,4-7");
    assert_llcs(&t, "0-2|4-7");
    assert_warning(&t, "CPU 3 online but there is no cpu3 directory");
    assert_warning(&t, "CPU 8 online");
    assert_warning(&t, "CPU 9 online");
    ls_topology_free(&t);
}

static void test_empty_shared_list(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    for (int c = 0; c < 8; c++)
        put_f("\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", c);
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-3|4-5|6-7"); /* thread siblings */
    assert_int_equal(t.llcs[0].level, 3);
    ls_topology_free(&t);
    /* An all-zero shared_cpu_map (ia64) means the same. */
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", c);
        rm(rel);
        put_f("00000000,00000000\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_map", c);
    }
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-3|4-5|6-7");
    ls_topology_free(&t);
}

static void test_shared_map_fallback(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", c);
        rm(rel);
        put_f(c < 2 ? "03\n" : "fc\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_map",
              c);
    }
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-7");
    ls_topology_free(&t);
}

static void test_overlapping_groups(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    for (int c = 0; c < 8; c++)
        put_f(c < 4 ? "0\n" : "1\n", "sys/devices/system/cpu/cpu%d/topology/physical_package_id",
              c);
    put_f("2-5\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", 2);
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-3|4-7"); /* one group per package */
    assert_warning(&t, "cpu2/cache/index3/shared_cpu_list (2-5)");
    assert_warning(&t, "cpu0/cache/index3/shared_cpu_list (0-3)");
    assert_warning(&t, "one LLC group per package");
    ls_topology_free(&t);
    /* A CPU whose set disagrees with an earlier one that listed it. */
    make_host(8, 4, 1);
    put_f("3\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", 3);
    discover_ok(&t);
    assert_warning(&t, "cpu3/cache/index3/shared_cpu_list (3)");
    assert_llcs(&t, "0-7");
    ls_topology_free(&t);
    /* A CPU listed by an earlier one but with one more cache level: its LLC is that cache. */
    make_host(8, 4, 1);
    const char *d = "sys/devices/system/cpu/cpu%d/cache/index%d/%s";
    put_f("4\n", d, 1, 4, "level");
    put_f("Unified\n", d, 1, 4, "type");
    put_f("0-7\n", d, 1, 4, "shared_cpu_list");
    discover_ok(&t);
    assert_warning(&t, "cpu1/cache/index4/shared_cpu_list (0-7)");
    ls_topology_free(&t);
    /* Listed by an earlier one, but its L3 has no type: its LLC is its L2. */
    make_host(8, 4, 1);
    rm("sys/devices/system/cpu/cpu5/cache/index3/type");
    discover_ok(&t);
    assert_warning(&t, "cpu5/cache/index2/shared_cpu_list (4-5)");
    ls_topology_free(&t);
}

static void test_nul_terminated(void **state)
{
    (void)state;
    make_host(8, 4, 2);
    putn("sys/devices/system/cpu/online", "0-7\n\0", 5);
    for (int c = 0; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", c);
        putn(rel, c < 4 ? "0-3\0\n" : "4-7\0\0", 5);
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/level", c);
        putn(rel, "3\0", 2);
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/type", c);
        putn(rel, "Unified\n\0", 9);
    }
    putn("sys/devices/system/node/node1/cpulist", "4-7\0", 4);
    putn("sys/devices/system/node/node1/distance", "21 10\n\0", 7);
    putn("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "12\0\n", 4);
    struct ls_topology t;
    discover_ok(&t);
    assert_set(&t.online, "0-7");
    assert_llcs(&t, "0-3|4-7");
    assert_int_equal(t.llcs[1].level, 3);
    assert_int_equal(t.llcs[1].node, 1);
    assert_int_equal(ls_topology_distance(&t, 1, 0), 21);
    assert_int_equal(t.hugepages_2m_total, 12);
    assert_int_equal(t.nwarnings, 0);
    ls_topology_free(&t);
}

static void test_memory_only_node(void **state)
{
    (void)state;
    make_host(8, 4, 2);
    put_f("\n", "sys/devices/system/node/node2/cpulist");
    put_f("10 21 30\n", "sys/devices/system/node/node0/distance");
    put_f("21 10 30\n", "sys/devices/system/node/node1/distance");
    put_f("30 30 10\n", "sys/devices/system/node/node2/distance");
    struct ls_topology t;
    discover_ok(&t);
    assert_int_equal(t.nnodes, 3);
    assert_int_equal(t.nodes[2].id, 2);
    assert_true(ls_cpuset_empty(&t.nodes[2].cpus));
    assert_int_equal(t.nodes[2].nllcs, 0);
    assert_int_equal(ls_topology_distance(&t, 2, 0), 30);
    ls_topology_free(&t);
}

static void test_numa_rules(void **state)
{
    (void)state;
    /* Buggy firmware / memory tiers: node 1 lists every CPU, node 3 (HBM) lists 4-7 too. */
    make_host(8, 4, 1);
    put_f("0-5\n", "sys/devices/system/node/node0/cpulist");
    rm("sys/devices/system/node/node0/distance");
    put_f("0-7\n", "sys/devices/system/node/node1/cpulist");
    put_f("000000f0\n", "sys/devices/system/node/node3/cpumap"); /* cpumap fallback */
    struct ls_topology t;
    discover_ok(&t);
    assert_int_equal(t.nnodes, 3);
    assert_set(&t.nodes[0].cpus, "0-5");
    assert_set(&t.nodes[1].cpus, "6-7");
    assert_true(ls_cpuset_empty(&t.nodes[2].cpus));
    assert_int_equal(t.llcs[0].node, 0);
    assert_int_equal(t.llcs[1].node, 0); /* 4-5 on node 0, 6-7 on node 1: tie to lowest */
    put_f("0-4\n", "sys/devices/system/node/node0/cpulist");
    ls_topology_free(&t);
    discover_ok(&t);
    assert_int_equal(t.llcs[1].node, 1); /* 5-7 on node 1: majority */
    ls_topology_free(&t);
    /* CPUs in no node get node 0, created when absent. */
    rm("sys/devices/system/node");
    put_f("4-7\n", "sys/devices/system/node/node2/cpulist");
    discover_ok(&t);
    assert_int_equal(t.nnodes, 2);
    assert_int_equal(t.nodes[0].id, 0);
    assert_set(&t.nodes[0].cpus, "0-3");
    assert_int_equal(t.llcs[0].node, 0);
    assert_int_equal(t.llcs[1].node, 2);
    ls_topology_free(&t);
    /* No node directory at all: one node 0. */
    rm("sys/devices/system/node");
    discover_ok(&t);
    assert_int_equal(t.nnodes, 1);
    assert_int_equal(t.nodes[0].id, 0);
    assert_set(&t.nodes[0].cpus, "0-7");
    assert_int_equal(ls_topology_distance(&t, 0, 0), 10);
    ls_topology_free(&t);
}

static void test_hybrid_levels(void **state)
{
    (void)state;
    /* CPUs 4-7 have no L3: their LLC is their L2 (shared in pairs). */
    make_host(8, 4, 1);
    for (int c = 4; c < 8; c++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3", c);
        rm(rel);
    }
    put_f("0-3\n", "sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", 0);
    struct ls_topology t;
    discover_ok(&t);
    assert_llcs(&t, "0-3|4-5|6-7");
    assert_int_equal(t.llcs[0].level, 3);
    assert_int_equal(t.llcs[1].level, 2);
    ls_topology_free(&t);
}

static void expect_discover_error(enum ls_category cat, const char *needle)
{
    struct ls_topology t;
    struct ls_error err = {0};
    assert_int_equal(discover(&t, &err), -1);
    if (err.category != cat || !strstr(err.msg, needle))
        fail_msg("error %s \"%s\", expected %s mentioning \"%s\"", ls_category_name(err.category),
                 err.msg, ls_category_name(cat), needle);
    assert_null(t.llcs);
}

static void test_discover_errors(void **state)
{
    (void)state;
    /* Not a sysfs root at all. */
    put_f("x", "etc/hostname");
    expect_discover_error(LS_ERR_USAGE, "sys/devices/system/cpu/online does not exist");
    /* cpu dir present but empty. */
    put_f("x", "sys/devices/system/cpu/kernel_max");
    expect_discover_error(LS_ERR_USAGE, "sys/devices/system/cpu/online");
    /* Unreadable: a directory where a file should be (fails even for root). */
    make_host(8, 4, 1);
    rm("sys/devices/system/cpu/cpu5/cache/index3/type");
    put_f("x", "sys/devices/system/cpu/cpu5/cache/index3/type/oops");
    expect_discover_error(LS_ERR_SYSTEM, "cpu5/cache/index3/type");
    make_host(8, 4, 1);
    rm("sys/devices/system/cpu/online");
    put_f("x", "sys/devices/system/cpu/online/oops");
    expect_discover_error(LS_ERR_SYSTEM, "cannot read");
    rm("sys/devices/system/cpu/online");
    /* Garbage in a CPU list names the file. */
    put_f("0-3 zz\n", "sys/devices/system/cpu/online");
    expect_discover_error(LS_ERR_SYSTEM, "sys/devices/system/cpu/online");
    put_f("0-7\n", "sys/devices/system/cpu/online");
    put_f("0-3,x\n", "sys/devices/system/node/node0/cpulist");
    expect_discover_error(LS_ERR_SYSTEM, "node0/cpulist");
    /* Nothing online. */
    put_f("\n", "sys/devices/system/cpu/online");
    expect_discover_error(LS_ERR_USAGE, "no online CPUs");
}

static void test_allowed(void **state)
{
    (void)state;
    make_host(8, 4, 1);
    struct ls_topology t;
    discover_ok(&t);
    struct ls_root root;
    struct ls_error err = {0};
    ls_cpuset out = LS_CPUSET_INIT;
    assert_int_equal(ls_root_init(&root, tree, "--fsroot", &err), 0);
    /* Simulated root, no override: the simulated online CPUs. */
    assert_int_equal(ls_allowed_cpus(&root, &t, NULL, NULL, &out, &err), 0);
    assert_set(&out, "0-7");
    assert_int_equal(ls_allowed_cpus(&root, &t, "2-3,6", "--allowed-cpus", &out, &err), 0);
    assert_set(&out, "2-3,6");
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"", "LLCSLICE_ALLOWED_CPUS: the CPU list is empty"},
        {"  \n", "LLCSLICE_ALLOWED_CPUS: the CPU list is empty"},
        {"zz", "LLCSLICE_ALLOWED_CPUS"},
        {"3-1", "backwards"},
        {"0-3,8-9,12", "not online on this host: 8-9,12 (online: 0-7)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ls_error_clear(&err);
        assert_int_equal(
            ls_allowed_cpus(&root, &t, bad[i].text, "LLCSLICE_ALLOWED_CPUS", &out, &err), -1);
        assert_int_equal(err.category, LS_ERR_USAGE);
        if (!strstr(err.msg, bad[i].needle))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", bad[i].text, err.msg, bad[i].needle);
    }
    ls_topology_free(&t);

    /* The real host: affinity, non-empty, within the host's online CPUs. */
    struct ls_root host;
    assert_int_equal(ls_root_init(&host, NULL, "--fsroot", &err), 0);
    if (discover(&t, &err) == 0) {
        assert_int_equal(ls_allowed_cpus(&host, &t, NULL, NULL, &out, &err), 0);
        assert_false(ls_cpuset_empty(&out));
        cpu_set_t set;
        CPU_ZERO(&set);
        assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
        assert_int_equal(ls_cpuset_count(&out), (size_t)CPU_COUNT(&set));
        ls_topology_free(&t);
    }
    ls_cpuset_free(&out);
}

static void test_running_tasks(void **state)
{
    (void)state;
    struct ls_root root;
    struct ls_error err = {0};
    assert_int_equal(ls_root_init(&root, tree, "--fsroot", &err), 0);
    assert_int_equal(ls_host_running_tasks(&root), -1); /* no proc/stat */
    put_f("cpu  1 2 3\nctxt 5\nprocs_running 7\nprocs_blocked 0\n", "proc/stat");
    assert_int_equal(ls_host_running_tasks(&root), 7);
    put_f("procs_running x\n", "proc/stat");
    assert_int_equal(ls_host_running_tasks(&root), -1);
    struct ls_root host;
    assert_int_equal(ls_root_init(&host, "/", "--fsroot", &err), 0);
    assert_true(ls_host_running_tasks(&host) >= 1); /* this process is running */
}

/* Which cache index is the LLC: the highest level of type Unified/Data, lowest index on a tie,
 * whatever the numbering; an index without a usable type or level does not count. */
static void test_llc_index_choice(void **state)
{
    (void)state;
    const char *d = "sys/devices/system/cpu/cpu%d/cache/index%d/%s";
    struct ls_topology t;
    /* A second level-3 cache at a higher index sharing all CPUs: index3 (pairs) wins. */
    make_host(4, 2, 1);
    for (int c = 0; c < 4; c++) {
        put_f("3\n", d, c, 4, "level");
        put_f("Unified\n", d, c, 4, "type");
        put_f("0-3\n", d, c, 4, "shared_cpu_list");
    }
    discover_ok(&t);
    assert_llcs(&t, "0-1|2-3");
    assert_int_equal(t.llcs[0].level, 3);
    ls_topology_free(&t);
    /* The L3 has no type file, then a malformed level: the L2 (thread pairs) is the LLC. */
    for (int bad = 0; bad < 2; bad++) {
        make_host(4, 4, 1);
        for (int c = 0; c < 4; c++) {
            char rel[128];
            snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cache/index3/type", c);
            if (bad == 0)
                rm(rel);
            else
                put_f("x3\n", d, c, 3, "level");
        }
        discover_ok(&t);
        assert_llcs(&t, "0-1|2-3");
        assert_int_equal(t.llcs[0].level, 2);
        ls_topology_free(&t);
    }
    /* Gaps and junk in the numbering: index0, 1, 3, 7 (the L2), "index", "indexX". */
    make_host(4, 4, 1);
    for (int c = 0; c < 4; c++) {
        char from[512], to[512];
        snprintf(from, sizeof(from), "%s/sys/devices/system/cpu/cpu%d/cache/index2", tree, c);
        snprintf(to, sizeof(to), "%s/sys/devices/system/cpu/cpu%d/cache/index7", tree, c);
        assert_int_equal(rename(from, to), 0);
        put_f("3\n", "sys/devices/system/cpu/cpu%d/cache/index/level", c);
        put_f("4\n", "sys/devices/system/cpu/cpu%d/cache/indexX/level", c);
    }
    discover_ok(&t);
    assert_llcs(&t, "0-3");
    assert_int_equal(t.llcs[0].level, 3);
    assert_int_equal(t.llcs[0].size_kb, 16384);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_order_and_tables),
        cmocka_unit_test(test_groups_sparse),
        cmocka_unit_test(test_groups_bad),
        cmocka_unit_test(test_groups_large),
#define T(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)
        T(test_discover_basic),
        T(test_distance_missing),
        T(test_distance_malformed),
        T(test_cache_id_ignored),
        T(test_no_cache_dir),
        T(test_offline_cpu0),
        T(test_online_without_dir),
        T(test_empty_shared_list),
        T(test_shared_map_fallback),
        T(test_overlapping_groups),
        T(test_nul_terminated),
        T(test_memory_only_node),
        T(test_numa_rules),
        T(test_hybrid_levels),
        T(test_discover_errors),
        T(test_allowed),
        T(test_running_tasks),
        T(test_llc_index_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

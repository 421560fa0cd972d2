/* planner/sysfs.c's context, the one road to sysfs: held directory, views through it,
 * integer and cpuset files (list, then mask), numbered directory listings, and the full paths
 * errors name. Real files in a temporary tree. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/sysfs.h"

struct tree {
    char dir[64];
    struct ls_root root;
    struct ls_sysfs top, cpu; /* the root; sys/devices/system/cpu held open */
};

static void put(const struct tree *t, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
    for (char *p = path + strlen(t->dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    if (!text)
        return;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/llcslice-sysfs-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    struct ls_error err = {0};
    assert_int_equal(ls_root_init(&t->root, t->dir, "--fsroot", &err), 0);
    put(t, "sys/devices/system/cpu/online", "0-1\n");
    put(t, "sys/devices/system/cpu/cpu0/cache/index0/level", " 1\n");
    put(t, "sys/devices/system/cpu/cpu0/cache/index2/level", "3x\n");
    put(t, "sys/devices/system/cpu/cpu0/cache/index10/shared_cpu_map", "00000003\n");
    put(t, "sys/devices/system/cpu/cpu0/cache/indexfoo/", NULL);
    put(t, "sys/devices/system/cpu/cpu1/cache/index0/shared_cpu_list", "1,q\n");
    ls_sysfs_root(&t->top, &t->root);
    assert_int_equal(ls_sysfs_open(&t->cpu, &t->top, "sys/devices/system/cpu"), 0);
    assert_true(t->cpu.fd >= 0);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    ls_sysfs_close(&t->cpu);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void test_read(void **state)
{
    struct tree *t = *state;
    struct ls_error err = {0};
    long v = 0;
    assert_int_equal(ls_sysfs_read_long(&t->cpu, "cpu0/cache/index0/level", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(ls_sysfs_read_long(&t->cpu, "cpu0/cache/index2/level", &v, &err), 1);
    assert_int_equal(ls_sysfs_read_long(&t->cpu, "cpu0/cache/index9/level", &v, &err), 1);
    /* Through a view (nothing opened) and through the root (full paths): the same bytes. */
    struct ls_sysfs cache;
    assert_int_equal(ls_sysfs_view(&cache, &t->cpu, "cpu0/cache"), 0);
    assert_int_equal(ls_sysfs_read_long(&cache, "index0/level", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(
        ls_sysfs_read_long(&t->top, "sys/devices/system/cpu/cpu0/cache/index0/level", &v, &err), 0);
    /* A directory read as a file is an error naming the full path. */
    assert_int_equal(ls_sysfs_read_long(&cache, "index0", &v, &err), -1);
    char want[256];
    snprintf(want, sizeof(want),
             "cannot read %s/sys/devices/system/cpu/cpu0/cache/index0: ", t->dir);
    assert_memory_equal(err.msg, want, strlen(want));
    char path[256];
    snprintf(want, sizeof(want), "%s/sys/devices/system/cpu/cpu0/cache/index2/level", t->dir);
    assert_string_equal(ls_sysfs_path(&cache, "index2/level", path, sizeof(path)), want);
}

static void test_cpuset(void **state)
{
    struct tree *t = *state;
    struct ls_error err = {0};
    struct ls_sysfs cache;
    ls_cpuset set = LS_CPUSET_INIT;
    const char *used = NULL;
    /* The list is missing: the mask is read, and named. */
    assert_int_equal(ls_sysfs_view(&cache, &t->cpu, "cpu0/cache"), 0);
    assert_int_equal(ls_sysfs_read_cpuset(&cache, "index10/shared_cpu_list",
                                          "index10/shared_cpu_map", &set, &used, &err),
                     0);
    assert_string_equal(used, "index10/shared_cpu_map");
    assert_int_equal(ls_cpuset_count(&set), 2);
    assert_int_equal(ls_sysfs_read_cpuset(&cache, "index3/shared_cpu_list", NULL, &set, NULL, &err),
                     1);
    /* A malformed list is a system error naming the file's full path. */
    assert_int_equal(ls_sysfs_view(&cache, &t->cpu, "cpu1/cache"), 0);
    assert_int_equal(ls_sysfs_read_cpuset(&cache, "index0/shared_cpu_list", "index0/shared_cpu_map",
                                          &set, &used, &err),
                     -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    char want[256];
    snprintf(want, sizeof(want),
             "%s/sys/devices/system/cpu/cpu1/cache/index0/shared_cpu_list: ", t->dir);
    assert_memory_equal(err.msg, want, strlen(want));
    ls_cpuset_free(&set);
}

static void test_list_numbered(void **state)
{
    struct tree *t = *state;
    struct ls_error err = {0};
    struct ls_sysfs cache;
    int *ids = NULL;
    size_t n = 0;
    assert_int_equal(ls_sysfs_list_numbered(&t->cpu, "", "cpu", &ids, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    free(ids);
    /* Numeric order, not name order; "indexfoo" is no index. */
    assert_int_equal(ls_sysfs_view(&cache, &t->cpu, "cpu0/cache"), 0);
    assert_int_equal(ls_sysfs_list_numbered(&cache, "", "index", &ids, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 10);
    free(ids);
    assert_int_equal(ls_sysfs_list_numbered(&t->cpu, "cpu7/cache", "index", &ids, &n, &err), 1);
    assert_null(ids);
    /* A directory that cannot be held open reads through full paths, the same way. */
    _cleanup_sysfs_ struct ls_sysfs gone;
    assert_int_equal(ls_sysfs_open(&gone, &t->top, "sys/devices/system/node"), 0);
    assert_int_equal(gone.fd, -1);
    assert_int_equal(ls_sysfs_list_numbered(&gone, "", "node", &ids, &n, &err), 1);
    struct stat st;
    assert_int_equal(ls_sysfs_stat(&cache, "index10", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(ls_sysfs_stat(&cache, "index11", &st, 0), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpuset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_numbered, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* run's small pieces: the job environment, the LLCSLICE_PLAN file, the exclusive-mode host
 * warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/cleanup.h"
#include "supervisor/run/hostwarn.h"
#include "supervisor/run/jobenv.h"
#include "supervisor/run/planfile.h"

static void set_of(ls_cpuset *s, const char *list)
{
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_list(s, list, strlen(list), "test", &err), 0);
}

static const char *find(char **env, const char *name)
{
    size_t n = strlen(name);
    const char *hit = NULL;
    for (char **p = env; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=') {
            assert_null(hit); /* exactly once */
            hit = *p + n + 1;
        }
    return hit;
}

static void test_jobenv(void **state)
{
    (void)state;
    ls_cpuset cpus = LS_CPUSET_INIT, mems = LS_CPUSET_INIT;
    set_of(&cpus, "0-3,8");
    set_of(&mems, "0-1");
    char *base[] = {"PATH=/bin",
                    "LLCSLICE_CPUS=99",
                    "LLCSLICE_PLAN=/stale",
                    "LLCSLICE_CPUSX=keep",
                    "HOME=/root",
                    "LLCSLICE_VCPUS=7",
                    NULL};
    struct ls_error err = {0};
    char **env = ls_jobenv_build(base, &cpus, &mems, NULL, 0, &err);
    assert_non_null(env);
    assert_string_equal(find(env, "LLCSLICE_CPUS"), "0-3,8");
    assert_string_equal(find(env, "LLCSLICE_NCPUS"), "5");
    assert_string_equal(find(env, "LLCSLICE_MEMS"), "0-1");
    assert_null(find(env, "LLCSLICE_PLAN"));  /* an outer run's plan is not ours */
    assert_null(find(env, "LLCSLICE_VCPUS")); /* nor its vCPU count */
    assert_string_equal(find(env, "LLCSLICE_CPUSX"), "keep");
    assert_string_equal(find(env, "PATH"), "/bin");
    assert_string_equal(find(env, "HOME"), "/root");
    ls_jobenv_free(env);
    env = ls_jobenv_build(NULL, &cpus, &mems, "/tmp/p.json", 8, &err);
    assert_non_null(env);
    assert_string_equal(find(env, "LLCSLICE_PLAN"), "/tmp/p.json");
    assert_string_equal(find(env, "LLCSLICE_VCPUS"), "8"); /* NCPUS is the cpuset: 5 */
    assert_string_equal(find(env, "LLCSLICE_NCPUS"), "5");
    ls_jobenv_free(env);
    ls_cpuset_free(&cpus);
    ls_cpuset_free(&mems);
}

static void test_planfile(void **state)
{
    (void)state;
    struct ls_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.mode = LS_MODE_EXCLUSIVE;
    plan.target_cpus = 3;
    unsigned llcs[] = {1};
    plan.locked_llcs = llcs;
    plan.nlocked = 1;
    set_of(&plan.cpus, "4-6");
    set_of(&plan.mems, "1");
    struct ls_assignment a[] = {{0, 4}, {1, 5}};
    plan.assignments = a;
    plan.nassignments = 2;
    plan.service_cpu = 6;
    char *warn[] = {"say \"hi\""};
    plan.warnings = warn;
    plan.nwarnings = 1;

    char dir[] = "/tmp/llcslice-test-planfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("TMPDIR", dir, 1);
    char path[4096];
    struct ls_error err = {0};
    assert_int_equal(ls_planfile_write(&plan, path, sizeof(path), &err), 0);
    assert_true(!strncmp(path, dir, strlen(dir)));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* compact the pretty output to compare */
    char flat[4096];
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (text[i] != ' ' && text[i] != '\n')
            flat[o++] = text[i];
    flat[o] = '\0';
    assert_string_equal(flat, "{\"mode\":\"exclusive\",\"target_cpus\":3,\"locked_llcs\":[1],"
                              "\"cpus\":[4,5,6],\"mems\":[1],\"warnings\":[\"say\\\"hi\\\"\"],"
                              "\"assignments\":[[0,4],[1,5]],\"service_cpu\":6}");
    unlink(path);

    setenv("TMPDIR", "/nonexistent/llcslice", 1);
    assert_int_equal(ls_planfile_write(&plan, path, sizeof(path), &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_non_null(strstr(err.msg, "TMPDIR"));
    unsetenv("TMPDIR");
    rmdir(dir);
    ls_cpuset_free(&plan.cpus);
    ls_cpuset_free(&plan.mems);
}

static void test_hostwarn(void **state)
{
    (void)state;
    char *w;
    assert_non_null(w = ls_hugepage_warning(0, 0, 0));
    assert_non_null(strstr(w, "no free 2 MiB hugepages"));
    free(w);
    assert_null(ls_hugepage_warning(64, 10, 0));
    assert_null(ls_hugepage_warning(64, 10, 20ull << 20));
    assert_non_null(w = ls_hugepage_warning(64, 10, 21ull << 20));
    assert_non_null(strstr(w, "only 10 free 2 MiB hugepages, 11 needed"));
    free(w);

    assert_null(ls_load_warning(-1, 16, 4));
    assert_null(ls_load_warning(13, 16, 4)); /* 12 others on 12 outside CPUs */
    assert_non_null(w = ls_load_warning(14, 16, 4));
    assert_non_null(strstr(w, "13 runnable tasks besides llcslice for the 12 CPU(s)"));
    free(w);
    assert_non_null(w = ls_load_warning(2, 4, 4)); /* nothing outside the slice */
    free(w);
    assert_null(ls_load_warning(1, 4, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobenv),
        cmocka_unit_test(test_planfile),
        cmocka_unit_test(test_hostwarn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Budget, mode and --perf parsing; budget resolution against the allowed set. */
#include "plan_testlib.h"

static void expect_budget_error(const char *text, const char *needle)
{
    size_t n = 12345;
    struct ls_error err = {0};
    assert_int_equal(ls_budget_parse(text, "--cpus", &n, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_int_equal(n, 12345);
    assert_contains(err.msg, "--cpus");
    assert_contains(err.msg, needle);
}

static void test_budget_parse_good(void **state)
{
    (void)state;
    size_t n = 0;
    struct ls_error err = {0};
    assert_int_equal(ls_budget_parse("1", "--cpus", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ls_budget_parse("64", "--cpus", &n, &err), 0);
    assert_int_equal(n, 64);
    assert_int_equal(ls_budget_parse("007", "--cpus", &n, &err), 0);
    assert_int_equal(n, 7);
    assert_int_equal(ls_budget_parse("1048575", "--cpus", &n, &err), 0);
    assert_int_equal(n, 1048575);
}

static void test_budget_parse_bad(void **state)
{
    (void)state;
    expect_budget_error("0", "got 0");
    expect_budget_error("000", "got 0");
    expect_budget_error("-1", "positive decimal integer");
    expect_budget_error("-0", "positive decimal integer");
    expect_budget_error("+4", "positive decimal integer");
    expect_budget_error("abc", "\"abc\"");
    expect_budget_error("4x", "\"4x\"");
    expect_budget_error(" 4", "positive decimal integer");
    expect_budget_error("4 ", "positive decimal integer");
    expect_budget_error("0x10", "positive decimal integer");
    expect_budget_error("1e3", "positive decimal integer");
    expect_budget_error("3.5", "positive decimal integer");
    expect_budget_error("", "empty");
    expect_budget_error("1048576", "out of range");
    expect_budget_error("99999999999999999999999999", "out of range");
    expect_budget_error("18446744073709551617", "out of range");
    expect_budget_error("\xff\xfe", "non-UTF-8");
    expect_budget_error("4\xc3", "non-UTF-8");
    expect_budget_error("\xc0\xb4", "non-UTF-8"); /* overlong '4' */
    /* Valid UTF-8 that is still not a number. */
    expect_budget_error("\xd9\xa4", "positive decimal integer"); /* Arabic-Indic four */
    /* The env var is named when it is the source. */
    size_t n;
    struct ls_error err = {0};
    assert_int_equal(ls_budget_parse("0", "LLCSLICE_CPU_CAP", &n, &err), -1);
    assert_contains(err.msg, "LLCSLICE_CPU_CAP");
    /* Non-printable bytes never reach the message raw. */
    assert_int_equal(ls_budget_parse("\x1b[31m", "--cpus", &n, &err), -1);
    assert_null(strchr(err.msg, '\x1b'));
    assert_contains(err.msg, "\\x1b");
}

static void test_default_budget(void **state)
{
    (void)state;
    assert_int_equal(ls_default_budget(0), 1);
    assert_int_equal(ls_default_budget(1), 1);
    assert_int_equal(ls_default_budget(2), 1);
    assert_int_equal(ls_default_budget(3), 1);
    assert_int_equal(ls_default_budget(4), 2);
    assert_int_equal(ls_default_budget(10), 3);
    assert_int_equal(ls_default_budget(16), 5);
    assert_int_equal(ls_default_budget(64), 20);
    assert_int_equal(ls_default_budget(100), 30);
    assert_int_equal(ls_default_budget(4096), 1229);
}

static void test_vm_budget(void **state)
{
    (void)state;
    /* Floored at 30%, at least the vCPUs, clamped to the allowed set. */
    assert_int_equal(ls_vm_budget(64, 4), 20);
    assert_int_equal(ls_vm_budget(64, 32), 32);
    assert_int_equal(ls_vm_budget(64, 256), 64);
    assert_int_equal(ls_vm_budget(1, 8), 1);
    assert_int_equal(ls_vm_budget(10, 3), 3);
}

static void test_request_target(void **state)
{
    (void)state;
    struct ls_request r = req_make(LS_MODE_SHARED, 0);
    size_t t = 0;
    struct ls_error err = {0};
    assert_int_equal(ls_request_target(&r, 16, &t, &err), 0);
    assert_int_equal(t, 5);
    r.vcpus = 12;
    assert_int_equal(ls_request_target(&r, 16, &t, &err), 0);
    assert_int_equal(t, 12);
    r = req_make(LS_MODE_DEDICATED, 16);
    assert_int_equal(ls_request_target(&r, 16, &t, &err), 0);
    assert_int_equal(t, 16);
    /* Above the allowed set: a usage error naming both numbers, never "busy". */
    r.cpus = 17;
    assert_int_equal(ls_request_target(&r, 16, &t, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_contains(err.msg, "CPU budget 17 exceeds the 16 CPUs");
    assert_contains(err.msg, "Pick a value <= 16");
    /* Exclusive --perf: vCPUs + 1 service CPU. */
    r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){2, 4, 2, 1};
    assert_int_equal(ls_request_target(&r, 64, &t, &err), 0);
    assert_int_equal(t, 17);
}

static void test_mode_parse(void **state)
{
    (void)state;
    enum ls_mode m;
    struct ls_error err = {0};
    assert_int_equal(ls_mode_parse("shared", "--mode", &m, &err), 0);
    assert_int_equal(m, LS_MODE_SHARED);
    assert_int_equal(ls_mode_parse("dedicated", "--mode", &m, &err), 0);
    assert_int_equal(m, LS_MODE_DEDICATED);
    assert_int_equal(ls_mode_parse("exclusive", "--mode", &m, &err), 0);
    assert_int_equal(m, LS_MODE_EXCLUSIVE);
    assert_string_equal(ls_mode_name(LS_MODE_DEDICATED), "dedicated");
    const char *bad[] = {"", "Shared", "excl", "shared ", "perf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ls_mode_parse(bad[i], "--mode", &m, &err), -1);
        assert_int_equal(err.category, LS_ERR_USAGE);
        assert_contains(err.msg, "--mode must be shared, dedicated or exclusive");
    }
    assert_int_equal(ls_mode_parse(NULL, "--mode", &m, &err), -1);
}

static void test_perf_parse(void **state)
{
    (void)state;
    struct ls_perf_topo p;
    struct ls_error err = {0};
    assert_int_equal(ls_perf_parse("2x4x2", &p, &err), 0);
    assert_int_equal(p.llcs, 2);
    assert_int_equal(p.cores, 4);
    assert_int_equal(p.threads, 2);
    assert_int_equal(p.nodes, 1);
    assert_int_equal(ls_perf_parse("5x1x1,nodes=2", &p, &err), 0);
    assert_int_equal(p.llcs, 5);
    assert_int_equal(p.nodes, 2);
    assert_int_equal(ls_perf_parse("1x1x1", &p, &err), 0);

    const char *bad[] = {"",
                         "2x4",
                         "2x4x2x1",
                         "0x4x2",
                         "2x0x2",
                         "2x4x0",
                         "-1x4x2",
                         "2X4X2",
                         "2x4x2,",
                         "2x4x2,nodes=",
                         "2x4x2,nodes=0",
                         "2x4x2,node=1",
                         "2x4x2,nodes=3",
                         "x4x2",
                         "2x4x2 ",
                         "99999x1x1",
                         "1x99999x1",
                         "1x1x99",
                         "2x4x2,nodes=1x",
                         "4096x1024x16"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (ls_perf_parse(bad[i], &p, &err) != -1)
            fail_msg("--perf \"%s\" was accepted", bad[i]);
        assert_int_equal(err.category, LS_ERR_USAGE);
        assert_contains(err.msg, "--perf");
    }
    assert_int_equal(ls_perf_parse("2x4x2,nodes=3", &p, &err), -1);
    assert_contains(err.msg, "nodes=3 exceeds the 2 virtual LLCs");
}

/* One set of rules for every spelling: `what` names the value, ls_perf_check takes a
 * topology read as numbers (a slot file's mapping). */
static void test_perf_named_and_check(void **state)
{
    (void)state;
    struct ls_perf_topo p;
    struct ls_error err = {0};
    assert_int_equal(ls_perf_parse_as("2x4", "the virtual topology", &p, &err), -1);
    assert_string_equal(err.msg, "the virtual topology must be LLCSxCORESxTHREADS[,nodes=N] with "
                                 "every number >= 1 (at most 4096 LLCs, 1024 cores per LLC, 16 "
                                 "threads per core), e.g. 2x4x2 or 4x2x1,nodes=2; got \"2x4\"");
    assert_int_equal(ls_perf_parse_as("3x2x1,nodes=3", "x", &p, &err), 0);
    assert_int_equal(p.nodes, 3);

    struct ls_perf_topo ok = {2, 4, 1, 2};
    assert_int_equal(ls_perf_check(&ok, "perf", &err), 0);
    const struct ls_perf_topo bad[] = {{0, 1, 1, 1},  {1, 0, 1, 1},    {1, 1, 0, 1},
                                       {1, 1, 1, 0},  {4097, 1, 1, 1}, {1, 1025, 1, 1},
                                       {1, 1, 17, 1}, {1, 1, 1, 2},    {4096, 1024, 1, 1}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (ls_perf_check(&bad[i], "perf", &err) != -1)
            fail_msg("topology %zu was accepted", i);
        assert_int_equal(err.category, LS_ERR_USAGE);
    }
    struct ls_perf_topo over = {1, 2, 1, 2};
    assert_int_equal(ls_perf_check(&over, "perf", &err), -1);
    assert_string_equal(err.msg, "perf \"1x2x1,nodes=2\": nodes=2 exceeds the 1 virtual LLCs "
                                 "(every guest NUMA node needs at least one LLC)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_parse_good), cmocka_unit_test(test_budget_parse_bad),
        cmocka_unit_test(test_default_budget),    cmocka_unit_test(test_vm_budget),
        cmocka_unit_test(test_request_target),    cmocka_unit_test(test_mode_parse),
        cmocka_unit_test(test_perf_parse),        cmocka_unit_test(test_perf_named_and_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

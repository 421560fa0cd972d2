/* cpu-list and hex-mask parsing/formatting, every accepted and rejected form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner/cpuset.h"

static void expect_list(const char *text, size_t len, const char *canonical)
{
    ls_cpuset s = LS_CPUSET_INIT;
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_list(&s, text, len, "test", &err), 0);
    char *f = ls_cpuset_format(&s);
    assert_non_null(f);
    assert_string_equal(f, canonical);
    free(f);
    ls_cpuset_free(&s);
}

static void expect_list_error(const char *text, const char *needle)
{
    ls_cpuset s = LS_CPUSET_INIT;
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_list(&s, text, strlen(text), "test", &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    if (!strstr(err.msg, needle))
        fail_msg("error for \"%s\" was \"%s\", expected it to mention \"%s\"", text, err.msg,
                 needle);
    ls_cpuset_free(&s);
}

static void test_list_good(void **state)
{
    (void)state;
    expect_list("0-3,8,10-11", 11, "0-3,8,10-11");
    expect_list("0-3,8,10-11\n", 12, "0-3,8,10-11");
    expect_list("  5 , 1-2\t\n", 12, "1-2,5");
    expect_list("", 0, "");
    expect_list("\n", 1, "");
    expect_list("7\n\0\0", 4, "7");
    expect_list("3,2,1,0", 7, "0-3");
    expect_list("1048575", 7, "1048575");
    expect_list("63-65,127,128", 13, "63-65,127-128");
}

static void test_list_bad(void **state)
{
    (void)state;
    expect_list_error("3-1", "backwards");
    expect_list_error("a", "expected a number");
    expect_list_error("1,,2", "expected a number");
    expect_list_error("1,", "trailing comma");
    expect_list_error("1-", "expected a number");
    expect_list_error("-1", "expected a number");
    expect_list_error("1 2", "unexpected '2'");
    expect_list_error("99999999999999999999999", "out of range");
    expect_list_error("1048576", "out of range");
    expect_list_error("0-1048576", "out of range");
    expect_list_error("0x3", "unexpected 'x'");
}

static void expect_mask(const char *text, const char *canonical)
{
    ls_cpuset s = LS_CPUSET_INIT;
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_mask(&s, text, strlen(text), "mask", &err), 0);
    char *f = ls_cpuset_format(&s);
    assert_string_equal(f, canonical);
    free(f);
    ls_cpuset_free(&s);
}

static void test_mask(void **state)
{
    (void)state;
    expect_mask("f\n", "0-3");
    expect_mask("00000000,0000000f", "0-3");
    expect_mask("1,00000000", "32");
    expect_mask("ff,ffffffff", "0-39");
    expect_mask("80000000,00000001", "0,63");
    expect_mask("0", "");
    expect_mask("", "");
    ls_cpuset s = LS_CPUSET_INIT;
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_mask(&s, "fg", 2, "m", &err), -1);
    assert_non_null(strstr(err.msg, "not a hex digit"));
    assert_int_equal(ls_cpuset_parse_mask(&s, "1,f", 3, "m", &err), -1);
    assert_non_null(strstr(err.msg, "8 hex digits"));
    assert_int_equal(ls_cpuset_parse_mask(&s, "123456789", 9, "m", &err), -1);
    ls_cpuset_free(&s);
}

static void test_set_ops(void **state)
{
    (void)state;
    ls_cpuset a = LS_CPUSET_INIT, b = LS_CPUSET_INIT;
    struct ls_error err = {0};
    assert_int_equal(ls_cpuset_parse_list(&a, "0-9,200", 7, "a", &err), 0);
    assert_int_equal(ls_cpuset_parse_list(&b, "5-7", 3, "b", &err), 0);
    assert_int_equal(ls_cpuset_count(&a), 11);
    assert_true(ls_cpuset_subset(&b, &a));
    assert_false(ls_cpuset_subset(&a, &b));
    assert_int_equal(ls_cpuset_and_count(&a, &b), 3);
    assert_int_equal(ls_cpuset_last(&a), 200);
    assert_int_equal(ls_cpuset_next(&a, 9), 200);
    assert_int_equal(ls_cpuset_next(&a, 200), -1);
    ls_cpuset_andnot(&a, &b);
    assert_int_equal(ls_cpuset_count(&a), 8);
    assert_false(ls_cpuset_intersects(&a, &b));
    ls_cpuset_and(&b, &a);
    assert_true(ls_cpuset_empty(&b));
    ls_cpuset c = LS_CPUSET_INIT;
    assert_int_equal(ls_cpuset_copy(&c, &a), 0);
    assert_true(ls_cpuset_equal(&c, &a));
    assert_int_equal(ls_cpuset_add(&c, LS_MAX_CPUS), -1);
    ls_cpuset_free(&a);
    ls_cpuset_free(&b);
    ls_cpuset_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_good),
        cmocka_unit_test(test_list_bad),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_set_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

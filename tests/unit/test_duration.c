/* Duration parsing for --watch / --wait: every accepted and rejected form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "planner/duration.h"

static void expect_ms(const char *text, long long want)
{
    struct ls_error err = {0};
    long long ms = -42;
    if (ls_duration_parse(text, "--watch", &ms, &err) != 0)
        fail_msg("'%s' rejected: %s", text, err.msg);
    if (ms != want)
        fail_msg("'%s' -> %lld ms, want %lld", text, ms, want);
}

static void expect_bad(const char *text, const char *needle)
{
    struct ls_error err = {0};
    long long ms = -42;
    assert_int_equal(ls_duration_parse(text, "--wait", &ms, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_int_equal(ms, -42);
    assert_non_null(strstr(err.msg, "--wait"));
    if (!strstr(err.msg, needle))
        fail_msg("error for '%s' was \"%s\", expected \"%s\"", text, err.msg, needle);
}

static void test_good(void **state)
{
    (void)state;
    expect_ms("500ms", 500);
    expect_ms("1s", 1000);
    expect_ms("2m", 120000);
    expect_ms("1h", 3600000);
    expect_ms("10", 10000);
    expect_ms("0", 0);
    expect_ms("0s", 0);
    expect_ms("1.5s", 1500);
    expect_ms(".25s", 250);
    expect_ms("0.5", 500);
    expect_ms("1.5m", 90000);
    expect_ms("1m30s", 90000);
    expect_ms("1h2m3s4ms", 3723004);
    expect_ms("007s", 7000);
    expect_ms("1.000s", 1000);
    /* LLONG_MAX ms exactly fits. */
    expect_ms("9223372036854775807ms", 9223372036854775807LL);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("-1s", "negative");
    expect_bad("-5", "negative");
    expect_bad("+5", "expected a number");
    expect_bad("abc", "expected a number");
    expect_bad("s", "expected a number");
    expect_bad("1x", "unknown unit");
    expect_bad("1sec", "unknown unit");
    expect_bad("1S", "unknown unit");
    expect_bad("1 s", "unknown unit");
    expect_bad(" 1s", "expected a number");
    expect_bad("1s ", "expected a number");
    expect_bad("1.s", "decimal point");
    expect_bad(".", "decimal point");
    expect_bad("1.5.5s", "unknown unit");
    expect_bad("1m30", "no unit");
    expect_bad("0.0001s", "finer than a millisecond");
    expect_bad("1.5ms", "finer than a millisecond");
    expect_bad("9223372036854775808ms", "too long");
    expect_bad("9223372036854775807s", "too long");
    expect_bad("99999999999999999999999", "too long");
    expect_bad("5000000000000000h", "too long");
    expect_bad("9223372036854775807ms1ms", "too long");
    expect_bad("0.00000000000000000000001s", "decimal places");
}

static void test_null_text(void **state)
{
    (void)state;
    struct ls_error err = {0};
    long long ms;
    assert_int_equal(ls_duration_parse(NULL, NULL, &ms, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "empty"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_null_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* --memory-max style sizes: every accepted spelling and every rejected one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "planner/size.h"

static void expect_size(const char *text, uint64_t want)
{
    struct ls_error err = {0};
    uint64_t got = 0;
    if (ls_size_parse(text, "--memory-max", &got, &err) < 0)
        fail_msg("'%s' rejected: %s", text, err.msg);
    if (got != want)
        fail_msg("'%s' -> %llu, want %llu", text, (unsigned long long)got,
                 (unsigned long long)want);
}

static void expect_bad(const char *text, const char *needle)
{
    struct ls_error err = {0};
    uint64_t got = 7;
    assert_int_equal(ls_size_parse(text, "--memory-max", &got, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_int_equal(got, 7);
    if (!strstr(err.msg, needle) || !strstr(err.msg, "--memory-max"))
        fail_msg("error for '%s' was '%s', expected '%s'", text ? text : "(null)", err.msg, needle);
}

static void test_good(void **state)
{
    (void)state;
    expect_size("1", 1);
    expect_size("4096", 4096);
    expect_size("4096B", 4096);
    expect_size("1K", 1024);
    expect_size("1k", 1024);
    expect_size("512M", 512ull << 20);
    expect_size("2G", 2ull << 30);
    expect_size("2GiB", 2ull << 30);
    expect_size("2gb", 2ull << 30);
    expect_size("3T", 3ull << 40);
    expect_size("16777215T", 16777215ull << 40);
    expect_size("1P", 1ull << 50);
    expect_size("2PiB", 2ull << 50);
    expect_size("16383p", 16383ull << 50);
    expect_size("18446744073709551615", UINT64_MAX);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad(NULL, "empty");
    expect_bad("", "empty");
    expect_bad("12Q", "unknown unit 'Q'");
    expect_bad("1.5G", "'1.5G' (not a whole number)");
    expect_bad("1.G", "unknown unit '.G'");
    expect_bad("G", "invalid size");
    expect_bad("-1G", "invalid size");
    expect_bad(" 1G", "invalid size");
    expect_bad("1G ", "unknown unit");
    expect_bad("1 G", "unknown unit");
    expect_bad("1GG", "unknown unit");
    expect_bad("1KiBB", "unknown unit");
    expect_bad("0", "at least 1 byte");
    expect_bad("0M", "at least 1 byte");
    expect_bad("16777216T", "too large");
    expect_bad("16384P", "too large");
    expect_bad("1E", "unknown unit 'E'");
    expect_bad("18446744073709551616", "too large");
    expect_bad("99999999999999999999999", "too large");
}

/* what NULL: the message names no flag (a slot file puts FILE:LINE:COL: key first). */
static void test_unnamed(void **state)
{
    (void)state;
    struct ls_error err = {0};
    uint64_t got;
    assert_int_equal(ls_size_parse("4X", NULL, &got, &err), -1);
    assert_string_equal(err.msg, "invalid size '4X' (unknown unit 'X'): use a whole number of "
                                 "bytes with an optional K, M, G, T or P suffix (powers of "
                                 "1024), e.g. 512M or 4G");
    assert_int_equal(ls_size_parse("0", NULL, &got, &err), -1);
    assert_string_equal(err.msg, "size must be at least 1 byte, got '0'");
    assert_int_equal(ls_size_parse("2P", NULL, &got, &err), 0);
    assert_int_equal(got, 2ull << 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_good), cmocka_unit_test(test_bad),
                                       cmocka_unit_test(test_unnamed)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

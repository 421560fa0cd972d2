/* ls_parse_distance_row: the nodeN/distance parser on its own, every accepted and rejected
 * form, including inputs that are not NUL-terminated (the fuzz target's contract). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner/topology.h"

static void expect_row(const char *text, size_t len, size_t n, const unsigned *want)
{
    unsigned out[8];
    if (ls_parse_distance_row(text, len, out, n) != 0)
        fail_msg("row '%.*s' (n=%zu) rejected", (int)len, text, n);
    for (size_t j = 0; j < n; j++)
        assert_int_equal(out[j], want[j]);
}

static void expect_bad(const char *text, size_t len, size_t n)
{
    unsigned out[8];
    if (ls_parse_distance_row(text, len, out, n) != -1)
        fail_msg("row '%.*s' (n=%zu) accepted", (int)len, text, n);
}

#define ROW(s) s, sizeof(s) - 1

static void test_good(void **state)
{
    (void)state;
    expect_row(ROW("10 20\n"), 2, (unsigned[]){10, 20});
    expect_row(ROW("10"), 1, (unsigned[]){10});
    expect_row(ROW("  10\t21  31 \n\n\0\0"), 3, (unsigned[]){10, 21, 31});
    expect_row(ROW("10 255"), 2, (unsigned[]){10, 255});
    expect_row(ROW("1 010"), 2, (unsigned[]){1, 10}); /* leading zeros: still decimal */
    expect_row(ROW(""), 0, NULL);
    expect_row(ROW(" \n\0"), 0, NULL);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad(ROW("10 20"), 1);                      /* too many */
    expect_bad(ROW("10"), 2);                         /* too few */
    expect_bad(ROW(""), 1);                           /* empty */
    expect_bad(ROW("10 0"), 2);                       /* 0 is not a distance */
    expect_bad(ROW("10 256"), 2);                     /* above 255 */
    expect_bad(ROW("10 99999999999999999999999"), 2); /* overflow saturates, rejected */
    expect_bad(ROW("10 -20"), 2);
    expect_bad(ROW("10 +20"), 2);
    expect_bad(ROW("10 0x14"), 2);
    expect_bad(ROW("10,20"), 2);
    expect_bad(ROW("10 20abc"), 2);
    expect_bad(ROW("10 2\0"
                   "0"),
               3); /* an embedded NUL separates, so 3 values: 10 2 0 */
}

/* The buffer ends right after a digit: the parser must stop at len, not look for a NUL. */
static void test_not_terminated(void **state)
{
    (void)state;
    char *buf = malloc(5);
    memcpy(buf, "10 20", 5);
    expect_row(buf, 5, 2, (unsigned[]){10, 20});
    expect_row(buf, 4, 2, (unsigned[]){10, 2});
    expect_bad(buf, 3, 2);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_not_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

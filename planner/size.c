#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static int shift_for(const char *suffix)
{
    static const struct {
        char letter;
        int shift;
    } units[] = {{'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}, {'p', 50}};
    if (!*suffix)
        return 0;
    if ((suffix[0] == 'b' || suffix[0] == 'B') && !suffix[1])
        return 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (tolower((unsigned char)suffix[0]) != units[i].letter)
            continue;
        const char *rest = suffix + 1;
        if (!*rest || !strcmp(rest, "B") || !strcmp(rest, "iB") || !strcmp(rest, "ib") ||
            !strcmp(rest, "b"))
            return units[i].shift;
    }
    return -1;
}

/* "what: " before a message, or nothing when the caller names the value itself. */
#define WHAT_FMT "%s%s"
#define WHAT(w) (w) ? (w) : "", (w) ? ": " : ""

int ls_size_parse(const char *text, const char *what, uint64_t *out, struct ls_error *err)
{
    static const char hint[] = "use a whole number of bytes with an optional K, M, G, T or P "
                               "suffix (powers of 1024), e.g. 512M or 4G";
    if (!text || !*text)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, WHAT_FMT "empty size: %s", WHAT(what), hint);
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return ls_fail(err, LS_ERR_USAGE, EINVAL, WHAT_FMT "invalid size '%s': %s", WHAT(what),
                       text, hint);
    uint64_t value = 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return ls_fail(err, LS_ERR_USAGE, ERANGE, WHAT_FMT "size '%s' is too large", WHAT(what),
                           text);
        value = value * 10 + digit;
    }
    if (*p == '.' && isdigit((unsigned char)p[1]))
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       WHAT_FMT "invalid size '%s' (not a whole number): %s", WHAT(what), text,
                       hint);
    int shift = shift_for(p);
    if (shift < 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       WHAT_FMT "invalid size '%s' (unknown unit '%s'): %s", WHAT(what), text, p,
                       hint);
    if (shift && value > (UINT64_MAX >> shift))
        return ls_fail(err, LS_ERR_USAGE, ERANGE, WHAT_FMT "size '%s' is too large", WHAT(what),
                       text);
    value <<= shift;
    if (value == 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, WHAT_FMT "size must be at least 1 byte, got '%s'",
                       WHAT(what), text);
    *out = value;
    return 0;
}

#include "duration.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

struct unit {
    const char *name;
    long long ms;
};

/* Longest names first so "ms" is not read as "m" followed by garbage. */
static const struct unit units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
};

static const char hint[] = "expected e.g. 500ms, 10s, 2m, 1h, 1m30s or plain seconds";

static int bad(struct ls_error *err, const char *what, const char *text, const char *why)
{
    return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s '%s' is not a valid duration: %s (%s)", what,
                   text, why, hint);
}

static int too_big(struct ls_error *err, const char *what, const char *text)
{
    return ls_fail(err, LS_ERR_USAGE, ERANGE, "%s '%s' is too long a duration", what, text);
}

static const struct unit *match_unit(const char *p, size_t *len)
{
    size_t n = 0;
    while (p[n] >= 'a' && p[n] <= 'z')
        n++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == n && strncmp(p, units[i].name, n) == 0) {
            *len = n;
            return &units[i];
        }
    return NULL;
}

int ls_duration_parse(const char *text, const char *what, long long *ms_out, struct ls_error *err)
{
    if (!what)
        what = "duration";
    if (!text || !*text)
        return bad(err, what, text ? text : "", "it is empty");
    if (*text == '-')
        return bad(err, what, text, "it is negative");

    const char *p = text;
    long long total = 0;
    bool had_unit = false, plain = false;
    while (*p) {
        if (plain)
            return bad(err, what, text, "a plain number of seconds must stand alone");
        if (!(*p >= '0' && *p <= '9') && *p != '.')
            return bad(err, what, text, "expected a number");
        /* Integer part and fraction, kept exact: value = whole + frac / scale. */
        long long whole = 0, frac = 0, scale = 1;
        bool digits = false;
        for (; *p >= '0' && *p <= '9'; p++) {
            digits = true;
            if (whole > (LLONG_MAX - (*p - '0')) / 10)
                return too_big(err, what, text);
            whole = whole * 10 + (*p - '0');
        }
        if (*p == '.') {
            p++;
            if (!(*p >= '0' && *p <= '9'))
                return bad(err, what, text, "expected digits after the decimal point");
            for (; *p >= '0' && *p <= '9'; p++) {
                digits = true;
                if (scale > LLONG_MAX / 10)
                    return bad(err, what, text, "too many decimal places");
                frac = frac * 10 + (*p - '0');
                scale *= 10;
            }
        }
        if (!digits)
            return bad(err, what, text, "expected a number");

        long long unit_ms = 1000;
        if (*p == '\0') {
            if (had_unit)
                return bad(err, what, text, "the last number has no unit");
            plain = true;
        } else {
            size_t len = 0;
            const struct unit *u = match_unit(p, &len);
            if (!u)
                return bad(err, what, text, "unknown unit");
            unit_ms = u->ms;
            p += len;
            had_unit = true;
        }

        if (whole > LLONG_MAX / unit_ms)
            return too_big(err, what, text);
        long long ms = whole * unit_ms;
        if (frac) {
            if (frac > LLONG_MAX / unit_ms)
                return bad(err, what, text, "too many decimal places");
            long long part = frac * unit_ms;
            if (part % scale)
                return bad(err, what, text, "finer than a millisecond");
            if (ms > LLONG_MAX - part / scale)
                return too_big(err, what, text);
            ms += part / scale;
        }
        if (ms > LLONG_MAX - total)
            return too_big(err, what, text);
        total += ms;
    }
    *ms_out = total;
    return 0;
}

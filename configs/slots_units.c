#include "slots_units.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Leading decimal digits of *p into *out; false when none or it overflows. */
static bool take_number(const char **p, uint64_t *out, bool *overflow)
{
    const char *s = *p;
    uint64_t v = 0;
    *overflow = false;
    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            *overflow = true;
        else
            v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

int ls_slots_size_parse(const char *text, uint64_t *out, struct ls_error *err)
{
    static const char units[] = "KMGTP";
    const char *p = text;
    uint64_t v;
    bool overflow;
    if (!take_number(&p, &v, &overflow))
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "'%s' is not a size: write bytes or a whole number with K, M, G or T "
                       "(e.g. 512M, 4G)",
                       text);
    unsigned shift = 0;
    if (*p) {
        const char *u = strchr(units, toupper((unsigned char)*p));
        if (!u)
            goto bad_unit;
        shift = 10 * (unsigned)(u - units + 1);
        p++;
        if (*p == 'i' || *p == 'I')
            p++;
        if (*p == 'B' || *p == 'b')
            p++;
        if (*p)
            goto bad_unit;
    }
    if (overflow || (shift && v > (UINT64_MAX >> shift)))
        return ls_fail(err, LS_ERR_USAGE, ERANGE, "size '%s' is too large", text);
    if (v == 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "size '%s' must be more than 0", text);
    *out = v << shift;
    return 0;
bad_unit:
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "'%s' is not a size: the unit must be K, M, G, T or P (powers of 1024)", text);
}

void ls_slots_duration_format(uint64_t ms, char *buf, size_t size)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t off = 0;
    buf[0] = '\0';
    if (ms == 0) {
        snprintf(buf, size, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && off < size; i++) {
        uint64_t q = ms / units[i].ms;
        if (!q)
            continue;
        int n = snprintf(buf + off, size - off, "%llu%s", (unsigned long long)q, units[i].name);
        if (n < 0)
            return;
        off += (size_t)n;
        ms %= units[i].ms;
    }
}

void ls_slots_size_format(uint64_t bytes, char *buf, size_t size)
{
    static const char units[] = "PTGMK";
    for (size_t i = 0; i < 5; i++) {
        unsigned shift = 10 * (unsigned)(5 - i);
        if (bytes && !(bytes & ((UINT64_C(1) << shift) - 1))) {
            snprintf(buf, size, "%llu%c", (unsigned long long)(bytes >> shift), units[i]);
            return;
        }
    }
    snprintf(buf, size, "%llu", (unsigned long long)bytes);
}

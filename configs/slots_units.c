#include "slots_units.h"

#include <stdio.h>

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

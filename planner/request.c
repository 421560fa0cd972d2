/* Request vocabulary: reservation mode names and the --perf virtual topology. */
#include "plan_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PERF_MAX_LLCS 4096u
#define PERF_MAX_CORES 1024u
#define PERF_MAX_THREADS 16u
#define PERF_MAX_VCPUS 65536u

/* Printable rendering of untrusted text for error messages: quotes, \xNN for the rest. */
void ls_quote(const char *text, char *buf, size_t size)
{
    if (!text)
        text = "";
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 6 < size; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
    }
    if (o + 2 <= size)
        buf[o++] = '"';
    buf[o < size ? o : size - 1] = '\0';
}

static const char *const mode_names[] = {
    [LS_MODE_SHARED] = "shared",
    [LS_MODE_DEDICATED] = "dedicated",
    [LS_MODE_EXCLUSIVE] = "exclusive",
};

const char *ls_mode_name(enum ls_mode mode)
{
    if ((unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]))
        return mode_names[mode];
    return "?";
}

int ls_mode_parse(const char *text, enum ls_mode *out, struct ls_error *err)
{
    for (unsigned m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
        if (text && !strcmp(text, mode_names[m])) {
            *out = (enum ls_mode)m;
            return 0;
        }
    }
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "--mode must be shared, dedicated or exclusive (got %s)", shown);
}

/* Decimal 1..max at *p, advancing it; false on anything else. */
static bool number(const char **p, unsigned max, unsigned *out)
{
    unsigned long v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s++ - '0');
        if (v > max)
            return false;
    }
    if (v == 0)
        return false;
    *out = (unsigned)v;
    *p = s;
    return true;
}

int ls_perf_parse(const char *text, struct ls_perf_topo *out, struct ls_error *err)
{
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    struct ls_perf_topo t = {.nodes = 1};
    const char *p = text ? text : "";
    bool ok = number(&p, PERF_MAX_LLCS, &t.llcs) && *p++ == 'x' &&
              number(&p, PERF_MAX_CORES, &t.cores) && *p++ == 'x' &&
              number(&p, PERF_MAX_THREADS, &t.threads);
    if (ok && *p == ',') {
        p++;
        ok = !strncmp(p, "nodes=", 6);
        p += ok ? 6 : 0;
        ok = ok && number(&p, PERF_MAX_LLCS, &t.nodes);
    }
    if (!ok || *p)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--perf must be LLCSxCORESxTHREADS[,nodes=N] with every number >= 1 "
                       "(at most %u LLCs, %u cores per LLC, %u threads per core), e.g. 2x4x2 "
                       "or 4x2x1,nodes=2; got %s",
                       PERF_MAX_LLCS, PERF_MAX_CORES, PERF_MAX_THREADS, shown);
    unsigned long long vcpus = (unsigned long long)t.llcs * t.cores * t.threads;
    if (vcpus > PERF_MAX_VCPUS)
        return ls_fail(err, LS_ERR_USAGE, ERANGE,
                       "--perf %s declares %llu vCPUs; at most %u are supported", shown, vcpus,
                       PERF_MAX_VCPUS);
    if (t.nodes > t.llcs)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--perf %s: nodes=%u exceeds the %u virtual LLCs (every guest NUMA "
                       "node needs at least one LLC)",
                       shown, t.nodes, t.llcs);
    *out = t;
    return 0;
}

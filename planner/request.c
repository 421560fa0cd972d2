/* Request vocabulary: reservation mode names and the --perf virtual topology. */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "quote.h"

#define PERF_MAX_LLCS 4096u
#define PERF_MAX_CORES 1024u
#define PERF_MAX_THREADS 16u
#define PERF_MAX_VCPUS 65536u

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

int ls_mode_parse(const char *text, const char *what, enum ls_mode *out, struct ls_error *err)
{
    for (unsigned m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
        if (text && !strcmp(text, mode_names[m])) {
            *out = (enum ls_mode)m;
            return 0;
        }
    }
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s must be shared, dedicated or exclusive (got %s)",
                   what, shown);
}

static const char *const smt_names[] = {[LS_SMT_ANY] = "any", [LS_SMT_FULL_CORES] = "full-cores"};

const char *ls_smt_name(enum ls_smt smt)
{
    return (unsigned)smt < sizeof(smt_names) / sizeof(smt_names[0]) ? smt_names[smt] : "?";
}

int ls_smt_parse(const char *text, const char *what, enum ls_smt *out, struct ls_error *err)
{
    for (unsigned m = 0; m < sizeof(smt_names) / sizeof(smt_names[0]); m++) {
        if (text && !strcmp(text, smt_names[m])) {
            *out = (enum ls_smt)m;
            return 0;
        }
    }
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "%s must be any (prefer whole cores) or full-cores (whole cores only); got %s",
                   what, shown);
}

/* Decimal 0..max at *p, advancing it; false on anything else. Range rules: perf_check. */
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
    *out = (unsigned)v;
    *p = s;
    return true;
}

static int perf_syntax(const char *what, const char *shown, struct ls_error *err)
{
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "%s must be LLCSxCORESxTHREADS[,nodes=N] with every number >= 1 (at most %u "
                   "LLCs, %u cores per LLC, %u threads per core), e.g. 2x4x2 or 4x2x1,nodes=2; "
                   "got %s",
                   what, PERF_MAX_LLCS, PERF_MAX_CORES, PERF_MAX_THREADS, shown);
}

/* The limits every virtual topology obeys; `shown` is how the user wrote it, quoted. */
static int perf_check(const struct ls_perf_topo *t, const char *what, const char *shown,
                      struct ls_error *err)
{
    if (!t->llcs || !t->cores || !t->threads || !t->nodes || t->llcs > PERF_MAX_LLCS ||
        t->cores > PERF_MAX_CORES || t->threads > PERF_MAX_THREADS || t->nodes > PERF_MAX_LLCS)
        return perf_syntax(what, shown, err);
    unsigned long long vcpus = (unsigned long long)t->llcs * t->cores * t->threads;
    if (vcpus > PERF_MAX_VCPUS)
        return ls_fail(err, LS_ERR_USAGE, ERANGE,
                       "%s %s declares %llu vCPUs; at most %u are supported", what, shown, vcpus,
                       PERF_MAX_VCPUS);
    if (t->nodes > t->llcs)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s %s: nodes=%u exceeds the %u virtual LLCs (every guest NUMA "
                       "node needs at least one LLC)",
                       what, shown, t->nodes, t->llcs);
    return 0;
}

int ls_perf_check(const struct ls_perf_topo *t, const char *what, struct ls_error *err)
{
    char text[80], shown[96];
    if (t->nodes > 1)
        snprintf(text, sizeof(text), "%ux%ux%u,nodes=%u", t->llcs, t->cores, t->threads, t->nodes);
    else
        snprintf(text, sizeof(text), "%ux%ux%u", t->llcs, t->cores, t->threads);
    ls_quote(text, shown, sizeof(shown));
    return perf_check(t, what, shown, err);
}

int ls_perf_parse_as(const char *text, const char *what, struct ls_perf_topo *out,
                     struct ls_error *err)
{
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    struct ls_perf_topo t = {.nodes = 1};
    const char *p = text ? text : "";
    const unsigned cap = 1u << 20; /* parse bound only: perf_check has the real limits */
    bool ok = number(&p, cap, &t.llcs) && *p++ == 'x' && number(&p, cap, &t.cores) && *p++ == 'x' &&
              number(&p, cap, &t.threads);
    if (ok && *p == ',') {
        p++;
        ok = !strncmp(p, "nodes=", 6);
        p += ok ? 6 : 0;
        ok = ok && number(&p, cap, &t.nodes);
    }
    if (!ok || *p)
        return perf_syntax(what, shown, err);
    if (perf_check(&t, what, shown, err) < 0)
        return -1;
    *out = t;
    return 0;
}

int ls_perf_parse(const char *text, struct ls_perf_topo *out, struct ls_error *err)
{
    return ls_perf_parse_as(text, "--perf", out, err);
}

#include "cpuset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(ls_cpuset *s, size_t nwords)
{
    if (nwords <= s->nwords)
        return 0;
    size_t n = s->nwords ? s->nwords : 1;
    while (n < nwords)
        n *= 2;
    uint64_t *w = realloc(s->words, n * sizeof(*w));
    if (!w) {
        errno = ENOMEM;
        return -1;
    }
    memset(w + s->nwords, 0, (n - s->nwords) * sizeof(*w));
    s->words = w;
    s->nwords = n;
    return 0;
}

void ls_cpuset_free(ls_cpuset *s)
{
    free(s->words);
    s->words = NULL;
    s->nwords = 0;
}

void ls_cpuset_clear(ls_cpuset *s)
{
    if (s->words)
        memset(s->words, 0, s->nwords * sizeof(*s->words));
}

int ls_cpuset_add(ls_cpuset *s, unsigned id)
{
    if (id >= LS_MAX_CPUS) {
        errno = ERANGE;
        return -1;
    }
    if (grow(s, id / 64 + 1) < 0)
        return -1;
    s->words[id / 64] |= UINT64_C(1) << (id % 64);
    return 0;
}

void ls_cpuset_del(ls_cpuset *s, unsigned id)
{
    if (id / 64 < s->nwords)
        s->words[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

bool ls_cpuset_has(const ls_cpuset *s, unsigned id)
{
    return id / 64 < s->nwords && (s->words[id / 64] >> (id % 64)) & 1;
}

size_t ls_cpuset_count(const ls_cpuset *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nwords; i++)
        n += (size_t)__builtin_popcountll(s->words[i]);
    return n;
}

bool ls_cpuset_empty(const ls_cpuset *s)
{
    for (size_t i = 0; i < s->nwords; i++)
        if (s->words[i])
            return false;
    return true;
}

int ls_cpuset_next(const ls_cpuset *s, int prev)
{
    size_t start = (size_t)(prev + 1);
    size_t wi = start / 64;
    if (wi >= s->nwords)
        return -1;
    uint64_t w = s->words[wi] & (~UINT64_C(0) << (start % 64));
    for (;;) {
        if (w)
            return (int)(wi * 64 + (size_t)__builtin_ctzll(w));
        if (++wi >= s->nwords)
            return -1;
        w = s->words[wi];
    }
}

int ls_cpuset_first(const ls_cpuset *s)
{
    return ls_cpuset_next(s, -1);
}

int ls_cpuset_last(const ls_cpuset *s)
{
    for (size_t i = s->nwords; i-- > 0;)
        if (s->words[i])
            return (int)(i * 64 + 63 - (size_t)__builtin_clzll(s->words[i]));
    return -1;
}

int ls_cpuset_copy(ls_cpuset *dst, const ls_cpuset *src)
{
    ls_cpuset_clear(dst);
    return ls_cpuset_or(dst, src);
}

int ls_cpuset_or(ls_cpuset *dst, const ls_cpuset *src)
{
    if (grow(dst, src->nwords) < 0)
        return -1;
    for (size_t i = 0; i < src->nwords; i++)
        dst->words[i] |= src->words[i];
    return 0;
}

void ls_cpuset_and(ls_cpuset *dst, const ls_cpuset *src)
{
    for (size_t i = 0; i < dst->nwords; i++)
        dst->words[i] &= i < src->nwords ? src->words[i] : 0;
}

void ls_cpuset_andnot(ls_cpuset *dst, const ls_cpuset *src)
{
    for (size_t i = 0; i < dst->nwords && i < src->nwords; i++)
        dst->words[i] &= ~src->words[i];
}

static uint64_t word_at(const ls_cpuset *s, size_t i)
{
    return i < s->nwords ? s->words[i] : 0;
}

bool ls_cpuset_equal(const ls_cpuset *a, const ls_cpuset *b)
{
    size_t n = a->nwords > b->nwords ? a->nwords : b->nwords;
    for (size_t i = 0; i < n; i++)
        if (word_at(a, i) != word_at(b, i))
            return false;
    return true;
}

bool ls_cpuset_intersects(const ls_cpuset *a, const ls_cpuset *b)
{
    size_t n = a->nwords < b->nwords ? a->nwords : b->nwords;
    for (size_t i = 0; i < n; i++)
        if (a->words[i] & b->words[i])
            return true;
    return false;
}

bool ls_cpuset_subset(const ls_cpuset *sub, const ls_cpuset *super)
{
    for (size_t i = 0; i < sub->nwords; i++)
        if (sub->words[i] & ~word_at(super, i))
            return false;
    return true;
}

size_t ls_cpuset_and_count(const ls_cpuset *a, const ls_cpuset *b)
{
    size_t n = a->nwords < b->nwords ? a->nwords : b->nwords, c = 0;
    for (size_t i = 0; i < n; i++)
        c += (size_t)__builtin_popcountll(a->words[i] & b->words[i]);
    return c;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Trim blanks and trailing NULs; sysfs files end in "\n" and some in "\0". */
static void trim(const char **text, size_t *len)
{
    while (*len && is_blank((*text)[0])) {
        (*text)++;
        (*len)--;
    }
    while (*len && is_blank((*text)[*len - 1]))
        (*len)--;
}

/* Parse a decimal CPU id at p (advancing it); reject overflow and ids >= LS_MAX_CPUS. */
static int parse_id(const char **p, const char *end, unsigned *out, const char *what,
                    const char *text, size_t len, struct ls_error *err)
{
    const char *q = *p;
    unsigned long v = 0;
    if (q >= end || *q < '0' || *q > '9')
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s: invalid CPU list \"%.*s\": expected a number at offset %zu", what,
                       (int)len, text, (size_t)(q - text));
    while (q < end && *q >= '0' && *q <= '9') {
        v = v * 10 + (unsigned long)(*q - '0');
        if (v >= LS_MAX_CPUS)
            return ls_fail(err, LS_ERR_USAGE, ERANGE,
                           "%s: CPU id in \"%.*s\" is out of range (ids must be below %u)", what,
                           (int)len, text, LS_MAX_CPUS);
        q++;
    }
    *p = q;
    *out = (unsigned)v;
    return 0;
}

int ls_cpuset_parse_list(ls_cpuset *out, const char *text, size_t len, const char *what,
                         struct ls_error *err)
{
    ls_cpuset_clear(out);
    trim(&text, &len);
    const char *p = text, *end = text + len;
    while (p < end) {
        unsigned lo, hi;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (parse_id(&p, end, &lo, what, text, len, err) < 0)
            return -1;
        hi = lo;
        if (p < end && *p == '-') {
            p++;
            if (parse_id(&p, end, &hi, what, text, len, err) < 0)
                return -1;
            if (hi < lo)
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "%s: invalid CPU list \"%.*s\": range %u-%u runs backwards", what,
                               (int)len, text, lo, hi);
        }
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end) {
            if (*p != ',')
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "%s: invalid CPU list \"%.*s\": unexpected '%c' at offset %zu", what,
                               (int)len, text, *p, (size_t)(p - text));
            p++;
            if (p >= end)
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "%s: invalid CPU list \"%.*s\": trailing comma", what, (int)len,
                               text);
        }
        if (grow(out, hi / 64 + 1) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "%s: out of memory", what);
        for (unsigned c = lo; c <= hi; c++)
            out->words[c / 64] |= UINT64_C(1) << (c % 64);
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ls_cpuset_parse_mask(ls_cpuset *out, const char *text, size_t len, const char *what,
                         struct ls_error *err)
{
    ls_cpuset_clear(out);
    trim(&text, &len);
    if (len == 0)
        return 0;
    /* Walk from the least significant end so bit numbering needs no word count. */
    unsigned bit = 0, in_word = 0;
    for (size_t i = len; i-- > 0;) {
        char c = text[i];
        if (c == ',') {
            if (in_word != 8)
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "%s: invalid CPU mask \"%.*s\": each comma-separated word must "
                               "have 8 hex digits",
                               what, (int)len, text);
            in_word = 0;
            continue;
        }
        int v = hexval(c);
        if (v < 0)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s: invalid CPU mask \"%.*s\": '%c' is not a hex digit", what, (int)len,
                           text, c);
        if (++in_word > 8)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s: invalid CPU mask \"%.*s\": a word has more than 8 hex digits", what,
                           (int)len, text);
        if (v == 0) { /* most digits of a big host's mask */
            bit += 4;
            continue;
        }
        for (int b = 0; b < 4; b++, bit++) {
            if (!((v >> b) & 1))
                continue;
            if (ls_cpuset_add(out, bit) < 0)
                return ls_fail(err, errno == ERANGE ? LS_ERR_USAGE : LS_ERR_SYSTEM, errno,
                               "%s: CPU mask \"%.*s\" names a CPU id at or above %u", what,
                               (int)(len > 64 ? 64 : len), text, LS_MAX_CPUS);
        }
    }
    return 0;
}

char *ls_cpuset_format(const ls_cpuset *s)
{
    size_t cap = 64, used = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    int c = ls_cpuset_first(s);
    while (c >= 0) {
        int hi = c;
        while (ls_cpuset_has(s, (unsigned)hi + 1))
            hi++;
        char part[32];
        int n = hi == c ? snprintf(part, sizeof(part), "%s%d", used ? "," : "", c)
                        : snprintf(part, sizeof(part), "%s%d-%d", used ? "," : "", c, hi);
        if (used + (size_t)n + 1 > cap) {
            while (used + (size_t)n + 1 > cap)
                cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + used, part, (size_t)n + 1);
        used += (size_t)n;
        c = ls_cpuset_next(s, hi);
    }
    return buf;
}

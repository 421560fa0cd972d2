/* /proc/locks, read once per pass and indexed by (major, minor, inode).
 *
 * Lines look like (fs/locks.c, lock_get_status):
 *   "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"
 *   "1: -> FLOCK  ADVISORY  WRITE 1240 fe:00:5678 0 EOF"   a blocked waiter, not a holder
 *   "2: POSIX  ADVISORY  READ 99 00:2d:12 0 EOF"           fcntl locks: not ours
 * major and minor are printed in hex ("%02x:%02x:%lu"), unlike mountinfo's decimal. */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define LOCKS_MAX_BYTES (1ull << 30) /* far beyond any real /proc/locks */

struct cursor {
    const char *p, *end;
};

/* Next whitespace-separated token of the line, or false at its end. */
static bool token(struct cursor *c, const char **tok, size_t *len)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
    if (c->p >= c->end)
        return false;
    *tok = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    *len = (size_t)(c->p - *tok);
    return true;
}

static bool is(const char *tok, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(tok, word, len) == 0;
}

static bool parse_hex(const char *p, size_t len, unsigned *out)
{
    if (len == 0 || len > 8)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        v = v * 16 + d;
    }
    *out = v;
    return true;
}

static bool parse_dec_ull(const char *p, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 20)
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* A pid in the reader's namespace: 0 when the locker is invisible there, -1 for OFD locks. */
static bool parse_pid(const char *p, size_t len, pid_t *out)
{
    bool neg = len > 0 && p[0] == '-';
    unsigned long long v;
    if (!parse_dec_ull(p + neg, len - neg, &v) || v > INT_MAX)
        return false;
    *out = neg ? -(pid_t)v : (pid_t)v;
    return true;
}

/* "MAJ:MIN:INODE", the first two hex. */
static bool parse_id(const char *p, size_t len, struct ls_lock_entry *e)
{
    const char *c1 = memchr(p, ':', len);
    if (!c1)
        return false;
    const char *rest = c1 + 1;
    size_t rlen = len - (size_t)(rest - p);
    const char *c2 = memchr(rest, ':', rlen);
    if (!c2)
        return false;
    return parse_hex(p, (size_t)(c1 - p), &e->major) &&
           parse_hex(rest, (size_t)(c2 - rest), &e->minor) &&
           parse_dec_ull(c2 + 1, rlen - (size_t)(c2 + 1 - rest), &e->inode);
}

/* One line -> a FLOCK holder entry, or false for anything else. */
static bool parse_line(const char *line, size_t len, struct ls_lock_entry *e)
{
    struct cursor c = {line, line + len};
    const char *t;
    size_t n;
    /* "N:" ordinal. */
    if (!token(&c, &t, &n) || n < 2 || t[n - 1] != ':')
        return false;
    if (!token(&c, &t, &n))
        return false;
    if (n >= 2 && memcmp(t, "->", 2) == 0) /* blocked waiter: holds nothing */
        return false;
    if (!is(t, n, "FLOCK"))
        return false;
    if (!token(&c, &t, &n)) /* ADVISORY (MSNFS on ancient kernels) */
        return false;
    if (!token(&c, &t, &n))
        return false;
    if (is(t, n, "READ"))
        e->mode = LS_LOCK_SHARED;
    else if (is(t, n, "WRITE"))
        e->mode = LS_LOCK_EXCLUSIVE;
    else
        return false;
    if (!token(&c, &t, &n) || !parse_pid(t, n, &e->pid))
        return false;
    if (!token(&c, &t, &n) || !parse_id(t, n, e))
        return false;
    return true;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct ls_lock_entry *x = a, *y = b;
    if (x->major != y->major)
        return x->major < y->major ? -1 : 1;
    if (x->minor != y->minor)
        return x->minor < y->minor ? -1 : 1;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (int)x->mode - (int)y->mode;
}

/* Holders parsed so far, in file order. */
struct parsed {
    struct ls_lock_entry *v;
    size_t n, cap;
};

/* Parse the whole lines of text[0, len) into p; with final, the last line even without its
 * newline. The bytes consumed, or -1 on ENOMEM. */
static ssize_t parse_lines(struct parsed *p, const char *text, size_t len, bool final)
{
    const char *end = text + len, *line = text;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl && !final)
            break;
        size_t l = nl ? (size_t)(nl - line) : (size_t)(end - line);
        struct ls_lock_entry e = {0};
        bool ok = parse_line(line, l, &e);
        line = nl ? nl + 1 : end;
        if (!ok)
            continue;
        if (p->n == p->cap) {
            size_t nc = p->cap ? p->cap * 2 : 64;
            struct ls_lock_entry *nv = realloc(p->v, nc * sizeof(*nv));
            if (!nv)
                return -1;
            p->v = nv;
            p->cap = nc;
        }
        p->v[p->n++] = e;
    }
    return line - text;
}

/* p sorted into t (p is emptied). */
static void parsed_to_table(struct parsed *p, struct ls_locktable *t)
{
    if (p->n)
        qsort(p->v, p->n, sizeof(*p->v), cmp_entry);
    t->entries = p->v;
    t->n = p->n;
    *p = (struct parsed){0};
}

int ls_locktable_parse(struct ls_locktable *t, const char *text, size_t len, struct ls_error *err)
{
    t->entries = NULL;
    t->n = 0;
    struct parsed p = {0};
    if (parse_lines(&p, text, len, true) < 0) {
        free(p.v);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory parsing /proc/locks");
    }
    parsed_to_table(&p, t);
    return 0;
}

/* Read and parse path a chunk at a time, with the number of read() calls it took and a
 * digest of the text (FNV-1a, 64 bits). No copy of the whole text is kept: with 10,000
 * holders it is three times the size of their table. */
static int read_table(const char *path, struct ls_locktable *t, unsigned *calls, uint64_t *digest,
                      struct ls_error *err)
{
    t->entries = NULL;
    t->n = 0;
    *calls = 0;
    *digest = 0xcbf29ce484222325ull;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno,
                       "cannot read %s: %s (lock holders cannot be discovered without it)", path,
                       strerror(errno));
    const size_t cap = 1 << 16;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading %s", path);
    struct parsed p = {0};
    size_t have = 0;
    bool skipping = false; /* in the rest of a line longer than the buffer */
    unsigned long long total = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(p.v);
            return ls_fail(err, LS_ERR_SYSTEM, e, "cannot read %s: %s", path, strerror(e));
        }
        total += (unsigned long long)r;
        if (total > LOCKS_MAX_BYTES) {
            free(p.v);
            return ls_fail(err, LS_ERR_SYSTEM, EFBIG, "%s is larger than %llu bytes", path,
                           LOCKS_MAX_BYTES);
        }
        if (r > 0)
            (*calls)++;
        for (ssize_t i = 0; i < r; i++)
            *digest = (*digest ^ (unsigned char)buf[have + (size_t)i]) * 0x100000001b3ull;
        have += (size_t)r;
        if (skipping) {
            char *nl = memchr(buf, '\n', have);
            size_t drop = nl ? (size_t)(nl + 1 - buf) : have;
            memmove(buf, buf + drop, have - drop);
            have -= drop;
            skipping = !nl;
        }
        ssize_t used = parse_lines(&p, buf, have, r == 0);
        if (used < 0) {
            free(p.v);
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading %s", path);
        }
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
        if (r == 0)
            break;
        if (have == cap) { /* a line longer than the buffer (no lock line is): skip it */
            skipping = true;
            have = 0;
        }
    }
    parsed_to_table(&p, t);
    return 0;
}

/* Entries of a or b (both sorted), as a multiset: an entry twice in one (one process holding
 * a file through two open descriptions) stays twice, one in both is kept once. */
static int table_union(struct ls_locktable *a, const struct ls_locktable *b)
{
    size_t n = a->n + b->n;
    struct ls_lock_entry *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return -1;
    size_t i = 0, j = 0, k = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : cmp_entry(&a->entries[i], &b->entries[j]);
        if (c <= 0)
            v[k++] = a->entries[i++];
        else
            v[k++] = b->entries[j++];
        if (c == 0)
            j++;
    }
    free(a->entries);
    a->entries = v;
    a->n = k;
    return 0;
}

#define CONSISTENT_TRIES 4

static bool tables_equal(const struct ls_locktable *a, const struct ls_locktable *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (cmp_entry(&a->entries[i], &b->entries[i]) != 0)
            return false;
    return true;
}

int ls_locktable_read(struct ls_locktable *t, const char *path, struct ls_error *err)
{
    t->entries = NULL;
    t->n = 0;
    if (!path)
        path = "/proc/locks";
    /* The kernel fills one read() from one walk of the lock list, but a walk yields about a
     * page: a longer file comes from several walks, and locks taken or dropped between them
     * shift the rest, so a held lock can be missed. Such a read is repeated until two agree
     * (the same text, by digest, and the same locks); if churn never lets them, the union of the
     * last two is used (a lock in either was held a moment ago: never reported free by mistake, at
     * worst busy a moment too long). */
    struct ls_locktable prev = {0};
    uint64_t prev_digest = 0;
    for (int attempt = 0;; attempt++) {
        unsigned calls;
        uint64_t digest;
        if (read_table(path, t, &calls, &digest, err) < 0) {
            ls_locktable_free(&prev);
            return -1;
        }
        bool settled =
            calls <= 1 || (attempt > 0 && digest == prev_digest && tables_equal(&prev, t));
        if (settled || attempt + 1 >= CONSISTENT_TRIES) {
            int rc = settled ? 0 : table_union(t, &prev);
            ls_locktable_free(&prev);
            if (rc < 0) {
                ls_locktable_free(t);
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading %s", path);
            }
            return 0;
        }
        ls_locktable_free(&prev);
        prev = *t;
        prev_digest = digest;
        t->entries = NULL;
        t->n = 0;
    }
}

int ls_locktable_read_once(struct ls_locktable *t, bool *torn, struct ls_error *err)
{
    unsigned calls;
    uint64_t digest;
    int r = read_table("/proc/locks", t, &calls, &digest, err);
    *torn = calls > 1;
    return r;
}

void ls_locktable_free(struct ls_locktable *t)
{
    free(t->entries);
    t->entries = NULL;
    t->n = 0;
}

bool ls_locktable_has_device(const struct ls_locktable *t, unsigned major, unsigned minor)
{
    const struct ls_lock_entry *e;
    ls_locktable_find(t, major, minor, 0, &e); /* *e: first entry at or after (major, minor, 0) */
    return e && e->major == major && e->minor == minor;
}

size_t ls_locktable_find(const struct ls_locktable *t, unsigned major, unsigned minor,
                         unsigned long long inode, const struct ls_lock_entry **first)
{
    struct ls_lock_entry key = {.major = major, .minor = minor, .inode = inode};
    /* Lower bound on (major, minor, inode), ignoring pid and mode. */
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ls_lock_entry *m = &t->entries[mid];
        bool less = m->major != key.major   ? m->major < key.major
                    : m->minor != key.minor ? m->minor < key.minor
                                            : m->inode < key.inode;
        if (less)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < t->n && t->entries[end].major == major && t->entries[end].minor == minor &&
           t->entries[end].inode == inode)
        end++;
    *first = lo < t->n ? &t->entries[lo] : NULL;
    return end - lo;
}

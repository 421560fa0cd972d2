/* Topology discovery from sysfs under a filesystem root (DESIGN.md "Topology"): online CPUs,
 * LLC groups from the caches' shared CPU sets, NUMA home nodes, distances, hugepages. */
#include "topology.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define CPU_DIR "sys/devices/system/cpu"
#define NODE_DIR "sys/devices/system/node"
#define HUGE_DIR "sys/kernel/mm/hugepages/hugepages-2048kB"
#define NO_PACKAGE INT_MIN /* package id not read yet */

/* A cache layout a full scan found: the highest index number and which index is the LLC, at
 * what level. CPUs of one kind have the same layout, so the levels of all their indices are
 * read once per kind, not once per CPU (see find_llc_index). */
#define MAX_LAYOUTS 4
struct layout {
    int max_index;
    int llc; /* index number, -1 none */
    long level;
};

struct scan {
    const struct ls_root *root;
    struct ls_topology *topo;
    size_t ncpu;    /* max online CPU + 1: size of the per-CPU arrays */
    int *home;      /* home node id per CPU */
    int *package;   /* physical package id per CPU (-1 unknown), read lazily */
    int *group;     /* LLC group per CPU, -1 none yet */
    char **source;  /* per group: the file its CPU set came from */
    size_t cap;     /* capacity of topo->llcs / source */
    char *conflict; /* which files disagree, when the cache groups overlap */
    /* "<root>/sys/devices/system/cpu/cpu": per-CPU paths are this plus "N/leaf", built
     * without printf (thousands of them on big hosts). */
    char cpu_path[4352];
    size_t cpu_path_len;
    /* <root>/sys/devices/system/cpu held open: "cpuN/cache" opens relative to it walk two path
     * components instead of the whole root (-1: use the full path). */
    int cpu_dirfd;
    struct layout layouts[MAX_LAYOUTS];
    size_t nlayouts;
};

#define PATH_BUF (4352 + 128)

static int oom(struct ls_error *err)
{
    return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory while reading the topology");
}

static void full_path(const struct ls_root *root, char *buf, size_t size, const char *rel)
{
    if (ls_root_path(root, buf, size, "%s", rel) < 0)
        snprintf(buf, size, "%s", rel);
}

/* Decimal v at p; returns the end (no NUL). */
static char *put_uint(char *p, unsigned v)
{
    char t[12];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (n)
        *p++ = t[--n];
    return p;
}

/* "<root>/sys/devices/system/cpu/cpu<cpu>/<leaf>" into buf[PATH_BUF]. */
static const char *cpu_file(const struct scan *s, int cpu, const char *leaf, char *buf)
{
    size_t n = strlen(leaf);
    if (s->cpu_path_len + 12 + n + 1 > PATH_BUF) {
        buf[0] = '\0';
        return buf;
    }
    memcpy(buf, s->cpu_path, s->cpu_path_len);
    char *p = put_uint(buf + s->cpu_path_len, (unsigned)cpu);
    *p++ = '/';
    memcpy(p, leaf, n + 1);
    return buf;
}

/* "index<idx>/<leaf>" into buf[64]. */
static const char *index_file(int idx, const char *leaf, char *buf)
{
    char *p = buf;
    memcpy(p, "index", 5);
    p = put_uint(p + 5, (unsigned)idx);
    *p++ = '/';
    size_t room = 64 - (size_t)(p - buf) - 1, n = strlen(leaf);
    n = n < room ? n : room;
    memcpy(p, leaf, n);
    p[n] = '\0';
    return buf;
}

/* Read root-relative rel: 0 ok, 1 missing (ENOENT/ENOTDIR), -1 error naming the path. */
static int read_file(const struct ls_root *root, const char *rel, char **out, size_t *len,
                     struct ls_error *err)
{
    /* Sysfs attributes and dumped regular files: a short read is the end (ls_read_at). */
    char full[4352];
    int r = ls_root_path(root, full, sizeof(full), "%s", rel) < 0
                ? -ENAMETOOLONG
                : ls_read_at(AT_FDCWD, full, out, len);
    if (r == -ENOENT || r == -ENOTDIR)
        return 1;
    if (r < 0) {
        char path[4352];
        full_path(root, path, sizeof(path), rel);
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot read %s: %s", path, strerror(-r));
    }
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Trim blanks and NULs from both ends, in place. */
static char *trim(char *text, size_t len)
{
    while (len && is_blank(text[len - 1]))
        len--;
    text[len] = '\0';
    while (*text && is_blank(*text))
        text++;
    return text;
}

/* An integer file's text: 0 ok, 1 malformed. Trims in place. */
static int parse_long(char *text, size_t len, long *out)
{
    char *t = trim(text, len), *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (!*t || *end || errno)
        return 1;
    *out = v;
    return 0;
}

/* One integer file: 0 ok, 1 missing or malformed (caller picks the default), -1 error. */
static int read_long(const struct ls_root *root, const char *rel, long *out, struct ls_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file(root, rel, &text, &len, err);
    if (r != 0)
        return r;
    return parse_long(text, len, out);
}

/* A cpu-list file, else its hex-mask sibling; intersected with online unless raw. 1 when neither
 * exists. */
static int read_set_raw(const struct scan *s, ls_cpuset *out, const char *list_rel,
                        const char *map_rel, const char **used, bool raw, struct ls_error *err)
{
    const char *rels[2] = {list_rel, map_rel};
    for (int i = 0; i < 2; i++) {
        if (!rels[i])
            continue;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file(s->root, rels[i], &text, &len, err);
        if (r < 0)
            return -1;
        if (r == 1)
            continue;
        char path[4352];
        full_path(s->root, path, sizeof(path), rels[i]);
        r = i == 0 ? ls_cpuset_parse_list(out, text, len, path, err)
                   : ls_cpuset_parse_mask(out, text, len, path, err);
        if (r < 0) {
            if (err) /* a corrupt host file, not the user's input */
                err->category = LS_ERR_SYSTEM;
            return -1;
        }
        if (!raw)
            ls_cpuset_and(out, &s->topo->online);
        if (used)
            *used = rels[i];
        return 0;
    }
    return 1;
}

static int read_set(const struct scan *s, ls_cpuset *out, const char *list_rel, const char *map_rel,
                    const char **used, struct ls_error *err)
{
    return read_set_raw(s, out, list_rel, map_rel, used, false, err);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Ascending; insertion sort for the handful of cache indices a CPU has. */
static void sort_ints(int *v, size_t n)
{
    if (n > 16) {
        qsort(v, n, sizeof(int), cmp_int);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        int x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Append the numeric suffix of name ("cpu12" / "index3") to ids when it has prefix. */
static int add_numbered(const char *name, const char *prefix, size_t plen, int **ids, size_t *n,
                        size_t *cap, struct ls_error *err)
{
    const char *num = name + plen;
    if (strncmp(name, prefix, plen) || !isdigit((unsigned char)*num))
        return 0;
    char *end;
    errno = 0;
    unsigned long v = strtoul(num, &end, 10);
    if (*end || errno || v >= LS_MAX_CPUS)
        return 0;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        int *nids = realloc(*ids, *cap * sizeof(int));
        if (!nids) {
            free(*ids);
            *ids = NULL;
            return oom(err);
        }
        *ids = nids;
    }
    (*ids)[(*n)++] = (int)v;
    return 0;
}

/* Numeric suffixes of names like "cpu12" / "index3" in an open directory, ascending. */
static int list_numbered_dir(DIR *d, const char *prefix, int **ids, size_t *n, struct ls_error *err)
{
    *ids = NULL;
    *n = 0;
    size_t plen = strlen(prefix), cap = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (add_numbered(e->d_name, prefix, plen, ids, n, &cap, err) < 0)
            return -1;
    sort_ints(*ids, *n);
    return 0;
}

/* The same on a directory fd, with getdents64 into a stack buffer: a cache dir is listed once
 * per CPU, and opendir's fstat and heap buffer show there. */
static int list_numbered_fd(int fd, const char *prefix, int **ids, size_t *n, struct ls_error *err)
{
    *ids = NULL;
    *n = 0;
    size_t plen = strlen(prefix), cap = 0;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        ssize_t got = getdents64(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) /* an error ends the listing, as it ends readdir() */
            break;
        for (ssize_t off = 0; off < got;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            off += e->d_reclen;
            if (add_numbered(e->d_name, prefix, plen, ids, n, &cap, err) < 0)
                return -1;
        }
    }
    sort_ints(*ids, *n);
    return 0;
}

/* Open root-relative dir for listing: NULL with *missing set when absent, NULL + err on error. */
static DIR *open_dir(const struct ls_root *root, const char *dir, bool *missing,
                     struct ls_error *err)
{
    char path[4352];
    full_path(root, path, sizeof(path), dir);
    *missing = false;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            *missing = true;
        else
            ls_fail(err, LS_ERR_SYSTEM, errno, "cannot list %s: %s", path, strerror(errno));
    }
    return d;
}

/* Numeric suffixes of names like "cpu12" / "node3" in root-relative dir; 1 when it is absent. */
static int list_numbered(const struct ls_root *root, const char *dir, const char *prefix, int **ids,
                         size_t *n, struct ls_error *err)
{
    bool missing;
    *ids = NULL;
    *n = 0;
    _cleanup_closedir_ DIR *d = open_dir(root, dir, &missing, err);
    if (!d)
        return missing ? 1 : -1;
    return list_numbered_dir(d, prefix, ids, n, err);
}

static int read_online(const struct ls_root *root, struct ls_topology *topo, struct ls_error *err)
{
    struct scan s = {.root = root, .topo = topo, .cpu_dirfd = -1};
    _cleanup_free_ int *cpus = NULL;
    size_t ncpus = 0;
    if (list_numbered(root, CPU_DIR, "cpu", &cpus, &ncpus, err) < 0)
        return -1;
    int r = read_set_raw(&s, &topo->online, CPU_DIR "/online", NULL, NULL, true, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        LS_CPUSET_FOREACH(cpu, &topo->online)
        {
            if (ncpus && bsearch(&cpu, cpus, ncpus, sizeof(int), cmp_int))
                continue;
            ls_cpuset_del(&topo->online, (unsigned)cpu);
            char path[4352];
            full_path(root, path, sizeof(path), CPU_DIR "/online");
            if (ls_topology_warn(topo,
                                 "%s lists CPU %d online but there is no cpu%d directory; "
                                 "skipping it",
                                 path, cpu, cpu) < 0)
                return oom(err);
        }
    } else {
        ls_cpuset_clear(&topo->online);
        if (ncpus == 0) {
            char path[4352];
            full_path(root, path, sizeof(path), CPU_DIR "/online");
            return ls_fail(err, LS_ERR_USAGE, ENOENT,
                           "%s does not exist and there are no cpuN directories beside it: "
                           "is --fsroot / LLCSLICE_FSROOT a root filesystem with /sys?",
                           path);
        }
        for (size_t i = 0; i < ncpus; i++) {
            char rel[128];
            long v = 1;
            snprintf(rel, sizeof(rel), CPU_DIR "/cpu%d/online", cpus[i]);
            if (read_long(root, rel, &v, err) < 0)
                return -1;
            if (v != 0 && ls_cpuset_add(&topo->online, (unsigned)cpus[i]) < 0)
                return oom(err);
        }
    }
    if (ls_cpuset_empty(&topo->online)) {
        char path[4352];
        full_path(root, path, sizeof(path), CPU_DIR);
        return ls_fail(err, ls_root_is_host(root) ? LS_ERR_SYSTEM : LS_ERR_USAGE, ENODEV,
                       "%s: no online CPUs", path);
    }
    return 0;
}

int ls_parse_distance_row(const char *text, size_t len, unsigned *out, size_t n)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < len && is_blank(text[i]))
            i++;
        if (i == len)
            return j == n ? 0 : -1;
        unsigned v = 0;
        size_t start = i;
        /* Saturate at 256: anything bigger is out of range anyway. */
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
            v = v > 255 ? 256 : v * 10 + (unsigned)(text[i] - '0');
        if (i == start || v < 1 || v > 255 || j >= n || (i < len && !is_blank(text[i])))
            return -1;
        out[j++] = v;
    }
}

/* Distances between the nodes read from files, or 10/20 when any row is missing/malformed. */
static int read_distances(const struct scan *s, const int *ids, size_t n, struct ls_error *err)
{
    struct ls_topology *topo = s->topo;
    size_t total = topo->nnodes;
    for (size_t i = 0; i < total; i++)
        for (size_t j = 0; j < total; j++)
            topo->distance[i * total + j] = i == j ? 10 : 20;
    if (n == 0)
        return 0;
    _cleanup_free_ unsigned *m = malloc(n * n * sizeof(unsigned));
    if (!m)
        return oom(err);
    size_t missing = 0;
    char bad[160] = "", absent[160] = "";
    for (size_t i = 0; i < n && !bad[0]; i++) {
        char rel[128];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        snprintf(rel, sizeof(rel), NODE_DIR "/node%d/distance", ids[i]);
        int r = read_file(s->root, rel, &text, &len, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            if (!missing++)
                snprintf(absent, sizeof(absent), "%s", rel);
            continue;
        }
        if (ls_parse_distance_row(text, len, &m[i * n], n) < 0)
            snprintf(bad, sizeof(bad), "%s", rel);
    }
    if (bad[0] || (missing && missing < n)) {
        char path[4352];
        full_path(s->root, path, sizeof(path), bad[0] ? bad : absent);
        if (ls_topology_warn(topo, "%s is %s; using distance 10 within a node and 20 between nodes",
                             path, bad[0] ? "malformed" : "missing") < 0)
            return oom(err);
        return 0;
    }
    if (missing)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t pi = (size_t)ls_topology_node_pos(topo, ids[i]);
        for (size_t j = 0; j < n; j++)
            topo->distance[pi * total + (size_t)ls_topology_node_pos(topo, ids[j])] = m[i * n + j];
    }
    return 0;
}

/* Node list, home node per online CPU (lowest id whose set holds it, else 0), distances. */
static int read_nodes(struct scan *s, struct ls_error *err)
{
    struct ls_topology *topo = s->topo;
    _cleanup_free_ int *ids = NULL;
    size_t n = 0;
    if (list_numbered(s->root, NODE_DIR, "node", &ids, &n, err) < 0)
        return -1;
    for (size_t c = 0; c < s->ncpu; c++)
        s->home[c] = -1;
    bool homeless = false;
    ls_cpuset set = LS_CPUSET_INIT;
    for (size_t i = 0; i < n; i++) {
        char list[128], map[128];
        snprintf(list, sizeof(list), NODE_DIR "/node%d/cpulist", ids[i]);
        snprintf(map, sizeof(map), NODE_DIR "/node%d/cpumap", ids[i]);
        ls_cpuset_clear(&set);
        if (read_set(s, &set, list, map, NULL, err) < 0) {
            ls_cpuset_free(&set);
            return -1;
        }
        LS_CPUSET_FOREACH(cpu, &set)
        {
            if (s->home[cpu] < 0)
                s->home[cpu] = ids[i];
        }
    }
    ls_cpuset_free(&set);
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        if (s->home[cpu] < 0) {
            s->home[cpu] = 0;
            homeless = true;
        }
    }
    bool have0 = n > 0 && ids[0] == 0;
    topo->nnodes = n + (homeless && !have0);
    topo->nodes = calloc(topo->nnodes ? topo->nnodes : 1, sizeof(*topo->nodes));
    topo->distance = malloc((topo->nnodes ? topo->nnodes * topo->nnodes : 1) * sizeof(unsigned));
    if (!topo->nodes || !topo->distance)
        return oom(err);
    size_t k = 0;
    if (homeless && !have0)
        topo->nodes[k++].id = 0;
    for (size_t i = 0; i < n; i++)
        topo->nodes[k++].id = ids[i];
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        struct ls_node *node = &topo->nodes[ls_topology_node_pos(topo, s->home[cpu])];
        if (ls_cpuset_add(&node->cpus, (unsigned)cpu) < 0)
            return oom(err);
    }
    return read_distances(s, ids, n, err);
}

static int package_of(struct scan *s, int cpu, struct ls_error *err)
{
    if (s->package[cpu] != NO_PACKAGE)
        return 0;
    char path[PATH_BUF];
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    long v = -1;
    int r =
        ls_read_at(AT_FDCWD, cpu_file(s, cpu, "topology/physical_package_id", path), &text, &len);
    if (r < 0 && r != -ENOENT && r != -ENOTDIR)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot read %s: %s", path, strerror(-r));
    if (r == 0)
        r = parse_long(text, len, &v);
    s->package[cpu] = r == 0 && v >= INT_MIN + 1 && v <= INT_MAX ? (int)v : -1;
    return 0;
}

/* cpuN/cache/<rel> as a full path, for messages. */
static const char *cache_path(const struct scan *s, int cpu, const char *rel, char *buf)
{
    char leaf[128];
    snprintf(leaf, sizeof(leaf), "cache/%s", rel);
    return cpu_file(s, cpu, leaf, buf);
}

/* 0 ok, 1 missing, -1 error naming the file. */
/* "cpu<cpu>/cache/<rel>" into buf[128], relative to the cpu dir. */
static const char *cache_rel(int cpu, const char *rel, char *buf)
{
    memcpy(buf, "cpu", 3);
    char *p = put_uint(buf + 3, (unsigned)cpu);
    memcpy(p, "/cache/", 7);
    snprintf(p + 7, 128 - (size_t)(p + 7 - buf), "%s", rel);
    return buf;
}

/* Read cpuN/cache/<rel> through the open cache dir, or (cache < 0) through the cpu dir. */
static int read_cache_file(const struct scan *s, int cache, int cpu, const char *rel, char **out,
                           size_t *len, struct ls_error *err)
{
    char buf[128];
    int r = cache >= 0 ? ls_read_at(cache, rel, out, len)
                       : ls_read_at(s->cpu_dirfd, cache_rel(cpu, rel, buf), out, len);
    if (r == -ENOENT || r == -ENOTDIR)
        return 1;
    if (r < 0) {
        char path[PATH_BUF];
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot read %s: %s", cache_path(s, cpu, rel, path),
                       strerror(-r));
    }
    return 0;
}

struct cache_level {
    int index;
    long level;
};

/* Highest level first; among equal levels the lowest index. */
static int cmp_level_desc(const void *a, const void *b)
{
    const struct cache_level *x = a, *y = b;
    if (x->level != y->level)
        return (x->level < y->level) - (x->level > y->level);
    return (x->index > y->index) - (x->index < y->index);
}

static int find_llc_full(struct scan *s, int cache, int cpu, const int *idx, size_t n, long *level,
                         struct ls_error *err);

/* Whether cpu has layout l: no index beyond l's highest (a CPU with one more cache level
 * would have one) and l's LLC index with a type file; its levels and types are then taken as
 * l's, two stats instead of a read per index. Its shared set is still read (the sibling
 * cross-check). Anything else (a missing index, a type file that is not a file) goes to the
 * full scan, which reads and reports it. */
static bool has_layout(struct scan *s, int cpu, const struct layout *l)
{
    char rel[64], buf[128];
    struct stat st;
    if (fstatat(s->cpu_dirfd, cache_rel(cpu, index_file(l->max_index + 1, "", rel), buf), &st,
                AT_SYMLINK_NOFOLLOW) == 0 ||
        (errno != ENOENT && errno != ENOTDIR))
        return false;
    return fstatat(s->cpu_dirfd, cache_rel(cpu, index_file(l->llc, "type", rel), buf), &st, 0) ==
               0 &&
           S_ISREG(st.st_mode);
}

/* The highest-level Unified/Data cache index of cpu: -1 none, -2 error, else its number.
 * A CPU with the layout of CPUs scanned before costs two stats (has_layout);
 * otherwise the full scan reads every index's level, then types from the highest level down
 * until one is Unified or Data. *cache is left open on cpuN/cache for the reads that follow
 * after a full scan, -1 otherwise (reads then go through the cpu dir). */
static int find_llc_index(struct scan *s, int cpu, long *level, int *cache, struct ls_error *err)
{
    *cache = -1;
    for (size_t i = 0; s->cpu_dirfd >= 0 && i < s->nlayouts; i++) {
        const struct layout *l = &s->layouts[i];
        if (l->llc < 0)
            continue;
        if (has_layout(s, cpu, l)) {
            *level = l->level;
            return l->llc;
        }
    }
    char dir[PATH_BUF];
    const int flags = O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC;
    if (s->cpu_dirfd >= 0) {
        char rel[32];
        memcpy(rel, "cpu", 3);
        memcpy(put_uint(rel + 3, (unsigned)cpu), "/cache", 7);
        *cache = openat(s->cpu_dirfd, rel, flags);
    } else {
        *cache = open(cpu_file(s, cpu, "cache", dir), flags);
    }
    if (*cache < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return -1;
        int e = errno;
        ls_fail(err, LS_ERR_SYSTEM, e, "cannot list %s: %s", cpu_file(s, cpu, "cache", dir),
                strerror(e));
        return -2;
    }
    _cleanup_free_ int *idx = NULL;
    size_t n = 0;
    if (list_numbered_fd(*cache, "index", &idx, &n, err) < 0)
        return -2;
    int found = find_llc_full(s, *cache, cpu, idx, n, level, err);
    if (found >= 0 && n && s->nlayouts < MAX_LAYOUTS)
        s->layouts[s->nlayouts++] = (struct layout){idx[n - 1], found, *level};
    return found;
}

/* find_llc_index's full scan over the listed indices: every level, then types from the
 * highest level down. */
static int find_llc_full(struct scan *s, int cache, int cpu, const int *idx, size_t n, long *level,
                         struct ls_error *err)
{
    _cleanup_free_ struct cache_level *lv = malloc((n ? n : 1) * sizeof(*lv));
    if (!lv) {
        oom(err);
        return -2;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char rel[64];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        long v;
        int r = read_cache_file(s, cache, cpu, index_file(idx[i], "level", rel), &text, &len, err);
        if (r < 0)
            return -2;
        if (r == 1 || parse_long(text, len, &v) != 0 || v < 1)
            continue;
        lv[k++] = (struct cache_level){idx[i], v};
    }
    for (size_t i = 1; i < k; i++) { /* insertion sort: a CPU has a handful of indices */
        struct cache_level x = lv[i];
        size_t j = i;
        for (; j > 0 && cmp_level_desc(&lv[j - 1], &x) > 0; j--)
            lv[j] = lv[j - 1];
        lv[j] = x;
    }
    for (size_t i = 0; i < k; i++) {
        char rel[64];
        _cleanup_free_ char *type = NULL;
        size_t len = 0;
        int r =
            read_cache_file(s, cache, cpu, index_file(lv[i].index, "type", rel), &type, &len, err);
        if (r < 0)
            return -2;
        if (r == 1)
            continue;
        char *t = trim(type, len);
        if (strcmp(t, "Unified") && strcmp(t, "Data"))
            continue;
        *level = lv[i].level;
        return lv[i].index;
    }
    return -1;
}

/* The LLC's shared set (cpu-list, else hex mask) through the open cache dir, intersected with
 * online. 0 ok with *used naming the file, 1 neither exists, -1 error. */
static int read_shared(const struct scan *s, int cache, int cpu, int idx, ls_cpuset *out,
                       const char **used, struct ls_error *err)
{
    static const char *const names[2] = {"shared_cpu_list", "shared_cpu_map"};
    for (int i = 0; i < 2; i++) {
        char rel[64], path[PATH_BUF];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_cache_file(s, cache, cpu, index_file(idx, names[i], rel), &text, &len, err);
        if (r < 0)
            return -1;
        if (r == 1)
            continue;
        int (*parse)(ls_cpuset *, const char *, size_t, const char *, struct ls_error *) =
            i == 0 ? ls_cpuset_parse_list : ls_cpuset_parse_mask;
        /* The full path is only needed for the message: build it when parsing fails. */
        r = parse(out, text, len, rel, NULL);
        if (r < 0)
            r = parse(out, text, len, cache_path(s, cpu, rel, path), err);
        if (r < 0) {
            if (err) /* a corrupt host file, not the user's input */
                err->category = LS_ERR_SYSTEM;
            return -1;
        }
        ls_cpuset_and(out, &s->topo->online);
        *used = names[i];
        return 0;
    }
    return 1;
}

/* "32K", "9216K", "16M" or plain bytes -> KiB; 0 when missing or malformed. */
static int read_size_kb(struct scan *s, int cache, int cpu, const char *rel, unsigned long *out,
                        struct ls_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    *out = 0;
    int r = read_cache_file(s, cache, cpu, rel, &text, &len, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    char *t = trim(text, len), *end;
    errno = 0;
    unsigned long v = strtoul(t, &end, 10);
    if (end == t || errno || *t == '-')
        return 0;
    if (!*end)
        *out = v / 1024;
    else if ((*end == 'K' || *end == 'k') && !end[1])
        *out = v;
    else if (*end == 'M' && !end[1])
        *out = v * 1024;
    else if (*end == 'G' && !end[1])
        *out = v * 1024 * 1024;
    return 0;
}

static int new_group(struct scan *s, const ls_cpuset *cpus, int level, unsigned long size_kb,
                     const char *source, struct ls_error *err)
{
    struct ls_topology *topo = s->topo;
    if (topo->nllcs == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct ls_llc *l = realloc(topo->llcs, cap * sizeof(*l));
        if (!l)
            return oom(err);
        topo->llcs = l;
        char **src = realloc(s->source, cap * sizeof(*src));
        if (!src)
            return oom(err);
        s->source = src;
        s->cap = cap;
    }
    struct ls_llc *l = &topo->llcs[topo->nllcs];
    memset(l, 0, sizeof(*l));
    s->source[topo->nllcs] = source ? strdup(source) : NULL;
    topo->nllcs++;
    if ((source && !s->source[topo->nllcs - 1]) || ls_cpuset_copy(&l->cpus, cpus) < 0)
        return oom(err);
    l->level = level;
    l->size_kb = size_kb;
    LS_CPUSET_FOREACH(cpu, cpus)
    {
        s->group[cpu] = (int)topo->nllcs - 1;
    }
    return 0;
}

static void drop_groups(struct scan *s)
{
    for (size_t i = 0; i < s->topo->nllcs; i++) {
        ls_cpuset_free(&s->topo->llcs[i].cpus);
        free(s->source[i]);
        s->source[i] = NULL;
    }
    s->topo->nllcs = 0;
    for (size_t c = 0; c < s->ncpu; c++)
        s->group[c] = -1;
}

/* Group CPUs by their LLC's shared CPU set. 0 ok, 1 the sets overlap (s->conflict says
 * which files), -1 error. CPUs with no cache information are left ungrouped. */
static int group_by_cache(struct scan *s, struct ls_error *err)
{
    ls_cpuset set = LS_CPUSET_INIT;
    int ret = 0;
    LS_CPUSET_FOREACH(cpu, &s->topo->online)
    {
        long level = 0;
        _cleanup_close_ int cache = -1;
        int idx = find_llc_index(s, cpu, &level, &cache, err);
        if (idx == -2) {
            ret = -1;
            break;
        }
        if (idx < 0)
            continue;
        char rel[192], path[PATH_BUF];
        const char *used = NULL;
        ls_cpuset_clear(&set);
        int r = read_shared(s, cache, cpu, idx, &set, &used, err);
        if (r < 0) {
            ret = -1;
            break;
        }
        if (r == 1 || ls_cpuset_empty(&set)) {
            /* Empty (ia64) or absent: the cache is private to the core. */
            snprintf(rel, sizeof(rel), CPU_DIR "/cpu%d/topology/thread_siblings_list", cpu);
            ls_cpuset_clear(&set);
            used = NULL;
            if (read_set(s, &set, rel, NULL, NULL, err) < 0) {
                ret = -1;
                break;
            }
        }
        if (ls_cpuset_add(&set, (unsigned)cpu) < 0) {
            ret = oom(err);
            break;
        }
        int g = s->group[cpu];
        if (g >= 0 && ls_cpuset_equal(&set, &s->topo->llcs[g].cpus))
            continue;
        /* A new group or a conflict: name the file the set came from. */
        if (used)
            cache_path(s, cpu, index_file(idx, used, rel), path);
        else
            full_path(s->root, path, sizeof(path), rel);
        if (g < 0) {
            int clash = -1;
            LS_CPUSET_FOREACH(other, &set)
            {
                if (s->group[other] >= 0) {
                    clash = s->group[other];
                    break;
                }
            }
            if (clash < 0) {
                unsigned long kb = 0;
                if (read_size_kb(s, cache, cpu, index_file(idx, "size", rel), &kb, err) < 0 ||
                    new_group(s, &set, (int)level, kb, path, err) < 0) {
                    ret = -1;
                    break;
                }
                continue;
            }
            g = clash;
        }
        _cleanup_free_ char *mine = ls_cpuset_format(&set);
        _cleanup_free_ char *theirs = ls_cpuset_format(&s->topo->llcs[g].cpus);
        if (asprintf(&s->conflict, "%s (%s) and %s (%s) overlap", path, mine ? mine : "?",
                     s->source[g] ? s->source[g] : "?", theirs ? theirs : "?") < 0) {
            s->conflict = NULL;
            ret = oom(err);
            break;
        }
        ret = 1;
        break;
    }
    ls_cpuset_free(&set);
    return ret;
}

struct key {
    int node, package, cpu;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->node != y->node)
        return (x->node > y->node) - (x->node < y->node);
    if (x->package != y->package)
        return (x->package > y->package) - (x->package < y->package);
    return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

/* Ungrouped CPUs, one group per (home node, package); by_node false: per package only. */
static int group_by_package(struct scan *s, bool by_node, struct ls_error *err)
{
    size_t n = 0, total = ls_cpuset_count(&s->topo->online);
    _cleanup_free_ struct key *keys = malloc((total ? total : 1) * sizeof(*keys));
    if (!keys)
        return oom(err);
    LS_CPUSET_FOREACH(cpu, &s->topo->online)
    {
        if (s->group[cpu] >= 0)
            continue;
        if (package_of(s, cpu, err) < 0)
            return -1;
        keys[n++] = (struct key){by_node ? s->home[cpu] : 0, s->package[cpu], cpu};
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    ls_cpuset set = LS_CPUSET_INIT;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        ls_cpuset_clear(&set);
        while (j < n && keys[j].node == keys[i].node && keys[j].package == keys[i].package)
            if (ls_cpuset_add(&set, (unsigned)keys[j++].cpu) < 0) {
                ls_cpuset_free(&set);
                return oom(err);
            }
        if (new_group(s, &set, 0, 0, NULL, err) < 0) {
            ls_cpuset_free(&set);
            return -1;
        }
        i = j;
    }
    ls_cpuset_free(&set);
    return 0;
}

static int read_llcs(struct scan *s, struct ls_error *err)
{
    int r = group_by_cache(s, err);
    if (r < 0)
        return -1;
    if (r == 1) {
        if (ls_topology_warn(s->topo,
                             "cache sharing files disagree: %s; using one LLC group per package",
                             s->conflict) < 0)
            return oom(err);
        drop_groups(s);
        return group_by_package(s, false, err);
    }
    return group_by_package(s, true, err);
}

static int read_hugepages(const struct ls_root *root, struct ls_topology *topo,
                          struct ls_error *err)
{
    long v;
    int r = read_long(root, HUGE_DIR "/nr_hugepages", &v, err);
    if (r < 0)
        return -1;
    topo->hugepages_2m_total = r == 0 && v > 0 ? (uint64_t)v : 0;
    r = read_long(root, HUGE_DIR "/free_hugepages", &v, err);
    if (r < 0)
        return -1;
    topo->hugepages_2m_free = r == 0 && v > 0 ? (uint64_t)v : 0;
    return 0;
}

static void scan_free(struct scan *s)
{
    free(s->home);
    free(s->package);
    free(s->group);
    if (s->source)
        for (size_t i = 0; i < s->topo->nllcs; i++)
            free(s->source[i]);
    free(s->source);
    free(s->conflict);
    if (s->cpu_dirfd >= 0)
        close(s->cpu_dirfd);
}

int ls_topology_discover(const struct ls_root *root, struct ls_topology *topo, struct ls_error *err)
{
    memset(topo, 0, sizeof(*topo));
    struct scan s = {.root = root, .topo = topo, .cpu_dirfd = -1};
    int r = -1;
    if (ls_root_path(root, s.cpu_path, sizeof(s.cpu_path), CPU_DIR "/cpu") < 0) {
        ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--fsroot: path too long");
        goto out;
    }
    s.cpu_path_len = strlen(s.cpu_path);
    s.cpu_path[s.cpu_path_len - 4] = '\0'; /* without the trailing "/cpu" */
    s.cpu_dirfd = open(s.cpu_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    s.cpu_path[s.cpu_path_len - 4] = '/';
    if (read_online(root, topo, err) < 0)
        goto out;
    s.ncpu = (size_t)ls_cpuset_last(&topo->online) + 1;
    s.home = malloc(s.ncpu * sizeof(int));
    s.package = malloc(s.ncpu * sizeof(int));
    s.group = malloc(s.ncpu * sizeof(int));
    if (!s.home || !s.package || !s.group) {
        oom(err);
        goto out;
    }
    for (size_t c = 0; c < s.ncpu; c++) {
        s.package[c] = NO_PACKAGE;
        s.group[c] = -1;
    }
    if (read_nodes(&s, err) < 0 || read_llcs(&s, err) < 0 || read_hugepages(root, topo, err) < 0 ||
        ls_topology_read_cores(root, topo, err) < 0 || ls_topology_finish(topo, err) < 0 ||
        ls_topology_read_memory(root, topo, err) < 0)
        goto out;
    r = 0;
out:
    scan_free(&s);
    if (r < 0)
        ls_topology_free(topo);
    return r;
}

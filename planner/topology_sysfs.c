/* Topology discovery from sysfs under a filesystem root (DESIGN.md "Topology"): online CPUs,
 * LLC groups from the caches' shared CPU sets, NUMA home nodes, distances, hugepages. */
#include "topology.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "sort.h"

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
    /* <root>/sys/devices/system/cpu held open: "cpuN/cache/..." reads relative to it walk
     * the components below it instead of the whole root (fd -1: full paths). */
    struct ls_sysfs cpu;
    struct ls_sysfs node; /* <root>/sys/devices/system/node, the same way */
    struct layout layouts[MAX_LAYOUTS];
    size_t nlayouts;
};

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

static int read_online(struct scan *s, struct ls_error *err)
{
    struct ls_topology *topo = s->topo;
    _cleanup_free_ int *cpus = NULL;
    size_t ncpus = 0;
    char path[4352];
    if (ls_sysfs_list_numbered(&s->cpu, "", "cpu", &cpus, &ncpus, err) < 0)
        return -1;
    int r = ls_sysfs_read_cpuset(&s->cpu, "online", NULL, &topo->online, NULL, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        LS_CPUSET_FOREACH(cpu, &topo->online)
        {
            if (ncpus && bsearch(&cpu, cpus, ncpus, sizeof(int), ls_cmp_int))
                continue;
            ls_cpuset_del(&topo->online, (unsigned)cpu);
            if (ls_topology_warn(topo,
                                 "%s lists CPU %d online but there is no cpu%d directory; "
                                 "skipping it",
                                 ls_sysfs_path(&s->cpu, "online", path, sizeof(path)), cpu,
                                 cpu) < 0)
                return ls_oom(err, "while reading the topology");
        }
    } else {
        ls_cpuset_clear(&topo->online);
        if (ncpus == 0)
            return ls_fail(err, LS_ERR_USAGE, ENOENT,
                           "%s does not exist and there are no cpuN directories beside it: "
                           "is --fsroot / LLCSLICE_FSROOT a root filesystem with /sys?",
                           ls_sysfs_path(&s->cpu, "online", path, sizeof(path)));
        for (size_t i = 0; i < ncpus; i++) {
            char rel[64];
            long v = 1;
            snprintf(rel, sizeof(rel), "cpu%d/online", cpus[i]);
            if (ls_sysfs_read_long(&s->cpu, rel, &v, err) < 0)
                return -1;
            if (v != 0 && ls_cpuset_add(&topo->online, (unsigned)cpus[i]) < 0)
                return ls_oom(err, "while reading the topology");
        }
    }
    if (ls_cpuset_empty(&topo->online))
        return ls_fail(err, ls_root_is_host(s->root) ? LS_ERR_SYSTEM : LS_ERR_USAGE, ENODEV,
                       "%s: no online CPUs", ls_sysfs_path(&s->cpu, "", path, sizeof(path)));
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
        return ls_oom(err, "while reading the topology");
    size_t missing = 0;
    char bad[160] = "", absent[160] = "";
    for (size_t i = 0; i < n && !bad[0]; i++) {
        char rel[128];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        snprintf(rel, sizeof(rel), "node%d/distance", ids[i]);
        int r = ls_sysfs_read(&s->node, rel, &text, &len, err);
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
        ls_sysfs_path(&s->node, bad[0] ? bad : absent, path, sizeof(path));
        if (ls_topology_warn(topo, "%s is %s; using distance 10 within a node and 20 between nodes",
                             path, bad[0] ? "malformed" : "missing") < 0)
            return ls_oom(err, "while reading the topology");
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
    if (ls_sysfs_list_numbered(&s->node, "", "node", &ids, &n, err) < 0)
        return -1;
    for (size_t c = 0; c < s->ncpu; c++)
        s->home[c] = -1;
    bool homeless = false;
    ls_cpuset set = LS_CPUSET_INIT;
    for (size_t i = 0; i < n; i++) {
        char list[64], map[64];
        snprintf(list, sizeof(list), "node%d/cpulist", ids[i]);
        snprintf(map, sizeof(map), "node%d/cpumap", ids[i]);
        ls_cpuset_clear(&set);
        int r = ls_sysfs_read_cpuset(&s->node, list, map, &set, NULL, err);
        if (r < 0) {
            ls_cpuset_free(&set);
            return -1;
        }
        if (r == 0)
            ls_cpuset_and(&set, &topo->online);
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
        return ls_oom(err, "while reading the topology");
    size_t k = 0;
    if (homeless && !have0)
        topo->nodes[k++].id = 0;
    for (size_t i = 0; i < n; i++)
        topo->nodes[k++].id = ids[i];
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        struct ls_node *node = &topo->nodes[ls_topology_node_pos(topo, s->home[cpu])];
        if (ls_cpuset_add(&node->cpus, (unsigned)cpu) < 0)
            return ls_oom(err, "while reading the topology");
    }
    return read_distances(s, ids, n, err);
}

/* prefix, id in decimal, suffix into buf ("index" 3 "/shared_cpu_list"), truncated to size:
 * the per-CPU file names, where snprintf's setup cost more than the rest of the scan. */
static void id_path(char *buf, size_t size, const char *prefix, int id, const char *suffix)
{
    char digits[12], *d = digits + sizeof(digits);
    unsigned v = id < 0 ? 0u - (unsigned)id : (unsigned)id;
    *--d = '\0';
    do
        *--d = (char)('0' + v % 10);
    while (v /= 10);
    if (id < 0)
        *--d = '-';
    size_t used = 0;
    const char *parts[] = {prefix, d, suffix};
    for (size_t i = 0; i < 3 && size; i++) {
        size_t n = strlen(parts[i]);
        if (n > size - 1 - used)
            n = size - 1 - used;
        memcpy(buf + used, parts[i], n);
        used += n;
    }
    if (size)
        buf[used] = '\0';
}

static int package_of(struct scan *s, int cpu, struct ls_error *err)
{
    if (s->package[cpu] != NO_PACKAGE)
        return 0;
    char rel[64];
    long v = -1;
    snprintf(rel, sizeof(rel), "cpu%d/topology/physical_package_id", cpu);
    int r = ls_sysfs_read_long(&s->cpu, rel, &v, err);
    if (r < 0)
        return -1;
    s->package[cpu] = r == 0 && v >= INT_MIN + 1 && v <= INT_MAX ? (int)v : -1;
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

static int find_llc_full(const struct ls_sysfs *cache, const int *idx, size_t n, long *level,
                         struct ls_error *err);

/* Whether the CPU whose cache dir is cache has layout l: no index beyond l's highest (a CPU
 * with one more cache level would have one) and l's LLC index with a type file; its levels
 * and types are then taken as l's, two stats instead of a read per index. Its shared set is
 * still read (the sibling cross-check). Anything else (a missing index, a type file that is
 * not a file) goes to the full scan, which reads and reports it. */
static bool has_layout(const struct ls_sysfs *cache, const struct layout *l)
{
    char rel[64];
    struct stat st;
    id_path(rel, sizeof(rel), "index", l->max_index + 1, "");
    int r = ls_sysfs_stat(cache, rel, &st, AT_SYMLINK_NOFOLLOW);
    if (r == 0 || (r != -ENOENT && r != -ENOTDIR))
        return false;
    id_path(rel, sizeof(rel), "index", l->llc, "/type");
    return ls_sysfs_stat(cache, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* The highest-level Unified/Data cache index of cpu: -1 none, -2 error, else its number.
 * *cache is set to cpuN/cache (a view through the held cpu dir, nothing opened). A CPU with
 * the layout of CPUs scanned before costs two stats (has_layout); otherwise the full scan
 * reads every index's level, then types from the highest level down until one is Unified or
 * Data. */
static int find_llc_index(struct scan *s, int cpu, long *level, struct ls_sysfs *cache,
                          struct ls_error *err)
{
    char rel[32];
    id_path(rel, sizeof(rel), "cpu", cpu, "/cache");
    if (ls_sysfs_view(cache, &s->cpu, rel) < 0) {
        ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "%s/%s: path too long", s->cpu.rel, rel);
        return -2;
    }
    for (size_t i = 0; s->cpu.fd >= 0 && i < s->nlayouts; i++) {
        const struct layout *l = &s->layouts[i];
        if (l->llc < 0)
            continue;
        if (has_layout(cache, l)) {
            *level = l->level;
            return l->llc;
        }
    }
    _cleanup_free_ int *idx = NULL;
    size_t n = 0;
    int r = ls_sysfs_list_numbered(cache, "", "index", &idx, &n, err);
    if (r != 0)
        return r < 0 ? -2 : -1;
    int found = find_llc_full(cache, idx, n, level, err);
    if (found >= 0 && n && s->nlayouts < MAX_LAYOUTS)
        s->layouts[s->nlayouts++] = (struct layout){idx[n - 1], found, *level};
    return found;
}

/* find_llc_index's full scan over the listed indices: every level, then types from the
 * highest level down. */
static int find_llc_full(const struct ls_sysfs *cache, const int *idx, size_t n, long *level,
                         struct ls_error *err)
{
    _cleanup_free_ struct cache_level *lv = malloc((n ? n : 1) * sizeof(*lv));
    if (!lv) {
        ls_oom(err, "while reading the topology");
        return -2;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char rel[64];
        long v;
        snprintf(rel, sizeof(rel), "index%d/level", idx[i]);
        int r = ls_sysfs_read_long(cache, rel, &v, err);
        if (r < 0)
            return -2;
        if (r == 1 || v < 1)
            continue;
        lv[k++] = (struct cache_level){idx[i], v};
    }
    qsort(lv, k, sizeof(*lv), cmp_level_desc);
    for (size_t i = 0; i < k; i++) {
        char rel[64];
        _cleanup_free_ char *type = NULL;
        size_t len = 0;
        snprintf(rel, sizeof(rel), "index%d/type", lv[i].index);
        int r = ls_sysfs_read(cache, rel, &type, &len, err);
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

/* "32K", "9216K", "16M" or plain bytes -> KiB; 0 when missing or malformed. */
static int read_size_kb(const struct ls_sysfs *cache, int idx, unsigned long *out,
                        struct ls_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char rel[64];
    *out = 0;
    snprintf(rel, sizeof(rel), "index%d/size", idx);
    int r = ls_sysfs_read(cache, rel, &text, &len, err);
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
            return ls_oom(err, "while reading the topology");
        topo->llcs = l;
        char **src = realloc(s->source, cap * sizeof(*src));
        if (!src)
            return ls_oom(err, "while reading the topology");
        s->source = src;
        s->cap = cap;
    }
    struct ls_llc *l = &topo->llcs[topo->nllcs];
    memset(l, 0, sizeof(*l));
    s->source[topo->nllcs] = source ? strdup(source) : NULL;
    topo->nllcs++;
    if ((source && !s->source[topo->nllcs - 1]) || ls_cpuset_copy(&l->cpus, cpus) < 0)
        return ls_oom(err, "while reading the topology");
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

/* Which file a shared set came from, for messages: rel below dir. */
struct shared_src {
    const struct ls_sysfs *dir;
    char rel[64];
};

/* The CPUs sharing cpu's LLC (index idx of cache), with cpu itself, and in src the file they
 * came from: the cache's shared set (cpu-list, else hex mask), or when that is empty (ia64) or
 * absent, the core's thread siblings (the cache is private to the core). */
static int read_shared(struct scan *s, const struct ls_sysfs *cache, int cpu, int idx,
                       ls_cpuset *set, struct shared_src *src, struct ls_error *err)
{
    char list[64], map[64];
    const char *used = NULL;
    id_path(list, sizeof(list), "index", idx, "/shared_cpu_list");
    id_path(map, sizeof(map), "index", idx, "/shared_cpu_map");
    ls_cpuset_clear(set);
    int r = ls_sysfs_read_cpuset(cache, list, map, set, &used, err);
    if (r < 0)
        return -1;
    if (r == 0)
        ls_cpuset_and(set, &s->topo->online);
    src->dir = cache;
    const char *name = used ? used : list; /* both shorter than rel: built above */
    memcpy(src->rel, name, strlen(name) + 1);
    if (r == 1 || ls_cpuset_empty(set)) {
        src->dir = &s->cpu;
        id_path(src->rel, sizeof(src->rel), "cpu", cpu, "/topology/thread_siblings_list");
        ls_cpuset_clear(set);
        r = ls_sysfs_read_cpuset(&s->cpu, src->rel, NULL, set, NULL, err);
        if (r < 0)
            return -1;
        if (r == 0)
            ls_cpuset_and(set, &s->topo->online);
    }
    if (ls_cpuset_add(set, (unsigned)cpu) < 0)
        return ls_oom(err, "while reading the topology");
    return 0;
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
        struct ls_sysfs cache;
        int idx = find_llc_index(s, cpu, &level, &cache, err);
        if (idx == -2) {
            ret = -1;
            break;
        }
        if (idx < 0)
            continue;
        struct shared_src src;
        if (read_shared(s, &cache, cpu, idx, &set, &src, err) < 0) {
            ret = -1;
            break;
        }
        int g = s->group[cpu];
        if (g >= 0 && ls_cpuset_equal(&set, &s->topo->llcs[g].cpus))
            continue;
        /* Formatted only for a new group or a conflict: most CPUs agree with their group. */
        char path[4352];
        ls_sysfs_path(src.dir, src.rel, path, sizeof(path));
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
                if (read_size_kb(&cache, idx, &kb, err) < 0 ||
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
            ret = ls_oom(err, "while reading the topology");
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
        return ls_oom(err, "while reading the topology");
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
                return ls_oom(err, "while reading the topology");
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
            return ls_oom(err, "while reading the topology");
        drop_groups(s);
        return group_by_package(s, false, err);
    }
    return group_by_package(s, true, err);
}

static int read_hugepages(const struct ls_root *root, struct ls_topology *topo,
                          struct ls_error *err)
{
    struct ls_sysfs top;
    long v;
    ls_sysfs_root(&top, root);
    int r = ls_sysfs_read_long(&top, HUGE_DIR "/nr_hugepages", &v, err);
    if (r < 0)
        return -1;
    topo->hugepages_2m_total = r == 0 && v > 0 ? (uint64_t)v : 0;
    r = ls_sysfs_read_long(&top, HUGE_DIR "/free_hugepages", &v, err);
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
    ls_sysfs_close(&s->cpu);
    ls_sysfs_close(&s->node);
}

int ls_topology_discover(const struct ls_root *root, struct ls_topology *topo, struct ls_error *err)
{
    memset(topo, 0, sizeof(*topo));
    struct scan s = {.root = root, .topo = topo};
    struct ls_sysfs top;
    int r = -1;
    ls_sysfs_root(&top, root);
    ls_sysfs_root(&s.cpu, root);
    ls_sysfs_root(&s.node, root);
    if (ls_sysfs_open(&s.cpu, &top, CPU_DIR) < 0 || ls_sysfs_open(&s.node, &top, NODE_DIR) < 0) {
        ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--fsroot: path too long");
        goto out;
    }
    if (read_online(&s, err) < 0)
        goto out;
    s.ncpu = (size_t)ls_cpuset_last(&topo->online) + 1;
    s.home = malloc(s.ncpu * sizeof(int));
    s.package = malloc(s.ncpu * sizeof(int));
    s.group = malloc(s.ncpu * sizeof(int));
    if (!s.home || !s.package || !s.group) {
        ls_oom(err, "while reading the topology");
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

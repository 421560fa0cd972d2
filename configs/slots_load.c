/* Slot file schema: top-level options, defaults: and jobs:, merged into one ls_slot_job per
 * job. Pass 1 reads every key in document order; pass 2 merges layers and checks what spans
 * jobs (names, after:, cycles). The first error wins. */
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "slots_values.h"
#include "suggest.h"
#include "yaml_tree.h"

#define LS_SLOTS_MAX_PREFIX 64
#define LS_SLOTS_MAX_JOBS_LIMIT 65536u

static const char *const top_keys[] = {"version", "lock_dir",      "lock_prefix", "mode",
                                       "wait",    "max_jobs",      "log_dir",     "defaults",
                                       "jobs",    "cgroup_manager"};
#define NTOP (sizeof(top_keys) / sizeof(top_keys[0]))

/* Job settings; defaults: takes all of them, a job adds name and after. */
enum field {
    F_CPUS,
    F_MODE,
    F_PERF,
    F_VCPUS,
    F_MEMORY_MAX,
    F_SECCOMP,
    F_CWD,
    F_ENV,
    F_COMMAND,
    F_REPEAT,
    F_TIMEOUT,
    F_WAIT,
    F_SMT,
    F_COUNT
};
static const char *const field_keys[F_COUNT] = {"cpus",    "mode", "perf", "vcpus",   "memory_max",
                                                "seccomp", "cwd",  "env",  "command", "repeat",
                                                "timeout", "wait", "smt"};
static const char *const job_keys[] = {"name",       "cpus",    "mode", "perf",  "vcpus",
                                       "memory_max", "seccomp", "cwd",  "env",   "command",
                                       "repeat",     "timeout", "wait", "after", "smt"};
#define NJOBKEYS (sizeof(job_keys) / sizeof(job_keys[0]))

enum level { LV_TOP, LV_DEFAULTS, LV_JOB, LV_COUNT };

/* The settings one mapping (top level, defaults: or a job) gives. */
struct layer {
    const struct ls_ynode *key[F_COUNT]; /* key node where set, NULL = not set here */
    const struct ls_ynode *val[F_COUNT];
    enum ls_slot_budget budget;
    unsigned budget_value;
    enum ls_mode mode;
    enum ls_smt smt;
    struct ls_perf_topo perf;
    unsigned vcpus;
    uint64_t memory_max;
    char *seccomp; /* profile; NULL for none */
    char *seccomp_deny;
    char *cwd;
    struct ls_slot_env *env;
    size_t nenv;
    char **argv;
    size_t argc;
    bool shell;
    unsigned repeat;
    uint64_t timeout_ms, wait_ms;
};

struct raw_job {
    const struct ls_ynode *node, *name_node;
    char *name;
    struct layer layer;
    const struct ls_ynode *after; /* value node of after:, NULL when absent */
};

struct loader {
    struct ls_sl c;
    struct ls_slots *out;
    struct layer top, defaults;
    struct raw_job *jobs;
    size_t njobs;
    size_t *by_name; /* job indices sorted by name */
};

static void layer_free(struct layer *l)
{
    free(l->seccomp);
    free(l->seccomp_deny);
    free(l->cwd);
    ls_sl_free_env(l->env, l->nenv);
    ls_sl_free_argv(l->argv);
    memset(l, 0, sizeof(*l));
}

static bool before(const struct ls_ynode *a, const struct ls_ynode *b)
{
    return a->line < b->line || (a->line == b->line && a->col < b->col);
}

static int find(const char *const *words, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(words[i], w))
            return (int)i;
    return -1;
}

/* "unknown key" with the most useful hint: where the key belongs, a near miss, or the list. */
static int unknown_key(struct loader *L, const struct ls_ynode *k, enum level lv,
                       const char *const *known, size_t n)
{
    const char *w = k->text;
    if (!strcmp(w, "<<"))
        return ls_sl_fail(&L->c, k, w,
                          "YAML merge keys are not supported; put shared settings in defaults:");
    bool top = find(top_keys, NTOP, w) >= 0, job = find(job_keys, NJOBKEYS, w) >= 0;
    if (lv == LV_TOP && job)
        return ls_sl_fail(&L->c, k, w,
                          "unknown key at the top level (job settings go in defaults: or a job)");
    if (lv == LV_DEFAULTS && job)
        return ls_sl_fail(&L->c, k, w, "not allowed in defaults: (only a job has %s:)", w);
    if (lv != LV_TOP && top)
        return ls_sl_fail(&L->c, k, w, "unknown key in a %s (%s: is a top-level option)",
                          lv == LV_JOB ? "job" : "defaults: mapping", w);
    const char *guess = ls_suggest(w, known, n);
    if (guess)
        return ls_sl_fail(&L->c, k, w, "unknown key (did you mean '%s'?)", guess);
    char list[512];
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof(list); i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", known[i]);
    return ls_sl_fail(&L->c, k, w, "unknown key (known keys: %s)", list);
}

/* One job setting (any level) into l. */
static int read_field(struct loader *L, struct layer *l, enum field f, const struct ls_ynode *k,
                      const struct ls_ynode *v)
{
    const struct ls_sl *c = &L->c;
    const char *key = field_keys[f];
    l->key[f] = k;
    l->val[f] = v;
    switch (f) {
    case F_CPUS:
        return ls_sl_budget(c, key, v, &l->budget, &l->budget_value);
    case F_MODE:
        return ls_sl_mode(c, key, v, &l->mode);
    case F_SMT:
        return ls_sl_smt(c, key, v, &l->smt);
    case F_PERF:
        return ls_sl_perf(c, key, v, &l->perf);
    case F_VCPUS:
        return ls_sl_uint(c, key, v, 1, LS_MAX_CPUS, &l->vcpus);
    case F_MEMORY_MAX:
        return ls_sl_size(c, key, v, &l->memory_max);
    case F_SECCOMP:
        return ls_sl_seccomp(c, key, v, &l->seccomp, &l->seccomp_deny);
    case F_CWD:
        return ls_sl_string(c, key, v, &l->cwd);
    case F_ENV:
        return ls_sl_env(c, key, v, &l->env, &l->nenv);
    case F_COMMAND:
        return ls_sl_command(c, key, v, &l->argv, &l->argc, &l->shell);
    case F_REPEAT:
        return ls_sl_uint(c, key, v, 1, LS_SLOTS_MAX_REPEAT, &l->repeat);
    case F_TIMEOUT:
        return ls_sl_duration(c, key, v, "none", 0, false, &l->timeout_ms);
    case F_WAIT:
        return ls_sl_duration(c, key, v, "forever", LS_SLOTS_WAIT_FOREVER, true, &l->wait_ms);
    case F_COUNT:
        break;
    }
    return 0;
}

/* Settings one mapping may not combine (perf: decides the CPUs, vCPUs and mode). */
static int check_layer(struct loader *L, const struct layer *l)
{
    const struct ls_ynode *perf = l->key[F_PERF];
    if (!perf)
        return 0;
    static const enum field fixed[] = {F_CPUS, F_VCPUS};
    static const char *const why[] = {"perf: sets the CPUs (vCPUs + 1 service CPU)",
                                      "perf: declares the vCPUs (llcs x cores x threads)"};
    for (size_t i = 0; i < 2; i++) {
        const struct ls_ynode *other = l->key[fixed[i]];
        if (!other)
            continue;
        const struct ls_ynode *later = before(other, perf) ? perf : other;
        const struct ls_ynode *first = later == perf ? other : perf;
        return ls_sl_fail(&L->c, later, later->text,
                          "cannot be combined with %s: (line %u) in one mapping; %s", first->text,
                          first->line, why[i]);
    }
    if (l->key[F_MODE] && l->mode != LS_MODE_EXCLUSIVE)
        return ls_sl_fail(&L->c, l->val[F_MODE], "mode",
                          "perf: (line %u) runs in exclusive mode, not %s; drop mode: or write "
                          "exclusive",
                          perf->line, ls_mode_name(l->mode));
    return 0;
}

static int read_defaults(struct loader *L, const struct ls_ynode *n)
{
    if (ls_ynode_is_null(n))
        return 0;
    if (n->kind != LS_Y_MAP)
        return ls_sl_fail(&L->c, n, "defaults", "expected a mapping of job settings, got %s",
                          ls_ynode_kind_name(n));
    for (size_t i = 0; i < ls_ymap_pairs(n); i++) {
        const struct ls_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        int f = find(field_keys, F_COUNT, k->text);
        if (f < 0)
            return unknown_key(L, k, LV_DEFAULTS, field_keys, F_COUNT);
        if (read_field(L, &L->defaults, (enum field)f, k, v) < 0)
            return -1;
    }
    return check_layer(L, &L->defaults);
}

static int read_job(struct loader *L, struct raw_job *j, size_t index)
{
    const struct ls_ynode *n = j->node;
    if (n->kind != LS_Y_MAP)
        return ls_sl_fail(&L->c, n, "jobs",
                          "job %zu is %s; each job is a mapping with name: and command:", index + 1,
                          ls_ynode_kind_name(n));
    for (size_t i = 0; i < ls_ymap_pairs(n); i++) {
        const struct ls_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        if (!strcmp(k->text, "name")) {
            if (ls_sl_name(&L->c, "name", v, "a job name", LS_SLOTS_MAX_NAME, &j->name) < 0)
                return -1;
            j->name_node = v;
            continue;
        }
        if (!strcmp(k->text, "after")) {
            j->after = v;
            continue; /* resolved once every job's name is known */
        }
        int f = find(field_keys, F_COUNT, k->text);
        if (f < 0)
            return unknown_key(L, k, LV_JOB, job_keys, NJOBKEYS);
        if (read_field(L, &j->layer, (enum field)f, k, v) < 0)
            return -1;
    }
    if (!j->name)
        return ls_sl_fail(&L->c, n, "name", "missing in job %zu (every job needs a name)",
                          index + 1);
    return check_layer(L, &j->layer);
}

static int read_jobs(struct loader *L, const struct ls_ynode *n)
{
    if (ls_ynode_is_null(n) || (n->kind == LS_Y_SEQ && n->nitems == 0))
        return ls_sl_fail(&L->c, n, "jobs", "no jobs; list at least one");
    if (n->kind != LS_Y_SEQ)
        return ls_sl_fail(&L->c, n, "jobs", "expected a list of jobs (- name: ...), got %s",
                          ls_ynode_kind_name(n));
    L->jobs = calloc(n->nitems, sizeof(*L->jobs));
    if (!L->jobs)
        return ls_sl_oom(&L->c);
    L->njobs = n->nitems;
    for (size_t i = 0; i < n->nitems; i++) {
        L->jobs[i].node = n->items[i];
        if (read_job(L, &L->jobs[i], i) < 0)
            return -1;
    }
    return 0;
}

/* Relative paths in the file mean "beside the file". */
static char *resolve_path(const struct ls_slots *s, const char *p)
{
    if (p[0] == '/' || !strcmp(s->dir, "."))
        return strdup(p);
    char *out;
    return asprintf(&out, "%s/%s", s->dir, p) < 0 ? NULL : out;
}

static int read_path(struct loader *L, const char *key, const struct ls_ynode *v, char **out)
{
    _cleanup_free_ char *raw = NULL;
    if (ls_sl_string(&L->c, key, v, &raw) < 0)
        return -1;
    if (!(*out = resolve_path(L->out, raw)))
        return ls_sl_oom(&L->c);
    return 0;
}

static int read_top(struct loader *L, const struct ls_ynode *root)
{
    struct ls_slots *s = L->out;
    if (!root || ls_ynode_is_null(root))
        return ls_sl_fail_at(&L->c, 1, 1, "jobs", "the file is empty; a slot file needs jobs:");
    if (root->kind != LS_Y_MAP)
        return ls_sl_fail(&L->c, root, NULL,
                          "expected a mapping of top-level keys (jobs:, defaults:, ...), got %s",
                          ls_ynode_kind_name(root));
    const struct ls_ynode *jobs_val = NULL;
    for (size_t i = 0; i < ls_ymap_pairs(root); i++) {
        const struct ls_ynode *k = root->items[2 * i], *v = root->items[2 * i + 1];
        int t = find(top_keys, NTOP, k->text);
        if (t < 0)
            return unknown_key(L, k, LV_TOP, top_keys, NTOP);
        const char *key = top_keys[t];
        int rc = 0;
        unsigned version;
        if (!strcmp(key, "version")) {
            rc = ls_sl_uint(&L->c, key, v, 0, 1000, &version);
            if (rc == 0 && version != 1)
                rc = ls_sl_fail(&L->c, v, key,
                                "unsupported version %u; this llcslice reads version 1", version);
        } else if (!strcmp(key, "lock_dir")) {
            rc = read_path(L, key, v, &s->lock_dir);
        } else if (!strcmp(key, "lock_prefix")) {
            rc = ls_sl_name(&L->c, key, v, "the lock prefix", LS_SLOTS_MAX_PREFIX, &s->lock_prefix);
        } else if (!strcmp(key, "mode")) {
            rc = read_field(L, &L->top, F_MODE, k, v);
        } else if (!strcmp(key, "wait")) {
            rc = read_field(L, &L->top, F_WAIT, k, v);
        } else if (!strcmp(key, "max_jobs")) {
            rc = ls_sl_uint(&L->c, key, v, 1, LS_SLOTS_MAX_JOBS_LIMIT, &s->max_jobs);
        } else if (!strcmp(key, "log_dir")) {
            rc = read_path(L, key, v, &s->log_dir);
        } else if (!strcmp(key, "defaults")) {
            rc = read_defaults(L, v);
        } else if (!strcmp(key, "cgroup_manager")) {
            const char *m;
            rc = ls_sl_text(&L->c, key, v, "auto, systemd or cgroupfs", &m);
            if (rc == 0 && strcmp(m, "auto") && strcmp(m, "systemd") && strcmp(m, "cgroupfs"))
                rc = ls_sl_fail(&L->c, v, key,
                                "unknown cgroup manager '%s'; expected auto, systemd or cgroupfs",
                                m);
            if (rc == 0 && !(s->cgroup_manager = strdup(m)))
                rc = ls_sl_fail(&L->c, v, key, "out of memory");
        } else {
            jobs_val = v;
            rc = read_jobs(L, v);
        }
        if (rc < 0)
            return -1;
    }
    if (!jobs_val)
        return ls_sl_fail(&L->c, root, "jobs", "missing; a slot file needs a jobs: list");
    return 0;
}

/* The most specific layer setting f: the job, then defaults:, then the top level. */
static const struct layer *winner(const struct loader *L, const struct raw_job *j, enum field f,
                                  int *lv)
{
    const struct layer *layers[LV_COUNT] = {&L->top, &L->defaults, &j->layer};
    for (int i = LV_JOB; i >= LV_TOP; i--)
        if (layers[i]->key[f]) {
            *lv = i;
            return layers[i];
        }
    *lv = -1;
    return NULL;
}

static int dup_str(struct loader *L, const char *src, char **dst)
{
    if (src && !(*dst = strdup(src)))
        return ls_sl_oom(&L->c);
    return 0;
}

static int merge_env(struct loader *L, const struct layer *l, struct ls_slot_job *job)
{
    for (size_t i = 0; i < l->nenv; i++)
        if (ls_sl_env_set(&job->env, &job->nenv, l->env[i].name, l->env[i].value) < 0)
            return ls_sl_oom(&L->c);
    return 0;
}

static int merge_job(struct loader *L, struct raw_job *j, struct ls_slot_job *job)
{
    int lp, lc, lvc, lv;
    const struct layer *perf = winner(L, j, F_PERF, &lp);
    const struct layer *cpus = winner(L, j, F_CPUS, &lc);
    const struct layer *vcpus = winner(L, j, F_VCPUS, &lvc);
    const struct layer *l;
    job->name = LS_STEAL(j->name);
    job->pos = ls_sl_pos(j->node);

    /* perf: holds unless a more specific layer sets cpus: or vcpus: instead. */
    job->has_perf = perf && lp > lc && lp > lvc;
    if (job->has_perf) {
        job->perf = perf->perf;
        job->perf_pos = ls_sl_pos(perf->val[F_PERF]);
        job->vcpus = (size_t)job->perf.llcs * job->perf.cores * job->perf.threads;
        job->mode = LS_MODE_EXCLUSIVE;
        if (j->layer.key[F_MODE] && j->layer.mode != LS_MODE_EXCLUSIVE)
            return ls_sl_fail(&L->c, j->layer.val[F_MODE], "mode",
                              "job '%s' gets perf: from defaults: (line %u), which runs in "
                              "exclusive mode, not %s; set cpus: in the job instead of perf:, "
                              "or write exclusive",
                              job->name, perf->key[F_PERF]->line, ls_mode_name(j->layer.mode));
    } else {
        l = winner(L, j, F_MODE, &lv);
        job->mode = l ? l->mode : LS_MODE_DEDICATED;
        if (cpus) {
            job->budget = cpus->budget;
            job->budget_value = cpus->budget_value;
            job->budget_pos = ls_sl_pos(cpus->val[F_CPUS]);
        }
        job->vcpus = vcpus ? vcpus->vcpus : 0;
    }

    if ((l = winner(L, j, F_SMT, &lv)))
        job->smt = l->smt;
    if ((l = winner(L, j, F_MEMORY_MAX, &lv)))
        job->memory_max = l->memory_max;
    if ((l = winner(L, j, F_SECCOMP, &lv))) {
        if (dup_str(L, l->seccomp, &job->seccomp) < 0 ||
            dup_str(L, l->seccomp_deny, &job->seccomp_deny) < 0)
            return -1;
        job->seccomp_pos = ls_sl_pos(l->val[F_SECCOMP]);
    }
    if ((l = winner(L, j, F_CWD, &lv)) && !(job->cwd = resolve_path(L->out, l->cwd)))
        return ls_sl_oom(&L->c);
    if (merge_env(L, &L->defaults, job) < 0 || merge_env(L, &j->layer, job) < 0)
        return -1;
    if (!(l = winner(L, j, F_COMMAND, &lv)))
        return ls_sl_fail(&L->c, j->node, "command", "missing in job '%s' (and defaults: has none)",
                          job->name);
    job->argv = calloc(l->argc + 1, sizeof(*job->argv));
    if (!job->argv)
        return ls_sl_oom(&L->c);
    for (size_t i = 0; i < l->argc; i++)
        if (dup_str(L, l->argv[i], &job->argv[i]) < 0)
            return -1;
    job->argc = l->argc;
    job->shell = l->shell;
    job->repeat = (l = winner(L, j, F_REPEAT, &lv)) ? l->repeat : 1;
    job->timeout_ms = (l = winner(L, j, F_TIMEOUT, &lv)) ? l->timeout_ms : 0;
    job->wait_ms = (l = winner(L, j, F_WAIT, &lv)) ? l->wait_ms : LS_SLOTS_WAIT_FOREVER;
    return 0;
}

/* mode: and wait: may be set at the top level or in defaults:, not both. */
static int check_top_vs_defaults(struct loader *L)
{
    static const enum field both[] = {F_MODE, F_WAIT};
    for (size_t i = 0; i < 2; i++) {
        const struct ls_ynode *a = L->top.key[both[i]], *b = L->defaults.key[both[i]];
        if (!a || !b)
            continue;
        const struct ls_ynode *later = before(a, b) ? b : a, *first = later == a ? b : a;
        return ls_sl_fail(&L->c, later, later->text, "also set %s (line %u); keep one",
                          first == a ? "at the top level" : "in defaults:", first->line);
    }
    return 0;
}

static int cmp_by_name(const void *a, const void *b, void *ctx)
{
    const struct ls_slots *s = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(s->jobs[x].name, s->jobs[y].name);
    return c ? c : (x > y) - (x < y);
}

/* Sort job indices by name (file order among equals); the first repeat in file order is the
 * error. A file can hold tens of thousands of jobs: no quadratic scans. */
static int check_names(struct loader *L)
{
    const struct ls_slots *s = L->out;
    L->by_name = calloc(s->njobs, sizeof(*L->by_name));
    if (!L->by_name)
        return ls_sl_oom(&L->c);
    for (size_t i = 0; i < s->njobs; i++)
        L->by_name[i] = i;
    qsort_r(L->by_name, s->njobs, sizeof(*L->by_name), cmp_by_name, (void *)s);
    size_t dup = SIZE_MAX, first = 0;
    for (size_t i = 1; i < s->njobs; i++) {
        const char *name = s->jobs[L->by_name[i]].name;
        bool second = !strcmp(s->jobs[L->by_name[i - 1]].name, name) &&
                      (i == 1 || strcmp(s->jobs[L->by_name[i - 2]].name, name));
        if (second && L->by_name[i] < dup) {
            dup = L->by_name[i];
            first = L->by_name[i - 1];
        }
    }
    if (dup == SIZE_MAX)
        return 0;
    return ls_sl_fail(&L->c, L->jobs[dup].name_node, "name",
                      "duplicate job name '%s' (first at line %u)", s->jobs[dup].name,
                      L->jobs[first].name_node->line);
}

static int find_by_name(const struct loader *L, const char *name)
{
    size_t lo = 0, hi = L->out->njobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(L->out->jobs[L->by_name[mid]].name, name);
        if (c == 0)
            return (int)L->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int resolve_after(struct loader *L, size_t idx)
{
    const struct ls_ynode *n = L->jobs[idx].after;
    struct ls_slot_job *job = &L->out->jobs[idx];
    if (!n || ls_ynode_is_null(n))
        return 0;
    const struct ls_ynode *const *items = &n;
    size_t count = 1;
    if (n->kind == LS_Y_SEQ) {
        items = (const struct ls_ynode *const *)n->items;
        count = n->nitems;
    } else if (n->kind != LS_Y_SCALAR) {
        return ls_sl_fail(&L->c, n, "after", "expected a list of job names, got %s",
                          ls_ynode_kind_name(n));
    }
    job->after = calloc(count ? count : 1, sizeof(*job->after));
    if (!job->after)
        return ls_sl_oom(&L->c);
    for (size_t i = 0; i < count; i++) {
        const char *t = NULL;
        if (ls_sl_text(&L->c, "after", items[i], "a job name", &t) < 0)
            return -1;
        int target = find_by_name(L, t);
        if (target < 0) {
            _cleanup_free_ const char **names = calloc(L->njobs, sizeof(*names));
            if (!names)
                return ls_sl_oom(&L->c);
            for (size_t k = 0; k < L->njobs; k++)
                names[k] = L->out->jobs[k].name;
            const char *guess = ls_suggest(t, names, L->njobs);
            if (guess)
                return ls_sl_fail(&L->c, items[i], "after",
                                  "no job is named '%s' (did you mean '%s'?)", t, guess);
            return ls_sl_fail(&L->c, items[i], "after", "no job is named '%s'", t);
        }
        for (size_t k = 0; k < job->nafter; k++)
            if (job->after[k] == (size_t)target)
                return ls_sl_fail(&L->c, items[i], "after", "job '%s' is listed twice", t);
        job->after[job->nafter++] = (size_t)target;
    }
    return 0;
}

/* Position of after: entry number k of job idx, for cycle messages. */
static const struct ls_ynode *after_item(const struct loader *L, size_t idx, size_t k)
{
    const struct ls_ynode *n = L->jobs[idx].after;
    return n->kind == LS_Y_SEQ ? n->items[k] : n;
}

enum { WHITE, GRAY, BLACK };

static int cycle_error(struct loader *L, const size_t *stack, const size_t *edge, size_t depth)
{
    const struct ls_slots *s = L->out;
    size_t v = stack[depth], k = edge[depth] - 1, w = s->jobs[v].after[k];
    if (w == v)
        return ls_sl_fail(&L->c, after_item(L, v, k), "after", "cycle: '%s' runs after itself",
                          s->jobs[v].name);
    size_t from = depth;
    while (stack[from] != w)
        from--;
    /* v, w, then the stack back down to v: stack[from] is w, stack[depth] is v. */
    size_t n = depth - from + 1, shown = n <= 8 ? n : 6;
    char path[1536];
    size_t off = (size_t)snprintf(path, sizeof(path), "'%s' runs after '%s'", s->jobs[v].name,
                                  s->jobs[w].name);
    for (size_t i = from + 1; i < from + shown && off < sizeof(path); i++)
        off += (size_t)snprintf(path + off, sizeof(path) - off, ", which runs after '%s'",
                                s->jobs[stack[i]].name);
    if (shown < n && off < sizeof(path))
        snprintf(path + off, sizeof(path) - off, ", ... which runs after '%s' (%zu jobs)",
                 s->jobs[v].name, n);
    return ls_sl_fail(&L->c, after_item(L, v, k), "after", "cycle: %s", path);
}

/* Depth-first over after: edges in file order, iteratively (chains can be long). A GRAY
 * target closes a cycle; finished jobs are appended to the order, dependencies first. */
static int order_jobs(struct loader *L)
{
    struct ls_slots *s = L->out;
    _cleanup_free_ unsigned char *color = calloc(s->njobs, 1);
    _cleanup_free_ size_t *stack = calloc(s->njobs, sizeof(*stack));
    _cleanup_free_ size_t *edge = calloc(s->njobs, sizeof(*edge));
    s->order = calloc(s->njobs, sizeof(*s->order));
    if (!color || !stack || !edge || !s->order)
        return ls_sl_oom(&L->c);
    size_t n = 0;
    for (size_t root = 0; root < s->njobs; root++) {
        if (color[root] != WHITE)
            continue;
        size_t depth = 0;
        stack[0] = root;
        edge[0] = 0;
        color[root] = GRAY;
        for (;;) {
            size_t v = stack[depth];
            if (edge[depth] < s->jobs[v].nafter) {
                size_t w = s->jobs[v].after[edge[depth]++];
                if (color[w] == GRAY)
                    return cycle_error(L, stack, edge, depth);
                if (color[w] == WHITE) {
                    color[w] = GRAY;
                    stack[++depth] = w;
                    edge[depth] = 0;
                }
                continue;
            }
            color[v] = BLACK;
            s->order[n++] = v;
            if (depth-- == 0)
                break;
        }
    }
    return 0;
}

static int finish(struct loader *L)
{
    struct ls_slots *s = L->out;
    if (check_top_vs_defaults(L) < 0)
        return -1;
    s->jobs = calloc(L->njobs, sizeof(*s->jobs));
    if (!s->jobs)
        return ls_sl_oom(&L->c);
    s->njobs = L->njobs;
    for (size_t i = 0; i < L->njobs; i++)
        if (merge_job(L, &L->jobs[i], &s->jobs[i]) < 0)
            return -1;
    if (check_names(L) < 0)
        return -1;
    for (size_t i = 0; i < L->njobs; i++)
        if (resolve_after(L, i) < 0)
            return -1;
    return order_jobs(L);
}

int ls_slots_load_buffer(const char *path, const char *buf, size_t len, struct ls_slots *out,
                         struct ls_error *err)
{
    memset(out, 0, sizeof(*out));
    struct loader L = {.c = {.name = path, .err = err}, .out = out};
    _cleanup_free_ char *copy = strdup(path);
    out->path = strdup(path);
    if (!copy || !out->path || !(out->dir = strdup(dirname(copy)))) {
        ls_slots_free(out);
        return ls_sl_oom(&L.c);
    }
    struct ls_ydoc doc;
    int rc = ls_ydoc_parse(&doc, path, buf, len, err);
    if (rc == 0) {
        rc = read_top(&L, doc.root);
        if (rc == 0)
            rc = finish(&L);
        ls_ydoc_free(&doc);
    }
    layer_free(&L.top);
    layer_free(&L.defaults);
    for (size_t i = 0; i < L.njobs; i++) {
        free(L.jobs[i].name);
        layer_free(&L.jobs[i].layer);
    }
    free(L.jobs);
    free(L.by_name);
    if (rc < 0)
        ls_slots_free(out);
    return rc;
}

int ls_slots_load_file(const char *path, struct ls_slots *out, struct ls_error *err)
{
    memset(out, 0, sizeof(*out));
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ls_fail(err, LS_ERR_USAGE, errno, "%s: cannot open the slot file: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ls_fail(err, LS_ERR_USAGE, EISDIR, "%s: is a directory, not a slot file", path);
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > LS_SLOTS_MAX_FILE_BYTES)
        return ls_fail(err, LS_ERR_USAGE, EFBIG,
                       "%s: file is %lld bytes; a slot file may be at most %u bytes (1 MiB)", path,
                       (long long)st.st_size, LS_SLOTS_MAX_FILE_BYTES);
    /* Read at most one byte past the limit: pipes and /dev files have no size to check. */
    _cleanup_free_ char *buf = malloc(LS_SLOTS_MAX_FILE_BYTES + 1);
    if (!buf)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading %s", path);
    size_t len = 0;
    while (len <= LS_SLOTS_MAX_FILE_BYTES) {
        ssize_t n = read(fd, buf + len, LS_SLOTS_MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ls_fail(err, LS_ERR_USAGE, errno, "%s: cannot read the slot file: %s", path,
                           strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > LS_SLOTS_MAX_FILE_BYTES)
        return ls_fail(err, LS_ERR_USAGE, EFBIG,
                       "%s: file is more than %u bytes; a slot file may be at most 1 MiB", path,
                       LS_SLOTS_MAX_FILE_BYTES);
    return ls_slots_load_buffer(path, buf, len, out, err);
}

static void job_free(struct ls_slot_job *j)
{
    free(j->name);
    free(j->seccomp);
    free(j->seccomp_deny);
    free(j->cwd);
    ls_sl_free_env(j->env, j->nenv);
    ls_sl_free_argv(j->argv);
    free(j->after);
}

void ls_slots_free(struct ls_slots *s)
{
    for (size_t i = 0; i < s->njobs; i++)
        job_free(&s->jobs[i]);
    free(s->jobs);
    free(s->order);
    free(s->path);
    free(s->dir);
    free(s->lock_dir);
    free(s->lock_prefix);
    free(s->cgroup_manager);
    free(s->log_dir);
    memset(s, 0, sizeof(*s));
}

int ls_slots_find_job(const struct ls_slots *s, const char *name)
{
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].name && !strcmp(s->jobs[i].name, name))
            return (int)i;
    return -1;
}

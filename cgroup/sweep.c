/* Sweep: remove llcslice groups whose supervisor is gone (pid dead, or reused: the start time in
 * the name no longer matches) and orphan-marked groups older than max_age. Marked orphans wait
 * for their age even when the owner is gone: a group that refused removal once is retried late.
 * Owners named with another pid namespace are looked up there (by NSpid); when that namespace is
 * not visible from here their groups are kept. Empty llcslice-procs leaves (v2) are removed. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

#define MAX_DEPTH 32

struct sweeper {
    struct ls_cg_hier hier[2];
    const char *ctrl[2];
    size_t nhier;
    time_t now;
    unsigned max_age;
    struct ls_sweep_result *res;
    struct ls_sweep_result scratch;
    struct ls_cg_orphan *marks;
    size_t nmarks;
    int removed;
};

static void add(struct ls_sweep_entry **arr, size_t *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(struct ls_sweep_entry **arr, size_t *n, const char *path, const char *fmt, ...)
{
    char *reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&reason, fmt, ap);
    va_end(ap);
    char *p = strdup(path);
    struct ls_sweep_entry *na = realloc(*arr, (*n + 1) * sizeof(**arr));
    if (r < 0 || !p || !na) {
        free(r < 0 ? NULL : reason);
        free(p);
        if (na)
            *arr = na;
        return;
    }
    *arr = na;
    (*arr)[(*n)++] = (struct ls_sweep_entry){p, reason};
}

static const struct ls_cg_hier *hier_for(const struct sweeper *sw, const char *path,
                                         const char **ctrl, const char **rel)
{
    for (size_t i = 0; i < sw->nhier; i++) {
        size_t n = strlen(sw->hier[i].mount);
        if (strncmp(path, sw->hier[i].mount, n) == 0 && path[n] == '/') {
            *ctrl = sw->ctrl[i];
            *rel = path + n + 1;
            return &sw->hier[i];
        }
    }
    return NULL;
}

static void remove_group(struct sweeper *sw, const struct ls_cg_hier *h, const char *ctrl,
                         const char *rel, const char *path, const char *marker, const char *reason)
{
    char why[1024];
    if (ls_cg_kill_and_remove(h, rel, ctrl, why, sizeof(why)) == 0) {
        if (marker)
            unlink(marker);
        sw->removed++;
        add(&sw->res->removed, &sw->res->nremoved, path, "%s", reason);
    } else {
        add(&sw->res->failed, &sw->res->nfailed, path, "%s", why);
    }
}

static bool marked(const struct sweeper *sw, const char *path)
{
    for (size_t i = 0; i < sw->nmarks; i++)
        if (strcmp(sw->marks[i].path, path) == 0)
            return true;
    return false;
}

static void sweep_markers(struct sweeper *sw)
{
    for (size_t i = 0; i < sw->nmarks; i++) {
        const struct ls_cg_orphan *m = &sw->marks[i];
        const char *ctrl, *rel;
        if (!ls_cg_is_dir(m->path)) {
            unlink(m->file); /* removed by someone else meanwhile */
            continue;
        }
        long long age = (long long)(sw->now - m->created);
        const struct ls_cg_hier *h = hier_for(sw, m->path, &ctrl, &rel);
        if (!h)
            add(&sw->res->kept, &sw->res->nkept, m->path,
                "orphan outside every mounted cpuset/memory hierarchy");
        else if (age >= (long long)sw->max_age)
            remove_group(sw, h, ctrl, rel, m->path, m->file, "orphan older than the maximum age");
        else
            add(&sw->res->kept, &sw->res->nkept, m->path,
                "orphan created %llds ago, younger than the maximum age %us", age, sw->max_age);
    }
}

/* An empty shared leaf may go (never killing anything: its processes are not jobs); a populated
 * one is the home of the parent's processes. rmdir itself refuses a populated group. */
static void sweep_procs_leaf(struct sweeper *sw, const char *path)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    char procs[8300];
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
    if (ls_cg_read_pids(procs, &pids, &n) < 0 || n > 0)
        return;
    if (rmdir(path) == 0)
        add(&sw->res->removed, &sw->res->nremoved, path,
            "empty " LS_CG_PROCS_LEAF " leaf (the processes moved there are gone)");
}

static void sweep_dir(struct sweeper *sw, const struct ls_cg_hier *h, const char *ctrl,
                      const char *dir, int depth)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        char path[8192];
        if (ls_cg_join(path, sizeof(path), dir, e->d_name) < 0)
            continue;
        struct ls_cg_owner o;
        bool leaf = h->version == LS_CG_V2 && strcmp(e->d_name, LS_CG_PROCS_LEAF) == 0;
        bool named = !leaf && ls_cg_parse_name(e->d_name, &o);
        /* Other groups are only descended into, and opendir() answers for them: stat only
         * what may be removed, or what the entry type leaves open. */
        if ((leaf || named || e->d_type != DT_DIR) && !ls_cg_is_dir(path))
            continue;
        if (leaf) {
            sweep_procs_leaf(sw, path);
            continue;
        }
        if (!named) {
            if (depth < MAX_DEPTH)
                sweep_dir(sw, h, ctrl, path, depth + 1);
            continue;
        }
        if (marked(sw, path))
            continue; /* marked orphans go by age */
        switch (ls_cg_owner_state(&o)) {
        case LS_OWNER_ALIVE:
            continue;
        case LS_OWNER_UNKNOWN:
            add(&sw->res->kept, &sw->res->nkept, path,
                "owner pid %d lives in pid namespace %llu, which is not visible from here",
                (int)o.pid, (unsigned long long)o.pidns);
            continue;
        case LS_OWNER_DEAD:
            break;
        }
        char reason[160];
        if (o.pidns == LS_PIDNS_INIT)
            snprintf(reason, sizeof(reason), "owner pid %d (start time %llu) is gone", (int)o.pid,
                     o.start);
        else
            snprintf(reason, sizeof(reason),
                     "owner pid %d of pid namespace %llu (start time %llu) is gone", (int)o.pid,
                     (unsigned long long)o.pidns, o.start);
        remove_group(sw, h, ctrl, path + strlen(h->mount) + 1, path, NULL, reason);
    }
}

int ls_cgroup_sweep(unsigned max_age_s, struct ls_sweep_result *res, struct ls_error *err)
{
    struct sweeper sw = {.now = time(NULL), .max_age = max_age_s};
    sw.res = res ? res : &sw.scratch;
    memset(sw.res, 0, sizeof(*sw.res));

    struct ls_error derr = {0};
    enum ls_cg_version v = ls_cg_detect(&sw.hier[0], &derr);
    if (v == LS_CG_NONE) {
        if (ls_error_set(&derr))
            return ls_fail(err, derr.category, derr.code, "%s", derr.msg);
        return 0; /* no cpuset hierarchy: nothing of ours can exist */
    }
    sw.ctrl[0] = "cpuset";
    sw.nhier = 1;
    if (v == LS_CG_V1 && ls_cg_find_memory(LS_CG_V1, &sw.hier[1], &derr) == 1 &&
        strcmp(sw.hier[1].mount, sw.hier[0].mount) != 0) {
        sw.ctrl[1] = "memory";
        sw.nhier = 2;
    }

    int r = ls_cg_orphan_list(&sw.marks, &sw.nmarks);
    if (r < 0) {
        char dir[4096];
        ls_cg_orphan_dir(dir, sizeof(dir));
        add(&sw.res->failed, &sw.res->nfailed, dir, "reading orphan markers: %s", strerror(-r));
    }
    sweep_markers(&sw);
    for (size_t i = 0; i < sw.nhier; i++)
        sweep_dir(&sw, &sw.hier[i], sw.ctrl[i], sw.hier[i].mount, 0);
    free(sw.marks);

    if (!res)
        ls_sweep_result_free(&sw.scratch);
    return sw.removed;
}

static void free_entries(struct ls_sweep_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].path);
        free(e[i].reason);
    }
    free(e);
}

void ls_sweep_result_free(struct ls_sweep_result *res)
{
    free_entries(res->removed, res->nremoved);
    free_entries(res->kept, res->nkept);
    free_entries(res->failed, res->nfailed);
    memset(res, 0, sizeof(*res));
}

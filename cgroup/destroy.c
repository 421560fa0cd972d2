/* Tearing a group down: kill everything in it and below it (cgroup.kill on v2 where present,
 * else SIGKILL every listed pid until none is left), move stragglers to the parent (on v2 to its
 * llcslice-procs leaf: a parent that hands controllers down takes no process), then remove
 * the directories bottom-up, retrying EBUSY 5x10 ms (exiting tasks linger briefly). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"
#include "planner/clock.h"

#define KILL_ROUNDS 200 /* x 10 ms */
#define MAX_DEPTH 32

/* Visit dir and every group below it, children before parents. */
static int walk(const char *dir, int depth, int (*fn)(const char *, void *), void *arg)
{
    if (depth < MAX_DEPTH) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
                continue;
            char sub[8192];
            if (ls_cg_join(sub, sizeof(sub), dir, e->d_name) < 0 || !ls_cg_is_dir(sub))
                continue;
            int r = walk(sub, depth + 1, fn, arg);
            if (r)
                return r;
        }
    }
    return fn(dir, arg);
}

struct killer {
    size_t alive;       /* pids seen this round */
    const char *parent; /* where stragglers (and never-to-be-killed us) go */
    bool migrate;       /* move everyone instead of killing */
    int last_err;
    char who[256];
};

static int kill_in(const char *dir, void *arg)
{
    struct killer *k = arg;
    char procs[8300];
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n;
    if (ls_cg_read_pids(procs, &pids, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        k->alive++;
        if (k->migrate || pids[i] == getpid()) {
            char num[32];
            snprintf(num, sizeof(num), "%d", (int)pids[i]);
            int r = ls_cg_writef(num, "%s/cgroup.procs", k->parent);
            if (r < 0 && r != -ESRCH) {
                k->last_err = -r;
                snprintf(k->who, sizeof(k->who), "pid %d", (int)pids[i]);
            }
            continue;
        }
        if (pids[i] > 1) /* never init, whatever a group claims to hold */
            kill(pids[i], SIGKILL);
    }
    return 0;
}

struct remover {
    const struct ls_cg_hier *h;
    const char *top;
    const char *rel;
    const char *controller;
    int err;
};

static int remove_one(const char *dir, void *arg)
{
    struct remover *rm = arg;
    int r = 0;
    for (int attempt = 0; attempt <= 5; attempt++) {
        if (attempt)
            ls_sleep_ms(10);
        if (strcmp(dir, rm->top) == 0)
            r = ls_cg_rmdir(rm->h, rm->rel, rm->controller);
        else
            r = rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
        if (r != -EBUSY)
            break;
    }
    if (r < 0)
        rm->err = -r;
    return 0;
}

int ls_cg_kill_and_remove(const struct ls_cg_hier *h, const char *rel, const char *controller,
                          char *why, size_t why_size)
{
    char path[8192];
    if (why_size)
        why[0] = '\0';
    if (ls_cg_join(path, sizeof(path), h->mount, rel) < 0)
        return -ENAMETOOLONG;
    if (!ls_cg_is_dir(path))
        return 0;

    char parent[8300];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';

    /* cgroup.kill (v2, Linux 5.14+) kills the whole subtree and races no fork. */
    if (h->version == LS_CG_V2)
        ls_cg_writef("1", "%s/cgroup.kill", path);
    struct killer k = {.parent = parent};
    for (int round = 0; round < KILL_ROUNDS; round++) {
        k.alive = 0;
        walk(path, 0, kill_in, &k);
        if (k.alive == 0)
            break;
        ls_sleep_ms(round < 10 ? 2 : 10);
    }

    if (k.alive) {
        /* Unkillable for now (D state): park them in the parent so the group can go. On v2 a
         * non-root parent that hands controllers down takes no process: its leaf does. */
        char type[8400];
        snprintf(type, sizeof(type), "%s/cgroup.type", parent);
        if (h->version == LS_CG_V2 && access(type, F_OK) == 0) {
            size_t l = strlen(parent);
            snprintf(parent + l, sizeof(parent) - l, "/" LS_CG_PROCS_LEAF);
            if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                parent[l] = '\0';
        }
        struct killer mig = {.parent = parent, .migrate = true};
        walk(path, 0, kill_in, &mig);
        if (mig.last_err && why_size)
            snprintf(why, why_size, "%zu process(es) survived SIGKILL; moving %s to %s failed: %s",
                     mig.alive, mig.who, parent, strerror(mig.last_err));
    }

    struct remover rm = {.h = h, .top = path, .rel = rel, .controller = controller};
    walk(path, 0, remove_one, &rm);
    if (!ls_cg_is_dir(path))
        return 0;
    if (why_size && !why[0])
        snprintf(why, why_size, "rmdir %s: %s", path, strerror(rm.err ? rm.err : EBUSY));
    return -(rm.err ? rm.err : EBUSY);
}

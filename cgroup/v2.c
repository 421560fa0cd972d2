/* cgroup v2 rules for job groups. A controller reaches a child only if every ancestor lists it
 * in cgroup.subtree_control (enabled here from the root down; libcgroup only does the direct
 * parent). And a non-root group that holds processes must not hand controllers to children:
 * for memory the kernel refuses (EBUSY); for cpuset it accepts but turns the group into a thread
 * root whose domain children are "domain invalid" and refuse every process (EOPNOTSUPP). So the
 * supervisor first moves itself into a leaf of its own, <parent>/llcslice-<pid>-<start>-sup, as
 * systemd and crun do, and job groups are created beside that leaf. The supervisor stays there
 * for the rest of its life (moving back is refused once a child is populated); sweep removes the
 * leaf after the supervisor is gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

/* "123 (bash), 456 (make)" for the first few pids, so the user sees who is in the way. */
static void describe_pids(const pid_t *pids, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 5 && o < size; i++) {
        _cleanup_free_ char *comm = NULL;
        if (ls_cg_readf(&comm, "/proc/%d/comm", (int)pids[i]) == 0)
            comm[strcspn(comm, "\n")] = '\0';
        int w = snprintf(buf + o, size - o, "%s%d (%s)", i ? ", " : "", (int)pids[i],
                         comm ? comm : "?");
        if (w < 0)
            return;
        o += (size_t)w;
    }
    if (n > 5 && o < size)
        snprintf(buf + o, size - o, " and %zu more", n - 5);
}

/* Other llcslice supervisors started in the same group move out on their own shortly. */
static bool all_llcslice(const pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *comm = NULL;
        if (ls_cg_readf(&comm, "/proc/%d/comm", (int)pids[i]) < 0)
            continue; /* gone */
        if (strncmp(comm, "llcslice", 8) != 0)
            return false;
    }
    return true;
}

static int check_type(const char *dir, enum ls_category cat, struct ls_error *err)
{
    _cleanup_free_ char *type = NULL;
    int r = ls_cg_readf(&type, "%s/cgroup.type", dir);
    if (r == -ENOENT)
        return 0; /* the root has no cgroup.type */
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s/cgroup.type: %s", dir, strerror(-r));
    type[strcspn(type, "\n")] = '\0';
    if (strcmp(type, "domain") == 0)
        return 0;
    return ls_fail(err, cat, EOPNOTSUPP,
                   "cgroup %s has cgroup.type '%s': job groups below it could not take processes "
                   "(a thread root holds processes and has threaded controllers enabled); use a "
                   "parent cgroup of type 'domain'",
                   dir, type);
}

/* Undo move_into_leaf when the parent turned out unusable: back into the parent (allowed while
 * it hands no controller down) and the leaf removed, so nothing is left behind. */
static void leave_leaf(const char *dir, const char *leafdir, bool made)
{
    char me[32];
    snprintf(me, sizeof(me), "%d", (int)getpid());
    if (ls_cg_writef(me, "%s/cgroup.procs", dir) == 0 && made)
        rmdir(leafdir);
}

/* Move the calling process into <parent>/llcslice-<pid>-<start>-sup and wait for the parent to
 * be empty; other processes still there make the parent unusable. */
static int move_into_leaf(const char *parent_rel, const char *dir, enum ls_category cat, char *leaf,
                          size_t leaf_size, struct ls_error *err)
{
    char name[128], leafdir[8192], procs[8300], me[32];
    if (ls_cg_leaf_name(name, sizeof(name)) < 0 || ls_cg_join(leafdir, sizeof(leafdir), dir, name))
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", dir);
    bool made = mkdir(leafdir, 0755) == 0;
    if (!made && errno != EEXIST)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "creating the supervisor's leaf cgroup %s: %s",
                       leafdir, strerror(errno));
    snprintf(me, sizeof(me), "%d", (int)getpid());
    int r = ls_cg_writef(me, "%s/cgroup.procs", leafdir);
    if (r < 0) {
        if (made)
            rmdir(leafdir);
        return ls_fail(err, LS_ERR_SYSTEM, -r,
                       "moving llcslice (pid %s) into its leaf cgroup %s: %s", me, leafdir,
                       strerror(-r));
    }
    if (ls_cg_join(leaf, leaf_size, parent_rel, name) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", dir);

    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    for (int tries = 0;; tries++) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;
        r = ls_cg_read_pids(procs, &pids, &n);
        if (r < 0) {
            leave_leaf(dir, leafdir, made);
            leaf[0] = '\0';
            return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", procs, strerror(-r));
        }
        if (n == 0)
            return 0;
        if (tries < 40 && all_llcslice(pids, n)) {
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
            continue;
        }
        char who[512];
        describe_pids(pids, n, who, sizeof(who));
        leave_leaf(dir, leafdir, made);
        leaf[0] = '\0';
        return ls_fail(err, cat, EBUSY,
                       "cgroup %s still holds other processes (%s), so it cannot hand cpuset to "
                       "a job group (cgroup v2 lets only groups without processes of their own "
                       "do that); start llcslice in a cgroup of its own (e.g. systemd-run --scope "
                       "-p Delegate=yes llcslice ...) or pass --cgroup-parent with an empty group",
                       dir, who);
    }
}

static int enable(const char *dir, const char *ctrl, bool is_root, enum ls_category cat,
                  struct ls_error *err)
{
    _cleanup_free_ char *sc = NULL;
    int r = ls_cg_readf(&sc, "%s/cgroup.subtree_control", dir);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s/cgroup.subtree_control: %s", dir,
                       strerror(-r));
    if (ls_cg_has_word(sc, ctrl))
        return 0;
    if (!is_root) {
        char procs[8300];
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        if (ls_cg_read_pids(procs, &pids, &n) == 0 && n > 0) {
            char who[512];
            describe_pids(pids, n, who, sizeof(who));
            return ls_fail(err, cat, EBUSY,
                           "cannot enable %s for the children of %s: it holds processes (%s), and "
                           "cgroup v2 hands controllers down only from groups without processes",
                           ctrl, dir, who);
        }
    }
    char plus[64];
    snprintf(plus, sizeof(plus), "+%s", ctrl);
    r = ls_cg_writef(plus, "%s/cgroup.subtree_control", dir);
    if (r == 0)
        return 0;
    if (r == -ENOENT)
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                       "the %s controller is not available in %s (missing from its "
                       "cgroup.controllers: not delegated to this subtree)",
                       ctrl, dir);
    return ls_fail(err, r == -EACCES || r == -EPERM || r == -EROFS ? LS_ERR_SYSTEM : cat, -r,
                   "enabling %s in %s/cgroup.subtree_control: %s", ctrl, dir, strerror(-r));
}

int ls_cg_v2_prepare(const struct ls_cg_hier *h, const char *parent_rel, bool explicit_parent,
                     const char *const *controllers, size_t n, char *leaf, size_t leaf_size,
                     struct ls_error *err)
{
    enum ls_category cat = explicit_parent ? LS_ERR_USAGE : LS_ERR_SYSTEM;
    char dir[8192];
    leaf[0] = '\0';
    if (ls_cg_join(dir, sizeof(dir), h->mount, parent_rel) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", parent_rel);

    if (*parent_rel) {
        if (check_type(dir, cat, err) < 0)
            return -1;
        char procs[8300];
        _cleanup_free_ pid_t *pids = NULL;
        size_t np = 0;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        int r = ls_cg_read_pids(procs, &pids, &np);
        if (r < 0)
            return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", procs, strerror(-r));
        bool mine = false;
        for (size_t i = 0; i < np; i++)
            mine = mine || pids[i] == getpid();
        if (mine && move_into_leaf(parent_rel, dir, cat, leaf, leaf_size, err) < 0)
            return -1;
        /* Anything else in there is caught by enable() below with the pids named. */
    }

    /* From the root down to the parent itself. */
    for (size_t i = 0; i < n; i++)
        if (enable(h->mount, controllers[i], true, cat, err) < 0)
            return -1;
    for (const char *p = parent_rel; *p;) {
        p += strcspn(p, "/");
        if (snprintf(dir, sizeof(dir), "%s/%.*s", h->mount, (int)(p - parent_rel), parent_rel) >=
            (int)sizeof(dir))
            return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long");
        for (size_t i = 0; i < n; i++)
            if (enable(dir, controllers[i], false, cat, err) < 0)
                return -1;
        while (*p == '/')
            p++;
    }
    return 0;
}

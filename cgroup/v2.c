/* cgroup v2 rules for job groups. A controller reaches a child only if every ancestor lists it
 * in cgroup.subtree_control (enabled here from the root down; libcgroup only does the direct
 * parent). And a non-root group that holds processes must not hand controllers to children:
 * for memory the kernel refuses (EBUSY); for cpuset it accepts but turns the group into a thread
 * root whose domain children refuse every process (EOPNOTSUPP). So, as docker's dind entrypoint
 * does, every process of the parent moves into one shared leaf, <parent>/llcslice-procs, and job
 * groups are created beside it. Processes keep their ancestors, so limits and accounting above
 * the parent are unchanged. Supervisors doing this at once take turns (flock on the parent's
 * directory), and each loops until the parent is empty: processes fork in concurrently, and a
 * process that moved or exited meanwhile is no error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"
#include "planner/clock.h"
#include "planner/procstat.h"

#define EMPTY_ROUNDS 50  /* passes over the parent's cgroup.procs */
#define ENABLE_ROUNDS 10 /* a process slipped back in between emptying and enabling */

/* "123 (bash), 456 (make)" for the first few pids, so the user sees who is in the way. */
static void describe_pids(const pid_t *pids, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 5 && o < size; i++) {
        char comm[64];
        if (ls_proc_comm_read(pids[i], comm, sizeof(comm)) < 0)
            snprintf(comm, sizeof(comm), "?");
        int w = snprintf(buf + o, size - o, "%s%d (%s)", i ? ", " : "", (int)pids[i], comm);
        if (w < 0)
            return;
        o += (size_t)w;
    }
    if (n > 5 && o < size)
        snprintf(buf + o, size - o, " and %zu more", n - 5);
}

/* The root cgroup has no cgroup.type (a cgroup namespace's root does: it is not the real root). */
static int group_type(const char *dir, char *type, size_t size, struct ls_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = ls_cg_readf(&text, "%s/cgroup.type", dir);
    if (r == -ENOENT) {
        type[0] = '\0';
        return 0;
    }
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s/cgroup.type: %s", dir, strerror(-r));
    text[strcspn(text, "\n")] = '\0';
    snprintf(type, size, "%s", text);
    return 0;
}

static int check_domain(const char *dir, const char *type, enum ls_category cat,
                        struct ls_error *err)
{
    if (!*type || strcmp(type, "domain") == 0)
        return 0;
    return ls_fail(err, cat, EOPNOTSUPP,
                   "cgroup %s has cgroup.type '%s': job groups below it could not take processes "
                   "(it is threaded, or a thread root: it holds processes and hands a threaded "
                   "controller down); use a parent cgroup of type 'domain'",
                   dir, type);
}

/* Move every process of dir into dir/llcslice-procs until dir holds none. */
static int empty_into_leaf(const char *dir, enum ls_category cat, size_t *moved,
                           struct ls_error *err)
{
    char leafdir[8300], procs[8300], leafprocs[8400];
    snprintf(leafdir, sizeof(leafdir), "%s/" LS_CG_PROCS_LEAF, dir);
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    snprintf(leafprocs, sizeof(leafprocs), "%s/cgroup.procs", leafdir);
    for (int round = 0; round < EMPTY_ROUNDS; round++) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;
        int r = ls_cg_read_pids(procs, &pids, &n);
        if (r < 0)
            return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", procs, strerror(-r));
        if (n == 0)
            return 0;
        /* EEXIST: made by us earlier or by another supervisor. */
        if (mkdir(leafdir, 0755) < 0 && errno != EEXIST)
            return ls_fail(
                err, errno == EACCES || errno == EPERM || errno == EROFS ? LS_ERR_SYSTEM : cat,
                errno, "creating %s for the processes of %s: %s", leafdir, dir, strerror(errno));
        for (size_t i = 0; i < n; i++) {
            char num[32];
            snprintf(num, sizeof(num), "%d", (int)pids[i]);
            r = ls_cg_write(leafprocs, num);
            if (r == 0) {
                (*moved)++;
                continue;
            }
            if (r == -ESRCH)
                continue; /* exited meanwhile */
            if (r == -ENOENT || r == -ENODEV)
                break; /* a sweep removed the empty leaf meanwhile: make it again */
            char who[128];
            describe_pids(&pids[i], 1, who, sizeof(who));
            return ls_fail(err, r == -EACCES || r == -EPERM ? LS_ERR_SYSTEM : cat, -r,
                           "moving pid %s from %s into %s (cgroup v2 lets only groups without "
                           "processes of their own hand controllers to job groups): %s%s",
                           who, dir, leafdir, strerror(-r),
                           r == -EACCES || r == -EPERM
                               ? " (needs write access to both cgroup.procs files: root, or a "
                                 "delegated subtree)"
                               : "");
        }
        if (round > 5)
            ls_sleep_ms(10);
    }
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    ls_cg_read_pids(procs, &pids, &n);
    char who[512];
    describe_pids(pids, n, who, sizeof(who));
    return ls_fail(err, cat, EBUSY,
                   "cgroup %s keeps getting processes (%s) while llcslice moves them into %s; "
                   "cgroup v2 lets only groups without processes of their own hand controllers "
                   "to job groups: pass --cgroup-parent with a group nothing else runs in",
                   dir, who, leafdir);
}

/* Enable ctrl for the children of dir. check_procs (ancestors): holding processes is an error;
 * otherwise (the emptied parent) a process that slipped in gives -EBUSY, unreported. */
static int enable(const char *dir, const char *ctrl, bool check_procs, enum ls_category cat,
                  struct ls_error *err)
{
    _cleanup_free_ char *sc = NULL;
    int r = ls_cg_readf(&sc, "%s/cgroup.subtree_control", dir);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s/cgroup.subtree_control: %s", dir,
                       strerror(-r));
    if (ls_cg_has_word(sc, ctrl))
        return 0;
    if (check_procs) {
        char procs[8300];
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        if (ls_cg_read_pids(procs, &pids, &n) == 0 && n > 0) {
            char who[512];
            describe_pids(pids, n, who, sizeof(who));
            return ls_fail(err, cat, EBUSY,
                           "cannot enable %s for the children of %s: it holds processes (%s), and "
                           "cgroup v2 hands controllers down only from groups without processes; "
                           "move them into a child group, or pass --cgroup-parent",
                           ctrl, dir, who);
        }
    }
    char plus[64];
    snprintf(plus, sizeof(plus), "+%s", ctrl);
    r = ls_cg_writef(plus, "%s/cgroup.subtree_control", dir);
    if (r == 0)
        return 0;
    if (r == -EBUSY && !check_procs)
        return -EBUSY;
    if (r == -ENOENT)
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                       "the %s controller is not available in %s (missing from its "
                       "cgroup.controllers: not delegated to this subtree)",
                       ctrl, dir);
    return ls_fail(err, r == -EACCES || r == -EPERM || r == -EROFS ? LS_ERR_SYSTEM : cat, -r,
                   "enabling %s in %s/cgroup.subtree_control: %s", ctrl, dir, strerror(-r));
}

int ls_cg_v2_prepare(const struct ls_cg_hier *h, const char *parent_rel, bool explicit_parent,
                     const char *const *controllers, size_t n, size_t *moved, struct ls_error *err)
{
    enum ls_category cat = explicit_parent ? LS_ERR_USAGE : LS_ERR_SYSTEM;
    char pdir[8192], dir[8192], type[64];
    *moved = 0;
    if (ls_cg_join(pdir, sizeof(pdir), h->mount, parent_rel) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", parent_rel);
    if (group_type(pdir, type, sizeof(type), err) < 0 || check_domain(pdir, type, cat, err) < 0)
        return -1;
    bool parent_is_root = !*type;

    /* Ancestors, from the mount down, must already be empty (the real root may hold anything). */
    for (const char *p = parent_rel;;) {
        size_t len = (size_t)(p - parent_rel);
        while (len > 0 && parent_rel[len - 1] == '/')
            len--;
        if (snprintf(dir, sizeof(dir), "%s%s%.*s", h->mount, len ? "/" : "", (int)len,
                     parent_rel) >= (int)sizeof(dir))
            return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long");
        if (!*p)
            break; /* dir is the parent itself */
        char atype[64];
        if (group_type(dir, atype, sizeof(atype), err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (enable(dir, controllers[i], *atype != '\0', cat, err) < 0)
                return -1;
        p += strcspn(p, "/");
        while (*p == '/')
            p++;
    }

    /* The parent itself: empty it, then enable; again if a process slipped in between. One
     * supervisor at a time, so only the first one moves (and tells) anything; a lock that cannot
     * be had within a few seconds is done without (the loop alone is correct, only chattier). */
    _cleanup_close_ int lockfd = -1;
    if (!parent_is_root) {
        lockfd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; lockfd >= 0 && i < 500 && flock(lockfd, LOCK_EX | LOCK_NB) < 0; i++) {
            if (errno != EWOULDBLOCK)
                break;
            ls_sleep_ms(10);
        }
    }
    for (int round = 0;; round++) {
        if (!parent_is_root && empty_into_leaf(pdir, cat, moved, err) < 0)
            return -1;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
            r = enable(pdir, controllers[i], false, cat, err);
        if (r == 0)
            return 0;
        if (r != -EBUSY)
            return -1;
        if (round + 1 >= ENABLE_ROUNDS || parent_is_root)
            return ls_fail(err, cat, EBUSY,
                           "cannot enable %s in %s/cgroup.subtree_control: processes keep "
                           "entering it; pass --cgroup-parent with a group nothing else runs in",
                           controllers[0], pdir);
    }
}

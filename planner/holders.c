/* DISCOVER: who holds which LLC/CPU lockfile right now, from one /proc/locks table; and the
 * same holders rendered for busy errors and wait reports. Observational: creates no file. */
#include "holders.h"

#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "cleanup.h"
#include "snapshot.h"

/* Filesystems whose readdir d_ino is the file's st_ino, so a lockfile's inode needs no stat. */
static bool dirent_ino_is_inode(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) < 0)
        return false;
    switch ((unsigned long)sf.f_type) {
    case TMPFS_MAGIC:
    case EXT4_SUPER_MAGIC: /* ext2/3/4 */
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
        return true;
    default:
        return false;
    }
}

/* Whether a lockfile is one this process could plan on: an LLC overlapping `allowed`, or an
 * allowed online CPU. */
static bool relevant(const struct ls_topology *topo, const ls_cpuset *allowed,
                     enum ls_lock_kind kind, unsigned v)
{
    return kind == LS_LOCK_LLC
               ? v < topo->nllcs && ls_cpuset_intersects(&topo->llcs[v].cpus, allowed)
               : ls_cpuset_has(allowed, v) && ls_cpuset_has(&topo->online, v);
}

/* Count into an idle snapshot the holders of every relevant lockfile in the lock dir. */
static int count_holders(const struct ls_topology *topo, const ls_cpuset *allowed,
                         const struct ls_lockdir *ld, const struct ls_locktable *t,
                         struct ls_snapshot *snap, struct ls_error *err)
{
    /* Nobody holds anything on the lock dir's filesystem: no file to look at (unless what
     * /proc/locks shows must be confirmed by probing). */
    if (!ld->confirm_free && !ls_locktable_has_device(t, ld->dev_major, ld->dev_minor))
        return 0;
    /* One readdir; a stat only where the dirent cannot vouch for the inode. */
    bool trust_dirent = dirent_ino_is_inode(ld->dir);
    _cleanup_closedir_ DIR *d = opendir(ld->dir);
    if (!d)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot list lock dir %s: %s", ld->dir,
                       strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        enum ls_lock_kind kind;
        unsigned v;
        if (!ls_lock_name(ld, de->d_name, &kind, &v))
            continue;
        if (!relevant(topo, allowed, kind, v))
            continue;
        unsigned long long ino;
        if (trust_dirent && de->d_type == DT_REG) {
            ino = de->d_ino;
        } else {
            int r = ls_lock_inode(ld, kind, v, &ino, err);
            if (r < 0)
                return -1;
            if (r == 0)
                continue; /* removed since the scan: nobody holds it */
        }
        const struct ls_lock_entry *e;
        size_t cnt = ls_locktable_find(t, ld->dev_major, ld->dev_minor, ino, &e);
        struct ls_lock_entry probed;
        if (cnt == 0 && ld->confirm_free && ls_lock_probe(ld, kind, v, &probed.mode) == 1) {
            e = &probed; /* held by someone /proc/locks did not show (yet, or to us) */
            cnt = 1;
        }
        for (size_t k = 0; k < cnt; k++) {
            if (kind == LS_LOCK_LLC) {
                if (e[k].mode == LS_LOCK_EXCLUSIVE)
                    snap->llc_exclusive[v]++;
                else
                    snap->llc_shared[v]++;
            } else if (e[k].mode == LS_LOCK_SHARED) {
                if (v < snap->ncpus)
                    snap->cpu_shared[v]++;
            } else if (ls_cpuset_add(&snap->cpu_held, v) < 0) {
                return ls_oom(err, "reading lock holders");
            }
        }
    }
    return 0;
}

int ls_snapshot_take(const struct ls_topology *topo, const ls_cpuset *allowed,
                     const struct ls_lockdir *ld, const struct ls_locktable *t,
                     struct ls_snapshot *snap, struct ls_error *err)
{
    if (ls_snapshot_idle(topo, snap, err) < 0)
        return -1;
    if (count_holders(topo, allowed, ld, t, snap, err) < 0) {
        ls_snapshot_free(snap);
        return -1;
    }
    return 0;
}

/* Append "LLC 2: pid 1 (x) shared, ..." for one lockfile's holders passing `keep`. */
static int describe_one(FILE *f, bool *first, const struct ls_lockdir *ld,
                        const struct ls_locktable *t, enum ls_lock_kind kind, unsigned v,
                        bool only_exclusive, bool names, struct ls_error *err)
{
    unsigned long long ino;
    int r = ls_lock_inode(ld, kind, v, &ino, err);
    if (r <= 0)
        return r;
    _cleanup_free_ struct ls_holder *h = NULL;
    size_t n = 0;
    if (ls_lock_holders(ld, t, ino, names, &h, &n, err) < 0)
        return -1;
    enum ls_lock_mode mode;
    if (n == 0 && ld->confirm_free && ls_lock_probe(ld, kind, v, &mode) == 1) {
        h = calloc(1, sizeof(*h)); /* held by someone /proc/locks does not show us */
        if (!h)
            return ls_oom(err, "reading lock holders");
        h[0] = (struct ls_holder){.pid = 0, .mode = mode, .cmdline = "?"};
        n = 1;
    }
    if (only_exclusive) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (h[i].mode == LS_LOCK_EXCLUSIVE)
                h[k++] = h[i];
        n = k;
    }
    if (!n)
        return 0;
    char buf[1024];
    ls_format_holders(h, n, buf, sizeof(buf));
    fprintf(f, "%s%s %u: %s", *first ? "" : "; ", kind == LS_LOCK_LLC ? "LLC" : "CPU", v, buf);
    *first = false;
    return 0;
}

/* Close the memstream and hand its text to *out; the caller's cleanup frees what is left. */
static int finish(FILE **f, char **buf, char **out, struct ls_error *err)
{
    if (fclose(LS_STEAL(*f)) != 0 || !*buf)
        return ls_oom(err, "reading lock holders");
    *out = LS_STEAL(*buf);
    return 0;
}

int ls_describe_holders(const struct ls_topology *topo, const ls_cpuset *allowed,
                        const struct ls_lockdir *ld, char **out, struct ls_error *err)
{
    _cleanup_locktable_ struct ls_locktable t = {0};
    if (ls_locktable_read(&t, NULL, err) < 0)
        return -1;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_fclose_ FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ls_oom(err, "reading lock holders");
    bool first = true;
    int rc = 0;
    for (int kind = LS_LOCK_LLC; kind <= LS_LOCK_CPU && rc == 0; kind++) {
        _cleanup_free_ unsigned *idx = NULL;
        size_t n = 0;
        rc = ls_lockdir_scan(ld, (enum ls_lock_kind)kind, &idx, &n, err);
        for (size_t i = 0; i < n && rc == 0; i++) {
            unsigned v = idx[i];
            if (!relevant(topo, allowed, (enum ls_lock_kind)kind, v))
                continue;
            rc = describe_one(f, &first, ld, &t, (enum ls_lock_kind)kind, v, false, true, err);
        }
    }
    if (rc < 0)
        return -1;
    return finish(&f, &buf, out, err);
}

int ls_describe_conflicts(const struct ls_lockdir *ld, const struct ls_locktable *t,
                          const struct ls_lock_step *steps, size_t nsteps, bool names, char **out,
                          struct ls_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_fclose_ FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ls_oom(err, "reading lock holders");
    bool first = true;
    for (size_t i = 0; i < nsteps; i++) {
        /* A shared step (an LLC, or a shared job's CPU mark) only conflicts with exclusive
         * holders. */
        bool only_ex = steps[i].mode == LS_LOCK_SHARED;
        if (describe_one(f, &first, ld, t, steps[i].kind, steps[i].index, only_ex, names, err) < 0)
            return -1;
    }
    return finish(&f, &buf, out, err);
}

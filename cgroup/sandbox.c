/* The job's sandbox group: create it (cpuset.cpus, then cpuset.mems, then memory limit), check
 * what the kernel made effective, move the job in, tear it down (orphan marker if it refuses). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "systemd.h"
#include "planner/cleanup.h"
#include "planner/procstat.h"
#include "planner/strv.h"

static void add_warning(struct ls_sandbox *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(struct ls_sandbox *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_strv_vappendf(&sb->warnings, &sb->nwarnings, fmt, ap);
    va_end(ap);
}

static void add_notice(struct ls_sandbox *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_notice(struct ls_sandbox *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_strv_vappendf(&sb->notices, &sb->nnotices, fmt, ap);
    va_end(ap);
}

/* path without its first mount_len bytes and the slash after them; "" when path is. */
static const char *rel_of(const char *path, size_t mount_len)
{
    if (!path[0] || strlen(path) < mount_len)
        return "";
    path += mount_len;
    while (*path == '/')
        path++;
    return path;
}

const char *ls_sandbox_rel(const struct ls_sandbox *sb)
{
    return rel_of(sb->path, sb->mount_len);
}

const char *ls_sandbox_memory_rel(const struct ls_sandbox *sb)
{
    return rel_of(sb->memory_path, sb->memory_mount_len);
}

/* The group's absolute directory from a mount and a path relative to it; -1 when too long. */
static int set_group(char *path, size_t size, size_t *mount_len, const char *mount, const char *rel)
{
    *mount_len = strlen(mount);
    return ls_cg_join(path, size, mount, rel);
}

static void hier_of(const struct ls_sandbox *sb, struct ls_cg_hier *h)
{
    memset(h, 0, sizeof(*h));
    h->version = sb->version;
    h->noprefix = sb->noprefix;
    snprintf(h->mount, sizeof(h->mount), "%.*s", (int)sb->mount_len, sb->path);
}

static void memory_hier_of(const struct ls_sandbox *sb, struct ls_cg_hier *h)
{
    memset(h, 0, sizeof(*h));
    h->version = LS_CG_V1;
    snprintf(h->mount, sizeof(h->mount), "%.*s", (int)sb->memory_mount_len, sb->memory_path);
}

/* v1 cpuset file names: "cpuset.cpus", or "cpus" on a noprefix mount. */
static const char *v1_file(bool noprefix, const char *name)
{
    return noprefix ? strchr(name, '.') + 1 : name;
}

/* v1 refuses CPUs/mems outside the parent's (EACCES); clip to the parent like v2 does, and let
 * the .effective check below report the narrowing. */
static int v1_clip(const struct ls_cg_hier *h, const char *parent_rel, const char *file,
                   const ls_cpuset *want, ls_cpuset *out, struct ls_error *err)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s%s%s/%s", h->mount, *parent_rel ? "/" : "", parent_rel,
             v1_file(h->noprefix, file));
    _cleanup_free_ char *text = NULL;
    int r = ls_cg_read(path, &text);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", path, strerror(-r));
    if (ls_cpuset_parse_list(out, text, strlen(text), path, err) < 0)
        return -1;
    ls_cpuset_and(out, want);
    return 0;
}

/* Compare <group>/<file> with what was asked for. */
static int check_effective(struct ls_sandbox *sb, const char *file, const char *what,
                           const ls_cpuset *want, bool explicit_budget, struct ls_error *err)
{
    _cleanup_free_ char *g = NULL, *w = NULL;
    char path[8300];
    int r = ls_cg_effective_cmp(sb->path, file, want, &g, &w, path, sizeof(path), err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (explicit_budget)
        return ls_fail(err, LS_ERR_UNSAT, ERANGE,
                       "the cgroup gives the job %s %s, not the planned %s (%s): the parent "
                       "group does not grant them all; pick another --cgroup-parent or budget",
                       what, g ? g : "?", w ? w : "?", path);
    add_warning(sb, "the cgroup gives the job %s %s instead of the planned %s (%s)", what,
                g ? g : "?", w ? w : "?", path);
    return 0;
}

/* v1: the memory limit lives in the memory hierarchy, in a group of the same name. */
static int create_v1_memory(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                            const char *name, struct ls_error *err)
{
    struct ls_cg_hier mh;
    int r = ls_cg_find_memory(LS_CG_V1, &mh, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return ls_fail(err, LS_ERR_UNSAT, ENOENT,
                       "--memory-max needs the memory controller, and no memory cgroup "
                       "hierarchy is mounted");
    char parent[4096], rel[4096], dir[4096];
    if (ls_cg_resolve_parent(&mh, opts->parent, parent, sizeof(parent), err) < 0)
        return ls_error_prefix(err, "memory hierarchy");
    if (ls_cg_join(rel, sizeof(rel), parent, name) < 0 ||
        ls_cg_join(dir, sizeof(dir), mh.mount, rel) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long");
    char limit[32];
    snprintf(limit, sizeof(limit), "%" PRIu64, opts->memory_max);
    const char *ctrl[] = {"memory"};
    struct ls_cg_value val[] = {{"memory.limit_in_bytes", limit}};
    if (ls_cg_create(&mh, rel, ctrl, 1, val, 1, err) < 0)
        return -1;
    set_group(sb->memory_path, sizeof(sb->memory_path), &sb->memory_mount_len, mh.mount, rel);
    return 0;
}

/* The hierarchy that carries cpuset, and the job group's place in it: fills h, parent (the
 * group jobs go under, relative to the mount), name, and sb's version, mount, rel and path. */
static int place_group(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                       struct ls_cg_hier *h, char *parent, size_t psize, char *name, size_t nsize,
                       struct ls_error *err)
{
    struct ls_error derr = {0};
    enum ls_cg_version v = ls_cg_detect(h, &derr);
    if (v == LS_CG_NONE) {
        /* Out of fds or memory is no reason to run the job unconfined: keep that errno. */
        bool starved = derr.code == EMFILE || derr.code == ENFILE || derr.code == ENOMEM;
        if (ls_error_set(&derr))
            return ls_fail(err, LS_ERR_SYSTEM, starved ? derr.code : ENOENT, "no usable cgroup: %s",
                           derr.msg);
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                       "no cgroup hierarchy offers the cpuset controller (neither cgroup v2 with "
                       "cpuset in cgroup.controllers nor a v1 cpuset mount)");
    }
    if (ls_cg_resolve_parent(h, opts->parent, parent, psize, err) < 0)
        return -1;
    int nr = ls_cg_job_name(name, nsize);
    if (nr < 0 && nr != -ENAMETOOLONG)
        return ls_fail(err, LS_ERR_SYSTEM, -nr,
                       "naming the job's cgroup: cannot read /proc/self/stat: %s", strerror(-nr));
    char rel[4096];
    if (nr < 0 || ls_cg_join(rel, sizeof(rel), parent, name) < 0 ||
        set_group(sb->path, sizeof(sb->path), &sb->mount_len, h->mount, rel) < 0) {
        sb->path[0] = '\0';
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long");
    }
    sb->version = v;
    sb->noprefix = h->noprefix;
    return 0;
}

/* Create sb's group with cpus, then mems (the order the kernel needs, before any task moves
 * in), then memory.max when limit is set (v2), under the given controllers. */
static int create_group(struct ls_sandbox *sb, const struct ls_cg_hier *h, const ls_cpuset *cpus,
                        const ls_cpuset *mems, const char *const *ctrls, size_t nctrls,
                        const char *limit, struct ls_error *err)
{
    _cleanup_free_ char *cpus_text = ls_cpuset_format(cpus);
    _cleanup_free_ char *mems_text = ls_cpuset_format(mems);
    if (!cpus_text || !mems_text)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    struct ls_cg_value vals[3];
    size_t nvals = 0;
    vals[nvals++] = (struct ls_cg_value){"cpuset.cpus", cpus_text};
    vals[nvals++] = (struct ls_cg_value){"cpuset.mems", mems_text};
    if (limit)
        vals[nvals++] = (struct ls_cg_value){"memory.max", limit};
    if (ls_cg_create(h, ls_sandbox_rel(sb), ctrls, nctrls, vals, nvals, err) < 0) {
        sb->path[0] = '\0';
        return -1;
    }
    sb->created = (long long)time(NULL);
    return 0;
}

/* What the kernel made effective against the plan (cpuset.{cpus,mems}.effective on v2,
 * cpuset.effective_{cpus,mems} on v1). */
static int check_effective_both(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                                struct ls_error *err)
{
    bool v2 = sb->version == LS_CG_V2;
    const char *eff_cpus =
        v2 ? "cpuset.cpus.effective" : v1_file(sb->noprefix, "cpuset.effective_cpus");
    const char *eff_mems =
        v2 ? "cpuset.mems.effective" : v1_file(sb->noprefix, "cpuset.effective_mems");
    if (check_effective(sb, eff_cpus, "CPUs", opts->cpus, opts->budget_explicit, err) < 0 ||
        check_effective(sb, eff_mems, "memory nodes", opts->mems, opts->budget_explicit, err) < 0)
        return -1;
    return 0;
}

/* v1: the planned CPUs and mems clipped to the parent's, the group, then its memory group. */
static int create_v1(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                     const struct ls_cg_hier *h, const char *parent, const char *name,
                     ls_cpuset *cpus, ls_cpuset *mems, struct ls_error *err)
{
    if (v1_clip(h, parent, "cpuset.cpus", opts->cpus, cpus, err) < 0 ||
        v1_clip(h, parent, "cpuset.mems", opts->mems, mems, err) < 0)
        return -1;
    if (ls_cpuset_empty(cpus) || ls_cpuset_empty(mems)) {
        _cleanup_free_ char *w = ls_cpuset_format(ls_cpuset_empty(cpus) ? opts->cpus : opts->mems);
        return ls_fail(err, opts->parent ? LS_ERR_USAGE : LS_ERR_UNSAT, ERANGE,
                       "the cpuset group %s/%s grants none of the planned %s %s", h->mount, parent,
                       ls_cpuset_empty(cpus) ? "CPUs" : "memory nodes", w ? w : "?");
    }
    const char *ctrls[] = {"cpuset"};
    if (create_group(sb, h, cpus, mems, ctrls, 1, NULL, err) < 0)
        return -1;
    return opts->memory_max ? create_v1_memory(sb, opts, name, err) : 0;
}

/* v2: the delegation check, controllers enabled top-down (processes in the parent moved to
 * the procs leaf if they are in the way), then the group with memory.max. */
static int create_v2(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                     const struct ls_cg_hier *h, const char *parent, ls_cpuset *cpus,
                     ls_cpuset *mems, struct ls_error *err)
{
    if (ls_cpuset_copy(cpus, opts->cpus) < 0 || ls_cpuset_copy(mems, opts->mems) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    const char *ctrls[2] = {"cpuset", "memory"};
    size_t nctrls = opts->memory_max ? 2 : 1;
    /* Before anything is written or moved: systemd's tree is not ours without Delegate=. */
    if (ls_systemd_check_delegated(h->mount, parent, err) < 0)
        return -1;
    int r = ls_cg_v2_prepare(h, parent, opts->parent != NULL, ctrls, nctrls, &sb->moved, err);
    if (sb->moved) {
        char pdir[8192];
        ls_cg_join(pdir, sizeof(pdir), h->mount, parent);
        add_notice(sb,
                   "moved %zu process%s of %s into %s/" LS_CG_PROCS_LEAF
                   " so controllers can be enabled for job groups (cgroup v2 "
                   "no-internal-processes rule)",
                   sb->moved, sb->moved == 1 ? "" : "es", pdir, pdir);
    }
    if (r < 0)
        return -1;
    char limit[32];
    snprintf(limit, sizeof(limit), "%" PRIu64, opts->memory_max);
    return create_group(sb, h, cpus, mems, ctrls, nctrls, opts->memory_max ? limit : NULL, err);
}

/* Undo a group that was made but is not what the plan needs: remove it, drop its warnings. */
static void undo_group(struct ls_sandbox *sb)
{
    struct ls_error ignored = {0};
    ls_sandbox_destroy(sb, &ignored);
    for (size_t i = 0; i < sb->nwarnings; i++)
        free(sb->warnings[i]);
    free(sb->warnings);
    sb->warnings = NULL;
    sb->nwarnings = 0;
}

int ls_sandbox_create(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                      struct ls_error *err)
{
    memset(sb, 0, sizeof(*sb));
    if (!opts->cpus || ls_cpuset_empty(opts->cpus))
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "sandbox: the plan has no CPUs");
    if (!opts->mems || ls_cpuset_empty(opts->mems))
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "sandbox: the plan has no memory nodes");
    struct ls_cg_hier h;
    char parent[4096], name[128];
    if (place_group(sb, opts, &h, parent, sizeof(parent), name, sizeof(name), err) < 0)
        return -1;

    ls_cpuset cpus = LS_CPUSET_INIT, mems = LS_CPUSET_INIT;
    int ret = sb->version == LS_CG_V1 ? create_v1(sb, opts, &h, parent, name, &cpus, &mems, err)
                                      : create_v2(sb, opts, &h, parent, &cpus, &mems, err);
    ls_cpuset_free(&cpus);
    ls_cpuset_free(&mems);
    if (ret == 0 && check_effective_both(sb, opts, err) < 0)
        ret = -1;
    if (ret < 0) {
        if (sb->created)
            undo_group(sb);
        sb->path[0] = sb->memory_path[0] = '\0';
    }
    return ret;
}

bool ls_sandbox_unavailable(const struct ls_error *err)
{
    if (err->category != LS_ERR_SYSTEM)
        return false;
    switch (err->code) {
    case ENOENT:
    case EACCES:
    case EPERM:
    case EROFS:
    case EBUSY:
    case EOPNOTSUPP:
        return true;
    default:
        return false;
    }
}

int ls_sandbox_open_dir(const struct ls_sandbox *sb)
{
    if (sb->version != LS_CG_V2 || !ls_sandbox_rel(sb)[0]) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return open(sb->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool ls_sandbox_applied(const struct ls_sandbox *sb, pid_t pid)
{
    static const struct {
        const char *status_key, *file;
    } pairs[] = {{"Cpus_allowed_list:", "cpuset.cpus.effective"},
                 {"Mems_allowed_list:", "cpuset.mems.effective"}};
    if (sb->version != LS_CG_V2)
        return false;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        ls_cpuset have = LS_CPUSET_INIT;
        _cleanup_free_ char *got = NULL, *want = NULL;
        char path[8300];
        struct ls_error err = {0};
        char procdir[32];
        snprintf(procdir, sizeof(procdir), "/proc/%d", (int)pid);
        int same = ls_proc_status_list(procdir, pairs[i].status_key, &have, &err) <= 0
                       ? -1
                       : ls_cg_effective_cmp(sb->path, pairs[i].file, &have, &got, &want, path,
                                             sizeof(path), &err);
        ls_cpuset_free(&have);
        if (same != 1)
            return false;
    }
    return true;
}

int ls_sandbox_enter(const struct ls_sandbox *sb, pid_t pid, struct ls_error *err)
{
    if (!ls_sandbox_rel(sb)[0])
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "sandbox: no group to enter");
    struct ls_cg_hier h;
    hier_of(sb, &h);
    if (ls_cg_attach(&h, ls_sandbox_rel(sb), "cpuset", pid, err) < 0)
        return -1;
    if (ls_sandbox_memory_rel(sb)[0]) {
        memory_hier_of(sb, &h);
        if (ls_cg_attach(&h, ls_sandbox_memory_rel(sb), "memory", pid, err) < 0)
            return -1;
    }
    return 0;
}

void ls_sandbox_enter_files(const struct ls_sandbox *sb, int fds[2], size_t *n)
{
    *n = 0;
    if (sb->version != LS_CG_V1 || !ls_sandbox_rel(sb)[0])
        return;
    const char *dirs[2] = {sb->path, ls_sandbox_memory_rel(sb)[0] ? sb->memory_path : NULL};
    for (size_t i = 0; i < 2 && dirs[i]; i++) {
        char path[sizeof(sb->path) + 16];
        snprintf(path, sizeof(path), "%s/tasks", dirs[i]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            while (*n)
                close(fds[--*n]);
            return;
        }
        fds[(*n)++] = fd;
    }
}

int ls_sandbox_enter_failed(const struct ls_sandbox *sb, size_t which, int code,
                            struct ls_error *err)
{
    bool memory = which == 1 && ls_sandbox_memory_rel(sb)[0];
    const char *path = memory ? sb->memory_path : sb->path;
    struct ls_cg_hier h;
    if (memory)
        memory_hier_of(sb, &h);
    else
        hier_of(sb, &h);
    if (which > 1 || (which == 1 && !memory))
        return ls_fail(err, LS_ERR_SYSTEM, code,
                       "moving the job into cgroup %s: the job's process ended first (%s)", path,
                       strerror(code));
    return ls_fail(err, LS_ERR_SYSTEM, code, "moving the job into cgroup %s: %s%s", path,
                   strerror(code), ls_cg_attach_hint(&h, path, code));
}

/* Remove one group or leave an orphan marker; appends to `msg` on failure. */
static int teardown(const struct ls_cg_hier *h, const char *rel, const char *controller,
                    const char *path, long long created, char *msg, size_t size)
{
    char why[1024];
    int r = ls_cg_kill_and_remove(h, rel, controller, why, sizeof(why));
    if (r == 0) {
        ls_cg_orphan_unmark(path);
        return 0;
    }
    struct ls_error merr = {0};
    char dir[4096];
    ls_cg_orphan_dir(dir, sizeof(dir));
    size_t o = strlen(msg);
    if (ls_cg_orphan_mark(path, (time_t)created, &merr) == 0)
        snprintf(msg + o, size - o,
                 "%scgroup %s left behind (%s); marked for 'llcslice sweep' in %s", o ? "; " : "",
                 path, why, dir);
    else
        snprintf(msg + o, size - o, "%scgroup %s left behind (%s), and no orphan marker: %s",
                 o ? "; " : "", path, why, merr.msg);
    return -1;
}

int ls_sandbox_destroy(struct ls_sandbox *sb, struct ls_error *err)
{
    char msg[sizeof(err->msg)] = "";
    int ret = 0;
    struct ls_cg_hier h;
    if (ls_sandbox_rel(sb)[0]) {
        hier_of(sb, &h);
        if (teardown(&h, ls_sandbox_rel(sb), "cpuset", sb->path, sb->created, msg, sizeof(msg)) < 0)
            ret = -1;
        else
            sb->path[0] = '\0';
    }
    if (ls_sandbox_memory_rel(sb)[0]) {
        memory_hier_of(sb, &h);
        if (teardown(&h, ls_sandbox_memory_rel(sb), "memory", sb->memory_path, sb->created, msg,
                     sizeof(msg)) < 0)
            ret = -1;
        else
            sb->memory_path[0] = '\0';
    }
    if (ret < 0)
        return ls_fail(err, LS_ERR_SYSTEM, EBUSY, "%s", msg);
    return 0;
}

void ls_sandbox_free(struct ls_sandbox *sb)
{
    for (size_t i = 0; i < sb->nwarnings; i++)
        free(sb->warnings[i]);
    free(sb->warnings);
    sb->warnings = NULL;
    sb->nwarnings = 0;
    for (size_t i = 0; i < sb->nnotices; i++)
        free(sb->notices[i]);
    free(sb->notices);
    sb->notices = NULL;
    sb->nnotices = 0;
}

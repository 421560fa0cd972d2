/* Group create / attach / delete through libcgroup, with the kernel's files as the fallback where
 * libcgroup does not drive the mount (noprefix v1 mounts, a hierarchy libcgroup sees elsewhere). */
#include <dirent.h>
#include <errno.h>
#include <libcgroup.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_init_rc = -1;

static void lib_init(void)
{
    lib_init_rc = cgroup_init();
}

bool ls_cg_lib_usable(const struct ls_cg_hier *h, const char *controller)
{
    pthread_once(&lib_once, lib_init);
    if (lib_init_rc != 0 || h->noprefix)
        return false;
    char *mp = NULL;
    if (cgroup_get_subsys_mount_point(controller, &mp) != 0 || !mp)
        return false;
    size_t n = strlen(mp);
    while (n > 1 && mp[n - 1] == '/')
        mp[--n] = '\0';
    bool same = strcmp(mp, h->mount) == 0;
    free(mp);
    return same;
}

const char *ls_cg_lib_strerror(int rc)
{
    return cgroup_strerror(rc);
}

int ls_cg_lib_errno(int rc)
{
    switch (rc) {
    case ECGOTHER: {
        int e = cgroup_get_last_errno();
        return e ? e : EIO;
    }
    case ECGROUPNOTOWNER:
        return EPERM;
    case ECGROUPNOTALLOWED:
        return EACCES;
    case ECGROUPNOTEXIST:
    case ECGROUPNOTMOUNTED:
    case ECGROUPSUBSYSNOTMOUNTED:
        return ENOENT;
    default:
        return EIO;
    }
}

static void free_cgroup(struct cgroup **cg)
{
    if (*cg)
        cgroup_free(cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(free_cgroup)))

/* The controller a control file belongs to: "cpuset.cpus" -> cpuset. */
static struct cgroup_controller *owner_of(struct cgroup *cg, const char *const *ctrls, size_t n,
                                          const char *file)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ctrls[i]);
        if (strncmp(file, ctrls[i], l) == 0 && file[l] == '.')
            return cgroup_get_controller(cg, ctrls[i]);
    }
    return n ? cgroup_get_controller(cg, ctrls[0]) : NULL;
}

static int values_text(char *buf, size_t size, const struct ls_cg_value *v, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        int w = snprintf(buf + o, size - o, "%s%s=%s", i ? " " : "", v[i].name, v[i].value);
        if (w < 0)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

int ls_cg_create(const struct ls_cg_hier *h, const char *rel, const char *const *controllers,
                 size_t ncontrollers, const struct ls_cg_value *values, size_t nvalues,
                 struct ls_error *err)
{
    char path[8192], what[1024];
    if (ls_cg_join(path, sizeof(path), h->mount, rel) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", rel);
    values_text(what, sizeof(what), values, nvalues);
    if (ls_cg_is_dir(path))
        return ls_fail(err, LS_ERR_SYSTEM, EEXIST, "cgroup %s already exists", path);

    bool lib = true;
    for (size_t i = 0; i < ncontrollers; i++)
        lib = lib && ls_cg_lib_usable(h, controllers[i]);
    if (lib) {
        _cleanup_cgroup_ struct cgroup *cg = cgroup_new_cgroup(rel);
        if (!cg)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "libcgroup: cannot describe %s", rel);
        for (size_t i = 0; i < ncontrollers; i++)
            if (!cgroup_add_controller(cg, controllers[i]))
                return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "libcgroup: cannot add %s to %s",
                               controllers[i], rel);
        /* libcgroup writes values in the order added: cpuset.cpus before cpuset.mems. */
        for (size_t i = 0; i < nvalues; i++) {
            struct cgroup_controller *c = owner_of(cg, controllers, ncontrollers, values[i].name);
            int rc = c ? cgroup_add_value_string(c, values[i].name, values[i].value) : ECGINVAL;
            if (rc)
                return ls_fail(err, LS_ERR_SYSTEM, ls_cg_lib_errno(rc),
                               "libcgroup: cannot queue %s=%s: %s", values[i].name, values[i].value,
                               ls_cg_lib_strerror(rc));
        }
        /* ignore_ownership: libcgroup would chown every file of the new group to our real
         * uid/gid, which the kernel already gave them (it owns them to the creator's fsuid,
         * fsgid): ~20 chowns and a tree walk per launch for nothing. */
        int rc = cgroup_create_cgroup(cg, 1);
        if (rc) {
            int code = ls_cg_lib_errno(rc);
            const char *msg = ls_cg_lib_strerror(rc);
            char saved[256];
            snprintf(saved, sizeof(saved), "%s", msg);
            if (ls_cg_is_dir(path))
                rmdir(path);
            return ls_fail(err, LS_ERR_SYSTEM, code, "creating cgroup %s (%s): %s (libcgroup %d)",
                           path, what, saved, rc);
        }
        return 0;
    }

    if (mkdir(path, 0755) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "creating cgroup %s: %s", path, strerror(errno));
    for (size_t i = 0; i < nvalues; i++) {
        const char *file = values[i].name;
        if (h->noprefix && strchr(file, '.'))
            file = strchr(file, '.') + 1;
        int r = ls_cg_writef(values[i].value, "%s/%s", path, file);
        if (r < 0) {
            rmdir(path);
            return ls_fail(err, LS_ERR_SYSTEM, -r, "creating cgroup %s: writing %s=%s: %s", path,
                           file, values[i].value, strerror(-r));
        }
    }
    return 0;
}

static size_t thread_count(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    _cleanup_closedir_ DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    return n;
}

const char *ls_cg_attach_hint(const struct ls_cg_hier *h, const char *path, int code)
{
    static __thread char hint[512];
    hint[0] = '\0';
    if (h->version == LS_CG_V1 && code == ENOSPC)
        return " (its cpuset.cpus or cpuset.mems is empty)";
    if (h->version == LS_CG_V2 && (code == EOPNOTSUPP || code == EIO || code == EBUSY)) {
        _cleanup_free_ char *type = NULL;
        if (ls_cg_readf(&type, "%s/cgroup.type", path) == 0) {
            type[strcspn(type, "\n")] = '\0';
            if (strcmp(type, "domain") != 0)
                snprintf(hint, sizeof(hint),
                         " (its cgroup.type is '%s': the parent is a thread root, i.e. it holds "
                         "processes and has a threaded controller enabled, so child groups "
                         "cannot take processes)",
                         type);
        }
    }
    return hint;
}

int ls_cg_attach(const struct ls_cg_hier *h, const char *rel, const char *controller, pid_t pid,
                 struct ls_error *err)
{
    char path[8192], procs[8300], num[32];
    if (ls_cg_join(path, sizeof(path), h->mount, rel) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", rel);
    /* libcgroup writes the v1 "tasks" file, which moves one thread: fine for a fresh child. */
    if (ls_cg_lib_usable(h, controller) && (h->version == LS_CG_V2 || thread_count(pid) <= 1)) {
        _cleanup_cgroup_ struct cgroup *cg = cgroup_new_cgroup(rel);
        if (!cg || !cgroup_add_controller(cg, controller))
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "libcgroup: cannot describe %s", rel);
        int rc = cgroup_attach_task_pid(cg, pid);
        if (rc == 0)
            return 0;
        int code = ls_cg_lib_errno(rc);
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", ls_cg_lib_strerror(rc));
        return ls_fail(err, LS_ERR_SYSTEM, code,
                       "moving pid %d into cgroup %s: %s (libcgroup %d)%s", (int)pid, path, msg, rc,
                       ls_cg_attach_hint(h, path, code));
    }
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
    snprintf(num, sizeof(num), "%d", (int)pid);
    int r = ls_cg_write(procs, num);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "moving pid %d into cgroup %s: %s%s", (int)pid, path,
                       strerror(-r), ls_cg_attach_hint(h, path, -r));
    return 0;
}

int ls_cg_rmdir(const struct ls_cg_hier *h, const char *rel, const char *controller)
{
    char path[8192];
    if (ls_cg_join(path, sizeof(path), h->mount, rel) < 0)
        return -ENAMETOOLONG;
    if (ls_cg_lib_usable(h, controller)) {
        _cleanup_cgroup_ struct cgroup *cg = cgroup_new_cgroup(rel);
        if (cg && cgroup_add_controller(cg, controller) &&
            cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_IGNORE_MIGRATION) == 0 &&
            !ls_cg_is_dir(path))
            return 0;
    }
    /* The kernel's own answer (EBUSY while tasks linger) decides retries and messages. */
    if (rmdir(path) == 0 || errno == ENOENT)
        return 0;
    return -errno;
}

/* Where job groups go: --cgroup-parent (a directory under the mount, or a path from the
 * hierarchy root: "jobs" or "/jobs") or, by default, the caller's own group. An absolute path
 * naming an existing directory outside the mount is refused. Checked before anything is made. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

/* Copy `in` to `out` without empty and "." components; false on a ".." component. */
static bool normalize(const char *in, char *out, size_t size, bool *too_long)
{
    size_t o = 0;
    *too_long = false;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        size_t l = strcspn(p, "/");
        if (l == 0)
            break;
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return false;
        if (!(l == 1 && p[0] == '.')) {
            if (o + l + 2 > size) {
                *too_long = true;
                return true;
            }
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
    }
    out[o] = '\0';
    return true;
}

/* "<mount>/x/y" -> "x/y"; false when path is not at or below mount. */
static bool under_mount(const char *mount, const char *path, const char **rest)
{
    size_t n = strlen(mount);
    if (n == 1 && mount[0] == '/')
        n = 0;
    if (strncmp(path, mount, n) != 0 || (path[n] != '\0' && path[n] != '/'))
        return false;
    *rest = path + n;
    return true;
}

/* A missing absolute path whose first directory exists on the filesystem but not under the
 * mount ("/tmp/x") is a filesystem path, not one from the hierarchy root. */
static bool outside_fs_path(const char *mount, const char *path)
{
    char first[4096], under[8192];
    size_t l = strcspn(path + 1, "/");
    if (l + 2 > sizeof(first))
        return true;
    snprintf(first, sizeof(first), "/%.*s", (int)l, path + 1);
    if (ls_cg_join(under, sizeof(under), mount, first + 1) < 0)
        return true;
    return ls_cg_is_dir(first) && !ls_cg_is_dir(under);
}

int ls_cg_resolve_parent(const struct ls_cg_hier *h, const char *parent, char *rel, size_t size,
                         struct ls_error *err)
{
    char dir[8192];
    bool too_long;
    if (!parent) {
        if (!h->own_visible)
            return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                           "this process's cgroup is not visible under the cgroup mount %s; "
                           "pass --cgroup-parent to place the job group",
                           h->mount);
        if (snprintf(rel, size, "%s", h->own) >= (int)size ||
            ls_cg_join(dir, sizeof(dir), h->mount, rel) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "cgroup path too long: %s", h->own);
        if (access(dir, W_OK) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, errno,
                           "cannot create a cgroup in %s: %s (run as root, or from a cgroup "
                           "delegated to you)",
                           dir, strerror(errno));
        return 0;
    }

    if (!*parent)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "--cgroup-parent: empty path");
    char scratch[4096];
    if (!normalize(parent, scratch, sizeof(scratch), &too_long))
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--cgroup-parent %s: '..' components are not allowed; name the group "
                       "below %s directly",
                       parent, h->mount);
    const char *relpart = parent;
    if (parent[0] == '/') {
        const char *rest;
        if (!under_mount(h->mount, parent, &rest)) {
            /* Another spelling of a directory under the mount (symlinked /sys paths)? */
            _cleanup_free_ char *real = realpath(parent, NULL);
            _cleanup_free_ char *realmount = realpath(h->mount, NULL);
            if (real && realmount && under_mount(realmount, real, &rest)) {
                if (!normalize(rest, rel, size, &too_long) || too_long)
                    return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--cgroup-parent %s: too long",
                                   parent);
                relpart = NULL;
            } else if (real || outside_fs_path(h->mount, parent)) {
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "--cgroup-parent %s is outside the cgroup hierarchy mounted at %s; "
                               "give a directory under %s or a path relative to it",
                               parent, h->mount, h->mount);
            }
            /* Not a directory anywhere else: a path from the hierarchy root ("/jobs"). */
        } else {
            relpart = rest;
        }
    }
    if (relpart && (!normalize(relpart, rel, size, &too_long) || too_long))
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--cgroup-parent %s: too long", parent);
    if (ls_cg_join(dir, sizeof(dir), h->mount, rel) < 0)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--cgroup-parent %s: too long", parent);
    struct stat st;
    if (stat(dir, &st) < 0 && errno != ENOENT && errno != ENOTDIR)
        return ls_fail(err, LS_ERR_USAGE, errno, "--cgroup-parent %s: cannot access %s: %s", parent,
                       dir, strerror(errno));
    if (!ls_cg_is_dir(dir))
        return ls_fail(err, LS_ERR_USAGE, ENOENT,
                       "--cgroup-parent %s: no such cgroup (%s does not exist); create it first",
                       parent, dir);
    if (access(dir, W_OK) < 0)
        return ls_fail(err, LS_ERR_USAGE, errno,
                       "--cgroup-parent %s: cannot create groups in %s: %s", parent, dir,
                       strerror(errno));
    return 0;
}

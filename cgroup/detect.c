/* Which mounted hierarchy carries a controller, and where the caller sits in it: parsed from
 * /proc/self/mountinfo and /proc/self/cgroup (paths injectable for tests). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"
#include "planner/mountinfo.h"

/* A later mount on the same point or on a parent directory hides an earlier one. */
static bool hides(const char *later, const char *earlier)
{
    size_t n = strlen(later);
    if (strncmp(later, earlier, n) != 0)
        return false;
    return earlier[n] == '\0' || earlier[n] == '/' || (n == 1 && later[0] == '/');
}

/* ls_cg_read, but /proc/self/mountinfo and /proc/self/cgroup are read once per process: a
 * run looks for the cpuset (v2, then v1) and the memory hierarchy from the sweep, the sandbox
 * and the host checks, which read each file 4-5 times. Keyed by pid: a forked child (which
 * may have moved or unshared) reads its own. The caller frees its copy. */
static int read_once(const char *path, char **out)
{
    static struct {
        pid_t pid;
        char *text[2];
    } memo;
    static const char *const cached[2] = {"/proc/self/mountinfo", "/proc/self/cgroup"};
    int k = !strcmp(path, cached[0]) ? 0 : !strcmp(path, cached[1]) ? 1 : -1;
    if (k < 0)
        return ls_cg_read(path, out);
    pid_t self = getpid();
    if (memo.pid != self) {
        free(memo.text[0]);
        free(memo.text[1]);
        memo.text[0] = memo.text[1] = NULL;
        memo.pid = self;
    }
    if (!memo.text[k]) {
        int r = ls_cg_read(path, &memo.text[k]);
        if (r < 0)
            return r;
    }
    return (*out = strdup(memo.text[k])) ? 0 : -ENOMEM;
}

/* The caller's path in the hierarchy from /proc/PID/cgroup: "0::" for v2, else the line whose
 * controller list names `controller`. 1 found, 0 not listed, -errno on read failure. */
static int own_path(const char *proc_cgroup, enum ls_cg_version v, const char *controller,
                    char *out, size_t size)
{
    _cleanup_free_ char *text = NULL;
    int r = read_once(proc_cgroup, &text);
    if (r < 0)
        return r;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        bool match =
            v == LS_CG_V2 ? (strcmp(line, "0") == 0 && !*ctrls) : ls_cg_has_word(ctrls, controller);
        if (!match)
            continue;
        if (snprintf(out, size, "%s", path) >= (int)size)
            return -ENAMETOOLONG;
        return 1;
    }
    return 0;
}

/* Path of `cg` (absolute in the hierarchy) below a mount of hierarchy subtree `root`. */
static bool relative_to_root(const char *cg, const char *root, char *out, size_t size)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (strstr(root, "/..") || strncmp(cg, root, n) != 0 || (cg[n] != '\0' && cg[n] != '/'))
        return false;
    const char *rest = cg + n;
    while (*rest == '/')
        rest++;
    size_t len = strlen(rest);
    while (len > 0 && rest[len - 1] == '/')
        len--;
    if (len >= size)
        return false;
    memcpy(out, rest, len);
    out[len] = '\0';
    return true;
}

int ls_cg_find_hier(const char *mountinfo, const char *proc_cgroup, const char *controller,
                    enum ls_cg_version want, struct ls_cg_hier *out, struct ls_error *err)
{
    memset(out, 0, sizeof(*out));
    _cleanup_free_ char *text = NULL;
    int r = read_once(mountinfo, &text);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", mountinfo, strerror(-r));

    size_t cap = 0, n = 0;
    _cleanup_free_ struct ls_mountinfo_entry *m = NULL;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct ls_mountinfo_entry *nm = realloc(m, cap * sizeof(*m));
            if (!nm)
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
            m = nm;
        }
        if (ls_mountinfo_parse_line(line, &m[n]) && m[n].super)
            n++;
    }

    char cgpath[4096];
    int own = own_path(proc_cgroup, want, controller, cgpath, sizeof(cgpath));
    if (own < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -own, "reading %s: %s", proc_cgroup, strerror(-own));

    bool found = false;
    for (size_t i = 0; i < n; i++) {
        bool hit;
        if (want == LS_CG_V2) {
            hit = strcmp(m[i].fstype, "cgroup2") == 0;
        } else {
            hit = strcmp(m[i].fstype, "cgroup") == 0 && ls_cg_has_word(m[i].super, controller);
        }
        if (!hit)
            continue;
        bool hidden = false;
        for (size_t j = i + 1; j < n && !hidden; j++)
            hidden = hides(m[j].point, m[i].point);
        if (hidden)
            continue;
        if (want == LS_CG_V2) {
            _cleanup_free_ char *ctl = NULL;
            if (ls_cg_readf(&ctl, "%s/cgroup.controllers", m[i].point) < 0 ||
                !ls_cg_has_word(ctl, controller))
                continue;
        }
        struct ls_cg_hier h = {.version = want};
        if (snprintf(h.mount, sizeof(h.mount), "%s", m[i].point) >= (int)sizeof(h.mount))
            continue;
        size_t ml = strlen(h.mount);
        while (ml > 1 && h.mount[ml - 1] == '/')
            h.mount[--ml] = '\0';
        h.noprefix = want == LS_CG_V1 && ls_cg_has_word(m[i].super, "noprefix");
        h.own_visible = own == 1 && relative_to_root(cgpath, m[i].root, h.own, sizeof(h.own));
        /* Prefer a mount that shows the caller's own group (bind mounts of subtrees exist). */
        if (!found || (h.own_visible && !out->own_visible)) {
            *out = h;
            found = true;
        }
    }
    return found ? 1 : 0;
}

enum ls_cg_version ls_cg_detect_at(const char *mountinfo, const char *proc_cgroup,
                                   struct ls_cg_hier *out, struct ls_error *err)
{
    int r = ls_cg_find_hier(mountinfo, proc_cgroup, "cpuset", LS_CG_V2, out, err);
    if (r == 1)
        return LS_CG_V2;
    if (r < 0)
        return LS_CG_NONE;
    r = ls_cg_find_hier(mountinfo, proc_cgroup, "cpuset", LS_CG_V1, out, err);
    if (r == 1)
        return LS_CG_V1;
    memset(out, 0, sizeof(*out));
    return LS_CG_NONE;
}

enum ls_cg_version ls_cg_detect(struct ls_cg_hier *out, struct ls_error *err)
{
    enum ls_cg_version v = ls_cg_detect_at("/proc/self/mountinfo", "/proc/self/cgroup", out, err);
    if (v != LS_CG_NONE)
        ls_cg_own_skip_leaf(out);
    return v;
}

int ls_cg_find_memory(enum ls_cg_version v, struct ls_cg_hier *out, struct ls_error *err)
{
    int r = ls_cg_find_hier("/proc/self/mountinfo", "/proc/self/cgroup", "memory", v, out, err);
    if (r == 1)
        ls_cg_own_skip_leaf(out);
    return r;
}

void ls_cg_own_skip_leaf(struct ls_cg_hier *h)
{
    char *slash = strrchr(h->own, '/');
    const char *base = slash ? slash + 1 : h->own;
    /* the leaf a supervisor moved our processes into (or us, by forking from one there) */
    if (strcmp(base, LS_CG_PROCS_LEAF) != 0)
        return;
    if (slash)
        *slash = '\0';
    else
        h->own[0] = '\0';
}

enum ls_cg_version ls_cgroup_detect(char *mount, size_t size)
{
    struct ls_cg_hier h;
    struct ls_error err = {0};
    enum ls_cg_version v = ls_cg_detect(&h, &err);
    if (mount && size) {
        if (v == LS_CG_NONE || snprintf(mount, size, "%s", h.mount) >= (int)size)
            mount[0] = '\0';
    }
    return v;
}

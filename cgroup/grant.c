/* What a job's cgroup parent grants: the CPUs and memory nodes its cpuset makes effective, so
 * the planner plans inside them (DESIGN.md "Placement": the allowed set is intersected with
 * what the job's cgroup parent grants) instead of picking CPUs the cgroup then refuses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "planner/cleanup.h"

/* <mount>/<rel>/<file> as a CPU/node list; 0 read, -1 unreadable or garbage. */
static int read_list(const struct ls_cg_hier *h, const char *rel, const char *file, ls_cpuset *out)
{
    char path[8192];
    if (ls_cg_join(path, sizeof(path), h->mount, rel) < 0 ||
        strlen(path) + strlen(file) + 2 > sizeof(path))
        return -1;
    strcat(path, "/");
    strcat(path, file);
    _cleanup_free_ char *text = NULL;
    if (ls_cg_read(path, &text) < 0)
        return -1;
    struct ls_error e = {0};
    ls_cpuset_clear(out);
    return ls_cpuset_parse_list(out, text, strlen(text), path, &e) < 0 ? -1 : 0;
}

int ls_cgroup_parent_grant(const char *parent, ls_cpuset *cpus, ls_cpuset *mems, char *where,
                           size_t where_size, struct ls_error *err)
{
    struct ls_cg_hier h;
    struct ls_error derr = {0};
    if (ls_cg_detect(&h, &derr) == LS_CG_NONE)
        return 0; /* no cpuset hierarchy: nothing grants or narrows */
    char rel[4096];
    struct ls_error perr = {0};
    if (ls_cg_resolve_parent(&h, parent, rel, sizeof(rel), &perr) < 0) {
        /* A bad explicit parent is the user's to fix now; our own group not usable means the
         * run falls back to affinity, where sched_getaffinity already is the grant. */
        if (parent) {
            *err = perr;
            return -1;
        }
        return 0;
    }
    bool v1 = h.version == LS_CG_V1;
    const char *fc =
        v1 ? (h.noprefix ? "effective_cpus" : "cpuset.effective_cpus") : "cpuset.cpus.effective";
    const char *fm =
        v1 ? (h.noprefix ? "effective_mems" : "cpuset.effective_mems") : "cpuset.mems.effective";
    if (read_list(&h, rel, fc, cpus) < 0 || read_list(&h, rel, fm, mems) < 0)
        return 0;
    snprintf(where, where_size, "%s%s%s", h.mount, *rel ? "/" : "", rel);
    return 1;
}

/* The snapshot value: an idle host, a copy, plans counted as held, and its release. Holders
 * read from /proc/locks are holders.c's; snapshots built here let a caller ask "what would
 * fit beside these?" without taking a lock (slots --dry-run, waiters' reservations). */
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "locksteps.h"

int ls_snapshot_idle(const struct ls_topology *topo, struct ls_snapshot *snap, struct ls_error *err)
{
    memset(snap, 0, sizeof(*snap));
    snap->nllcs = topo->nllcs;
    snap->llc_shared = calloc(topo->nllcs ? topo->nllcs : 1, sizeof(unsigned));
    snap->llc_exclusive = calloc(topo->nllcs ? topo->nllcs : 1, sizeof(unsigned));
    snap->ncpus = (size_t)topo->max_cpu + 1;
    snap->cpu_shared = calloc(snap->ncpus, sizeof(unsigned));
    if (!snap->llc_shared || !snap->llc_exclusive || !snap->cpu_shared) {
        ls_snapshot_free(snap);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    }
    return 0;
}

int ls_snapshot_copy(struct ls_snapshot *dst, const struct ls_snapshot *src)
{
    memset(dst, 0, sizeof(*dst));
    size_t n = src->nllcs ? src->nllcs : 1;
    dst->nllcs = src->nllcs;
    dst->llc_shared = malloc(n * sizeof(unsigned));
    dst->llc_exclusive = malloc(n * sizeof(unsigned));
    dst->ncpus = src->ncpus;
    dst->cpu_shared = malloc((src->ncpus ? src->ncpus : 1) * sizeof(unsigned));
    if (!dst->llc_shared || !dst->llc_exclusive || !dst->cpu_shared ||
        ls_cpuset_copy(&dst->cpu_held, &src->cpu_held) < 0 ||
        ls_cpuset_copy(&dst->cpu_soft, &src->cpu_soft) < 0) {
        ls_snapshot_free(dst);
        return -1;
    }
    if (src->cpu_shared)
        memcpy(dst->cpu_shared, src->cpu_shared, src->ncpus * sizeof(unsigned));
    else
        dst->ncpus = 0;
    memcpy(dst->llc_shared, src->llc_shared, src->nllcs * sizeof(unsigned));
    memcpy(dst->llc_exclusive, src->llc_exclusive, src->nllcs * sizeof(unsigned));
    return 0;
}

int ls_snapshot_hold(struct ls_snapshot *snap, const struct ls_plan *plan, struct ls_error *err)
{
    _cleanup_free_ struct ls_lock_step *steps = NULL;
    size_t n;
    if (ls_plan_lock_steps(plan, &steps, &n) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct ls_lock_step *s = &steps[i];
        if (s->kind == LS_LOCK_CPU && s->mode == LS_LOCK_SHARED) {
            if (s->index < snap->ncpus)
                snap->cpu_shared[s->index]++;
        } else if (s->kind == LS_LOCK_CPU) {
            if (ls_cpuset_add(&snap->cpu_held, s->index) < 0)
                return ls_fail(err, LS_ERR_SYSTEM, errno, "out of memory");
        } else if (s->index < snap->nllcs) {
            if (s->mode == LS_LOCK_EXCLUSIVE)
                snap->llc_exclusive[s->index]++;
            else
                snap->llc_shared[s->index]++;
        }
    }
    return 0;
}

void ls_snapshot_free(struct ls_snapshot *snap)
{
    free(snap->llc_shared);
    free(snap->llc_exclusive);
    free(snap->cpu_shared);
    ls_cpuset_free(&snap->cpu_held);
    ls_cpuset_free(&snap->cpu_soft);
    memset(snap, 0, sizeof(*snap));
}

/* Snapshots that no /proc/locks pass produced: an idle host, plus plans counted as held. Lets a
 * caller ask "what would fit beside these?" without taking a lock (slots --dry-run). */
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

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

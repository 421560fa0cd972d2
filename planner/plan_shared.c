/* Shared mode: the seed's PLAN phase (consolidation, seed node, greedy fill by distance,
 * partial last LLC). Also exclusive mode without --perf, which takes whole free LLCs. */
#include "plan_internal.h"

#include <errno.h>
#include <stdlib.h>

/* Consolidation first (holders DESC, index ASC), then fresh LLCs by index. */
static int cmp_consolidation(const void *a, const void *b, void *ctx)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    unsigned hx = ls_ctx_holders(ctx, x), hy = ls_ctx_holders(ctx, y);
    if (hx != hy)
        return hx > hy ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int fail_oom(struct ls_error *err)
{
    return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
}

int ls_plan_shared(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                   struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    unsigned *ranked = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*ranked));
    unsigned *picked = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*picked));
    if (!ranked || !picked) {
        free(ranked), free(picked);
        return fail_oom(err);
    }
    /* LLCs overlapping allowed and not held exclusively (such an LLC could never be locked). */
    size_t nranked = 0, eligible_cpus = 0, excluded_cpus = 0;
    for (unsigned i = 0; i < topo->nllcs; i++) {
        if (!c->llc_allowed[i])
            continue;
        if (c->snap->llc_exclusive[i]) {
            excluded_cpus += c->llc_allowed[i];
            continue;
        }
        ranked[nranked++] = i;
        eligible_cpus += c->llc_allowed[i];
    }
    int rc = 0;
    size_t npicked = 0;
    if (target > eligible_cpus) {
        rc = ls_fail(err, LS_ERR_BUSY, EBUSY,
                     "%zu CPUs wanted but only %zu of the %zu allowed lie in LLCs not held "
                     "exclusively by others",
                     target, eligible_cpus, eligible_cpus + excluded_cpus);
        goto out;
    }
    if (target == eligible_cpus) {
        /* Budget covers everything we may schedule on: take every eligible LLC. */
        npicked = nranked;
        for (size_t i = 0; i < nranked; i++)
            picked[i] = ranked[i];
    } else {
        qsort_r(ranked, nranked, sizeof(*ranked), cmp_consolidation, (void *)c);
        if (ls_walk_by_distance(c, ranked, nranked, c->llc_allowed, c->llc_node_pos[ranked[0]],
                                target, picked, &npicked) < 0) {
            rc = fail_oom(err);
            goto out;
        }
    }
    if (ls_plan_set_llcs(plan, picked, npicked) < 0 || ls_plan_take_ascending(c, plan, target) < 0)
        rc = fail_oom(err);
out:
    free(ranked);
    free(picked);
    return rc;
}

int ls_plan_exclusive_llcs(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                           struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    unsigned *ranked = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*ranked));
    unsigned *picked = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*picked));
    if (!ranked || !picked) {
        free(ranked), free(picked);
        return fail_oom(err);
    }
    /* Only LLCs nobody holds in any way (LLC lock or a per-CPU lock inside it). */
    size_t nranked = 0, free_cpus = 0;
    for (unsigned i = 0; i < topo->nllcs; i++) {
        if (!c->llc_allowed[i] || ls_ctx_holders(c, i) || c->llc_cpu_held[i])
            continue;
        ranked[nranked++] = i;
        free_cpus += c->llc_allowed[i];
    }
    int rc = 0;
    size_t npicked = 0;
    if (target > free_cpus) {
        rc = ls_fail(err, LS_ERR_BUSY, EBUSY,
                     "%zu CPUs wanted exclusively but only %zu of the %zu allowed lie in LLCs "
                     "nobody holds",
                     target, free_cpus, c->nallowed);
        goto out;
    }
    int seed = ls_seed_node_that_fits(c, ranked, nranked, c->llc_allowed, target);
    if (ls_walk_by_distance(c, ranked, nranked, c->llc_allowed, seed, target, picked, &npicked) <
            0 ||
        ls_plan_set_llcs(plan, picked, npicked) < 0 || ls_plan_take_ascending(c, plan, target) < 0)
        rc = fail_oom(err);
out:
    free(ranked);
    free(picked);
    return rc;
}

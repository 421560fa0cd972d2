/* Shared mode: the seed's PLAN phase (consolidation, seed node, greedy fill by distance,
 * partial last LLC). Also exclusive mode without --perf, which takes whole free LLCs. */
#include "placement.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cleanup.h"

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

struct cpu_use {
    unsigned cpu, marks;
    bool held;
};

/* Overlap order on a full host: CPUs only shared jobs mark, least-marked first, before CPUs a
 * dedicated/exclusive job holds; then by CPU id. */
static int cmp_use(const void *a, const void *b)
{
    const struct cpu_use *x = a, *y = b;
    if (x->held != y->held)
        return x->held ? 1 : -1;
    if (x->marks != y->marks)
        return x->marks < y->marks ? -1 : 1;
    return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/* Free CPUs (nobody else uses them) of the picked LLCs, LLCs ascending, whole cores first
 * within each, the first `target` (the seed's partial last LLC); then only LLCs we run on stay
 * locked (the seed's truncation can leave a consolidation pick without a CPU taken). */
static int take_free(const struct ls_plan_ctx *c, const unsigned *picked, size_t npicked,
                     struct ls_plan *plan, size_t target)
{
    if (ls_plan_set_llcs(plan, picked, npicked) < 0)
        return -1;
    size_t taken = 0, kept = 0;
    for (size_t i = 0; i < plan->nlocked; i++) {
        long n = ls_take_into(c, plan->locked_llcs[i], ls_cpu_ok_free, NULL, target - taken,
                              &plan->cpus);
        if (n < 0)
            return -1;
        taken += (size_t)n;
        if (n)
            plan->locked_llcs[kept++] = plan->locked_llcs[i];
    }
    plan->nlocked = kept;
    return 0;
}

/* Full host: every free CPU of the eligible LLCs, then the least-used others, until target.
 * The LLCs are those of the CPUs taken; what others use goes to plan->overlap. */
static int take_overcommitted(const struct ls_plan_ctx *c, const unsigned *eligible,
                              size_t neligible, size_t target, struct ls_plan *plan)
{
    const struct ls_topology *topo = c->topo;
    size_t nused = 0, taken = 0;
    _cleanup_free_ struct cpu_use *used = malloc((c->nallowed ? c->nallowed : 1) * sizeof(*used));
    _cleanup_free_ unsigned *llcs = malloc((neligible ? neligible : 1) * sizeof(*llcs));
    size_t nllcs = 0;
    if (!used || !llcs)
        return -1;
    for (size_t i = 0; i < neligible; i++) {
        const struct ls_llc *llc = &topo->llcs[eligible[i]];
        for (size_t k = 0; k < llc->ncpus; k++) {
            unsigned cpu = llc->cpu_list[k];
            if (!ls_cpuset_has(&c->allowed, cpu))
                continue;
            if (ls_ctx_cpu_free(c, cpu)) {
                if (ls_cpuset_add(&plan->cpus, cpu) < 0)
                    return -1;
                taken++;
            } else {
                used[nused++] = (struct cpu_use){cpu, ls_ctx_cpu_marks(c, cpu),
                                                 ls_cpuset_has(&c->snap->cpu_held, cpu)};
            }
        }
    }
    qsort(used, nused, sizeof(*used), cmp_use);
    for (size_t i = 0; i < nused && taken < target; i++, taken++)
        if (ls_cpuset_add(&plan->cpus, used[i].cpu) < 0 ||
            ls_cpuset_add(&plan->overlap, used[i].cpu) < 0)
            return -1;
    for (size_t i = 0; i < neligible; i++)
        if (ls_cpuset_intersects(&topo->llcs[eligible[i]].cpus, &plan->cpus))
            llcs[nllcs++] = eligible[i];
    return ls_plan_set_llcs(plan, llcs, nllcs);
}

/* Mark every CPU we run on, except those another job holds LOCK_EX (they refuse it). */
static int mark_cpus(const struct ls_plan_ctx *c, struct ls_plan *plan, struct ls_error *err)
{
    if (ls_cpuset_copy(&plan->cpu_marks, &plan->cpus) < 0)
        return fail_oom(err);
    ls_cpuset_andnot(&plan->cpu_marks, &c->snap->cpu_held);
    return 0;
}

/* The seed's walk over the CPUs nobody else uses (consolidation rank, seed node, greedy fill
 * by distance, partial last LLC), departing where DESIGN.md says: a CPU another job marks or
 * holds is taken only when the free ones cannot hold the budget, and a budget one node holds
 * stays on one node. */
int ls_plan_shared(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                   struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    size_t n = topo->nllcs ? topo->nllcs : 1;
    _cleanup_free_ unsigned *ranked = malloc(n * sizeof(*ranked));
    _cleanup_free_ unsigned *eligible = malloc(n * sizeof(*eligible));
    _cleanup_free_ unsigned *picked = malloc(n * sizeof(*picked));
    _cleanup_free_ size_t *free_cpus = calloc(n, sizeof(*free_cpus));
    if (!ranked || !eligible || !picked || !free_cpus)
        return fail_oom(err);
    /* LLCs overlapping allowed and not held exclusively (such an LLC could never be locked). */
    size_t nranked = 0, neligible = 0, eligible_cpus = 0, excluded_cpus = 0, total_free = 0;
    for (unsigned i = 0; i < topo->nllcs; i++) {
        if (!c->llc_allowed[i])
            continue;
        if (c->snap->llc_exclusive[i]) {
            excluded_cpus += c->llc_allowed[i];
            continue;
        }
        eligible[neligible++] = i;
        eligible_cpus += c->llc_allowed[i];
        free_cpus[i] =
            c->full_cores ? ls_whole_core_cpus(c, i, ls_cpu_ok_free, NULL) : ls_ctx_llc_free(c, i);
        total_free += free_cpus[i];
        if (free_cpus[i])
            ranked[nranked++] = i;
    }
    size_t npicked = 0;
    if (target > eligible_cpus)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "%zu CPUs wanted but only %zu of the %zu allowed lie in LLCs not held "
                       "exclusively by others",
                       target, eligible_cpus, eligible_cpus + excluded_cpus);
    if (target > total_free && c->full_cores)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "--smt full-cores: %zu CPUs wanted but only %zu of the allowed lie in whole "
                       "cores no other job uses",
                       target, total_free);
    ls_plan_explain(plan,
                    "shared: %zu of the %zu allowed CPUs lie in LLCs nobody holds exclusively; "
                    "%zu of them are free of other jobs%s",
                    eligible_cpus, eligible_cpus + excluded_cpus, total_free,
                    c->full_cores ? " as whole cores" : "");
    if (target > total_free) {
        ls_plan_explain(plan,
                        "overcommit: %zu CPUs wanted, %zu free: every free CPU, then the CPUs "
                        "the fewest shared jobs mark, a dedicated/exclusive job's CPU last",
                        target, total_free);
        if (take_overcommitted(c, eligible, neligible, target, plan) < 0)
            return fail_oom(err);
        return mark_cpus(c, plan, err);
    }
    if (target == total_free) {
        /* Budget covers every free CPU: take every LLC that has one. */
        ls_plan_explain(plan, "take: the budget is every free CPU, so every LLC with one");
        npicked = nranked;
        for (size_t i = 0; i < nranked; i++)
            picked[i] = ranked[i];
    } else {
        qsort_r(ranked, nranked, sizeof(*ranked), cmp_consolidation, (void *)c);
        if (ls_ctx_holders(c, ranked[0]))
            ls_plan_explain(plan,
                            "consolidation: LLC %u has %u shared holder(s), the most: it is "
                            "ranked first, then LLCs with fewer holders, then idle ones by index",
                            ranked[0], ls_ctx_holders(c, ranked[0]));
        else
            ls_plan_explain(plan, "consolidation: no LLC has holders; LLCs by index");
        bool fits;
        int seed = ls_seed_node_that_fits(c, ranked, nranked, free_cpus, target, &fits);
        ls_explain_seed(c, plan, "free", c->llc_node_pos[ranked[0]], seed, fits, target);
        if (ls_walk_by_distance(c, ranked, nranked, free_cpus, seed, target, picked, &npicked) < 0)
            return fail_oom(err);
    }
    if (take_free(c, picked, npicked, plan, target) < 0)
        return fail_oom(err);
    ls_plan_explain(plan,
                    "take: free CPUs of the chosen LLCs in index order, whole cores first; the "
                    "last LLC only partly (the seed's rule)");
    return mark_cpus(c, plan, err);
}

int ls_plan_exclusive_llcs(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                           struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    _cleanup_free_ unsigned *ranked = calloc(topo->nllcs ? topo->nllcs : 1, sizeof(*ranked));
    _cleanup_free_ unsigned *picked = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*picked));
    if (!ranked || !picked)
        return fail_oom(err);
    /* Only LLCs nobody holds in any way (LLC lock or a per-CPU lock inside it). */
    size_t nranked = 0, free_cpus = 0;
    for (unsigned i = 0; i < topo->nllcs; i++) {
        if (!c->llc_allowed[i] || ls_ctx_holders(c, i) || ls_ctx_llc_free(c, i) < c->llc_allowed[i])
            continue;
        ranked[nranked++] = i;
        free_cpus += c->llc_allowed[i];
    }
    size_t npicked = 0;
    if (target > free_cpus)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "%zu CPUs wanted exclusively but only %zu of the %zu allowed lie in LLCs "
                       "nobody holds",
                       target, free_cpus, c->nallowed);
    bool fits;
    int seed = ls_seed_node_that_fits(c, ranked, nranked, c->llc_allowed, target, &fits);
    ls_plan_explain(plan, "exclusive: whole LLCs nobody holds (%zu CPUs in them), by index",
                    free_cpus);
    ls_explain_seed(c, plan, "free", nranked ? c->llc_node_pos[ranked[0]] : 0, seed, fits, target);
    if (ls_walk_by_distance(c, ranked, nranked, c->llc_allowed, seed, target, picked, &npicked) <
            0 ||
        ls_plan_set_llcs(plan, picked, npicked) < 0 || ls_plan_take_ascending(c, plan, target) < 0)
        return fail_oom(err);
    return 0;
}

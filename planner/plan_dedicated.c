/* Dedicated mode: LOCK_SH on each touched LLC + LOCK_EX per reserved CPU. Packs into as few
 * LLCs (and one node) as it can, preferring LLCs others already use so whole LLCs stay free
 * for exclusive users; spills by node distance like shared mode. */
#include "placement.h"

#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"

struct ded_sort {
    const struct ls_plan_ctx *c;
    const size_t *free_cpus;
    const size_t *now_free;
};

/* Free and not held now (snapshot.h's cpu_soft). */
static bool cpu_ok_now(const struct ls_plan_ctx *c, unsigned cpu, const void *arg)
{
    (void)arg;
    return ls_ctx_cpu_free(c, cpu) && !ls_cpuset_has(&c->snap->cpu_soft, cpu);
}

/* Free and not yet in the set *arg. */
static bool cpu_ok_free_new(const struct ls_plan_ctx *c, unsigned cpu, const void *arg)
{
    return ls_ctx_cpu_free(c, cpu) && !ls_cpuset_has(arg, cpu);
}

/* The allowed CPUs of an LLC that are free now (as whole cores with full_cores). */
static size_t llc_now_free(const struct ls_plan_ctx *c, unsigned llc)
{
    if (c->full_cores)
        return ls_whole_core_cpus(c, llc, cpu_ok_now, NULL);
    const struct ls_llc *l = &c->topo->llcs[llc];
    size_t n = 0;
    for (size_t k = 0; k < l->ncpus; k++)
        n += ls_cpuset_has(&c->allowed, l->cpu_list[k]) && cpu_ok_now(c, l->cpu_list[k], NULL);
    return n;
}

/* Held LLCs first, then fresh; within each, most CPUs free now (a reservation waits for fewer
 * jobs), then most free CPUs, then index. */
static int cmp_packing(const void *a, const void *b, void *ctx)
{
    const struct ded_sort *s = ctx;
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    bool hx = ls_ctx_holders(s->c, x) > 0, hy = ls_ctx_holders(s->c, y) > 0;
    if (hx != hy)
        return hx ? -1 : 1;
    if (s->now_free[x] != s->now_free[y])
        return s->now_free[x] > s->now_free[y] ? -1 : 1;
    if (s->free_cpus[x] != s->free_cpus[y])
        return s->free_cpus[x] > s->free_cpus[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Best single LLC holding the whole budget: held before fresh, then the fewest CPUs held now
 * (a reservation's wait), then the tightest fit. */
static int best_single(const struct ls_plan_ctx *c, const size_t *free_cpus, const size_t *now_free,
                       size_t target)
{
    int best = -1;
    for (unsigned i = 0; i < c->topo->nllcs; i++) {
        if (free_cpus[i] < target)
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        bool hi = ls_ctx_holders(c, i) > 0, hb = ls_ctx_holders(c, (unsigned)best) > 0;
        size_t wi = target - (now_free[i] < target ? now_free[i] : target);
        size_t wb = target - (now_free[best] < target ? now_free[best] : target);
        if (hi != hb ? hi : wi != wb ? wi < wb : free_cpus[i] < free_cpus[best])
            best = (int)i;
    }
    return best;
}

int ls_plan_dedicated(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                      struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    size_t n = topo->nllcs ? topo->nllcs : 1;
    _cleanup_free_ size_t *free_cpus = calloc(n, sizeof(*free_cpus));
    _cleanup_free_ size_t *now_free = calloc(n, sizeof(*now_free));
    _cleanup_free_ unsigned *ranked = malloc(n * sizeof(*ranked));
    _cleanup_free_ unsigned *picked = malloc(n * sizeof(*picked));
    if (!free_cpus || !now_free || !ranked || !picked)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    size_t nranked = 0, total_free = 0;
    for (unsigned i = 0; i < topo->nllcs; i++) {
        if (c->snap->llc_exclusive[i])
            continue;
        free_cpus[i] =
            c->full_cores ? ls_whole_core_cpus(c, i, ls_cpu_ok_free, NULL) : ls_ctx_llc_free(c, i);
        if (!free_cpus[i])
            continue;
        now_free[i] = ls_cpuset_empty(&c->snap->cpu_soft) ? free_cpus[i] : llc_now_free(c, i);
        ranked[nranked++] = i;
        total_free += free_cpus[i];
    }
    if (target > total_free)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "%zu CPUs wanted but only %zu of the %zu allowed are free for a dedicated "
                       "reservation%s, the rest being used by other jobs or in LLCs held "
                       "exclusively",
                       target, total_free, c->nallowed, c->full_cores ? " as whole cores" : "");
    size_t npicked = 0;
    int single = best_single(c, free_cpus, now_free, target);
    if (single >= 0) {
        picked[npicked++] = (unsigned)single;
        ls_plan_explain(plan,
                        "dedicated: LLC %d holds all %zu CPUs (%zu free): LLCs other jobs use "
                        "come first, then the tightest fit, so idle LLCs stay whole",
                        single, target, free_cpus[single]);
    } else {
        struct ded_sort s = {c, free_cpus, now_free};
        qsort_r(ranked, nranked, sizeof(*ranked), cmp_packing, &s);
        ls_plan_explain(plan,
                        "dedicated: no single LLC has %zu free CPUs; LLCs other jobs use first, "
                        "then the most free CPUs",
                        target);
        bool fits;
        int seed = ls_seed_node_that_fits(c, ranked, nranked, free_cpus, target, &fits);
        ls_explain_seed(c, plan, "free", c->llc_node_pos[ranked[0]], seed, fits, target);
        if (ls_walk_by_distance(c, ranked, nranked, free_cpus, seed, target, picked, &npicked) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    }
    /* Free CPUs of each pick in pick order, whole cores first; the last pick gives only the
     * rest. */
    size_t taken = 0;
    bool soft = !ls_cpuset_empty(&c->snap->cpu_soft);
    for (size_t k = 0; k < npicked && taken < target; k++) {
        /* Those free now first, so a reservation waits for as few jobs as it can. */
        long n = ls_take_into(c, picked[k], soft ? cpu_ok_now : ls_cpu_ok_free, NULL,
                              target - taken, &plan->cpus);
        if (n >= 0 && soft && taken + (size_t)n < target) {
            long m = ls_take_into(c, picked[k], cpu_ok_free_new, &plan->cpus,
                                  target - taken - (size_t)n, &plan->cpus);
            n = m < 0 ? m : n + m;
        }
        if (n < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
        taken += (size_t)n;
    }
    if (ls_plan_set_llcs(plan, picked, npicked) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    return 0;
}

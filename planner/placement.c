/* Placement primitives shared by every mode: the per-call view (allowed CPUs per LLC, node
 * positions), node order by distance, the seed-node greedy walk, cpus/mems materialisation. */
#include "placement.h"
#include "cleanup.h"
#include "strv.h"
#include "sort.h"

#include <stdbool.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int ls_ctx_init(struct ls_plan_ctx *c, const struct ls_topology *topo, const ls_cpuset *allowed,
                const struct ls_snapshot *snap, struct ls_error *err)
{
    memset(c, 0, sizeof(*c));
    c->topo = topo;
    c->snap = snap;
    size_t n = topo->nllcs ? topo->nllcs : 1;
    c->llc_allowed = calloc(n, sizeof(*c->llc_allowed));
    c->llc_cpu_held = calloc(n, sizeof(*c->llc_cpu_held));
    c->llc_cpu_marked = calloc(n, sizeof(*c->llc_cpu_marked));
    c->llc_node_pos = calloc(n, sizeof(*c->llc_node_pos));
    size_t widest = 1;
    for (size_t i = 0; i < topo->nllcs; i++)
        if (topo->llcs[i].ncpus > widest)
            widest = topo->llcs[i].ncpus;
    c->scratch = malloc(widest * sizeof(*c->scratch));
    if (!c->llc_allowed || !c->llc_cpu_held || !c->llc_cpu_marked || !c->llc_node_pos ||
        !c->scratch || ls_cpuset_copy(&c->allowed, allowed) < 0) {
        ls_ctx_free(c);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    }
    ls_cpuset_and(&c->allowed, &topo->online);
    LS_CPUSET_FOREACH(cpu, &c->allowed)
    {
        if ((unsigned)cpu > topo->max_cpu || topo->cpu_llc[cpu] < 0)
            continue;
        unsigned llc = (unsigned)topo->cpu_llc[cpu];
        c->nallowed++;
        c->llc_allowed[llc]++;
        if (ls_cpuset_has(&snap->cpu_held, (unsigned)cpu))
            c->llc_cpu_held[llc]++;
        else if (ls_ctx_cpu_marks(c, (unsigned)cpu))
            c->llc_cpu_marked[llc]++;
    }
    for (size_t i = 0; i < topo->nllcs; i++) {
        int pos = ls_topology_node_pos(topo, topo->llcs[i].node);
        c->llc_node_pos[i] = pos < 0 ? 0 : pos;
    }
    return 0;
}

void ls_ctx_free(struct ls_plan_ctx *c)
{
    ls_cpuset_free(&c->allowed);
    free(c->llc_allowed);
    free(c->llc_cpu_held);
    free(c->llc_cpu_marked);
    free(c->llc_node_pos);
    free(c->scratch);
    c->scratch = NULL;
    c->llc_allowed = NULL;
    c->llc_cpu_held = NULL;
    c->llc_cpu_marked = NULL;
    c->llc_node_pos = NULL;
}

size_t ls_nodes_by_distance(const struct ls_topology *topo, int anchor_pos, int *order)
{
    size_t n = 0;
    for (size_t p = 0; p < topo->nnodes; p++)
        if (topo->nodes[p].nllcs)
            order[n++] = (int)p;
    /* Insertion sort: nnodes is small and the input is already by id, so ties keep id order. */
    const unsigned *row = topo->distance + (size_t)anchor_pos * topo->nnodes;
    for (size_t i = 1; i < n; i++) {
        int v = order[i];
        unsigned dv = row[v] >= 255 ? 0x10000u : row[v];
        size_t j = i;
        while (j > 0) {
            unsigned dj = row[order[j - 1]] >= 255 ? 0x10000u : row[order[j - 1]];
            if (dj <= dv)
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    return n;
}

int ls_walk_by_distance(const struct ls_plan_ctx *c, const unsigned *ranked, size_t nranked,
                        const size_t *weight, int seed_pos, size_t target, unsigned *picked,
                        size_t *npicked)
{
    const struct ls_topology *topo = c->topo;
    size_t nn = topo->nnodes ? topo->nnodes : 1;
    _cleanup_free_ size_t *start = calloc(nn + 1, sizeof(*start));
    _cleanup_free_ size_t *fill = calloc(nn, sizeof(*fill));
    _cleanup_free_ unsigned *bucketed = malloc((nranked ? nranked : 1) * sizeof(*bucketed));
    _cleanup_free_ int *order = malloc(nn * sizeof(*order));
    if (!start || !fill || !bucketed || !order) {
        errno = ENOMEM;
        return -1;
    }
    /* Stable counting sort of the ranked list by node: per-node lists keep rank order. */
    for (size_t i = 0; i < nranked; i++)
        start[c->llc_node_pos[ranked[i]] + 1]++;
    for (size_t p = 0; p < nn; p++)
        start[p + 1] += start[p];
    for (size_t i = 0; i < nranked; i++) {
        int p = c->llc_node_pos[ranked[i]];
        bucketed[start[p] + fill[p]++] = ranked[i];
    }
    size_t norder = topo->nnodes ? ls_nodes_by_distance(topo, seed_pos, order) : 0;
    if (!topo->nnodes)
        order[norder++] = 0;
    size_t acc = 0, np = 0;
    for (size_t k = 0; k < norder && acc < target; k++) {
        int p = order[k];
        for (size_t i = start[p]; i < start[p + 1] && acc < target; i++) {
            picked[np++] = bucketed[i];
            acc += weight[bucketed[i]];
        }
    }
    *npicked = np;
    return 0;
}

int ls_seed_node_that_fits(const struct ls_plan_ctx *c, const unsigned *ranked, size_t nranked,
                           const size_t *weight, size_t target, bool *fits)
{
    size_t nn = c->topo->nnodes ? c->topo->nnodes : 1;
    int first = nranked ? c->llc_node_pos[ranked[0]] : 0;
    *fits = false;
    _cleanup_free_ size_t *cap = calloc(nn, sizeof(*cap));
    _cleanup_free_ int *order = malloc(nn * sizeof(*order));
    if (!cap || !order)
        return first;
    for (size_t i = 0; i < nranked; i++)
        cap[c->llc_node_pos[ranked[i]]] += weight[ranked[i]];
    int seed = first;
    if (cap[first] >= target) {
        *fits = true;
    } else if (c->topo->nnodes) {
        /* Nearest node to the consolidation choice that holds the budget alone. */
        size_t norder = ls_nodes_by_distance(c->topo, first, order);
        for (size_t k = 0; k < norder; k++) {
            if (cap[order[k]] >= target) {
                seed = order[k];
                *fits = true;
                break;
            }
        }
    }
    return seed;
}

void ls_plan_explain(struct ls_plan *plan, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)ls_strv_vappendf(&plan->explain, &plan->nexplain, fmt, ap);
    va_end(ap);
}

void ls_explain_seed(const struct ls_plan_ctx *c, struct ls_plan *plan, const char *what,
                     int first_pos, int seed_pos, bool fits, size_t target)
{
    const struct ls_topology *topo = c->topo;
    int first = topo->nnodes ? topo->nodes[first_pos].id : 0;
    int seed = topo->nnodes ? topo->nodes[seed_pos].id : 0;
    if (!fits)
        ls_plan_explain(plan,
                        "node: no single node has %zu %s CPUs; from node %d the walk spills to "
                        "the nearest nodes by distance",
                        target, what, first);
    else if (seed == first)
        ls_plan_explain(plan, "node: node %d holds all %zu %s CPUs", seed, target, what);
    else
        ls_plan_explain(plan,
                        "node: node %d (where the ranking starts) has too few %s CPUs; node %d, "
                        "the nearest that holds all %zu (distance %u), is used alone",
                        first, what, seed, target, ls_topology_distance(topo, first, seed));
}

int ls_plan_set_llcs(struct ls_plan *plan, const unsigned *picks, size_t n)
{
    unsigned *l = malloc((n ? n : 1) * sizeof(*l));
    if (!l)
        return -1;
    memcpy(l, picks, n * sizeof(*l));
    qsort(l, n, sizeof(*l), ls_cmp_unsigned);
    free(plan->locked_llcs);
    plan->locked_llcs = l;
    plan->nlocked = n;
    return 0;
}

bool ls_cpu_ok_free(const struct ls_plan_ctx *c, unsigned cpu, const void *arg)
{
    (void)arg;
    return ls_ctx_cpu_free(c, cpu);
}

bool ls_cpu_ok_any(const struct ls_plan_ctx *c, unsigned cpu, const void *arg)
{
    (void)c, (void)cpu, (void)arg;
    return true;
}

/* core_list[*i..] is one core: its end, and whether every CPU of it is allowed and ok. */
static size_t core_end(const struct ls_plan_ctx *c, const struct ls_llc *l, size_t i,
                       ls_cpu_ok_fn ok, const void *arg, bool *whole)
{
    int core = c->topo->cpu_core[l->core_list[i]];
    *whole = true;
    size_t j = i;
    for (; j < l->ncpus && c->topo->cpu_core[l->core_list[j]] == core; j++) {
        unsigned cpu = l->core_list[j];
        if (!ls_cpuset_has(&c->allowed, cpu) || !ok(c, cpu, arg))
            *whole = false;
    }
    return j;
}

size_t ls_take_by_core(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok, const void *arg,
                       size_t need, unsigned *out)
{
    const struct ls_llc *l = &c->topo->llcs[llc];
    size_t n = 0;
    /* Pass 0: whole cores (the last one split when the budget ends inside it, unless
     * full-cores). Pass 1: the free CPUs of cores someone else already uses. */
    for (int pass = 0; pass < (c->full_cores ? 1 : 2) && n < need; pass++) {
        for (size_t i = 0; i < l->ncpus && n < need;) {
            bool whole;
            size_t j = core_end(c, l, i, ok, arg, &whole);
            if (whole != (pass == 0) || (c->full_cores && j - i > need - n)) {
                i = j;
                continue;
            }
            for (; i < j && n < need; i++)
                if (ls_cpuset_has(&c->allowed, l->core_list[i]) && ok(c, l->core_list[i], arg))
                    out[n++] = l->core_list[i];
            i = j;
        }
    }
    return n;
}

size_t ls_whole_core_cpus(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok,
                          const void *arg)
{
    const struct ls_llc *l = &c->topo->llcs[llc];
    size_t n = 0;
    for (size_t i = 0; i < l->ncpus;) {
        bool whole;
        size_t j = core_end(c, l, i, ok, arg, &whole);
        if (whole)
            n += j - i;
        i = j;
    }
    return n;
}

long ls_take_into(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok, const void *arg,
                  size_t need, ls_cpuset *into)
{
    size_t n = need ? ls_take_by_core(c, llc, ok, arg, need, c->scratch) : 0;
    for (size_t k = 0; k < n; k++)
        if (ls_cpuset_add(into, c->scratch[k]) < 0)
            return -1;
    return (long)n;
}

int ls_plan_take_ascending(const struct ls_plan_ctx *c, struct ls_plan *plan, size_t target)
{
    size_t taken = 0;
    for (size_t i = 0; i < plan->nlocked && taken < target; i++) {
        long n =
            ls_take_into(c, plan->locked_llcs[i], ls_cpu_ok_any, NULL, target - taken, &plan->cpus);
        if (n < 0)
            return -1;
        taken += (size_t)n;
    }
    return 0;
}

int ls_plan_set_mems(const struct ls_topology *topo, struct ls_plan *plan)
{
    ls_cpuset_clear(&plan->mems);
    LS_CPUSET_FOREACH(cpu, &plan->cpus)
    {
        int node = (unsigned)cpu <= topo->max_cpu ? topo->cpu_node[cpu] : -1;
        /* A memoryless node cannot be in a cpuset's mems: its nearest node with memory is. */
        int pos = node < 0 ? -1 : ls_topology_node_pos(topo, node);
        if (pos >= 0)
            node = topo->nodes[pos].mem_node;
        if (ls_cpuset_add(&plan->mems, node < 0 ? 0u : (unsigned)node) < 0)
            return -1;
    }
    return 0;
}

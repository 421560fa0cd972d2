/* Exclusive (performance) mode: the seed's compute_pinning + numa_aware_llc_order. Each
 * virtual LLC of --perf LLCSxCORESxTHREADS[,nodes=N] lands on one whole free host LLC, plus
 * one service CPU; the starting LLC rotates by a hash of the pid, other rotations are tried
 * when that one is busy. Only the allowed part of each LLC counts as the host. */
#include "plan_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pin_view {
    unsigned *llcs; /* LLCs overlapping allowed, ascending */
    size_t nllcs;
    unsigned **node_llcs; /* per node position: its overlapping LLCs, ascending */
    size_t *node_nllcs;
};

static void view_free(struct pin_view *v, size_t nnodes)
{
    if (v->node_llcs)
        for (size_t p = 0; p < nnodes; p++)
            free(v->node_llcs[p]);
    free(v->node_llcs);
    free(v->node_nllcs);
    free(v->llcs);
}

static bool llc_free(const struct ls_plan_ctx *c, unsigned llc)
{
    return !ls_ctx_holders(c, llc) && ls_ctx_llc_free(c, llc) == c->llc_allowed[llc];
}

/* The host as pinning sees it: LLCs overlapping allowed, or only those nobody holds. */
static int view_init(const struct ls_plan_ctx *c, struct pin_view *v, bool free_only)
{
    const struct ls_topology *topo = c->topo;
    memset(v, 0, sizeof(*v));
    size_t nn = topo->nnodes ? topo->nnodes : 1;
    v->llcs = malloc((topo->nllcs ? topo->nllcs : 1) * sizeof(*v->llcs));
    v->node_llcs = calloc(nn, sizeof(*v->node_llcs));
    v->node_nllcs = calloc(nn, sizeof(*v->node_nllcs));
    if (!v->llcs || !v->node_llcs || !v->node_nllcs)
        return -1;
    for (unsigned i = 0; i < topo->nllcs; i++)
        if (c->llc_allowed[i] && (!free_only || llc_free(c, i)))
            v->llcs[v->nllcs++] = i;
    for (size_t p = 0; p < topo->nnodes; p++) {
        const struct ls_node *node = &topo->nodes[p];
        v->node_llcs[p] = malloc((node->nllcs ? node->nllcs : 1) * sizeof(unsigned));
        if (!v->node_llcs[p])
            return -1;
        for (size_t k = 0; k < node->nllcs; k++)
            if (c->llc_allowed[node->llcs[k]] && (!free_only || llc_free(c, node->llcs[k])))
                v->node_llcs[p][v->node_nllcs[p]++] = node->llcs[k];
    }
    return 0;
}

/* Virtual LLC -> host LLC, as the seed: sequential rotation by offset, or, with several guest
 * nodes, each guest node on its own host node that has ceil(llcs/nodes) LLCs, the first
 * llcs % nodes guest nodes taking one LLC more (5 on 2 nodes: 3 + 2). */
static void llc_order(const struct ls_plan_ctx *c, const struct pin_view *v, unsigned nodes,
                      unsigned llcs, size_t offset, unsigned *order)
{
    size_t base = nodes ? llcs / nodes : 0, rem = nodes ? llcs % nodes : 0;
    size_t max_per_node = base + (rem ? 1 : 0);
    size_t neligible = 0;
    int *eligible = NULL;
    if (nodes > 1 && llcs >= nodes && c->topo->nnodes) {
        eligible = malloc(c->topo->nnodes * sizeof(*eligible));
        for (size_t p = 0; eligible && p < c->topo->nnodes; p++)
            if (v->node_nllcs[p] && v->node_nllcs[p] >= max_per_node)
                eligible[neligible++] = (int)p;
    }
    if (!eligible || neligible < nodes) {
        for (unsigned i = 0; i < llcs; i++)
            order[i] = v->llcs[(i + offset) % v->nllcs];
        free(eligible);
        return;
    }
    size_t node_offset = offset / max_per_node, k = 0;
    for (size_t g = 0; g < nodes; g++) {
        int p = eligible[(g + node_offset) % neligible];
        const unsigned *host = v->node_llcs[p];
        size_t nh = v->node_nllcs[p];
        size_t within = offset % nh, count = base + (g < rem ? 1 : 0);
        for (size_t i = 0; i < count; i++)
            order[k++] = host[(i + within) % nh];
    }
    free(eligible);
}

static bool not_used(const struct ls_plan_ctx *c, unsigned cpu, const void *used)
{
    (void)c;
    return !ls_cpuset_has(used, cpu);
}

/* The allowed CPUs of an LLC not in `used`, whole cores first (a guest core's threads land on
 * one host core's siblings); returns how many. */
static size_t llc_available(const struct ls_plan_ctx *c, unsigned llc, const ls_cpuset *used,
                            unsigned *out)
{
    return ls_take_by_core(c, llc, not_used, used, SIZE_MAX, out);
}

enum attempt { FITS, BUSY, NEVER };

struct attempt_out {
    struct ls_assignment *assign;
    ls_cpuset used;
    ls_cpuset nodes; /* nodes of the LLCs in use */
    int service_cpu, service_llc;
    char why[256];
};

static enum attempt try_offset(const struct ls_plan_ctx *c, const struct pin_view *v,
                               const struct ls_perf_topo *p, size_t offset, unsigned *order,
                               unsigned *avail, struct attempt_out *o)
{
    unsigned vpl = p->cores * p->threads;
    llc_order(c, v, p->nodes, p->llcs, offset, order);
    ls_cpuset_clear(&o->used);
    ls_cpuset_clear(&o->nodes);
    bool busy = false;
    for (unsigned l = 0; l < p->llcs; l++) {
        unsigned llc = order[l];
        size_t n = llc_available(c, llc, &o->used, avail);
        if (n < vpl) {
            snprintf(o->why, sizeof(o->why),
                     "performance_mode: LLC group %u has %zu available CPUs, need %u for "
                     "virtual LLC %u",
                     llc, n, vpl, l);
            return NEVER;
        }
        if (!llc_free(c, llc))
            busy = true;
        if (ls_cpuset_add(&o->nodes, (unsigned)c->topo->llcs[llc].node) < 0)
            return NEVER;
        for (unsigned k = 0; k < vpl; k++) {
            o->assign[l * vpl + k] = (struct ls_assignment){l * vpl + k, avail[k]};
            if (ls_cpuset_add(&o->used, avail[k]) < 0)
                return NEVER;
        }
    }
    if (busy)
        return BUSY;
    /* Service CPU: a spare allowed CPU in our own LLCs (already exclusive to us), else the
     * first allowed CPU whose LLC has no exclusive holder and that nobody has dedicated,
     * preferring one on a node the vCPUs already use. */
    o->service_cpu = o->service_llc = -1;
    for (unsigned l = 0; l < p->llcs && o->service_cpu < 0; l++)
        if (llc_available(c, order[l], &o->used, avail))
            o->service_cpu = (int)avail[0];
    for (int pass = 0; pass < 2 && o->service_cpu < 0; pass++) {
        LS_CPUSET_FOREACH(cpu, &c->allowed)
        {
            int llc = (unsigned)cpu <= c->topo->max_cpu ? c->topo->cpu_llc[cpu] : -1;
            if (llc < 0 || ls_cpuset_has(&o->used, (unsigned)cpu) || c->snap->llc_exclusive[llc] ||
                !ls_ctx_cpu_free(c, (unsigned)cpu))
                continue;
            if (pass == 0 && !ls_cpuset_has(&o->nodes, (unsigned)c->topo->llcs[llc].node))
                continue;
            o->service_cpu = cpu;
            o->service_llc = llc;
            break;
        }
    }
    return o->service_cpu >= 0 ? FITS : BUSY;
}

int ls_plan_pinning(const struct ls_plan_ctx *c, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err)
{
    const struct ls_perf_topo *p = &req->perf;
    size_t vpl = (size_t)p->cores * p->threads, vcpus = p->llcs * vpl;
    if (vcpus + 1 > c->nallowed)
        return ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                       "performance_mode: need %zu CPUs (%zu vCPUs + 1 service) but only %zu "
                       "host CPUs available",
                       vcpus + 1, vcpus, c->nallowed);
    struct pin_view v;
    struct attempt_out o = {.used = LS_CPUSET_INIT, .nodes = LS_CPUSET_INIT};
    unsigned *order = NULL, *avail = NULL;
    size_t maxllc = 1;
    for (size_t i = 0; i < c->topo->nllcs; i++)
        if (c->topo->llcs[i].ncpus > maxllc)
            maxllc = c->topo->llcs[i].ncpus;
    int rc = -1;
    if (view_init(c, &v, false) < 0 || !(order = malloc(p->llcs * sizeof(*order))) ||
        !(avail = malloc(maxllc * sizeof(*avail))) ||
        !(o.assign = malloc(vcpus * sizeof(*o.assign)))) {
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
        goto out;
    }
    if (p->llcs > v.nllcs) {
        ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                "performance_mode: need %u LLCs for %u virtual LLCs, but host has %zu LLC groups",
                p->llcs, p->llcs, v.nllcs);
        goto out;
    }
    /* The seed's rotations over every LLC first (two hosts' peers agree on them); when all
     * of those are busy, the same placement over just the LLCs nobody holds. */
    char first_why[256] = "";
    bool found = false, some_busy = false;
    size_t tried = 0;
    for (int round = 0; round < 2 && !found; round++) {
        if (round == 1) {
            if (!some_busy)
                break;
            view_free(&v, c->topo->nnodes);
            if (view_init(c, &v, true) < 0) {
                ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
                goto out;
            }
            if (v.nllcs < p->llcs)
                break;
        }
        size_t start = ls_pid_hash(req->pid) % v.nllcs;
        for (size_t t = 0; t < v.nllcs && !found; t++, tried++) {
            enum attempt a = try_offset(c, &v, p, (start + t) % v.nllcs, order, avail, &o);
            found = a == FITS;
            some_busy |= a == BUSY;
            if (a == NEVER && !first_why[0] && round == 0)
                memcpy(first_why, o.why, sizeof(first_why));
        }
    }
    if (!found) {
        if (some_busy)
            ls_fail(err, LS_ERR_BUSY, EBUSY,
                    "no placement of %u virtual LLCs on whole LLCs nobody holds (tried %zu "
                    "rotations)",
                    p->llcs, tried);
        else
            ls_fail(err, LS_ERR_UNSAT, ENOSPC, "%s", first_why);
        goto out;
    }
    if (ls_plan_set_llcs(plan, order, p->llcs) < 0 || ls_cpuset_copy(&plan->cpus, &o.used) < 0 ||
        ls_cpuset_add(&plan->cpus, (unsigned)o.service_cpu) < 0) {
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
        goto out;
    }
    plan->assignments = o.assign;
    o.assign = NULL;
    plan->nassignments = vcpus;
    plan->service_cpu = o.service_cpu;
    plan->service_llc = o.service_llc;
    rc = 0;
out:
    view_free(&v, c->topo->nnodes);
    ls_cpuset_free(&o.used);
    ls_cpuset_free(&o.nodes);
    free(o.assign);
    free(order);
    free(avail);
    return rc;
}

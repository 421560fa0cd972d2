/* Exclusive (performance) mode: the seed's compute_pinning + numa_aware_llc_order, made
 * deterministic (DESIGN.md, 2026-11-29): the same host and lock state give the same plan, so
 * `plan` predicts `run`. Each virtual LLC of --perf LLCSxCORESxTHREADS[,nodes=N] lands on one
 * whole free host LLC; the host LLCs minimise the guest's NUMA distances; plus one service
 * CPU. Only the allowed part of each LLC counts as the host. */
#include "plan.h"
#include "placement.h"
#include "cleanup.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktstr.h"

/* The LLCs placement may use, per node position, ascending. */
struct view {
    unsigned **node_llcs;
    size_t *n;
    size_t total;
};

struct pin {
    const struct ls_plan_ctx *c;
    const struct ls_perf_topo *p;
    size_t vpl;      /* vCPUs per virtual LLC */
    size_t nn;       /* host nodes */
    unsigned *share; /* [p->nodes] virtual LLCs per guest node */
    int *ord;        /* [nn] scratch: nodes by distance */
    bool *used;      /* [nn] scratch */
    int *chosen;     /* [nn] scratch */
    size_t *take;    /* [nn] scratch: LLCs taken per node */
    const char *how; /* the rule place() used, for plan -v */
    bool ktstr;      /* --lock-prefix ktstr: only whole ktstr slots (ktstr.h) */
    char how_buf[200];
};

static void view_free(struct view *v, size_t nn)
{
    if (v->node_llcs)
        for (size_t p = 0; p < nn; p++)
            free(v->node_llcs[p]);
    free(v->node_llcs);
    free(v->n);
    memset(v, 0, sizeof(*v));
}

static bool llc_free(const struct ls_plan_ctx *c, unsigned llc)
{
    return !ls_ctx_holders(c, llc) && ls_ctx_llc_free(c, llc) == c->llc_allowed[llc];
}

/* LLCs with room for a virtual LLC (allowed CPUs >= vpl), or only those nobody holds. */
static int view_init(const struct pin *pn, struct view *v, bool free_only)
{
    const struct ls_topology *topo = pn->c->topo;
    memset(v, 0, sizeof(*v));
    v->node_llcs = calloc(pn->nn, sizeof(*v->node_llcs));
    v->n = calloc(pn->nn, sizeof(*v->n));
    if (!v->node_llcs || !v->n)
        return -1;
    for (size_t p = 0; p < topo->nnodes; p++) {
        const struct ls_node *node = &topo->nodes[p];
        v->node_llcs[p] = malloc((node->nllcs ? node->nllcs : 1) * sizeof(unsigned));
        if (!v->node_llcs[p])
            return -1;
        for (size_t k = 0; k < node->nllcs; k++) {
            unsigned l = node->llcs[k];
            if (pn->c->llc_allowed[l] >= pn->vpl && (!free_only || llc_free(pn->c, l)))
                v->node_llcs[p][v->n[p]++] = l;
        }
        v->total += v->n[p];
    }
    return 0;
}

static uint64_t dist(const struct ls_topology *topo, int a, int b)
{
    return topo->distance[(size_t)a * topo->nnodes + (size_t)b];
}

/* Guest nodes on distinct host nodes: for each start node, guest node g on the nearest unused
 * node with room for its share; the set with the least sum of share-weighted pairwise
 * distances wins (ties: lowest start). Fills gnode (host node position per guest node). */
static bool place_distinct(const struct pin *pn, const struct view *v, int *gnode)
{
    const struct ls_topology *topo = pn->c->topo;
    unsigned G = pn->p->nodes;
    uint64_t best = UINT64_MAX;
    for (size_t s = 0; s < pn->nn; s++) {
        if (v->n[s] < pn->share[0])
            continue;
        memset(pn->used, 0, pn->nn * sizeof(*pn->used));
        pn->chosen[0] = (int)s;
        pn->used[s] = true;
        size_t nord = ls_nodes_by_distance(topo, (int)s, pn->ord);
        unsigned g = 1;
        for (; g < G; g++) {
            size_t k = 0;
            while (k < nord && (pn->used[pn->ord[k]] || v->n[pn->ord[k]] < pn->share[g]))
                k++;
            if (k == nord)
                break;
            pn->chosen[g] = pn->ord[k];
            pn->used[pn->ord[k]] = true;
        }
        if (g < G)
            continue;
        uint64_t cost = 0;
        for (unsigned a = 0; a < G; a++)
            for (unsigned b = a + 1; b < G; b++)
                cost += (uint64_t)pn->share[a] * pn->share[b] *
                        dist(topo, pn->chosen[a], pn->chosen[b]);
        if (cost < best) {
            best = cost;
            memcpy(gnode, pn->chosen, G * sizeof(*gnode));
        }
    }
    return best != UINT64_MAX;
}

/* Every virtual LLC as close together as the host allows: the tightest single node that holds
 * them all (ties: lowest id), else for each start node the nearest nodes until they do, the
 * set with the least sum of pairwise LLC distances winning. Fills take[] per node. */
static bool place_closest(const struct pin *pn, const struct view *v, int *start)
{
    const struct ls_topology *topo = pn->c->topo;
    size_t need = pn->p->llcs;
    int single = -1;
    for (size_t s = 0; s < pn->nn; s++)
        if (v->n[s] >= need && (single < 0 || v->n[s] < v->n[single]))
            single = (int)s;
    memset(pn->take, 0, pn->nn * sizeof(*pn->take));
    if (single >= 0) {
        pn->take[single] = need;
        *start = single;
        return true;
    }
    uint64_t best = UINT64_MAX;
    size_t *take = calloc(pn->nn, sizeof(*take));
    if (!take)
        return false;
    for (size_t s = 0; s < pn->nn; s++) {
        if (!v->n[s])
            continue;
        memset(take, 0, pn->nn * sizeof(*take));
        size_t nord = ls_nodes_by_distance(topo, (int)s, pn->ord), acc = 0;
        for (size_t k = 0; k < nord && acc < need; k++) {
            size_t t = v->n[pn->ord[k]] < need - acc ? v->n[pn->ord[k]] : need - acc;
            take[pn->ord[k]] = t;
            acc += t;
        }
        if (acc < need)
            continue;
        uint64_t cost = 0;
        for (size_t a = 0; a < pn->nn; a++)
            for (size_t b = a + 1; b < pn->nn; b++)
                if (take[a] && take[b])
                    cost += (uint64_t)take[a] * take[b] * dist(topo, (int)a, (int)b);
        if (cost < best) {
            best = cost;
            *start = (int)s;
            memcpy(pn->take, take, pn->nn * sizeof(*take));
        }
    }
    free(take);
    return best != UINT64_MAX;
}

/* ktstr slot k into order[], if each of its LLCs has room for a virtual LLC (and, with
 * free_only, nobody holds it). */
static bool ktstr_slot_fits(const struct pin *pn, size_t k, bool free_only, unsigned *order)
{
    ls_ktstr_slot_llcs(pn->c->topo, pn->p->nodes, pn->p->llcs, k, order);
    for (unsigned l = 0; l < pn->p->llcs; l++)
        if (pn->c->llc_allowed[order[l]] < pn->vpl || (free_only && !llc_free(pn->c, order[l])))
            return false;
    return true;
}

/* With prefix ktstr: the first slot whose LLCs are all free, as a ktstr VM of this shape
 * takes it, so one reservation never holds parts of two of ktstr's slots. */
static bool place_ktstr(struct pin *pn, unsigned *order, int *gnode)
{
    size_t nslots = ls_ktstr_slots(pn->c->topo, pn->p->llcs);
    for (size_t k = 0; k < nslots; k++) {
        if (!ktstr_slot_fits(pn, k, true, order))
            continue;
        for (unsigned g = 0, l = 0; g < pn->p->nodes; l += pn->share[g], g++)
            gnode[g] = pn->c->llc_node_pos[order[l]];
        snprintf(pn->how_buf, sizeof(pn->how_buf),
                 "--lock-prefix ktstr: ktstr's slot %zu of %zu (the LLCs a ktstr VM of this shape "
                 "takes at offset %zu)",
                 k, nslots, k * pn->p->llcs);
        pn->how = pn->how_buf;
        return true;
    }
    return false;
}

/* Virtual LLC -> host LLC in order[], and each guest node's host node (position). */
static bool place(struct pin *pn, const struct view *v, unsigned *order, int *gnode)
{
    const struct ls_perf_topo *p = pn->p;
    if (v->total < p->llcs)
        return false;
    if (pn->ktstr)
        return place_ktstr(pn, order, gnode);
    if (p->nodes > 1 && place_distinct(pn, v, gnode)) {
        pn->how = "each guest node on its own host node, the set with the least distances";
        size_t k = 0;
        for (unsigned g = 0; g < p->nodes; g++)
            for (unsigned i = 0; i < pn->share[g]; i++)
                order[k++] = v->node_llcs[gnode[g]][i];
        return true;
    }
    int start;
    if (!place_closest(pn, v, &start))
        return false;
    pn->how = pn->take[start] == p->llcs
                  ? "all virtual LLCs on one host node, the tightest that holds them"
                  : "no host node holds all virtual LLCs: the closest set of nodes";
    /* Fill from the start node outwards, LLCs ascending within a node. */
    size_t nord = ls_nodes_by_distance(pn->c->topo, start, pn->ord), k = 0;
    for (size_t i = 0; i < nord; i++)
        for (size_t t = 0; t < pn->take[pn->ord[i]]; t++)
            order[k++] = v->node_llcs[pn->ord[i]][t];
    for (unsigned g = 0, l = 0; g < p->nodes; l += pn->share[g], g++)
        gnode[g] = pn->c->llc_node_pos[order[l]];
    return true;
}

static bool not_used(const struct ls_plan_ctx *c, unsigned cpu, const void *used)
{
    (void)c;
    return !ls_cpuset_has(used, cpu);
}

/* A CPU another job's reservation leaves alone enough for our service thread's LOCK_EX. */
static bool service_ok(const struct ls_plan_ctx *c, unsigned cpu, const ls_cpuset *used)
{
    int llc = cpu <= c->topo->max_cpu ? c->topo->cpu_llc[cpu] : -1;
    return llc >= 0 && ls_cpuset_has(&c->allowed, cpu) && !ls_cpuset_has(used, cpu) &&
           !c->snap->llc_exclusive[llc] && ls_ctx_cpu_free(c, cpu);
}

/* Service CPU: a spare allowed CPU of our own LLCs (already exclusive to us), else the first
 * free one on the guest's host nodes, else on the nearest node to them. */
static void pick_service(const struct pin *pn, const unsigned *order, const int *gnode,
                         const ls_cpuset *used, unsigned *avail, struct ls_plan *plan)
{
    const struct ls_plan_ctx *c = pn->c;
    for (unsigned l = 0; l < pn->p->llcs; l++)
        if (ls_take_by_core(c, order[l], not_used, used, 1, avail)) {
            plan->service_cpu = (int)avail[0];
            return;
        }
    size_t nord = ls_nodes_by_distance(c->topo, gnode[0], pn->ord);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < nord; k++) {
            bool guest = false;
            for (unsigned g = 0; g < pn->p->nodes; g++)
                guest |= gnode[g] == pn->ord[k];
            if (guest != (pass == 0))
                continue;
            LS_CPUSET_FOREACH(cpu, &c->topo->nodes[pn->ord[k]].cpus)
            {
                if (service_ok(c, (unsigned)cpu, used)) {
                    plan->service_cpu = cpu;
                    plan->service_llc = c->topo->cpu_llc[cpu];
                    return;
                }
            }
        }
    }
}

/* What no holder changes: enough allowed CPUs and LLCs for the guest. Sets *biggest (the
 * most allowed CPUs of one LLC) for the next message. */
static int host_fits(const struct ls_plan_ctx *c, const struct ls_perf_topo *p, size_t vcpus,
                     size_t *biggest, struct ls_error *err)
{
    if (vcpus + 1 > c->nallowed)
        return ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                       "performance_mode: need %zu CPUs (%zu vCPUs + 1 service) but only %zu "
                       "host CPUs available",
                       vcpus + 1, vcpus, c->nallowed);
    size_t overlapping = 0;
    *biggest = 0;
    for (size_t i = 0; i < c->topo->nllcs; i++) {
        overlapping += c->llc_allowed[i] > 0;
        if (c->llc_allowed[i] > *biggest)
            *biggest = c->llc_allowed[i];
    }
    if (p->llcs > overlapping)
        return ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                       "performance_mode: need %u LLCs for %u virtual LLCs, but host has %zu LLC "
                       "groups",
                       p->llcs, p->llcs, overlapping);
    return 0;
}

/* An idle host decides unsatisfiable: LLCs with room for a virtual LLC, and with prefix
 * ktstr a slot whose LLCs all have it. order is scratch. */
static int idle_fits(struct pin *pn, size_t biggest, unsigned *order, struct ls_error *err)
{
    const struct ls_perf_topo *p = pn->p;
    struct view v = {0};
    if (view_init(pn, &v, false) < 0) {
        view_free(&v, pn->nn);
        return ls_oom(err, "planning");
    }
    size_t total = v.total;
    view_free(&v, pn->nn);
    if (total < p->llcs)
        return ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                       "performance_mode: a virtual LLC needs %zu CPUs (%ux%u) but only %zu of "
                       "the host's LLCs have that many allowed CPUs (the largest has %zu); %u "
                       "needed",
                       pn->vpl, p->cores, p->threads, total, biggest, p->llcs);
    if (!pn->ktstr)
        return 0;
    size_t nslots = ls_ktstr_slots(pn->c->topo, p->llcs);
    for (size_t k = 0; k < nslots; k++)
        if (ktstr_slot_fits(pn, k, false, order))
            return 0;
    return ls_fail(err, LS_ERR_UNSAT, ENOSPC,
                   "performance_mode: with --lock-prefix ktstr a reservation is one of ktstr's "
                   "%zu LLC slots for %u virtual LLCs, and in none of them does every LLC have "
                   "the %zu allowed CPUs a virtual LLC needs; use another lock prefix or allow "
                   "more CPUs",
                   nslots, p->llcs, pn->vpl);
}

static int busy_error(const struct pin *pn, size_t free_llcs, struct ls_error *err)
{
    if (pn->ktstr)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "none of ktstr's %zu LLC slots for %u virtual LLCs has all its LLCs free "
                       "(--lock-prefix ktstr takes whole slots)",
                       ls_ktstr_slots(pn->c->topo, pn->p->llcs), pn->p->llcs);
    return ls_fail(err, LS_ERR_BUSY, EBUSY,
                   "no placement of %u virtual LLCs on whole LLCs nobody holds (%zu free LLCs "
                   "have the %zu CPUs each needs)",
                   pn->p->llcs, free_llcs, pn->vpl);
}

/* vCPUs onto the chosen LLCs, whole cores first (a guest core's threads land on one host
 * core's siblings), then the service CPU. used collects the vCPUs' CPUs. */
static int assign(const struct pin *pn, const unsigned *order, const int *gnode, unsigned *avail,
                  ls_cpuset *used, struct ls_plan *plan, struct ls_error *err)
{
    size_t vpl = pn->vpl, vcpus = pn->p->llcs * vpl;
    for (unsigned l = 0; l < pn->p->llcs; l++) {
        size_t n = ls_take_by_core(pn->c, order[l], not_used, used, vpl, avail);
        for (size_t k = 0; k < n; k++) {
            plan->assignments[l * vpl + k] =
                (struct ls_assignment){(unsigned)(l * vpl + k), avail[k]};
            if (ls_cpuset_add(used, avail[k]) < 0)
                return ls_oom(err, "planning");
        }
    }
    plan->nassignments = vcpus;
    plan->vcpus = vcpus;
    plan->service_cpu = plan->service_llc = -1;
    pick_service(pn, order, gnode, used, avail, plan);
    if (plan->service_cpu < 0)
        return ls_fail(err, LS_ERR_BUSY, EBUSY,
                       "performance_mode: no free allowed CPU for the service thread beside the "
                       "%zu vCPUs (every other one is held by another job)",
                       vcpus);
    return 0;
}

/* The plan's guest maps, CPU set and the -v lines. */
static int finish(const struct pin *pn, const unsigned *order, const int *gnode,
                  const ls_cpuset *used, size_t free_llcs, struct ls_plan *plan,
                  struct ls_error *err)
{
    const struct ls_perf_topo *p = pn->p;
    const struct ls_topology *topo = pn->c->topo;
    plan->guest = *p;
    plan->guest_host_node = malloc(p->nodes * sizeof(*plan->guest_host_node));
    if (!plan->guest_host_node || ls_plan_set_llcs(plan, order, p->llcs) < 0 ||
        ls_cpuset_copy(&plan->cpus, used) < 0 ||
        ls_cpuset_add(&plan->cpus, (unsigned)plan->service_cpu) < 0)
        return ls_oom(err, "planning");
    for (unsigned g = 0; g < p->nodes; g++)
        plan->guest_host_node[g] = topo->nnodes ? topo->nodes[gnode[g]].id : 0;
    ls_plan_explain(plan,
                    "perf: %u virtual LLCs of %zu vCPUs on whole LLCs nobody holds (%zu free); %s",
                    p->llcs, pn->vpl, free_llcs, pn->how);
    for (unsigned g = 0; g < p->nodes; g++)
        ls_plan_explain(plan, "perf: guest node %u -> host node %d", g, plan->guest_host_node[g]);
    ls_plan_explain(plan, "perf: service CPU %d %s", plan->service_cpu,
                    plan->service_llc < 0 ? "is a spare CPU of our own LLCs"
                                          : "is the first free CPU nearest the guest's nodes");
    return 0;
}

int ls_plan_pinning(const struct ls_plan_ctx *c, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err)
{
    const struct ls_topology *topo = c->topo;
    const struct ls_perf_topo *p = &req->perf;
    size_t vpl = (size_t)p->cores * p->threads, vcpus = p->llcs * vpl, biggest = 0;
    if (host_fits(c, p, vcpus, &biggest, err) < 0)
        return -1;
    size_t nn = topo->nnodes ? topo->nnodes : 1;
    struct pin pn = {c, p, vpl, nn, NULL, NULL, NULL, NULL, NULL, "", req->ktstr_slots, ""};
    struct view v = {0};
    _cleanup_free_ unsigned *order = NULL;
    _cleanup_free_ unsigned *avail = NULL;
    _cleanup_free_ int *gnode = NULL;
    _cleanup_cpuset_ ls_cpuset used = LS_CPUSET_INIT;
    int rc = -1;
    size_t maxllc = 1;
    for (size_t i = 0; i < topo->nllcs; i++)
        if (topo->llcs[i].ncpus > maxllc)
            maxllc = topo->llcs[i].ncpus;
    pn.share = malloc(p->nodes * sizeof(*pn.share));
    pn.ord = malloc(nn * sizeof(*pn.ord));
    pn.used = malloc(nn * sizeof(*pn.used));
    pn.chosen = malloc((nn > p->nodes ? nn : p->nodes) * sizeof(*pn.chosen));
    pn.take = malloc(nn * sizeof(*pn.take));
    order = malloc(p->llcs * sizeof(*order));
    avail = malloc(maxllc * sizeof(*avail));
    gnode = malloc(p->nodes * sizeof(*gnode));
    if (!pn.share || !pn.ord || !pn.used || !pn.chosen || !pn.take || !order || !avail || !gnode ||
        !(plan->assignments = malloc(vcpus * sizeof(*plan->assignments)))) {
        ls_oom(err, "planning");
        goto out;
    }
    for (unsigned g = 0; g < p->nodes; g++)
        pn.share[g] = p->llcs / p->nodes + (g < p->llcs % p->nodes ? 1 : 0);
    if (idle_fits(&pn, biggest, order, err) < 0)
        goto out;
    /* The LLCs nobody holds decide busy. */
    if (view_init(&pn, &v, true) < 0) {
        ls_oom(err, "planning");
        goto out;
    }
    if (!place(&pn, &v, order, gnode)) {
        busy_error(&pn, v.total, err);
        goto out;
    }
    if (assign(&pn, order, gnode, avail, &used, plan, err) < 0 ||
        finish(&pn, order, gnode, &used, v.total, plan, err) < 0)
        goto out;
    rc = 0;
out:
    view_free(&v, nn);
    free(pn.share), free(pn.ord), free(pn.used), free(pn.chosen), free(pn.take);
    return rc;
}

unsigned ls_plan_vcpu_guest_node(const struct ls_plan *plan, unsigned vcpu)
{
    const struct ls_perf_topo *p = &plan->guest;
    unsigned vpl = p->cores * p->threads;
    if (!vpl || !p->nodes)
        return 0;
    unsigned l = vcpu / vpl, base = p->llcs / p->nodes, rem = p->llcs % p->nodes;
    /* The first rem guest nodes hold base + 1 virtual LLCs each. */
    if (l < rem * (base + 1))
        return l / (base + 1);
    return base ? rem + (l - rem * (base + 1)) / base : 0;
}

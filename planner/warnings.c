/* The user-facing warnings about a plan: cross-node spill, CPUs shared with other jobs on a
 * full host, and the seed's vCPU overcommit. */
#include "plan.h"
#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add(struct ls_plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add(struct ls_plan *plan, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ls_strv_vappendf(&plan->warnings, &plan->nwarnings, fmt, ap);
    va_end(ap);
    return rc;
}

/* "[0 (node 0), 2 (node 1)]": every LLC the plan locks, the service CPU's included. */
static char *llc_list(const struct ls_topology *topo, const struct ls_plan *plan)
{
    size_t size = 2 + (plan->nlocked + 1) * 32, o = 0;
    char *buf = malloc(size);
    if (!buf)
        return NULL;
    o += (size_t)snprintf(buf + o, size - o, "[");
    int service = plan->service_llc;
    for (size_t i = 0; i < plan->nlocked || service >= 0;) {
        unsigned idx;
        if (service >= 0 && (i == plan->nlocked || plan->locked_llcs[i] > (unsigned)service)) {
            idx = (unsigned)service;
            service = -1;
        } else {
            idx = plan->locked_llcs[i++];
        }
        o += (size_t)snprintf(buf + o, size - o, "%s%u (node %d)", o > 1 ? ", " : "", idx,
                              idx < topo->nllcs ? topo->llcs[idx].node : 0);
    }
    snprintf(buf + o, size - o, "]");
    return buf;
}

/* Cross-node spill: every LLC locked and why no single node (or, for a pinned guest, no set
 * of its node count) could hold it. */
static int warn_spill(const struct ls_topology *topo, const struct ls_request *req,
                      struct ls_plan *plan)
{
    /* A pinned plan spanning no more nodes than the guest declares is what was asked for. */
    size_t nmems = ls_cpuset_count(&plan->mems);
    bool pinned = plan->mode == LS_MODE_EXCLUSIVE && req->has_perf;
    size_t guest_spread = 0; /* host nodes under the guest's LLCs (not its service CPU) */
    if (pinned) {
        ls_cpuset nodes = LS_CPUSET_INIT;
        for (size_t i = 0; i < plan->nlocked; i++)
            if (ls_cpuset_add(&nodes, (unsigned)topo->llcs[plan->locked_llcs[i]].node) < 0) {
                ls_cpuset_free(&nodes);
                return -1;
            }
        guest_spread = ls_cpuset_count(&nodes);
        ls_cpuset_free(&nodes);
    }
    if (nmems > 1 && !(pinned && guest_spread <= req->perf.nodes)) {
        char *list = llc_list(topo, plan);
        if (!list)
            return -1;
        /* Placement spills only when no single node could hold the budget (DESIGN.md), and a
         * guest only when no set of its node count holds its virtual LLCs. */
        char why[160];
        if (pinned && req->perf.nodes == 1)
            snprintf(why, sizeof(why), "no host node has the %u free LLCs the one-node guest needs",
                     req->perf.llcs);
        else if (pinned)
            snprintf(why, sizeof(why),
                     "no %u host nodes have the free LLCs the guest's %u nodes need",
                     req->perf.nodes, req->perf.nodes);
        else
            snprintf(why, sizeof(why), "no single node has %zu allowed CPUs free for this job",
                     ls_cpuset_count(&plan->cpus));
        int rc = add(plan,
                     "llcslice: reserving LLCs %s across %zu NUMA nodes (%s). Job will run; "
                     "memory-access latency may be higher.",
                     list, nmems, why);
        free(list);
        if (rc < 0)
            return -1;
    }

    return 0;
}

static int warn_overlap(struct ls_plan *plan)
{
    /* Shared mode on a full host: name the CPUs other jobs also use (the acquire adds who). */
    if (!ls_cpuset_empty(&plan->overlap)) {
        ls_cpuset ex = LS_CPUSET_INIT;
        if (ls_cpuset_copy(&ex, &plan->overlap) < 0)
            return -1;
        ls_cpuset_andnot(&ex, &plan->cpu_marks);
        char *all = ls_cpuset_format(&plan->overlap), *held = ls_cpuset_format(&ex);
        int rc = all && held
                     ? add(plan,
                           "llcslice: overcommit: the CPUs free of other jobs cannot hold %zu "
                           "CPUs, so CPUs %s are shared with other jobs%s%s%s. Job will run; it "
                           "competes with them for those CPUs.",
                           ls_cpuset_count(&plan->cpus), all, *held ? " (" : "", *held ? held : "",
                           *held ? " dedicated to another job)" : "")
                     : -1;
        free(all);
        free(held);
        ls_cpuset_free(&ex);
        if (rc < 0)
            return -1;
    }

    return 0;
}

static int warn_oversubscribed(const struct ls_request *req, struct ls_plan *plan)
{
    bool pinned = plan->mode == LS_MODE_EXCLUSIVE && req->has_perf;
    /* Exclusive --perf plans give every vCPU its own CPU; elsewhere vCPUs may outnumber CPUs. */
    size_t cpus = ls_cpuset_count(&plan->cpus);
    if (!pinned && req->vcpus && cpus < req->vcpus) {
        double over = (double)req->vcpus / (double)(cpus ? cpus : 1);
        if (req->cpus_explicit)
            return add(plan,
                       "llcslice: CPU budget %zu host CPUs < %zu vCPUs (%.1fx "
                       "oversubscription, opt-in): the host time-slices the vCPU threads, so "
                       "absolute iterations scale ~1/%.0f and guest-scheduler timing metrics "
                       "(run_delay, off-CPU, wake latency, gaps) are host-contention artifacts.",
                       cpus, req->vcpus, over, over);
        return add(plan,
                   "llcslice: WARNING: only %zu host CPUs available for %zu vCPUs (%.1fx "
                   "oversubscription) — the process cpuset is smaller than the guest, so the "
                   "auto-sized CPU budget collapsed to it. NOTHING opted into this. The host "
                   "time-slices the vCPU threads, confounding guest-scheduler measurement "
                   "(absolute work scales ~1/%.0f; timing metrics are host artifacts). Widen the "
                   "process cpuset, or shrink the guest topology.",
                   cpus, req->vcpus, over, over);
    }
    return 0;
}

int ls_plan_add_warnings(const struct ls_topology *topo, const struct ls_request *req,
                         struct ls_plan *plan)
{
    for (size_t i = 0; i < plan->nwarnings; i++)
        free(plan->warnings[i]);
    plan->nwarnings = 0;
    if (warn_spill(topo, req, plan) < 0 || warn_overlap(plan) < 0)
        return -1;
    return warn_oversubscribed(req, plan);
}

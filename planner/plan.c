/* PLAN entry point (mode dispatch over one snapshot) and the plan object's lifecycle. */
#include "plan.h"
#include "placement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

static void plan_reset(struct ls_plan *plan, enum ls_mode mode)
{
    memset(plan, 0, sizeof(*plan));
    plan->mode = mode;
    plan->service_cpu = -1;
    plan->service_llc = -1;
}

int ls_plan_compute(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_snapshot *snap, const struct ls_request *req,
                    struct ls_plan *plan, struct ls_error *err)
{
    return ls_plan_compute_budget(topo, allowed, snap, req, NULL, plan, err);
}

/* The mode's planner over one snapshot; on error the caller drops what it left in plan. */
static int compute(const struct ls_topology *topo, const ls_cpuset *allowed,
                   const struct ls_snapshot *snap, const struct ls_request *req,
                   const struct ls_budget *b, struct ls_plan *plan, struct ls_error *err)
{
    _cleanup_snapshot_ struct ls_snapshot empty = {0};
    if (!snap) {
        /* Nobody holds anything: what the host could give if it were idle. */
        if (ls_snapshot_idle(topo, &empty, err) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
        snap = &empty;
    } else if (snap->nllcs != topo->nllcs) {
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL,
                       "snapshot covers %zu LLCs but the topology has %zu", snap->nllcs,
                       topo->nllcs);
    }
    _cleanup_ctx_ struct ls_plan_ctx c = {0};
    if (ls_ctx_init(&c, topo, allowed, snap, err) < 0)
        return -1;
    if (c.nallowed == 0) {
        _cleanup_free_ char *a = ls_cpuset_format(allowed);
        _cleanup_free_ char *o = ls_cpuset_format(&topo->online);
        return ls_fail(err, LS_ERR_UNSAT, ENOENT,
                       "none of the allowed CPUs (%s) is online on this host (online: %s)",
                       a && *a ? a : "none", o && *o ? o : "none");
    }
    /* The resolved budget counted the same CPUs (a validated topology puts every online CPU in
     * an LLC); recount only when it did not. */
    if (b && b->target && b->allowed == c.nallowed)
        plan->target_cpus = b->target;
    else if (ls_request_target(req, c.nallowed, &plan->target_cpus, err) < 0)
        return -1;
    plan->vcpus = req->vcpus;
    c.full_cores = req->smt == LS_SMT_FULL_CORES;
    if (c.full_cores && !(req->mode == LS_MODE_EXCLUSIVE && req->has_perf) &&
        plan->target_cpus % topo->max_threads)
        return ls_fail(err, LS_ERR_UNSAT, EINVAL,
                       "--smt full-cores: %zu CPUs is not a whole number of this host's %u-thread "
                       "cores; ask for a multiple of %u",
                       plan->target_cpus, topo->max_threads, topo->max_threads);
    int rc = -1;
    switch (req->mode) {
    case LS_MODE_SHARED:
        rc = ls_plan_shared(&c, plan->target_cpus, plan, err);
        break;
    case LS_MODE_DEDICATED:
        rc = ls_plan_dedicated(&c, plan->target_cpus, plan, err);
        break;
    case LS_MODE_EXCLUSIVE:
        rc = req->has_perf ? ls_plan_pinning(&c, req, plan, err)
                           : ls_plan_exclusive_llcs(&c, plan->target_cpus, plan, err);
        break;
    default:
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "unknown reservation mode %d", (int)req->mode);
    }
    if (rc < 0)
        return -1;
    if (ls_plan_set_mems(topo, plan) < 0 || ls_plan_add_warnings(topo, req, plan) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    for (size_t p = 0; p < topo->nnodes; p++)
        if (topo->nodes[p].memoryless &&
            ls_cpuset_has(&plan->mems, (unsigned)topo->nodes[p].mem_node) &&
            ls_cpuset_intersects(&plan->cpus, &topo->nodes[p].cpus))
            ls_plan_explain(plan,
                            "mems: node %d has no memory (or the cgroup parent grants none); "
                            "its CPUs use node %d's, the nearest with memory",
                            topo->nodes[p].id, topo->nodes[p].mem_node);
    if (topo->max_threads > 1 && req->mode != LS_MODE_EXCLUSIVE)
        ls_plan_explain(plan, "SMT: %u threads per core; CPUs taken as whole cores first%s",
                        topo->max_threads, c.full_cores ? " and only (--smt full-cores)" : "");
    return 0;
}

int ls_plan_compute_budget(const struct ls_topology *topo, const ls_cpuset *allowed,
                           const struct ls_snapshot *snap, const struct ls_request *req,
                           const struct ls_budget *b, struct ls_plan *plan, struct ls_error *err)
{
    plan_reset(plan, req->mode);
    if (compute(topo, allowed, snap, req, b, plan, err) < 0) {
        enum ls_mode mode = plan->mode;
        ls_plan_free(plan);
        plan_reset(plan, mode);
        return -1;
    }
    return 0;
}

void ls_plan_release(struct ls_plan *plan)
{
    for (size_t i = 0; i < plan->nfds; i++)
        ls_lock_release(plan->fds[i]);
    free(plan->fds);
    plan->fds = NULL;
    plan->nfds = 0;
}

void ls_plan_close_spare(struct ls_plan *plan)
{
    for (size_t i = 0; i < plan->nspare; i++)
        close(plan->spare_fds[i]);
    free(plan->spare_fds);
    plan->spare_fds = NULL;
    plan->nspare = 0;
}

void ls_plan_forget(struct ls_plan *plan)
{
    for (size_t i = 0; i < plan->nfds; i++)
        if (plan->fds[i] >= 0)
            close(plan->fds[i]);
    free(plan->fds);
    plan->fds = NULL;
    plan->nfds = 0;
}

void ls_plan_free(struct ls_plan *plan)
{
    ls_plan_release(plan);
    ls_plan_close_spare(plan);
    free(plan->locked_llcs);
    ls_cpuset_free(&plan->cpus);
    ls_cpuset_free(&plan->mems);
    ls_cpuset_free(&plan->cpu_marks);
    ls_cpuset_free(&plan->overlap);
    free(plan->assignments);
    free(plan->guest_host_node);
    for (size_t i = 0; i < plan->nwarnings; i++)
        free(plan->warnings[i]);
    free(plan->warnings);
    for (size_t i = 0; i < plan->nexplain; i++)
        free(plan->explain[i]);
    free(plan->explain);
    plan_reset(plan, plan->mode);
}

/* PLAN entry point (mode dispatch over one snapshot) and the plan object's lifecycle. */
#include "plan_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    plan_reset(plan, req->mode);
    struct ls_snapshot empty = {0};
    if (!snap) {
        /* Nobody holds anything: what the host could give if it were idle. */
        empty.nllcs = topo->nllcs;
        empty.llc_shared = calloc(topo->nllcs ? topo->nllcs : 1, sizeof(unsigned));
        empty.llc_exclusive = calloc(topo->nllcs ? topo->nllcs : 1, sizeof(unsigned));
        if (!empty.llc_shared || !empty.llc_exclusive) {
            ls_snapshot_free(&empty);
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
        }
        snap = &empty;
    } else if (snap->nllcs != topo->nllcs) {
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL,
                       "snapshot covers %zu LLCs but the topology has %zu", snap->nllcs,
                       topo->nllcs);
    }
    struct ls_plan_ctx c;
    int rc = ls_ctx_init(&c, topo, allowed, snap, err);
    if (rc < 0)
        goto out_snap;
    rc = -1;
    if (c.nallowed == 0) {
        char *a = ls_cpuset_format(allowed), *o = ls_cpuset_format(&topo->online);
        ls_fail(err, LS_ERR_UNSAT, ENOENT,
                "none of the allowed CPUs (%s) is online on this host (online: %s)",
                a && *a ? a : "none", o && *o ? o : "none");
        free(a);
        free(o);
        goto out;
    }
    if (ls_request_target(req, c.nallowed, &plan->target_cpus, err) < 0)
        goto out;
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
        ls_fail(err, LS_ERR_USAGE, EINVAL, "unknown reservation mode %d", (int)req->mode);
    }
    if (rc == 0 && (ls_plan_set_mems(topo, plan) < 0 || ls_plan_add_warnings(topo, req, plan) < 0))
        rc = ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
out:
    ls_ctx_free(&c);
out_snap:
    if (snap == &empty)
        ls_snapshot_free(&empty);
    if (rc < 0) {
        enum ls_mode mode = plan->mode;
        ls_plan_free(plan);
        plan_reset(plan, mode);
    }
    return rc;
}

static int cmp_step(const void *a, const void *b)
{
    const struct ls_lock_step *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind == LS_LOCK_LLC ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int ls_plan_lock_steps(const struct ls_plan *plan, struct ls_lock_step **steps, size_t *n)
{
    size_t ncpu = plan->mode == LS_MODE_DEDICATED ? ls_cpuset_count(&plan->cpus) : 0;
    size_t cap = plan->nlocked + ncpu + 2, k = 0;
    struct ls_lock_step *s = malloc(cap * sizeof(*s));
    if (!s)
        return -1;
    enum ls_lock_mode llc_mode =
        plan->mode == LS_MODE_EXCLUSIVE ? LS_LOCK_EXCLUSIVE : LS_LOCK_SHARED;
    for (size_t i = 0; i < plan->nlocked; i++)
        s[k++] = (struct ls_lock_step){LS_LOCK_LLC, plan->locked_llcs[i], llc_mode};
    if (plan->service_llc >= 0)
        s[k++] = (struct ls_lock_step){LS_LOCK_LLC, (unsigned)plan->service_llc, LS_LOCK_SHARED};
    if (plan->mode == LS_MODE_DEDICATED) {
        LS_CPUSET_FOREACH(cpu, &plan->cpus)
        s[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)cpu, LS_LOCK_EXCLUSIVE};
    }
    if (plan->service_cpu >= 0)
        s[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)plan->service_cpu, LS_LOCK_EXCLUSIVE};
    qsort(s, k, sizeof(*s), cmp_step);
    *steps = s;
    *n = k;
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
    free(plan->locked_llcs);
    ls_cpuset_free(&plan->cpus);
    ls_cpuset_free(&plan->mems);
    free(plan->assignments);
    for (size_t i = 0; i < plan->nwarnings; i++)
        free(plan->warnings[i]);
    free(plan->warnings);
    plan_reset(plan, plan->mode);
}

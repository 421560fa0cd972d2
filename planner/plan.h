/* PLAN: the CPUs/LLCs chosen for a request (struct ls_plan), how they are computed, and the
 * release of their locks. The request is request.h, DISCOVER holders.h (into snapshot.h's
 * value), the locks a plan takes locksteps.h (below both plan.c and snapshot.c), ACQUIRE
 * acquire.h. */
#ifndef LLCSLICE_PLAN_H
#define LLCSLICE_PLAN_H

#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "lockfile.h"
#include "locksteps.h"
#include "plan_types.h"
#include "request.h"
#include "snapshot.h"
#include "topology.h"

/* PLAN (pure): choose LLCs/CPUs for req given who holds what (snap NULL: nobody). No I/O.
 * Errors: LS_ERR_USAGE budget above allowed, LS_ERR_UNSAT never fits this host, LS_ERR_BUSY
 * fits but not with the current holders. */
int ls_plan_compute(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_snapshot *snap, const struct ls_request *req,
                    struct ls_plan *plan, struct ls_error *err);
/* The same with req's budget already resolved against topo and allowed (ls_budget_resolve);
 * b NULL or unresolved: resolved here. The acquire loops plan through this. */
int ls_plan_compute_budget(const struct ls_topology *topo, const ls_cpuset *allowed,
                           const struct ls_snapshot *snap, const struct ls_request *req,
                           const struct ls_budget *b, struct ls_plan *plan, struct ls_error *err);

/* Warnings: cross-node spill (only when no node could hold the budget), CPUs shared with
 * other jobs (shared mode, full host), overcommit (vCPUs > CPUs). Replaces the plan's
 * warnings; ls_plan_compute (and so every acquire) already calls it. */
int ls_plan_add_warnings(const struct ls_topology *topo, const struct ls_request *req,
                         struct ls_plan *plan);

/* The guest NUMA node of a vCPU of an exclusive --perf plan: virtual LLC l = vcpu / (cores x
 * threads) belongs to guest node g when l falls in g's share (the first llcs % nodes guest
 * nodes hold one virtual LLC more, as the seed's numa_aware_llc_order). */
unsigned ls_plan_vcpu_guest_node(const struct ls_plan *plan, unsigned vcpu);

void ls_plan_release(struct ls_plan *plan); /* LOCK_UN + close each fd: locks released */
/* Close plan->spare_fds (ls_plan_free does too). */
void ls_plan_close_spare(struct ls_plan *plan);
/* Close the fds without unlocking: another holder of the same open files (the lock keeper,
 * supervisor/keeper.h) keeps the locks and releases them itself. */
void ls_plan_forget(struct ls_plan *plan);
void ls_plan_free(struct ls_plan *plan); /* releases and frees */

#endif

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
#include "request.h"
#include "snapshot.h"
#include "topology.h"

struct ls_assignment {
    unsigned vcpu, host_cpu;
};

struct ls_plan {
    enum ls_mode mode;
    size_t target_cpus;
    size_t vcpus; /* the job's vCPU count (--perf, or declared): LLCSLICE_VCPUS; 0 = none */
    unsigned *locked_llcs; /* ascending = acquire order */
    size_t nlocked;
    ls_cpuset cpus;
    ls_cpuset mems;
    struct ls_assignment *assignments; /* exclusive mode */
    size_t nassignments;
    struct ls_perf_topo guest; /* exclusive --perf: the guest topology, else all 0 */
    int *guest_host_node;      /* [guest.nodes] host node id of each guest node's LLCs */
    int service_cpu;           /* exclusive mode, else -1 */
    int service_llc;     /* exclusive mode: the service CPU's LLC when it is not one of locked_llcs
                          * (then held LOCK_SH so no exclusive peer takes it), else -1 */
    ls_cpuset cpu_marks; /* shared mode: CPUs marked LOCK_SH (cpus minus others' LOCK_EX ones) */
    ls_cpuset overlap;   /* shared mode: CPUs of cpus other jobs also use (full host) */
    char **warnings;
    size_t nwarnings;
    char **explain; /* which rule chose what, one line each (plan -v) */
    size_t nexplain;
    int *fds; /* held lock fds, released by ls_plan_release */
    size_t nfds;
};

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
/* Close the fds without unlocking: another holder of the same open files (the lock keeper,
 * supervisor/keeper.h) keeps the locks and releases them itself. */
void ls_plan_forget(struct ls_plan *plan);
void ls_plan_free(struct ls_plan *plan); /* releases and frees */

#endif

/* Placement primitives (placement.c) private to the planner's PLAN files: the per-call view
 * of topology x allowed x snapshot (ls_plan_ctx), the node-by-distance greedy walk every mode
 * shares, and the mode planners plan.c dispatches to. */
#ifndef LLCSLICE_PLACEMENT_H
#define LLCSLICE_PLACEMENT_H

#include <stdbool.h>

#include "plan_types.h"
#include "request.h"
#include "snapshot.h"
#include "topology.h"

struct ls_plan_ctx {
    const struct ls_topology *topo;
    const struct ls_snapshot *snap;
    ls_cpuset allowed; /* allowed ∩ online */
    size_t nallowed;
    size_t *llc_allowed;    /* [nllcs] allowed CPUs per LLC */
    size_t *llc_cpu_held;   /* [nllcs] allowed CPUs with an exclusive per-CPU lock held */
    size_t *llc_cpu_marked; /* [nllcs] allowed CPUs only shared jobs mark (LOCK_SH) */
    int *llc_node_pos;      /* [nllcs] position of the LLC's node in topo->nodes */
    bool full_cores;        /* --smt full-cores: whole cores only */
    unsigned *scratch;      /* [largest LLC] for ls_take_into */
};

int ls_ctx_init(struct ls_plan_ctx *c, const struct ls_topology *topo, const ls_cpuset *allowed,
                const struct ls_snapshot *snap, struct ls_error *err);
void ls_ctx_free(struct ls_plan_ctx *c);
/* A context freed when it goes out of scope; start it zeroed. */
#define _cleanup_ctx_ __attribute__((cleanup(ls_ctx_free)))

static inline unsigned ls_ctx_holders(const struct ls_plan_ctx *c, unsigned llc)
{
    return c->snap->llc_shared[llc] + c->snap->llc_exclusive[llc];
}

/* Shared-mode marks on a CPU (LOCK_SH holders of its lockfile). */
static inline unsigned ls_ctx_cpu_marks(const struct ls_plan_ctx *c, unsigned cpu)
{
    return c->snap->cpu_shared && cpu < c->snap->ncpus ? c->snap->cpu_shared[cpu] : 0;
}

/* No other job uses the CPU: no exclusive per-CPU lock and no shared mark. */
static inline bool ls_ctx_cpu_free(const struct ls_plan_ctx *c, unsigned cpu)
{
    return !ls_cpuset_has(&c->snap->cpu_held, cpu) && !ls_ctx_cpu_marks(c, cpu);
}

/* Allowed CPUs of an LLC that no other job uses. */
static inline size_t ls_ctx_llc_free(const struct ls_plan_ctx *c, unsigned llc)
{
    return c->llc_allowed[llc] - c->llc_cpu_held[llc] - c->llc_cpu_marked[llc];
}

/* Whether a CPU may be taken (besides being allowed), for the core-aware take. */
typedef bool (*ls_cpu_ok_fn)(const struct ls_plan_ctx *c, unsigned cpu, const void *arg);
bool ls_cpu_ok_free(const struct ls_plan_ctx *c, unsigned cpu, const void *arg); /* no user */
bool ls_cpu_ok_any(const struct ls_plan_ctx *c, unsigned cpu, const void *arg);

/* Up to `need` allowed CPUs of an LLC passing ok, as whole cores (every online sibling allowed
 * and ok; cores by lowest CPU) before any core is split; with c->full_cores only whole cores
 * that fit in what is still needed, else then the CPUs of cores others already use. Writes
 * them in take order to out (room for the LLC's CPUs); returns how many. */
size_t ls_take_by_core(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok, const void *arg,
                       size_t need, unsigned *out);
/* ls_take_by_core into a set: adds up to `need` CPUs of the LLC to *into and returns how many,
 * -1 on ENOMEM. */
long ls_take_into(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok, const void *arg,
                  size_t need, ls_cpuset *into);
/* The LLC's allowed CPUs passing ok that lie in whole cores (a --smt full-cores weight). */
size_t ls_whole_core_cpus(const struct ls_plan_ctx *c, unsigned llc, ls_cpu_ok_fn ok,
                          const void *arg);

/* Node positions sorted by distance from anchor_pos: unreachable (255) last, ties by node id;
 * nodes without LLCs skipped. `order` has room for topo->nnodes; returns the count. */
size_t ls_nodes_by_distance(const struct ls_topology *topo, int anchor_pos, int *order);

/* Greedy fill: walk nodes by distance from seed_pos; within a node take `ranked` LLCs in their
 * given order until the weights (indexed by LLC) reach target. Writes the picks in pick order
 * to `picked` (room for nranked) and returns how many. Linear in nranked + nnodes. */
int ls_walk_by_distance(const struct ls_plan_ctx *c, const unsigned *ranked, size_t nranked,
                        const size_t *weight, int seed_pos, size_t target, unsigned *picked,
                        size_t *npicked);

/* Where a walk starts so that a budget one node can hold stays on one node: ranked[0]'s node
 * when its ranked LLCs alone reach target, else the nearest node to it (distance, then id)
 * whose do, else ranked[0]'s (no node can: the walk spills by distance). *fits says which. */
int ls_seed_node_that_fits(const struct ls_plan_ctx *c, const unsigned *ranked, size_t nranked,
                           const size_t *weight, size_t target, bool *fits);

/* Append a line to plan->explain (plan -v): which rule chose what. Out of memory drops it. */
void ls_plan_explain(struct ls_plan *plan, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Explain the node a walk started from (ls_seed_node_that_fits's choice). */
void ls_explain_seed(const struct ls_plan_ctx *c, struct ls_plan *plan, const char *what,
                     int first_pos, int seed_pos, bool fits, size_t target);

/* plan->locked_llcs = picks sorted ascending. */
int ls_plan_set_llcs(struct ls_plan *plan, const unsigned *picks, size_t n);
/* plan->cpus = allowed CPUs of locked_llcs, LLCs ascending, whole cores first within each
 * (ls_take_by_core), first `target` only. */
int ls_plan_take_ascending(const struct ls_plan_ctx *c, struct ls_plan *plan, size_t target);
/* plan->mems = home nodes of plan->cpus. */
int ls_plan_set_mems(const struct ls_topology *topo, struct ls_plan *plan);

int ls_plan_shared(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                   struct ls_error *err);
int ls_plan_dedicated(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                      struct ls_error *err);
int ls_plan_exclusive_llcs(const struct ls_plan_ctx *c, size_t target, struct ls_plan *plan,
                           struct ls_error *err);
int ls_plan_pinning(const struct ls_plan_ctx *c, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err);

#endif

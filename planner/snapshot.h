/* Who holds which LLC/CPU lock, as counts PLAN reads. DISCOVER fills one from /proc/locks
 * (holders.h); the functions here build one without it (an idle host, plans counted as
 * held), copy and free it. */
#ifndef LLCSLICE_SNAPSHOT_H
#define LLCSLICE_SNAPSHOT_H

#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "topology.h"

struct ls_plan; /* plan.h */

/* What every lockfile looks like right now (one /proc/locks pass). */
struct ls_snapshot {
    size_t nllcs;
    unsigned *llc_shared;    /* [nllcs] shared holders per LLC */
    unsigned *llc_exclusive; /* [nllcs] exclusive holders per LLC */
    ls_cpuset cpu_held;      /* CPUs with an exclusive per-CPU lock held */
    /* [ncpus] LOCK_SH holders per CPU lockfile: shared-mode jobs marking the CPUs they run on.
     * NULL (ncpus 0) = nobody marks a CPU. */
    unsigned *cpu_shared;
    size_t ncpus;
    /* CPUs held now by jobs that come and go, which a waiter's reservation looks past
     * (wait.c): free to plan on, but a dedicated plan takes the others first. */
    ls_cpuset cpu_soft;
};

/* A snapshot of an idle host (nobody holds anything), and a plan's locks counted as held in
 * one: what fits beside that plan, without taking a lock. */
int ls_snapshot_idle(const struct ls_topology *topo, struct ls_snapshot *snap,
                     struct ls_error *err);
int ls_snapshot_hold(struct ls_snapshot *snap, const struct ls_plan *plan, struct ls_error *err);
/* A deep copy; -1 on ENOMEM (dst then empty). */
int ls_snapshot_copy(struct ls_snapshot *dst, const struct ls_snapshot *src);
void ls_snapshot_free(struct ls_snapshot *snap);

#endif

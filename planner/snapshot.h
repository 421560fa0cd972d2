/* Who holds which LLC/CPU lock, as counts PLAN reads: taken from /proc/locks (DISCOVER), or
 * built without it (an idle host, plans counted as held). */
#ifndef LLCSLICE_SNAPSHOT_H
#define LLCSLICE_SNAPSHOT_H

#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "lockfile.h"
#include "plan.h"
#include "topology.h"

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
};

/* DISCOVER: snapshot holders of every LLC/CPU lockfile overlapping `allowed`. */
int ls_snapshot_take(const struct ls_topology *topo, const ls_cpuset *allowed,
                     const struct ls_lockdir *ld, const struct ls_locktable *t,
                     struct ls_snapshot *snap, struct ls_error *err);
void ls_snapshot_free(struct ls_snapshot *snap);
/* A snapshot of an idle host (nobody holds anything), and a plan's locks counted as held in
 * one: what fits beside that plan, without taking a lock. */
int ls_snapshot_idle(const struct ls_topology *topo, struct ls_snapshot *snap,
                     struct ls_error *err);
int ls_snapshot_hold(struct ls_snapshot *snap, const struct ls_plan *plan, struct ls_error *err);
/* A deep copy; -1 on ENOMEM (dst then empty). */
int ls_snapshot_copy(struct ls_snapshot *dst, const struct ls_snapshot *src);

/* "LLC 2: pid 123 (make) shared; CPU 5: pid 77 (cc) exclusive" for every lockfile of the
 * topology overlapping `allowed` (fresh /proc/locks read); "" when nobody holds one. */
int ls_describe_holders(const struct ls_topology *topo, const ls_cpuset *allowed,
                        const struct ls_lockdir *ld, char **out, struct ls_error *err);

/* Holders in table t that block `steps` (a shared step, LLC or CPU mark, is blocked by
 * exclusive holders only), same format; "" when none. */
int ls_describe_conflicts(const struct ls_lockdir *ld, const struct ls_locktable *t,
                          const struct ls_lock_step *steps, size_t nsteps, char **out,
                          struct ls_error *err);

#endif

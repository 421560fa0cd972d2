/* DISCOVER: who holds the LLC/CPU lockfiles, read from /proc/locks (one ls_locktable), as a
 * snapshot for PLAN or as text for busy errors and wait reports. */
#ifndef LLCSLICE_HOLDERS_H
#define LLCSLICE_HOLDERS_H

#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "lockfile.h"
#include "locksteps.h"
#include "snapshot.h"
#include "topology.h"

/* DISCOVER: snapshot holders of every LLC/CPU lockfile overlapping `allowed`. */
int ls_snapshot_take(const struct ls_topology *topo, const ls_cpuset *allowed,
                     const struct ls_lockdir *ld, const struct ls_locktable *t,
                     struct ls_snapshot *snap, struct ls_error *err);

/* "LLC 2: pid 123 (make) shared; CPU 5: pid 77 (cc) exclusive" for every lockfile of the
 * topology overlapping `allowed` (fresh /proc/locks read); "" when nobody holds one. */
int ls_describe_holders(const struct ls_topology *topo, const ls_cpuset *allowed,
                        const struct ls_lockdir *ld, char **out, struct ls_error *err);

/* Holders in table t that block `steps` (a shared step, LLC or CPU mark, is blocked by
 * exclusive holders only), same format; "" when none. Without names, "pid 123 () shared":
 * the pids alone, without reading /proc for each holder. */
int ls_describe_conflicts(const struct ls_lockdir *ld, const struct ls_locktable *t,
                          const struct ls_lock_step *steps, size_t nsteps, bool names, char **out,
                          struct ls_error *err);

#endif

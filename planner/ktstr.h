/* ktstr lockfile interop: whether llcslice's LLC numbering is ktstr's on this host. */
#ifndef LLCSLICE_KTSTR_H
#define LLCSLICE_KTSTR_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "sysfs.h"
#include "topology.h"

/* With prefix "ktstr": 0 when every llcslice LLC index N is the LLC ktstr calls N (ktstr ranks
 * LLCs by the cache `id` of each CPU's highest-level cache index, fallback the lowest CPU of
 * its shared_cpu_list; assumes ktstr sees every online CPU), else LS_ERR_USAGE saying where
 * they differ. Any other prefix: 0 without reading anything. */
int ls_ktstr_check(const struct ls_root *root, const struct ls_topology *topo, const char *prefix,
                   struct ls_error *err);

/* Whether a lock prefix is ktstr's: performance mode then takes ktstr's LLC slots. */
bool ls_ktstr_prefix(const char *prefix);

/* ktstr's performance-mode slots for a guest of `llcs` virtual LLCs: slot k covers the LLCs
 * ktstr's compute_pinning picks at offset k x llcs (src/vmm/mod.rs acquire_slot_with_locks,
 * numa_aware_llc_order), for k < ls_ktstr_slots (host LLCs / llcs, at least 1). A reservation
 * that is one whole slot never straddles two of a ktstr VM of the same shape. Pure. */
size_t ls_ktstr_slots(const struct ls_topology *topo, unsigned llcs);
/* Slot `slot`'s LLC indices in virtual-LLC order (guest node 0's first), into out[llcs]. */
void ls_ktstr_slot_llcs(const struct ls_topology *topo, unsigned nodes, unsigned llcs, size_t slot,
                        unsigned *out);

#endif

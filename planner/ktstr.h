/* ktstr lockfile interop: whether llcslice's LLC numbering is ktstr's on this host. */
#ifndef LLCSLICE_KTSTR_H
#define LLCSLICE_KTSTR_H

#include "error.h"
#include "sysfs.h"
#include "topology.h"

/* With prefix "ktstr": 0 when every llcslice LLC index N is the LLC ktstr calls N (ktstr ranks
 * LLCs by the cache `id` of each CPU's highest-level cache index, fallback the lowest CPU of
 * its shared_cpu_list; assumes ktstr sees every online CPU), else LS_ERR_USAGE saying where
 * they differ. Any other prefix: 0 without reading anything. */
int ls_ktstr_check(const struct ls_root *root, const struct ls_topology *topo, const char *prefix,
                   struct ls_error *err);

#endif

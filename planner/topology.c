/* Placeholder until discovery lands. */
#include "topology.h"

#include <errno.h>
#include <string.h>

int ls_topology_discover(const struct ls_root *root, struct ls_topology *topo, struct ls_error *err)
{
    (void)root;
    memset(topo, 0, sizeof(*topo));
    return ls_fail(err, LS_ERR_SYSTEM, ENOSYS, "topology discovery not implemented");
}

void ls_topology_free(struct ls_topology *topo)
{
    (void)topo;
}

int ls_allowed_cpus(const struct ls_root *root, const struct ls_topology *topo,
                    const char *override, const char *override_what, ls_cpuset *out,
                    struct ls_error *err)
{
    (void)root, (void)topo, (void)override, (void)override_what, (void)out;
    return ls_fail(err, LS_ERR_SYSTEM, ENOSYS, "not implemented");
}

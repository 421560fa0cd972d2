/* The allowed set inside the job's cgroup parent: run, plan and slots plan on what the parent's
 * cpuset grants (cgroup/grant.c reads it), so a plan never picks a CPU or node the job's group
 * would refuse. */
#include "grant.h"

#include <errno.h>
#include <stdlib.h>

#include "cgroup/cgroup.h"
#include "planner/cleanup.h"

int ls_host_apply_grant(struct ls_host *host, const char *parent, struct ls_error *err)
{
    if (!ls_root_is_host(&host->root))
        return 0; /* a simulated host's CPUs are not this machine's: no cgroup applies */
    ls_cpuset cpus = LS_CPUSET_INIT, mems = LS_CPUSET_INIT;
    char where[8192];
    int r = ls_cgroup_parent_grant(parent, &cpus, &mems, where, sizeof(where), err);
    if (r <= 0)
        goto out;
    r = 0;
    if (!ls_cpuset_intersects(&host->allowed, &cpus)) {
        _cleanup_free_ char *g = ls_cpuset_format(&cpus), *a = ls_cpuset_format(&host->allowed);
        r = ls_fail(err, parent ? LS_ERR_USAGE : LS_ERR_UNSAT, ERANGE,
                    "the cgroup parent %s grants CPUs %s, none of which this process may use "
                    "(allowed: %s)%s",
                    where, g && *g ? g : "none", a && *a ? a : "none",
                    parent ? "; choose another --cgroup-parent or widen its cpuset.cpus" : "");
        goto out;
    }
    ls_cpuset_and(&host->allowed, &cpus);
    /* Nodes the parent does not grant are, for this job, nodes without memory: their CPUs
     * borrow the nearest granted node's (the planner's mems rule). */
    bool any = false;
    for (size_t p = 0; p < host->topo.nnodes; p++)
        any |= !host->topo.nodes[p].memoryless &&
               ls_cpuset_has(&mems, (unsigned)host->topo.nodes[p].id);
    if (any) {
        for (size_t p = 0; p < host->topo.nnodes; p++)
            if (!ls_cpuset_has(&mems, (unsigned)host->topo.nodes[p].id))
                host->topo.nodes[p].memoryless = true;
        ls_topology_fill_mem_nodes(&host->topo);
    }
out:
    ls_cpuset_free(&cpus);
    ls_cpuset_free(&mems);
    return r;
}

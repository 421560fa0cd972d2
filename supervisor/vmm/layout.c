#include "layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ls_vm_layout_shape(struct ls_vm_layout *l, const struct ls_perf_topo *perf)
{
    memset(l, 0, sizeof(*l));
    l->service_cpu = -1;
    l->perf = *perf;
    l->nvcpus = perf->llcs * perf->cores * perf->threads;
    /* One die per virtual LLC (qemu's x86 L3 is per die); with whole LLCs per guest node,
     * one socket per node so the guest's sockets and nodes agree. */
    l->sockets = perf->nodes > 1 && perf->llcs % perf->nodes == 0 ? perf->nodes : 1;
    l->dies = perf->llcs / l->sockets;
}

int ls_vm_layout_build(struct ls_vm_layout *l, const struct ls_perf_topo *perf,
                       const struct ls_plan *plan, const struct ls_topology *topo,
                       struct ls_error *err)
{
    ls_vm_layout_shape(l, perf);
    unsigned vpl = perf->cores * perf->threads;
    if (plan->mode != LS_MODE_EXCLUSIVE || plan->nassignments != (size_t)perf->llcs * vpl)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "a VM layout needs a performance-mode plan (--perf LxCxT in exclusive "
                       "mode)");
    l->vcpu_host = calloc(l->nvcpus, sizeof(*l->vcpu_host));
    if (!l->vcpu_host)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; i < plan->nassignments; i++) {
        unsigned v = plan->assignments[i].vcpu;
        if (v >= l->nvcpus) {
            ls_vm_layout_free(l);
            return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "plan assigns vCPU %u of %u", v, l->nvcpus);
        }
        l->vcpu_host[v] = plan->assignments[i].host_cpu;
    }
    l->service_cpu = plan->service_cpu;
    if (perf->nodes <= 1)
        return 0;
    l->nnodes = perf->nodes;
    l->nodes = calloc(l->nnodes, sizeof(*l->nodes));
    if (!l->nodes) {
        ls_vm_layout_free(l);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    }
    unsigned base = perf->llcs / perf->nodes, rem = perf->llcs % perf->nodes, first = 0;
    for (unsigned g = 0; g < l->nnodes; g++) {
        unsigned nllc = base + (g < rem ? 1 : 0);
        unsigned cpu = l->vcpu_host[first];
        int llc = topo && cpu <= topo->max_cpu ? topo->cpu_llc[cpu] : -1;
        l->nodes[g] = (struct ls_vm_node){first, nllc * vpl, llc >= 0 ? topo->llcs[llc].node : 0};
        first += nllc * vpl;
    }
    l->dist = calloc((size_t)l->nnodes * l->nnodes, sizeof(*l->dist));
    if (!l->dist) {
        ls_vm_layout_free(l);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    }
    for (unsigned a = 0; a < l->nnodes; a++)
        for (unsigned b = 0; b < l->nnodes; b++)
            l->dist[a * l->nnodes + b] =
                a == b ? 10
                : topo ? ls_topology_distance(topo, l->nodes[a].host_node, l->nodes[b].host_node)
                       : 20;
    return 0;
}

void ls_vm_layout_free(struct ls_vm_layout *l)
{
    free(l->vcpu_host);
    free(l->nodes);
    free(l->dist);
    l->vcpu_host = NULL;
    l->nodes = NULL;
    l->dist = NULL;
}

uint64_t ls_vm_node_mem_mib(const struct ls_vm_layout *l, uint64_t total_mib, unsigned node)
{
    if (!l->nnodes)
        return total_mib;
    return total_mib / l->nnodes + (node < total_mib % l->nnodes ? 1 : 0);
}

int ls_vm_mem_check(const struct ls_vm_layout *l, uint64_t total_mib, struct ls_error *err)
{
    if (total_mib >= l->nnodes)
        return 0;
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "guest memory %lluM leaves some of the %u guest NUMA nodes without memory; "
                   "give at least %uM (--vm-memory, or qemu's -m)",
                   (unsigned long long)total_mib, l->nnodes, l->nnodes);
}

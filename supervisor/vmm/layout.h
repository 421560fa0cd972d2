/* The guest a performance-mode plan fixes, in the terms a VMM takes: vCPU count and its
 * sockets/dies/cores/threads grouping (one die per virtual LLC), each vCPU's host CPU, the
 * service CPU, and with nodes=N (N > 1) each guest NUMA node's vCPUs and host node. */
#ifndef LLCSLICE_VMM_LAYOUT_H
#define LLCSLICE_VMM_LAYOUT_H

#include <stdint.h>

#include "planner/error.h"
#include "planner/plan.h"
#include "planner/topology.h"

struct ls_vm_node {
    unsigned first_vcpu, nvcpus; /* consecutive vCPUs */
    int host_node;               /* the node of its host LLCs */
};

struct ls_vm_layout {
    struct ls_perf_topo perf;
    unsigned sockets, dies; /* -smp grouping: sockets x dies = perf.llcs */
    unsigned nvcpus;
    unsigned *vcpu_host;      /* [nvcpus] planned host CPU of each vCPU */
    int service_cpu;          /* -1 when the plan has none */
    struct ls_vm_node *nodes; /* [nnodes] when perf.nodes > 1, else NULL */
    unsigned nnodes;
    unsigned *dist; /* [nnodes x nnodes] host distances between the guest nodes' host nodes */
};

/* From an exclusive-mode plan of request `perf` on `topo`. Guest node g holds the seed's
 * share of virtual LLCs (pinning.c's llc_order: the first llcs % nodes nodes take one
 * more) and lives on the node of its first vCPU's host LLC. Errors: LS_ERR_USAGE when the
 * plan is not an exclusive --perf plan. */
int ls_vm_layout_build(struct ls_vm_layout *l, const struct ls_perf_topo *perf,
                       const struct ls_plan *plan, const struct ls_topology *topo,
                       struct ls_error *err);
/* Only the shape (perf, sockets, dies, nvcpus): enough for ls_qemu_smp, nothing allocated. */
void ls_vm_layout_shape(struct ls_vm_layout *l, const struct ls_perf_topo *perf);
void ls_vm_layout_free(struct ls_vm_layout *l);

/* Guest memory per node in MiB: total split evenly, the first nodes taking the remainder. */
uint64_t ls_vm_node_mem_mib(const struct ls_vm_layout *l, uint64_t total_mib, unsigned node);

/* 0, or -1 with a usage error when total_mib leaves a guest NUMA node without memory (qemu
 * refuses a size=0 memory backend). */
int ls_vm_mem_check(const struct ls_vm_layout *l, uint64_t total_mib, struct ls_error *err);

#endif

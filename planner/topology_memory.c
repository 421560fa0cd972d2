/* Which NUMA nodes have memory (DESIGN.md "Placement": `mems` holds only nodes with memory). A
 * cpuset cannot use a memoryless node (AMD NPS4-style layouts, CPU-only nodes). */
#include "topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define NODE_DIR "sys/devices/system/node"

/* "Node 0 MemTotal:  47925628 kB" from nodeN/meminfo: 1 found (*kb), 0 absent/unreadable. */
static int read_memtotal(const struct ls_root *root, int node, unsigned long long *kb)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    struct ls_sysfs top;
    char rel[96];
    ls_sysfs_root(&top, root);
    snprintf(rel, sizeof(rel), NODE_DIR "/node%d/meminfo", node);
    if (ls_sysfs_read(&top, rel, &text, &len, NULL) != 0)
        return 0;
    const char *p = strstr(text, "MemTotal:");
    if (!p)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + strlen("MemTotal:"), &end, 10);
    if (errno || end == p + strlen("MemTotal:"))
        return 0;
    *kb = v;
    return 1;
}

int ls_topology_read_memory(const struct ls_root *root, struct ls_topology *topo,
                            struct ls_error *err)
{
    ls_cpuset has = LS_CPUSET_INIT;
    struct ls_error e = {0};
    struct ls_sysfs top;
    ls_sysfs_root(&top, root);
    /* N_MEMORY as the kernel keeps it; absent on old kernels and some dumps. */
    int r = ls_sysfs_read_cpuset(&top, NODE_DIR "/has_memory", NULL, &has, NULL, &e);
    bool have_list = r == 0;
    for (size_t p = 0; p < topo->nnodes; p++) {
        struct ls_node *node = &topo->nodes[p];
        if (have_list) {
            /* One file for every node: meminfo (computed by the kernel, tens of us each) is
             * read only for `topo` (ls_topology_read_memory_sizes). */
            node->memoryless = !ls_cpuset_has(&has, (unsigned)node->id);
            continue;
        }
        unsigned long long kb = 0;
        int found = read_memtotal(root, node->id, &kb);
        node->memory_kb = found ? kb : 0;
        node->memoryless = found && kb == 0; /* unknown counts as memory */
    }
    ls_cpuset_free(&has);
    (void)err;
    ls_topology_fill_mem_nodes(topo);
    return 0;
}

void ls_topology_read_memory_sizes(const struct ls_root *root, struct ls_topology *topo)
{
    for (size_t p = 0; p < topo->nnodes; p++) {
        unsigned long long kb = 0;
        topo->nodes[p].memory_kb = read_memtotal(root, topo->nodes[p].id, &kb) ? kb : 0;
    }
}

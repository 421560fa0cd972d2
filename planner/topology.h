/* Host topology as the planner sees it: online CPUs, LLC domains, NUMA nodes, distances.
 * Discovered from sysfs under a filesystem root following DESIGN.md "Topology". */
#ifndef LLCSLICE_TOPOLOGY_H
#define LLCSLICE_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuset.h"
#include "error.h"
#include "sysfs.h"

struct ls_llc {
    unsigned index;     /* ascending by lowest CPU: every process on a host agrees */
    ls_cpuset cpus;     /* online CPUs sharing this cache */
    unsigned *cpu_list; /* the same CPUs, ascending, ncpus entries */
    size_t ncpus;
    int node;              /* majority home node of its CPUs, ties to the lowest id */
    int level;             /* cache level, 0 when the CPUs have no cache information */
    unsigned long size_kb; /* 0 when unknown */
    unsigned *core_list;   /* the same CPUs grouped by core: cores by lowest CPU, siblings
                            * ascending (topo->cpu_core gives each CPU's core) */
};

struct ls_node {
    int id;
    ls_cpuset cpus; /* CPUs whose home node this is; empty for memory-only nodes */
    unsigned *llcs; /* indices of LLCs whose node is this one, ascending */
    size_t nllcs;
    bool memoryless;              /* no memory: absent from node/has_memory, or MemTotal 0 */
    unsigned long long memory_kb; /* MemTotal of nodeN/meminfo, 0 when unknown */
    int mem_node;                 /* id of the node whose memory its CPUs use: itself, or
                                   * for a memoryless node the nearest with memory */
};

struct ls_topology {
    ls_cpuset online;
    struct ls_llc *llcs;
    size_t nllcs;
    struct ls_node *nodes; /* ascending id */
    size_t nnodes;
    unsigned *distance;   /* nnodes x nnodes, row i/col j in `nodes` order */
    unsigned max_cpu;     /* highest online CPU id; sizes the per-CPU tables */
    int *cpu_llc;         /* [max_cpu+1] llc index, -1 when offline */
    int *cpu_node;        /* [max_cpu+1] home node id, -1 when offline */
    int *cpu_core;        /* [max_cpu+1] lowest online CPU of its core (SMT siblings), -1 offline */
    unsigned max_threads; /* most online SMT siblings of any core (1 without SMT) */
    char **warnings;      /* things skipped or repaired while reading, for the user */
    size_t nwarnings;
    uint64_t hugepages_2m_total, hugepages_2m_free;
};

int ls_topology_discover(const struct ls_root *root, struct ls_topology *topo,
                         struct ls_error *err);
void ls_topology_free(struct ls_topology *topo);

/* Build from explicit (cpus, node) LLC groups with 10/20 distances: for tests and benches.
 * Runs the same post-processing (indices, per-node LLC lists, tables) as discovery. */
int ls_topology_from_groups(struct ls_topology *topo, const char *const *llc_cpu_lists,
                            const int *llc_nodes, size_t nllcs, struct ls_error *err);

/* Shared post-processing. Input: online, llcs[].cpus/level/size_kb (partitioning online, any
 * order), nodes[] ascending by id with their home CPUs, distance. Sorts the LLCs and fills
 * index, cpu_list, ncpus, node, cpu_llc, cpu_node and the per-node LLC lists. */
int ls_topology_finish(struct ls_topology *topo, struct ls_error *err);
/* Append a printf-formatted warning; -1 on ENOMEM. */
int ls_topology_warn(struct ls_topology *topo, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* SMT siblings from cpuN/topology/thread_siblings_list (intersected with online), else CPUs
 * with the same physical_package_id and core_id, else each CPU its own core; fills
 * topo->cpu_core before ls_topology_finish. */
int ls_topology_read_cores(const struct ls_root *root, struct ls_topology *topo,
                           struct ls_error *err);
/* Set each CPU's core from a sibling list per core ("0,16" ...; CPUs not named are their own
 * core) and rebuild the LLCs' core_list: for tests and benches. */
int ls_topology_set_siblings(struct ls_topology *topo, const char *const *cores, size_t ncores,
                             struct ls_error *err);
/* Node memory: node/has_memory (fallback MemTotal of nodeN/meminfo, which then also fills
 * memory_kb; neither = has memory); then each node's mem_node. After ls_topology_finish. */
int ls_topology_read_memory(const struct ls_root *root, struct ls_topology *topo,
                            struct ls_error *err);
/* memory_kb of every node from nodeN/meminfo (0 when unknown): for `topo` only, discovery
 * reads it only where node/has_memory is missing. */
void ls_topology_read_memory_sizes(const struct ls_root *root, struct ls_topology *topo);
/* mem_node of every node: itself, or for a memoryless node the nearest node with memory by
 * distance (ties to the lowest id; itself when no node has memory). */
void ls_topology_fill_mem_nodes(struct ls_topology *topo);

/* Position of node id in topo->nodes, or -1. */
int ls_topology_node_pos(const struct ls_topology *topo, int node_id);
/* Distance between node ids (10 self / 20 other when unknown). */
unsigned ls_topology_distance(const struct ls_topology *topo, int from, int to);

/* One nodeN/distance row: exactly n decimal values in 1..255 separated by blanks (spaces,
 * tabs, newlines, NULs, also trailing). text need not be NUL-terminated. 0 ok, -1 malformed. */
int ls_parse_distance_row(const char *text, size_t len, unsigned *out, size_t n);

/* The CPUs this process may run on: override list if given (flag/env), else on a simulated
 * root the simulated host's online CPUs, else sched_getaffinity with /proc/self/status
 * Cpus_allowed_list as fallback. Intersected with nothing: the planner does that. */
int ls_allowed_cpus(const struct ls_root *root, const struct ls_topology *topo,
                    const char *override, const char *override_what, ls_cpuset *out,
                    struct ls_error *err);

/* procs_running from <root>/proc/stat; -1 when unknown. */
long ls_host_running_tasks(const struct ls_root *root);

#endif

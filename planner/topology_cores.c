/* SMT siblings: which online CPUs share a physical core (DESIGN.md "Placement": CPUs are taken
 * as whole cores before a core is split). Read once per discovery, a file per core. */
#include "topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define CPU_DIR "sys/devices/system/cpu"

/* A decimal id file (core_id, physical_package_id) of cpu; -1 when missing or garbage. */
static long read_id(const struct ls_sysfs *cpus, unsigned cpu, const char *leaf)
{
    char rel[96];
    snprintf(rel, sizeof(rel), "cpu%u/topology/%s", cpu, leaf);
    return ls_sysfs_read_id(cpus, rel);
}

struct core_key {
    long package, core;
    unsigned cpu;
};

static int cmp_key(const void *a, const void *b)
{
    const struct core_key *x = a, *y = b;
    if (x->package != y->package)
        return x->package < y->package ? -1 : 1;
    if (x->core != y->core)
        return x->core < y->core ? -1 : 1;
    return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/* Old kernels without thread_siblings_list: CPUs with the same (package, core_id). */
static int cores_by_id(const struct ls_sysfs *cpus, struct ls_topology *topo, struct ls_error *err)
{
    size_t n = 0, cap = ls_cpuset_count(&topo->online);
    _cleanup_free_ struct core_key *keys = malloc((cap ? cap : 1) * sizeof(*keys));
    if (!keys)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading cores");
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        if (topo->cpu_core[cpu] >= 0)
            continue;
        long core = read_id(cpus, (unsigned)cpu, "core_id");
        if (core < 0) {
            topo->cpu_core[cpu] = cpu;
            continue;
        }
        keys[n++] = (struct core_key){read_id(cpus, (unsigned)cpu, "physical_package_id"), core,
                                      (unsigned)cpu};
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    for (size_t i = 0, lead = 0; i < n; i++) {
        if (keys[i].package != keys[lead].package || keys[i].core != keys[lead].core)
            lead = i;
        topo->cpu_core[keys[i].cpu] = (int)keys[lead].cpu;
    }
    return 0;
}

int ls_topology_read_cores(const struct ls_root *root, struct ls_topology *topo,
                           struct ls_error *err)
{
    int last = ls_cpuset_last(&topo->online);
    if (last < 0)
        return 0;
    free(topo->cpu_core);
    topo->cpu_core = malloc(((size_t)last + 1) * sizeof(int));
    if (!topo->cpu_core)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading cores");
    for (int c = 0; c <= last; c++)
        topo->cpu_core[c] = -1;
    ls_cpuset sib = LS_CPUSET_INIT;
    bool missing = false;
    struct ls_sysfs top;
    _cleanup_sysfs_ struct ls_sysfs cpus;
    ls_sysfs_root(&top, root);
    if (ls_sysfs_open(&cpus, &top, CPU_DIR) < 0)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "--fsroot: path too long");
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        if (topo->cpu_core[cpu] >= 0)
            continue; /* named by a sibling's file already: one read per core */
        ls_cpuset_clear(&sib);
        struct ls_error e = {0};
        char rel[96];
        snprintf(rel, sizeof(rel), "cpu%d/topology/thread_siblings_list", cpu);
        int r = ls_sysfs_read_cpuset(&cpus, rel, NULL, &sib, NULL, &e);
        if (r != 0) {
            missing = true; /* absent or garbage: the core_id fallback decides */
            continue;
        }
        ls_cpuset_and(&sib, &topo->online);
        if (ls_cpuset_add(&sib, (unsigned)cpu) < 0) {
            ls_cpuset_free(&sib);
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading cores");
        }
        int lead = ls_cpuset_first(&sib);
        LS_CPUSET_FOREACH(s, &sib)
        {
            if (topo->cpu_core[s] < 0)
                topo->cpu_core[s] = lead;
        }
    }
    ls_cpuset_free(&sib);
    return missing ? cores_by_id(&cpus, topo, err) : 0;
}

/* Lockfile interop with ktstr (DESIGN.md "ktstr interop"): with prefix "ktstr", lockfile
 * ktstr-llc-N must name the cache ktstr calls N. ktstr (src/topology.rs, TestTopology::
 * from_system) keys each CPU's LLC by the `id` file of its highest-level cache index, falling
 * back to the lowest CPU of that cache's shared_cpu_list, and numbers LLCs by ascending key;
 * llcslice numbers them by lowest CPU. Where the two disagree the prefix is refused. */
#include "ktstr.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

#define CPU_DIR "sys/devices/system/cpu"

/* ktstr's LLC key of a CPU: the highest-level cache index's id, else the lowest CPU of its
 * shared_cpu_list, else the CPU itself (no cache information: ktstr's single fallback LLC). */
static long ktstr_key(const struct ls_root *root, unsigned cpu)
{
    struct ls_sysfs top, cache;
    char rel[64];
    long best_level = 0;
    int best = -1;
    ls_sysfs_root(&top, root);
    snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cache", cpu);
    ls_sysfs_view(&cache, &top, rel);
    for (int idx = 0; idx < 16; idx++) {
        struct stat st;
        snprintf(rel, sizeof(rel), "index%d/level", idx);
        long level = ls_sysfs_read_id(&cache, rel);
        snprintf(rel, sizeof(rel), "index%d", idx);
        if (level < 0 && ls_sysfs_stat(&cache, rel, &st, 0) < 0)
            break; /* indexN directories are numbered without gaps */
        if (level > best_level) {
            best_level = level;
            best = idx;
        }
    }
    if (best < 0)
        return 0; /* no cache information: ktstr reads index0, finds nothing, keys it 0 */
    snprintf(rel, sizeof(rel), "index%d/id", best);
    long id = ls_sysfs_read_id(&cache, rel);
    if (id >= 0)
        return id;
    ls_cpuset shared = LS_CPUSET_INIT;
    struct ls_error e = {0};
    long key = cpu;
    snprintf(rel, sizeof(rel), "index%d/shared_cpu_list", best);
    if (ls_sysfs_read_cpuset(&cache, rel, NULL, &shared, NULL, &e) == 0 &&
        !ls_cpuset_empty(&shared))
        key = ls_cpuset_first(&shared);
    ls_cpuset_free(&shared);
    return key;
}

int ls_ktstr_check(const struct ls_root *root, const struct ls_topology *topo, const char *prefix,
                   struct ls_error *err)
{
    if (strcmp(prefix, "ktstr") || topo->nllcs == 0)
        return 0;
    _cleanup_free_ long *keys = malloc(topo->nllcs * sizeof(*keys));
    if (!keys)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; i < topo->nllcs; i++) {
        const struct ls_llc *l = &topo->llcs[i];
        keys[i] = ktstr_key(root, l->cpu_list[0]);
        /* ktstr groups CPU by CPU: one LLC of ours must be one key of theirs. Its first and
         * last CPU are compared (every CPU would cost thousands of reads on big hosts). */
        if (l->ncpus > 1) {
            size_t k = l->ncpus - 1;
            long other = ktstr_key(root, l->cpu_list[k]);
            if (other != keys[i])
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "--lock-prefix ktstr: ktstr groups this host's CPUs into LLCs by "
                               "the cache id file, which gives CPU %u id %ld but CPU %u of the "
                               "same cache (llcslice LLC %zu) id %ld; ktstr-llc-N lockfiles "
                               "would not name the same caches for both. Use another prefix",
                               l->cpu_list[0], keys[i], l->cpu_list[k], i, other);
        }
    }
    for (size_t i = 1; i < topo->nllcs; i++) {
        if (keys[i] > keys[i - 1])
            continue;
        /* ktstr's N is the rank of the key: find where our LLC i lands for ktstr. */
        size_t rank = 0;
        for (size_t k = 0; k < topo->nllcs; k++)
            rank += keys[k] < keys[i];
        _cleanup_free_ char *cpus = ls_cpuset_format(&topo->llcs[i].cpus);
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--lock-prefix ktstr: ktstr numbers LLCs by their cache id and llcslice "
                       "by their lowest CPU, and on this host the two differ: llcslice's LLC %zu "
                       "(CPUs %s, cache id %ld) is ktstr's LLC %zu%s, so ktstr-llc-N lockfiles "
                       "would name different caches for the two. Use another --lock-prefix here",
                       i, cpus ? cpus : "?", keys[i], rank,
                       keys[i] == keys[i - 1] ? " too (ktstr sees one LLC where llcslice sees two)"
                                              : "");
    }
    return 0;
}

bool ls_ktstr_prefix(const char *prefix)
{
    return prefix && strcmp(prefix, "ktstr") == 0;
}

size_t ls_ktstr_slots(const struct ls_topology *topo, unsigned llcs)
{
    size_t n = llcs ? topo->nllcs / llcs : topo->nllcs;
    return n ? n : 1;
}

/* The seed's numa_aware_llc_order (host_topology_mod.rs 631-706). */
void ls_ktstr_slot_llcs(const struct ls_topology *topo, unsigned nodes, unsigned llcs, size_t slot,
                        unsigned *out)
{
    size_t num = topo->nllcs, offset = slot * llcs;
    if (!num)
        return; /* no LLCs: callers refuse before asking */
    size_t base = nodes ? llcs / nodes : 0, rem = nodes ? llcs % nodes : 0;
    size_t max_per_node = base + (rem ? 1 : 0), neligible = 0;
    if (nodes > 1 && llcs >= nodes)
        for (size_t p = 0; p < topo->nnodes; p++)
            neligible += topo->nodes[p].nllcs && topo->nodes[p].nllcs >= max_per_node;
    if (nodes <= 1 || llcs < nodes || neligible < nodes) {
        for (unsigned i = 0; i < llcs; i++)
            out[i] = (unsigned)((i + offset) % num);
        return;
    }
    size_t node_offset = offset / max_per_node, k = 0;
    for (unsigned g = 0; g < nodes; g++) {
        /* ktstr's eligible nodes ascend by id, as topo->nodes do. */
        size_t want = (g + node_offset) % neligible, seen = 0;
        const struct ls_node *host = NULL;
        for (size_t p = 0; p < topo->nnodes && !host; p++)
            if (topo->nodes[p].nllcs && topo->nodes[p].nllcs >= max_per_node && seen++ == want)
                host = &topo->nodes[p];
        size_t within = offset % host->nllcs, count = base + (g < rem ? 1 : 0);
        for (size_t i = 0; i < count; i++)
            out[k++] = host->llcs[(i + within) % host->nllcs];
    }
}

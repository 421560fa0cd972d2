/* The topology model: post-processing shared by discovery and ls_topology_from_groups
 * (LLC indices, per-CPU tables, LLC home nodes, per-node LLC lists) and lookups. */
#include "topology.h"
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "sort.h"

void ls_topology_free(struct ls_topology *topo)
{
    if (!topo)
        return;
    ls_cpuset_free(&topo->online);
    for (size_t i = 0; i < topo->nllcs; i++) {
        ls_cpuset_free(&topo->llcs[i].cpus);
        free(topo->llcs[i].cpu_list);
        free(topo->llcs[i].core_list);
    }
    free(topo->llcs);
    for (size_t i = 0; i < topo->nnodes; i++) {
        ls_cpuset_free(&topo->nodes[i].cpus);
        free(topo->nodes[i].llcs);
    }
    free(topo->nodes);
    free(topo->distance);
    free(topo->cpu_llc);
    free(topo->cpu_node);
    free(topo->cpu_core);
    for (size_t i = 0; i < topo->nwarnings; i++)
        free(topo->warnings[i]);
    free(topo->warnings);
    memset(topo, 0, sizeof(*topo));
}

int ls_topology_warn(struct ls_topology *topo, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ls_strv_vappendf(&topo->warnings, &topo->nwarnings, fmt, ap);
    va_end(ap);
    return r;
}

int ls_topology_node_pos(const struct ls_topology *topo, int node_id)
{
    size_t lo = 0, hi = topo->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (topo->nodes[mid].id == node_id)
            return (int)mid;
        if (topo->nodes[mid].id < node_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

unsigned ls_topology_distance(const struct ls_topology *topo, int from, int to)
{
    int a = ls_topology_node_pos(topo, from), b = ls_topology_node_pos(topo, to);
    if (a < 0 || b < 0 || !topo->distance)
        return from == to ? 10 : 20;
    return topo->distance[(size_t)a * topo->nnodes + (size_t)b];
}

static int cmp_llc_first_cpu(const void *a, const void *b)
{
    int x = ls_cpuset_first(&((const struct ls_llc *)a)->cpus);
    int y = ls_cpuset_first(&((const struct ls_llc *)b)->cpus);
    return (x > y) - (x < y);
}

/* Per-CPU tables and LLC cpu lists; the LLCs must partition the online CPUs. */
static int fill_cpu_tables(struct ls_topology *topo, struct ls_error *err)
{
    int last = ls_cpuset_last(&topo->online);
    if (last < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENODEV, "the topology has no online CPUs");
    topo->max_cpu = (unsigned)last;
    size_t n = topo->max_cpu + 1u;
    topo->cpu_llc = malloc(n * sizeof(int));
    topo->cpu_node = malloc(n * sizeof(int));
    if (!topo->cpu_llc || !topo->cpu_node)
        return ls_oom(err, "while building the topology");
    for (size_t c = 0; c < n; c++)
        topo->cpu_llc[c] = topo->cpu_node[c] = -1;

    for (size_t i = 0; i < topo->nllcs; i++) {
        struct ls_llc *l = &topo->llcs[i];
        l->index = (unsigned)i;
        l->ncpus = ls_cpuset_count(&l->cpus);
        free(l->cpu_list);
        l->cpu_list = malloc((l->ncpus ? l->ncpus : 1) * sizeof(unsigned));
        if (!l->cpu_list)
            return ls_oom(err, "while building the topology");
        size_t k = 0;
        LS_CPUSET_FOREACH(cpu, &l->cpus)
        {
            if ((unsigned)cpu > topo->max_cpu || !ls_cpuset_has(&topo->online, (unsigned)cpu))
                return ls_fail(err, LS_ERR_SYSTEM, EINVAL,
                               "LLC %zu lists CPU %d, which is not online", i, cpu);
            if (topo->cpu_llc[cpu] >= 0)
                return ls_fail(err, LS_ERR_USAGE, EINVAL,
                               "CPU %d is in LLC %d and LLC %zu: LLC groups must not overlap", cpu,
                               topo->cpu_llc[cpu], i);
            topo->cpu_llc[cpu] = (int)i;
            l->cpu_list[k++] = (unsigned)cpu;
        }
    }
    LS_CPUSET_FOREACH(cpu, &topo->online)
    {
        if (topo->cpu_llc[cpu] < 0)
            return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "online CPU %d belongs to no LLC", cpu);
    }
    for (size_t p = 0; p < topo->nnodes; p++) {
        LS_CPUSET_FOREACH(cpu, &topo->nodes[p].cpus)
        {
            if ((unsigned)cpu <= topo->max_cpu && topo->cpu_llc[cpu] >= 0 &&
                topo->cpu_node[cpu] < 0)
                topo->cpu_node[cpu] = topo->nodes[p].id;
        }
    }
    return 0;
}

/* LLC node = majority home node of its CPUs, ties to the lowest id; one pass over the CPUs. */
static int assign_llc_nodes(struct ls_topology *topo, struct ls_error *err)
{
    _cleanup_free_ size_t *count = calloc(topo->nnodes ? topo->nnodes : 1, sizeof(size_t));
    _cleanup_free_ size_t *touched = malloc((topo->nnodes ? topo->nnodes : 1) * sizeof(size_t));
    if (!count || !touched)
        return ls_oom(err, "while building the topology");
    for (size_t i = 0; i < topo->nllcs; i++) {
        struct ls_llc *l = &topo->llcs[i];
        size_t ntouched = 0;
        for (size_t k = 0; k < l->ncpus; k++) {
            int pos = ls_topology_node_pos(topo, topo->cpu_node[l->cpu_list[k]]);
            if (pos < 0)
                continue;
            if (count[pos]++ == 0)
                touched[ntouched++] = (size_t)pos;
        }
        size_t best = SIZE_MAX;
        for (size_t t = 0; t < ntouched; t++) {
            size_t p = touched[t];
            if (best == SIZE_MAX || count[p] > count[best] || (count[p] == count[best] && p < best))
                best = p;
        }
        for (size_t t = 0; t < ntouched; t++)
            count[touched[t]] = 0;
        l->node = best == SIZE_MAX ? (topo->nnodes ? topo->nodes[0].id : 0) : topo->nodes[best].id;
    }
    return 0;
}

static int fill_node_llcs(struct ls_topology *topo, struct ls_error *err)
{
    for (size_t p = 0; p < topo->nnodes; p++) {
        free(topo->nodes[p].llcs);
        topo->nodes[p].llcs = NULL;
        topo->nodes[p].nllcs = 0;
    }
    _cleanup_free_ size_t *cap = calloc(topo->nnodes ? topo->nnodes : 1, sizeof(size_t));
    if (!cap)
        return ls_oom(err, "while building the topology");
    for (size_t i = 0; i < topo->nllcs; i++) {
        int pos = ls_topology_node_pos(topo, topo->llcs[i].node);
        if (pos >= 0)
            cap[pos]++;
    }
    for (size_t p = 0; p < topo->nnodes; p++) {
        topo->nodes[p].llcs = malloc((cap[p] ? cap[p] : 1) * sizeof(unsigned));
        if (!topo->nodes[p].llcs)
            return ls_oom(err, "while building the topology");
    }
    for (size_t i = 0; i < topo->nllcs; i++) {
        int pos = ls_topology_node_pos(topo, topo->llcs[i].node);
        if (pos >= 0)
            topo->nodes[pos].llcs[topo->nodes[pos].nllcs++] = (unsigned)i;
    }
    return 0;
}

/* Each LLC's core_list and the widest core; a CPU whose core is unknown or lies outside its
 * LLC (siblings always share every cache level) is its own core. */
static int fill_core_lists(struct ls_topology *topo, struct ls_error *err)
{
    size_t n = topo->max_cpu + 1u;
    if (!topo->cpu_core) {
        topo->cpu_core = malloc(n * sizeof(int));
        if (!topo->cpu_core)
            return ls_oom(err, "while building the topology");
        for (size_t c = 0; c < n; c++)
            topo->cpu_core[c] = -1;
    }
    for (size_t c = 0; c < n; c++) {
        int core = topo->cpu_core[c];
        if (topo->cpu_llc[c] < 0)
            topo->cpu_core[c] = -1;
        else if (core < 0 || (size_t)core > c || topo->cpu_llc[core] != topo->cpu_llc[c] ||
                 topo->cpu_core[core] != core)
            topo->cpu_core[c] = (int)c;
    }
    _cleanup_free_ unsigned *width = calloc(n, sizeof(unsigned));
    _cleanup_free_ unsigned *slot = malloc(n * sizeof(unsigned));
    if (!width || !slot)
        return ls_oom(err, "while building the topology");
    topo->max_threads = 1;
    for (size_t i = 0; i < topo->nllcs; i++) {
        struct ls_llc *l = &topo->llcs[i];
        free(l->core_list);
        l->core_list = malloc((l->ncpus ? l->ncpus : 1) * sizeof(unsigned));
        if (!l->core_list)
            return ls_oom(err, "while building the topology");
        for (size_t k = 0; k < l->ncpus; k++) {
            unsigned w = ++width[topo->cpu_core[l->cpu_list[k]]];
            if (w > topo->max_threads)
                topo->max_threads = w;
        }
        /* Cores by their lowest CPU, siblings ascending, without a sort: cpu_list ascends and
         * a core's lead is its lowest CPU, so leads come in order and each core's slots start
         * after the cores before it. */
        unsigned next = 0;
        for (size_t k = 0; k < l->ncpus; k++) {
            unsigned cpu = l->cpu_list[k];
            if ((unsigned)topo->cpu_core[cpu] == cpu) {
                slot[cpu] = next;
                next += width[cpu];
            }
        }
        for (size_t k = 0; k < l->ncpus; k++) {
            unsigned cpu = l->cpu_list[k];
            l->core_list[slot[topo->cpu_core[cpu]]++] = cpu;
        }
    }
    return 0;
}

void ls_topology_fill_mem_nodes(struct ls_topology *topo)
{
    for (size_t p = 0; p < topo->nnodes; p++) {
        struct ls_node *node = &topo->nodes[p];
        node->mem_node = node->id;
        if (!node->memoryless)
            continue;
        const unsigned *row = topo->distance + p * topo->nnodes;
        unsigned best = 0;
        for (size_t q = 0; q < topo->nnodes; q++) {
            if (topo->nodes[q].memoryless || row[q] >= 255)
                continue;
            if (!best || row[q] < best) {
                best = row[q];
                node->mem_node = topo->nodes[q].id;
            }
        }
    }
}

int ls_topology_set_siblings(struct ls_topology *topo, const char *const *cores, size_t ncores,
                             struct ls_error *err)
{
    for (size_t c = 0; c <= topo->max_cpu; c++)
        topo->cpu_core[c] = (int)c;
    ls_cpuset set = LS_CPUSET_INIT;
    for (size_t i = 0; i < ncores; i++) {
        ls_cpuset_clear(&set);
        if (ls_cpuset_parse_list(&set, cores[i], strlen(cores[i]), "core", err) < 0) {
            ls_cpuset_free(&set);
            return -1;
        }
        int first = ls_cpuset_first(&set);
        LS_CPUSET_FOREACH(cpu, &set)
        {
            if ((unsigned)cpu <= topo->max_cpu)
                topo->cpu_core[cpu] = first;
        }
    }
    ls_cpuset_free(&set);
    return fill_core_lists(topo, err);
}

int ls_topology_finish(struct ls_topology *topo, struct ls_error *err)
{
    if (topo->nllcs > 1)
        qsort(topo->llcs, topo->nllcs, sizeof(*topo->llcs), cmp_llc_first_cpu);
    if (fill_cpu_tables(topo, err) < 0 || assign_llc_nodes(topo, err) < 0 ||
        fill_node_llcs(topo, err) < 0 || fill_core_lists(topo, err) < 0)
        return -1;
    ls_topology_fill_mem_nodes(topo);
    return 0;
}

/* Node list of the distinct ids, 10/20 distances. */
static int nodes_from_ids(struct ls_topology *topo, const int *ids, size_t n, struct ls_error *err)
{
    _cleanup_free_ int *sorted = malloc((n ? n : 1) * sizeof(int));
    if (!sorted)
        return ls_oom(err, "while building the topology");
    memcpy(sorted, ids, n * sizeof(int));
    qsort(sorted, n, sizeof(int), ls_cmp_int);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            sorted[distinct++] = sorted[i];
    topo->nodes = calloc(distinct ? distinct : 1, sizeof(*topo->nodes));
    topo->distance = malloc((distinct ? distinct * distinct : 1) * sizeof(unsigned));
    if (!topo->nodes || !topo->distance)
        return ls_oom(err, "while building the topology");
    topo->nnodes = distinct;
    for (size_t i = 0; i < distinct; i++) {
        topo->nodes[i].id = sorted[i];
        for (size_t j = 0; j < distinct; j++)
            topo->distance[i * distinct + j] = i == j ? 10 : 20;
    }
    return 0;
}

int ls_topology_from_groups(struct ls_topology *topo, const char *const *llc_cpu_lists,
                            const int *llc_nodes, size_t nllcs, struct ls_error *err)
{
    memset(topo, 0, sizeof(*topo));
    if (nllcs == 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "a topology needs at least one LLC");
    for (size_t i = 0; i < nllcs; i++)
        if (llc_nodes[i] < 0)
            return ls_fail(err, LS_ERR_USAGE, EINVAL, "LLC group %zu: node id %d is negative", i,
                           llc_nodes[i]);
    topo->llcs = calloc(nllcs, sizeof(*topo->llcs));
    if (!topo->llcs)
        return ls_oom(err, "while building the topology");
    topo->nllcs = nllcs;
    if (nodes_from_ids(topo, llc_nodes, nllcs, err) < 0)
        goto fail;
    for (size_t i = 0; i < nllcs; i++) {
        struct ls_llc *l = &topo->llcs[i];
        char what[64];
        snprintf(what, sizeof(what), "LLC group %zu", i);
        const char *text = llc_cpu_lists[i] ? llc_cpu_lists[i] : "";
        if (ls_cpuset_parse_list(&l->cpus, text, strlen(text), what, err) < 0)
            goto fail;
        if (ls_cpuset_empty(&l->cpus)) {
            ls_fail(err, LS_ERR_USAGE, EINVAL, "%s has no CPUs", what);
            goto fail;
        }
        if (ls_cpuset_intersects(&topo->online, &l->cpus)) {
            ls_fail(err, LS_ERR_USAGE, EINVAL, "%s (%s) overlaps an earlier group", what, text);
            goto fail;
        }
        l->level = 3;
        struct ls_node *node = &topo->nodes[ls_topology_node_pos(topo, llc_nodes[i])];
        if (ls_cpuset_or(&topo->online, &l->cpus) < 0 || ls_cpuset_or(&node->cpus, &l->cpus) < 0) {
            ls_oom(err, "while building the topology");
            goto fail;
        }
    }
    if (ls_topology_finish(topo, err) < 0)
        goto fail;
    return 0;
fail:
    ls_topology_free(topo);
    return -1;
}

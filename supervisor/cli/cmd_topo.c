/* llcslice topo: the host's CPUs, LLCs and NUMA nodes as the planner sees them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/cleanup.h"
#include "cli.h"
#include "json.h"
#include "options.h"

static const char topo_usage[] =
    "Usage: llcslice topo [--json] [--fsroot DIR] [--allowed-cpus LIST]\n"
    "\n"
    "Show the host as the planner sees it: LLC domains (index, CPUs, NUMA node, cache level\n"
    "and size), NUMA nodes with their CPUs, memory and distances, online and allowed CPUs,\n"
    "SMT threads per core, 2 MiB hugepages. A node without memory lends its CPUs the memory\n"
    "of its nearest node with memory (mem_node): that is what a plan's mems holds.\n"
    "\n"
    "Options:\n"
    "  --json               machine-readable output (keys: online_cpus, allowed_cpus,\n"
    "                       llcs[] {index, cpus, node, level, size_kb},\n"
    "                       nodes[] {id, cpus, distances, has_memory, memory_kb,\n"
    "                       mem_node}, threads_per_core)\n"
    "  --fsroot DIR         read sys/ and proc/stat under DIR instead of / (env LLCSLICE_FSROOT)\n"
    "  --allowed-cpus LIST  treat LIST as this process's allowed CPUs\n"
    "                       (env LLCSLICE_ALLOWED_CPUS)\n"
    "  -h, --help           this text\n";

static void print_json(const struct ls_host *h)
{
    const struct ls_topology *t = &h->topo;
    struct ls_json j;
    ls_json_init(&j, stdout, true);
    ls_json_obj_begin(&j, NULL);
    ls_json_cpuset(&j, "online_cpus", &t->online);
    ls_json_cpuset(&j, "allowed_cpus", &h->allowed);
    ls_json_arr_begin(&j, "llcs");
    for (size_t i = 0; i < t->nllcs; i++) {
        const struct ls_llc *l = &t->llcs[i];
        ls_json_obj_begin(&j, NULL);
        ls_json_uint(&j, "index", l->index);
        ls_json_cpuset(&j, "cpus", &l->cpus);
        ls_json_int(&j, "node", l->node);
        ls_json_int(&j, "level", l->level);
        ls_json_uint(&j, "size_kb", l->size_kb);
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_arr_begin(&j, "nodes");
    for (size_t i = 0; i < t->nnodes; i++) {
        ls_json_obj_begin(&j, NULL);
        ls_json_int(&j, "id", t->nodes[i].id);
        ls_json_cpuset(&j, "cpus", &t->nodes[i].cpus);
        ls_json_arr_begin(&j, "distances");
        for (size_t k = 0; k < t->nnodes; k++)
            ls_json_uint(&j, NULL, t->distance[i * t->nnodes + k]);
        ls_json_arr_end(&j);
        ls_json_bool(&j, "has_memory", !t->nodes[i].memoryless);
        ls_json_uint(&j, "memory_kb", t->nodes[i].memory_kb);
        ls_json_int(&j, "mem_node", t->nodes[i].mem_node);
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_uint(&j, "threads_per_core", t->max_threads);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
}

static void print_set(const char *label, const ls_cpuset *s)
{
    _cleanup_free_ char *list = ls_cpuset_format(s);
    printf("%-14s %s (%zu)\n", label, list && *list ? list : "none", ls_cpuset_count(s));
}

static void print_table(const struct ls_host *h)
{
    const struct ls_topology *t = &h->topo;
    printf("%-5s %-24s %-5s %-6s %s\n", "LLC", "CPUs", "node", "level", "size");
    for (size_t i = 0; i < t->nllcs; i++) {
        const struct ls_llc *l = &t->llcs[i];
        _cleanup_free_ char *cpus = ls_cpuset_format(&l->cpus);
        char level[16], size[32];
        snprintf(level, sizeof(level), l->level > 0 ? "L%d" : "-", l->level);
        if (l->size_kb)
            snprintf(size, sizeof(size), "%lu KiB", l->size_kb);
        else
            snprintf(size, sizeof(size), "-");
        printf("%-5u %-24s %-5d %-6s %s\n", l->index, cpus ? cpus : "?", l->node, level, size);
    }
    printf("\n%-5s %-24s %-12s %s\n", "node", "CPUs", "memory", "distances");
    printf("%-5s %-24s %-12s", "", "", "");
    for (size_t k = 0; k < t->nnodes; k++)
        printf(" %4d", t->nodes[k].id);
    printf("\n");
    for (size_t i = 0; i < t->nnodes; i++) {
        _cleanup_free_ char *cpus = ls_cpuset_format(&t->nodes[i].cpus);
        const struct ls_node *n = &t->nodes[i];
        char mem[48];
        if (n->memoryless)
            snprintf(mem, sizeof(mem), "none (->%d)", n->mem_node);
        else if (n->memory_kb)
            snprintf(mem, sizeof(mem), "%.1f GiB", (double)n->memory_kb / (1024.0 * 1024.0));
        else
            snprintf(mem, sizeof(mem), "?");
        printf("%-5d %-24s %-12s", n->id, cpus && *cpus ? cpus : "(memory only)", mem);
        for (size_t k = 0; k < t->nnodes; k++)
            printf(" %4u", t->distance[i * t->nnodes + k]);
        printf("\n");
    }
    printf("\n");
    print_set("online CPUs:", &t->online);
    print_set("allowed CPUs:", &h->allowed);
    printf("%-14s %u\n", "SMT threads:", t->max_threads);
    printf("%-14s %llu total, %llu free\n",
           "hugepages 2M:", (unsigned long long)t->hugepages_2m_total,
           (unsigned long long)t->hugepages_2m_free);
}

int ls_cmd_topo(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_FSROOT, OPT_ALLOWED };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"fsroot", required_argument, NULL, OPT_FSROOT},
        {"allowed-cpus", required_argument, NULL, OPT_ALLOWED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ls_host_opts opts = {0};
    bool json = false;
    int c;
    struct ls_getopt g;
    ls_getopt_init(&g, "topo", argc, argv, "+:h", longopts);
    while ((c = ls_getopt_next(&g)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = true;
            break;
        case OPT_FSROOT:
            opts.fsroot = optarg;
            break;
        case OPT_ALLOWED:
            opts.allowed = optarg;
            opts.allowed_what = "--allowed-cpus";
            break;
        case 'h':
            fputs(topo_usage, stdout);
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    if (optind < argc)
        return ls_usage_error("topo", "unexpected argument '%s'", argv[optind]);
    ls_host_opts_from_env(&opts);

    struct ls_host host;
    struct ls_error err = {0};
    if (ls_host_load(&host, &opts, &err) < 0) {
        ls_host_free(&host);
        return ls_report(&err);
    }
    ls_topology_read_memory_sizes(&host.root, &host.topo);
    if (json)
        print_json(&host);
    else
        print_table(&host);
    ls_host_free(&host);
    if (fflush(stdout) != 0) {
        ls_fail(&err, LS_ERR_SYSTEM, 0, "cannot write the output");
        return ls_report(&err);
    }
    return 0;
}

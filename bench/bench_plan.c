/* Planning at scale: synthetic hosts from 64 CPUs / 8 LLCs to 4096 CPUs / 1024 LLCs / 16
 * nodes, with 0, 100 and 10,000 lines in a synthetic /proc/locks. Times DISCOVER's table work
 * (parse + per-LLC lookup) and PLAN, repeated; prints min/median/max and the growth exponent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/lockfile.h"
#include "planner/plan.h"
#include "planner/topology.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct shape {
    unsigned cpus, llcs, nodes;
};

static int build_topo(struct ls_topology *topo, struct shape sh)
{
    char **lists = calloc(sh.llcs, sizeof(*lists));
    int *nodes = calloc(sh.llcs, sizeof(*nodes));
    unsigned per = sh.cpus / sh.llcs;
    for (unsigned i = 0; i < sh.llcs; i++) {
        lists[i] = malloc(32);
        snprintf(lists[i], 32, "%u-%u", i * per, i * per + per - 1);
        nodes[i] = (int)(i * sh.nodes / sh.llcs);
    }
    struct ls_error err = {0};
    int r = ls_topology_from_groups(topo, (const char *const *)lists, nodes, sh.llcs, &err);
    if (r < 0)
        fprintf(stderr, "bench: %s\n", err.msg);
    for (unsigned i = 0; i < sh.llcs; i++)
        free(lists[i]);
    free(lists);
    free(nodes);
    return r;
}

/* /proc/locks text with n FLOCK lines; the first n/10 hit LLC lockfile inodes 1000+i. */
static char *locks_text(unsigned n, unsigned llcs, size_t *len)
{
    size_t cap = (size_t)n * 80 + 1;
    char *t = malloc(cap), *p = t;
    for (unsigned i = 0; i < n; i++) {
        unsigned long long ino = i < n / 10 ? 1000 + (i % llcs) : 500000 + i;
        p += sprintf(p, "%u: FLOCK  ADVISORY  %s %u 00:2d:%llu 0 EOF\n", i + 1,
                     i % 3 ? "READ " : "WRITE", 10000 + i, ino);
    }
    *len = (size_t)(p - t);
    return t;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 200;
    static const struct shape shapes[] = {
        {64, 8, 1}, {256, 32, 2}, {1024, 128, 4}, {2048, 256, 8}, {4096, 512, 16}, {4096, 1024, 16},
    };
    static const unsigned holder_lines[] = {0, 100, 10000};
    double *samples = calloc((size_t)reps, sizeof(double));
    printf("| CPUs | LLCs | nodes | /proc/locks lines | min us | median us | max us |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    double xs[16], ys[16];
    int npts = 0;
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        struct ls_topology topo;
        if (build_topo(&topo, shapes[s]) < 0)
            return 1;
        ls_cpuset allowed = LS_CPUSET_INIT;
        ls_cpuset_copy(&allowed, &topo.online);
        for (size_t h = 0; h < sizeof(holder_lines) / sizeof(holder_lines[0]); h++) {
            size_t len;
            char *text = locks_text(holder_lines[h], shapes[s].llcs, &len);
            for (int r = 0; r < reps; r++) {
                double t0 = now_us();
                struct ls_error err = {0};
                struct ls_locktable table = {0};
                ls_locktable_parse(&table, text, len, &err);
                struct ls_snapshot snap = {0};
                snap.nllcs = topo.nllcs;
                snap.llc_shared = calloc(topo.nllcs, sizeof(unsigned));
                snap.llc_exclusive = calloc(topo.nllcs, sizeof(unsigned));
                for (size_t i = 0; i < topo.nllcs; i++) {
                    const struct ls_lock_entry *e;
                    size_t k = ls_locktable_find(&table, 0, 0x2d, 1000 + i, &e);
                    for (size_t j = 0; j < k; j++) {
                        if (e[j].mode == LS_LOCK_EXCLUSIVE)
                            snap.llc_exclusive[i]++;
                        else
                            snap.llc_shared[i]++;
                    }
                }
                struct ls_request req = {.mode = LS_MODE_SHARED,
                                         .cpus = topo.max_cpu / 3 + 1,
                                         .cpus_explicit = true,
                                         .pid = 4242};
                struct ls_plan plan = {0};
                if (ls_plan_compute(&topo, &allowed, &snap, &req, &plan, &err) < 0) {
                    fprintf(stderr, "bench: plan: %s\n", err.msg);
                    return 1;
                }
                samples[r] = now_us() - t0;
                ls_plan_free(&plan);
                ls_snapshot_free(&snap);
                ls_locktable_free(&table);
            }
            free(text);
            qsort(samples, (size_t)reps, sizeof(double), cmp_double);
            printf("| %u | %u | %u | %u | %.1f | %.1f | %.1f |\n", shapes[s].cpus, shapes[s].llcs,
                   shapes[s].nodes, holder_lines[h], samples[0], samples[reps / 2],
                   samples[reps - 1]);
            if (holder_lines[h] == 0 && npts < 16) {
                xs[npts] = log((double)shapes[s].llcs);
                ys[npts] = log(samples[reps / 2]);
                npts++;
            }
        }
        ls_cpuset_free(&allowed);
        ls_topology_free(&topo);
    }
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < npts; i++)
        mx += xs[i] / npts, my += ys[i] / npts;
    for (int i = 0; i < npts; i++)
        sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
    printf("\nfitted growth exponent of median plan time in LLCs (no holders): %.2f\n",
           sxx > 0 ? sxy / sxx : 0.0);
    free(samples);
    return 0;
}

/* llcslice plan: what `run` would reserve now. Snapshot + compute only, no lock taken. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../planner/acquire.h"
#include "../planner/cleanup.h"
#include "../planner/ktstr.h"
#include "grant.h"
#include "plan_json.h"
#include "reqopts.h"

static void usage(FILE *out)
{
    fputs("Usage: llcslice plan [--cpus N|--cpu-cap N] [--mode MODE] [--perf SPEC] [--smt S]\n"
          "                     [--fsroot DIR] [--allowed-cpus LIST] [--lock-dir DIR]\n"
          "                     [--lock-prefix P] [--json] [-v]\n"
          "\n"
          "Show what 'llcslice run' would reserve right now given who holds which lock (and\n"
          "who is queued waiting). Takes no lock. Exit 75 when nothing fitting is free now,\n"
          "77 when this host can never satisfy the request.\n"
          "\n"
          "Options:\n",
          out);
    fputs(ls_reqopts_help, out);
    fputs("  --json                 machine-readable output (keys: mode, target_cpus,\n"
          "                         locked_llcs, cpus, mems, warnings[], and in exclusive\n"
          "                         mode assignments[] [vcpu, host_cpu], service_cpu; with\n"
          "                         --perf guest, vcpu_guest_nodes, guest_host_nodes)\n"
          "  -v, --verbose          explain the placement: which rule chose the LLCs, node,\n"
          "                         CPUs and memory nodes (JSON: explain[])\n"
          "  -h, --help             this text\n",
          out);
}

static void print_human(const struct ls_topology *topo, const struct ls_plan *p, bool verbose)
{
    _cleanup_free_ char *cpus = ls_cpuset_format(&p->cpus);
    _cleanup_free_ char *mems = ls_cpuset_format(&p->mems);
    printf("%-13s %s\n", "mode:", ls_mode_name(p->mode));
    printf("%-13s %zu\n", "target CPUs:", p->target_cpus);
    printf("%-13s", "LLCs:");
    for (size_t i = 0; i < p->nlocked; i++)
        printf("%s %u (node %d)", i ? "," : "", p->locked_llcs[i],
               topo->llcs[p->locked_llcs[i]].node);
    printf("%s\n", p->nlocked ? "" : " none");
    printf("%-13s %s (%zu)\n", "CPUs:", cpus ? cpus : "?", ls_cpuset_count(&p->cpus));
    printf("%-13s %s\n", "memory nodes:", mems ? mems : "?");
    if (p->mode == LS_MODE_EXCLUSIVE && p->assignments) {
        if (p->service_cpu >= 0)
            printf("%-13s %d%s\n", "service CPU:", p->service_cpu,
                   p->service_llc >= 0 ? " (outside the reserved LLCs)" : "");
        else
            printf("%-13s none\n", "service CPU:");
        printf("pinning:\n");
        for (size_t i = 0; i < p->nassignments; i++)
            printf("  vCPU %u -> CPU %u\n", p->assignments[i].vcpu, p->assignments[i].host_cpu);
    }
    if (verbose) {
        printf("why:\n");
        for (size_t i = 0; i < p->nexplain; i++)
            printf("  %s\n", p->explain[i]);
    }
    fflush(stdout);
    for (size_t i = 0; i < p->nwarnings; i++)
        fprintf(stderr, "%s\n", p->warnings[i]);
}

static void print_json(const struct ls_plan *p, bool verbose)
{
    struct ls_json j;
    ls_json_init(&j, stdout, true);
    ls_json_obj_begin(&j, NULL);
    ls_plan_json_members(&j, p);
    if (verbose) {
        ls_json_arr_begin(&j, "explain");
        for (size_t i = 0; i < p->nexplain; i++)
            ls_json_str(&j, NULL, p->explain[i]);
        ls_json_arr_end(&j);
    }
    ls_json_obj_end(&j);
    ls_json_finish(&j);
}

int ls_cmd_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        LS_REQOPTS_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ls_reqopts ro = {0};
    bool json = false, verbose = false;
    int c;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+:hv", longopts, NULL)) != -1) {
        if (ls_reqopts_handle(&ro, c, optarg))
            continue;
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            return ls_usage_error("plan", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt > 0 && optopt < 256)
                return ls_usage_error("plan", "unknown option '-%c'", optopt);
            return ls_usage_error("plan", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ls_usage_error("plan", "unexpected argument '%s'", argv[optind]);

    struct ls_error err = {0};
    struct ls_request req;
    if (ls_reqopts_finish(&ro, &req, &err) < 0)
        return ls_usage_error("plan", "%s", err.msg);

    struct ls_host host;
    if (ls_host_load(&host, &ro.host, &err) < 0 || ls_host_apply_grant(&host, NULL, &err) < 0) {
        ls_host_free(&host);
        return ls_report(&err);
    }
    struct ls_lockdir ld;
    if (ls_lockdir_open_flags(&ld, ro.lock_dir, ro.lock_prefix, LS_LOCKDIR_OBSERVE, &err) < 0 ||
        ls_ktstr_check(&host.root, &host.topo, ld.prefix, &err) < 0) {
        ls_host_free(&host);
        return ls_report(&err);
    }
    struct ls_acquire_args a = {&host.topo, &host.allowed, &ld, &req};
    struct ls_pass pass;
    struct ls_plan plan;
    int rc = ls_pass_discover(&a, &pass, &err);
    if (rc == 0) {
        rc = ls_pass_plan(&a, &pass, 0, 0, &plan, &err);
        if (rc == 0 && !ls_cpuset_empty(&plan.overlap) &&
            ls_plan_name_overlap(&a, &pass, &plan) < 0)
            rc = ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        ls_pass_free(&pass);
        if (rc < 0 && err.category == LS_ERR_BUSY) {
            char why[sizeof(err.msg)], lead[96];
            memcpy(why, err.msg, sizeof(why));
            snprintf(lead, sizeof(lead), "nothing to reserve right now");
            ls_busy_error(&a, lead, why, &err);
        }
    }
    if (rc == 0) {
        if (json)
            print_json(&plan, verbose);
        else
            print_human(&host.topo, &plan, verbose);
        ls_plan_free(&plan);
    }
    ls_host_free(&host);
    if (rc < 0)
        return ls_report(&err);
    if (fflush(stdout) != 0) {
        ls_fail(&err, LS_ERR_SYSTEM, 0, "cannot write the output");
        return ls_report(&err);
    }
    return 0;
}

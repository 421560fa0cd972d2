/* llcslice plan: what `run` would reserve now. Snapshot + compute only, no lock taken. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/systemd.h"
#include "planner/acquire.h"
#include "planner/cleanup.h"
#include "planner/size.h"
#include "options.h"
#include "planner/ktstr.h"
#include "supervisor/run/confine.h"
#include "supervisor/run/grant.h"
#include "lockopts.h"
#include "plan_json.h"
#include "reqopts.h"
#include "supervisor/vmm/layout.h"
#include "supervisor/vmm/qemu_args.h"

static void usage(FILE *out)
{
    fputs("Usage: llcslice plan [--cpus N|--cpu-cap N] [--mode MODE] [--perf SPEC] [--smt S]\n"
          "                     [--fsroot DIR] [--allowed-cpus LIST] [--lock-dir DIR]\n"
          "                     [--lock-prefix P] [--json] [-v]\n"
          "                     [--format text|json|qemu|libvirt] [--vm-memory SIZE]\n"
          "\n"
          "Show what 'llcslice run' would reserve right now given who holds which lock (and\n"
          "who is queued waiting). Takes no lock. Exit 75 when nothing fitting is free now,\n"
          "77 when this host can never satisfy the request. Every 'llcslice run' option (and a\n"
          "command after --) is accepted too, so s/run/plan/ works on a run command line; those\n"
          "only run uses are named in one warning and ignored.\n"
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
          "  --format FMT           text (default), json (= --json), or for a --perf plan:\n"
          "                         qemu: the qemu arguments 'run --vmm qemu' appends (-smp\n"
          "                         with one die per virtual LLC; with nodes=N, -m and -numa\n"
          "                         nodes whose memory is bound to the planned host nodes);\n"
          "                         libvirt: <vcpu>, <cputune> (vcpupin, emulatorpin), <cpu>\n"
          "                         (topology, NUMA cells) and <numatune> for a domain XML\n"
          "  --vm-memory SIZE       guest memory split over the guest NUMA nodes in the qemu\n"
          "                         and libvirt formats (default 1G)\n"
          "  --cgroup-parent PATH   plan inside what this cgroup grants (cpuset.cpus.effective),\n"
          "                         as run --cgroup-parent would; default: our own cgroup\n"
          "  --cgroup-manager M     accepted (and checked) so a 'run' command line can be\n"
          "                         reused; the plan does not depend on it\n"
          "  -h, --help             this text\n",
          out);
}

enum { FMT_TEXT, FMT_JSON, FMT_QEMU, FMT_LIBVIRT };

static int print_vm(int fmt, const struct ls_request *req, const struct ls_plan *plan,
                    const struct ls_topology *topo, uint64_t mem_mib, struct ls_error *err)
{
    struct ls_vm_layout l;
    if (ls_vm_layout_build(&l, &req->perf, plan, topo, err) < 0)
        return -1;
    int rc = fmt == FMT_QEMU ? ls_qemu_args_print(stdout, &l, mem_mib, err)
                             : ls_libvirt_print(stdout, &l, &plan->mems, mem_mib, err);
    ls_vm_layout_free(&l);
    return rc;
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

/* What the command line asked for. */
struct plan_args {
    struct ls_reqopts ro;
    int fmt;
    const char *format; /* --format as given, NULL when not */
    bool json_flag, manager_given, verbose;
    const char *cgroup_parent, *vm_memory;
    char ignored[512]; /* run's options given here: plan warns that it ignores them */
};

/* --format TEXT: text, json, qemu or libvirt; -1 for anything else. */
static int format_parse(const char *text, int *fmt)
{
    static const char *const names[] = {
        [FMT_TEXT] = "text", [FMT_JSON] = "json", [FMT_QEMU] = "qemu", [FMT_LIBVIRT] = "libvirt"};
    for (int f = 0; f < (int)(sizeof(names) / sizeof(names[0])); f++)
        if (!strcmp(text, names[f])) {
            *fmt = f;
            return 0;
        }
    return -1;
}

/* After the option loop: the checks that need all options, and the operands. 0 or 64. */
static int check_args(int argc, char **argv, struct plan_args *a)
{
    /* checked as run checks it: a plan that run would refuse is no plan */
    enum ls_cg_manager effective;
    struct ls_error merr = {0};
    if (!a->manager_given && ls_cg_manager_effective(LS_CGM_AUTO, &effective, &merr) < 0)
        return ls_usage_error("plan", "%s", merr.msg);
    /* --json is --format json: with another --format one of them would be ignored */
    if (a->json_flag && a->format && a->fmt != FMT_JSON)
        return ls_usage_error("plan", "--json and --format %s contradict each other; give one",
                              a->format);
    if (a->json_flag)
        a->fmt = FMT_JSON;
    bool dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
    if (optind < argc && !dashdash)
        return ls_usage_error("plan", "unexpected argument '%s'", argv[optind]);
    if (a->ro.wait)
        ls_ignored_add(a->ignored, sizeof(a->ignored), "wait", 0);
    if (optind < argc)
        ls_ignored_add(a->ignored, sizeof(a->ignored), NULL, '-');
    return 0;
}

/* 0 parsed, else the exit code (help: 0 after printing, usage error: 64). */
static int parse(int argc, char **argv, struct plan_args *a, bool *done)
{
    static const struct option longopts[] = {
        LS_REQOPTS_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"cgroup-parent", required_argument, NULL, 'P'},
        {"format", required_argument, NULL, 'f'},
        {"vm-memory", required_argument, NULL, 'M'},
        {"cgroup-manager", required_argument, NULL, 'C'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct plan_args){.fmt = FMT_TEXT};
    *done = false;
    /* run's options too, so s/run/plan/ works on any run command line */
    size_t nown = sizeof(longopts) / sizeof(longopts[0]) - 1;
    _cleanup_free_ struct option *all = ls_options_merge(longopts, ls_run_options());
    if (!all) {
        struct ls_error oom = {0};
        ls_fail(&oom, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return ls_report(&oom);
    }
    struct ls_getopt g;
    ls_getopt_init(&g, "plan", argc, argv, "+:hv", all);
    for (int c; (c = ls_getopt_next(&g)) != -1;) {
        if ((g.index >= 0 && (size_t)g.index >= nown)) {
            ls_ignored_add(a->ignored, sizeof(a->ignored), g.index >= 0 ? all[g.index].name : NULL,
                           c);
            continue;
        }
        if (ls_reqopts_handle(&a->ro, c, optarg))
            continue;
        switch (c) {
        case 'P':
            a->cgroup_parent = optarg;
            break;
        case 'j':
            a->json_flag = true;
            break;
        case 'f':
            a->format = optarg;
            if (format_parse(optarg, &a->fmt) < 0)
                return ls_usage_error("plan", "--format %s: want text, json, qemu or libvirt",
                                      optarg);
            break;
        case 'M':
            a->vm_memory = optarg;
            break;
        case 'C': {
            enum ls_cg_manager m;
            struct ls_error merr = {0};
            if (ls_cg_manager_parse(optarg, "--cgroup-manager", &m, &merr) < 0)
                return ls_usage_error("plan", "%s", merr.msg);
            a->manager_given = true;
            break;
        }
        case 'v':
            a->verbose = true;
            break;
        case 'h':
            usage(stdout);
            *done = true;
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    return check_args(argc, argv, a);
}

/* The request and the VM formats' options; warns about the ignored ones. 0 or 64. */
static int check_request(struct plan_args *a, struct ls_request *req, uint64_t *mem_bytes)
{
    struct ls_error err = {0};
    if (ls_reqopts_finish(&a->ro, req, &err) < 0)
        return ls_usage_error("plan", "%s", err.msg);
    bool vm = a->fmt == FMT_QEMU || a->fmt == FMT_LIBVIRT;
    if (vm && (!req->has_perf || req->mode != LS_MODE_EXCLUSIVE))
        return ls_usage_error("plan",
                              "--format %s describes a VM pinned to a performance-mode "
                              "plan: give --perf LLCSxCORESxTHREADS[,nodes=N]",
                              a->fmt == FMT_QEMU ? "qemu" : "libvirt");
    if (a->vm_memory && !vm)
        return ls_usage_error("plan", "--vm-memory goes with --format qemu or libvirt");
    *mem_bytes = 1ull << 30;
    if (a->vm_memory && ls_size_parse(a->vm_memory, "--vm-memory", mem_bytes, &err) < 0)
        return ls_usage_error("plan", "%s", err.msg);
    if (*mem_bytes % (1u << 20))
        return ls_usage_error("plan", "--vm-memory %s: give whole MiB", a->vm_memory);
    if (a->ignored[0])
        ls_warn("plan ignores %s (they only matter to run)", a->ignored);
    return 0;
}

int ls_cmd_plan(int argc, char **argv)
{
    struct plan_args pa;
    bool done;
    int rc = parse(argc, argv, &pa, &done);
    if (rc || done)
        return rc;
    struct ls_request req;
    uint64_t mem_bytes;
    if ((rc = check_request(&pa, &req, &mem_bytes)) != 0)
        return rc;
    struct ls_error err = {0};
    bool vm = pa.fmt == FMT_QEMU || pa.fmt == FMT_LIBVIRT;

    struct ls_host host;
    if (ls_host_load(&host, &pa.ro.host, &err) < 0 ||
        ls_host_apply_grant(&host, pa.cgroup_parent, &err) < 0) {
        ls_host_free(&host);
        return ls_report(&err);
    }
    struct ls_lockdir ld;
    if (ls_lockdir_open_flags(&ld, pa.ro.lock_dir, pa.ro.lock_prefix, LS_LOCKDIR_OBSERVE, &err) <
            0 ||
        ls_ktstr_check(&host.root, &host.topo, ld.prefix, &err) < 0) {
        ls_host_free(&host);
        return ls_report(&err);
    }
    req.ktstr_slots = ls_ktstr_prefix(ld.prefix);
    struct ls_acquire_args a = {&host.topo, &host.allowed, &ld, &req, {0}, NULL, NULL, false};
    struct ls_pass pass;
    struct ls_plan plan;
    rc = ls_pass_discover(&a, &pass, &err);
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
        if (vm)
            rc = print_vm(pa.fmt, &req, &plan, &host.topo, mem_bytes >> 20, &err);
        else if (pa.fmt == FMT_JSON)
            print_json(&plan, pa.verbose);
        else
            print_human(&host.topo, &plan, pa.verbose);
        if (vm && rc == 0)
            for (size_t i = 0; i < plan.nwarnings; i++)
                fprintf(stderr, "%s\n", plan.warnings[i]);
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

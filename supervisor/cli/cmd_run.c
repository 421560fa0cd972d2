/* llcslice run: reserve a slice (locks held from here on), confine a job to it, run it,
 * forward signals, clean up, release, and exit with the job's status. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "planner/duration.h"
#include "planner/size.h"
#include "planner/trace.h"
#include "options.h"
#include "planner/ktstr.h"
#include "supervisor/run/confine.h"
#include "supervisor/run/grant.h"
#include "lockopts.h"
#include "supervisor/run/process.h"
#include "reqopts.h"
#include "supervisor/run/runjob.h"
#include "supervisor/run/seccomp.h"
#include "supervisor/vmm/vmm.h"

static void usage(FILE *out)
{
    fputs("Usage: llcslice run [OPTIONS] -- CMD [ARGS...]\n"
          "\n"
          "Reserve a slice of this host's CPUs (see 'llcslice plan'), create a cgroup limited to\n"
          "it, run CMD there and hold the reservation until CMD and everything it started have\n"
          "exited. The job sees LLCSLICE_CPUS (list), LLCSLICE_NCPUS, LLCSLICE_MEMS and, in\n"
          "exclusive mode, LLCSLICE_PLAN (a JSON file: mode, cpus, mems, locked_llcs,\n"
          "assignments [[vcpu, host_cpu], ...], service_cpu). nproc inside prints the budget.\n"
          "\n"
          "Options:\n",
          out);
    fputs(ls_reqopts_help, out);
    fputs("  --memory-max SIZE      limit the job's memory (bytes, or K/M/G/T/P, powers of 1024;\n"
          "                         max: no limit)\n"
          "  --cgroup-parent PATH   create the job's cgroup under PATH (a directory of the\n"
          "                         cpuset hierarchy, or a path relative to its root) instead\n"
          "                         of under llcslice's own cgroup\n"
          "  --cgroup-manager auto|systemd|cgroupfs\n"
          "                         who makes the job's cgroup: systemd (a transient scope\n"
          "                         unit per job, llcslice-<job>-<id>.scope) or llcslice\n"
          "                         itself (cgroupfs); auto (default, or\n"
          "                         LLCSLICE_CGROUP_MANAGER): systemd when it is PID 1 on a\n"
          "                         cgroup v2 host and its bus answers, else cgroupfs\n"
          "  --slice NAME           systemd: the slice of the job's scope (llcslice.slice)\n"
          "  --strict               fail (exit 125) instead of falling back to\n"
          "                         sched_setaffinity when no cgroup can be used\n"
          "  --seccomp PROFILE      build: the job gets EPERM from host-altering syscalls a\n"
          "                         build never needs; log: the same syscalls are allowed but\n"
          "                         logged by the kernel (audit); none: no filter (default)\n"
          "  --seccomp-deny LIST    also deny these syscalls (name,name) with EPERM\n"
          "  --vmm qemu             CMD is qemu-system-*: append the -smp (one die per virtual\n"
          "                         LLC), -numa (memory bound to the planned host nodes, with\n"
          "                         nodes=N) and a private -qmp socket the --perf plan fixes,\n"
          "                         then pin each vCPU thread to its planned CPU and every\n"
          "                         other qemu thread (also later ones) to the service CPU;\n"
          "                         LLCSLICE_PLAN gets \"applied\". Needs --perf\n"
          "  --vmm-timeout DURATION how long qemu may take to answer on QMP (default 60s);\n"
          "                         then it is killed and run exits 125\n"
          "  --kill-after DURATION  when the job ends or is stopped, what is left of it gets\n"
          "                         SIGTERM, then SIGKILL this long after (default 10s; 0 =\n"
          "                         at once)\n"
          "  -v, --verbose          say what was reserved and where the job runs, and at the end\n"
          "                         what it cost: wall and CPU time, peak memory, OOM kills\n"
          "  -h, --help             this text\n"
          "\n"
          "The build profile denies:",
          out);
    size_t col = 26;
    for (const char *const *n = ls_seccomp_build_syscalls(); *n; n++) {
        size_t len = strlen(*n) + 1;
        if (col + len > 90) {
            fputs("\n ", out);
            col = 1;
        }
        fprintf(out, " %s", *n);
        col += len;
    }
    fputs(".\nperf_event_open, ptrace, unshare and keyctl stay allowed (profilers, debuggers and\n"
          "rootless containers need them). A filter sets no_new_privs unless llcslice has\n"
          "CAP_SYS_ADMIN, so setuid programs keep working in a job run by root.\n"
          "\n"
          "Signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the\n"
          "job; after SIGINT, SIGTERM, SIGHUP or SIGQUIT, what is still running after\n"
          "--kill-after gets SIGKILL. When CMD exits, what it left running gets SIGTERM, then\n"
          "SIGKILL after --kill-after. If llcslice itself is killed, the job is ended the same\n"
          "way, and the reservation stays held (by a small 'llcslice-keep' process) until every\n"
          "process of the job is gone; 'llcslice sweep' (and every run) removes a cgroup left\n"
          "behind.\n"
          "\n"
          "Exit status: the job's (128+N when signal N killed it); 64 usage error; 75 busy\n"
          "(after retries, or after --wait); 77 this host can never satisfy the request; 125\n"
          "llcslice failed; 126 CMD not executable; 127 CMD not found.\n",
          out);
}

enum {
    OPT_MEMORY_MAX = 0x2000,
    OPT_CGROUP_PARENT,
    OPT_STRICT,
    OPT_SECCOMP,
    OPT_SECCOMP_DENY,
    OPT_VMM,
    OPT_VMM_TIMEOUT,
    OPT_CGROUP_MANAGER,
    OPT_SLICE,
    OPT_KILL_AFTER,
};

struct run_opts {
    struct ls_reqopts ro;
    const char *memory_max_text;
    const char *cgroup_parent;
    const char *seccomp, *seccomp_deny;
    const char *vmm, *vmm_timeout;
    const char *kill_after;
    bool strict, verbose;
    char **cmd;
    const char *cgroup_manager, *slice;
};

const struct option *ls_run_options(void)
{
    static const struct option longopts[] = {
        LS_REQOPTS_LONGOPTS,
        {"memory-max", required_argument, NULL, OPT_MEMORY_MAX},
        {"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"seccomp", required_argument, NULL, OPT_SECCOMP},
        {"seccomp-deny", required_argument, NULL, OPT_SECCOMP_DENY},
        {"vmm", required_argument, NULL, OPT_VMM},
        {"vmm-timeout", required_argument, NULL, OPT_VMM_TIMEOUT},
        {"cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER},
        {"slice", required_argument, NULL, OPT_SLICE},
        {"kill-after", required_argument, NULL, OPT_KILL_AFTER},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    return longopts;
}

/* 0 parsed, else the exit code (help: 0 after printing, usage error: 64). */
static int parse(int argc, char **argv, struct run_opts *o, bool *done)
{
    const struct option *longopts = ls_run_options();
    memset(o, 0, sizeof(*o));
    *done = false;
    int c;
    struct ls_getopt g;
    ls_getopt_init(&g, "run", argc, argv, "+:hv", longopts);
    while ((c = ls_getopt_next(&g)) != -1) {
        if (ls_reqopts_handle(&o->ro, c, optarg))
            continue;
        switch (c) {
        case OPT_MEMORY_MAX:
            o->memory_max_text = optarg;
            break;
        case OPT_CGROUP_PARENT:
            o->cgroup_parent = optarg;
            break;
        case OPT_STRICT:
            o->strict = true;
            break;
        case OPT_SECCOMP:
            o->seccomp = optarg;
            break;
        case OPT_SECCOMP_DENY:
            o->seccomp_deny = optarg;
            break;
        case OPT_VMM:
            o->vmm = optarg;
            break;
        case OPT_VMM_TIMEOUT:
            o->vmm_timeout = optarg;
            break;
        case OPT_CGROUP_MANAGER:
            o->cgroup_manager = optarg;
            break;
        case OPT_SLICE:
            o->slice = optarg;
            break;
        case OPT_KILL_AFTER:
            o->kill_after = optarg;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            usage(stdout);
            *done = true;
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    bool dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
    if (!dashdash && optind < argc)
        return ls_usage_error("run",
                              "missing '--' before the command '%s': llcslice run "
                              "[OPTIONS] -- CMD [ARGS...]",
                              argv[optind]);
    if (optind >= argc)
        return ls_usage_error("run", "no command given: llcslice run [OPTIONS] -- CMD [ARGS...]");
    o->cmd = argv + optind;
    return 0;
}

/* The values the options name, parsed and checked before anything is read or reserved. */
struct run_values {
    struct ls_request req;
    uint64_t memory_max; /* 0 = no limit */
    struct ls_vmm vmm;   /* .perf points into req */
    enum ls_cg_manager manager;
    long long kill_after_ms;
};

/* 0, or the exit code of the usage error it printed (64). */
static int check_values(struct run_opts *o, struct run_values *v)
{
    struct ls_error err = {0};
    if (ls_reqopts_finish(&o->ro, &v->req, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    v->memory_max = 0;
    if (o->memory_max_text && !strcmp(o->memory_max_text, "max"))
        o->memory_max_text = NULL; /* no limit, as memory_max: max in a slot file */
    if (o->memory_max_text &&
        ls_size_parse(o->memory_max_text, "--memory-max", &v->memory_max, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    v->vmm = (struct ls_vmm){
        .perf = &v->req.perf, .timeout_ms = LS_VMM_DEFAULT_TIMEOUT_MS, .verbose = o->verbose};
    if (o->vmm_timeout && !o->vmm)
        return ls_usage_error("run", "--vmm-timeout needs --vmm");
    if (o->vmm_timeout &&
        (ls_duration_parse(o->vmm_timeout, "--vmm-timeout", &v->vmm.timeout_ms, &err) < 0 ||
         (v->vmm.timeout_ms <= 0 &&
          ls_fail(&err, LS_ERR_USAGE, EINVAL, "--vmm-timeout must be above zero") < 0)))
        return ls_usage_error("run", "%s", err.msg);
    if (o->vmm && ls_vmm_parse(o->vmm, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    v->manager = LS_CGM_AUTO;
    if (o->cgroup_manager &&
        ls_cg_manager_parse(o->cgroup_manager, "--cgroup-manager", &v->manager, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    /* Checked before anything is reserved (confine.c applies the same rules to slot jobs). */
    enum ls_cg_manager effective = v->manager;
    if (ls_cg_manager_effective(v->manager, &effective, &err) < 0) /* auto: also the env */
        return ls_usage_error("run", "%s", err.msg);
    if (effective == LS_CGM_SYSTEMD && o->cgroup_parent)
        return ls_usage_error("run", "--cgroup-parent is for the cgroupfs manager; with systemd, "
                                     "jobs run in scopes of a slice: use --slice NAME");
    if (o->slice && (strlen(o->slice) < 7 || strcmp(o->slice + strlen(o->slice) - 6, ".slice") ||
                     strchr(o->slice, '/')))
        return ls_usage_error("run", "--slice '%s': a systemd slice unit name, like llcslice.slice",
                              o->slice);
    v->kill_after_ms = 10000;
    if (o->kill_after &&
        ls_duration_parse(o->kill_after, "--kill-after", &v->kill_after_ms, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    return 0;
}

/* The host, its grant and the lock dir, and the checks that need the host; 0, or the exit
 * code of the error it printed. The caller frees host either way. */
static int load_host(const struct run_opts *o, struct run_values *v, struct ls_host *host,
                     struct ls_lockdir *ld)
{
    struct ls_error err = {0};
    if (ls_host_load(host, &o->ro.host, &err) < 0 ||
        ls_host_apply_grant(host, o->cgroup_parent, &err) < 0 ||
        ls_lockdir_open(ld, o->ro.lock_dir, o->ro.lock_prefix, &err) < 0 ||
        ls_ktstr_check(&host->root, &host->topo, ld->prefix, &err) < 0)
        return ls_report(&err);
    ls_trace_mark("discover-host");
    v->req.ktstr_slots = ls_ktstr_prefix(ld->prefix);
    v->vmm.topo = &host->topo;
    if (o->vmm && ls_vmm_check(&v->vmm, &v->req, !ls_root_is_host(&host->root), o->cmd, &err) < 0)
        return ls_usage_error("run", "%s", err.msg);
    if (o->strict && !ls_root_is_host(&host->root)) /* --strict promises confinement */
        return ls_usage_error("run",
                              "--strict with a simulated host (--fsroot): its CPUs are not this "
                              "machine's, so the job is never confined; drop one of them");
    return 0;
}

int ls_cmd_run(int argc, char **argv)
{
    struct run_opts o;
    bool done;
    ls_trace_start();
    int rc = parse(argc, argv, &o, &done);
    if (rc || done)
        return rc;

    struct run_values v;
    if ((rc = check_values(&o, &v)) != 0)
        return rc;
    struct ls_error err = {0};
    struct ls_seccomp sc;
    if (ls_seccomp_build(&sc, o.seccomp, o.seccomp_deny, &err) < 0) {
        if (err.category == LS_ERR_USAGE)
            return ls_usage_error("run", "%s", err.msg);
        return ls_report(&err);
    }
    /* A missing command is refused before anything is reserved. */
    char path[4096];
    rc = ls_command_lookup(o.cmd[0], path, sizeof(path), &err);
    if (rc) {
        ls_seccomp_free(&sc);
        fprintf(stderr, "llcslice: %s\n", err.msg);
        return rc;
    }

    ls_trace_mark("setup");
    struct ls_host host;
    struct ls_lockdir ld;
    if ((rc = load_host(&o, &v, &host, &ld)) != 0) {
        ls_host_free(&host);
        ls_seccomp_free(&sc);
        return rc;
    }
    if (ls_root_is_host(&host.root)) {
        struct ls_error serr = {0};
        if (ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, NULL, &serr) < 0)
            ls_warn("sweeping orphaned cgroups: %s", serr.msg);
    }
    ls_trace_mark("sweep");

    char limit_text[256] = "";
    if (o.memory_max_text)
        snprintf(limit_text, sizeof(limit_text), "--memory-max %s", o.memory_max_text);
    struct ls_runjob rj = {
        .host = &host,
        .ld = &ld,
        .req = &v.req,
        .wait = o.ro.wait,
        .wait_ms = o.ro.wait_ms,
        .argv = o.cmd,
        .seccomp = &sc,
        .memory_max = v.memory_max,
        .memory_max_text = o.memory_max_text ? limit_text : NULL,
        .cgroup_parent = o.cgroup_parent,
        .strict = o.strict,
        .verbose = o.verbose,
        .vmm = o.vmm ? &v.vmm : NULL,
        .cgroup_manager = v.manager,
        .slice = o.slice,
        .kill_after_ms = v.kill_after_ms,
    };
    int stop_signal;
    int code = ls_runjob(&rj, &stop_signal);
    ls_host_free(&host);
    ls_seccomp_free(&sc);
    ls_trace_mark("cleanup");
    ls_trace_report();
    if (stop_signal) {
        signal(stop_signal, SIG_DFL);
        raise(stop_signal);
    }
    return code;
}

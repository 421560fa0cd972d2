/* llcslice slots FILE.yaml: validate a YAML job-slot file whole, then list it (--check), plan
 * it (--dry-run) or run it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "configs/slots.h"
#include "planner/cleanup.h"
#include "planner/duration.h"
#include "supervisor/slots/logfile.h"
#include "options.h"
#include "planner/ktstr.h"
#include "supervisor/run/grant.h"
#include "lockopts.h"
#include "reqopts.h"
#include "supervisor/slots/slots_cmd.h"
#include "supervisor/slots/slots_slurm.h"

static const char usage[] =
    "Usage: llcslice slots FILE.yaml [--check | --dry-run] [OPTIONS]\n"
    "\n"
    "Run the jobs a YAML job-slot file describes (schema: llcslice-slots.yaml(5)), each in\n"
    "its own reservation exactly as 'llcslice run' would, as many at once as the reservations\n"
    "(and max_jobs) allow. A job whose CPUs are held waits (its wait:); after: jobs start once\n"
    "those they follow succeeded; a failed job stops only the jobs after it. Each job's output\n"
    "goes to LOG_DIR/JOB.log. The whole file is validated first: every error names\n"
    "FILE:LINE:COLUMN and the key, and exits 64 before anything runs.\n"
    "\n"
    "Options:\n"
    "  --check               validate the whole file, plan every job on the idle host (as\n"
    "                        --dry-run), warn about a missing cwd: or a command not found,\n"
    "                        and print a summary of its jobs\n"
    "  --dry-run             print each job's plan as if the host were idle, and which jobs\n"
    "                        could run side by side (waves); takes no lock\n"
    "  --slurm               submit every job and repeat to Slurm with sbatch instead (cpus,\n"
    "                        memory_max, timeout and after: become --cpus-per-task, --mem,\n"
    "                        --time, --dependency), each running 'llcslice run' on the node\n"
    "                        Slurm picks; then follow them (scontrol, every 1-10 s) until\n"
    "                        all ended, cancel those whose after: failed (skipped), and\n"
    "                        print the summary (and --json) as a local run, with the node\n"
    "                        each ran on; same exit codes; with --dry-run print the sh\n"
    "                        script that submits them instead\n"
    "  --json                with --check: the findings as JSON; with --dry-run: the plans\n"
    "                        as JSON; when running: a JSON summary on stdout at the end\n"
    "                        (progress goes to stderr); errors: {\"error\": {...}}\n"
    "  --tail                also print every job's output, each line prefixed with [JOB]\n"
    "  --fail-fast           on the first failed job, stop the others and start no more\n"
    "  --log-dir DIR         where the job logs go (default: the file's log_dir:, else a new\n"
    "                        directory in $TMPDIR or /tmp)\n"
    "  --kill-after DURATION a job past its timeout: gets SIGTERM, then SIGKILL this long\n"
    "                        after (default 10s)\n"
    "  --lock-dir DIR        lockfile directory (beats the file's lock_dir:, which beats\n"
    "                        env LLCSLICE_LOCK_DIR; default /tmp)\n"
    "  --lock-prefix P       lockfile prefix (likewise; env LLCSLICE_LOCK_PREFIX; default\n"
    "                        llcslice)\n"
    "  --fsroot DIR          read the CPU topology under DIR, a dumped sysfs tree\n"
    "                        (env LLCSLICE_FSROOT); jobs then hold real locks but run\n"
    "                        unconfined, as 'llcslice run --fsroot' does\n"
    "  --allowed-cpus LIST   CPUs the jobs may use instead of this process's affinity\n"
    "                        (env LLCSLICE_ALLOWED_CPUS)\n"
    "  -h, --help            this text\n"
    "\n"
    "While running: a live table (job, state, CPUs, elapsed, exit) when the output is a\n"
    "terminal, else one line per state change; a summary table at the end. Ctrl-C stops\n"
    "every job (SIGTERM, forwarded to the job), waits for each to release its reservation\n"
    "and cgroup, and exits 130; a second Ctrl-C kills the jobs (SIGKILL).\n"
    "\n"
    "Exit codes: 0 every job succeeded (with --check/--dry-run: the file is valid); 1 a job\n"
    "failed, timed out or was skipped; 64 the file is invalid or a budget does not fit this\n"
    "host; 77 (--check/--dry-run) a job can never be planned here; 125 llcslice itself\n"
    "failed; 128+N stopped by signal N.\n";

/* Build every job's seccomp filter now: an unknown syscall name is the file's error, at the
 * job's seccomp: value, before anything runs. */
static int build_filters(const struct ls_slots *s, struct ls_seccomp *sc, struct ls_error *err)
{
    for (size_t i = 0; i < s->njobs; i++) {
        const struct ls_slot_job *j = &s->jobs[i];
        struct ls_error e = {0};
        if (ls_seccomp_build(&sc[i], j->seccomp, j->seccomp_deny, &e) == 0)
            continue;
        if (e.category != LS_ERR_USAGE) {
            *err = e;
            return -1;
        }
        /* "--seccomp-deny: unknown syscall name 'x'": the flag means nothing in a file */
        const char *msg = e.msg, *colon = strstr(msg, ": ");
        if (!strncmp(msg, "--seccomp", 9) && colon)
            msg = colon + 2;
        return ls_fail(err, LS_ERR_USAGE, e.code, "%s:%u:%u: key 'seccomp': job '%s': %s", s->path,
                       j->seccomp_pos.line, j->seccomp_pos.col, j->name, msg);
    }
    return 0;
}

/* --log-dir, the file's log_dir:, else a fresh llcslice-slots-STEM-XXXXXX in $TMPDIR. */
static char *log_dir_for(const struct ls_slots *s, const char *flag, struct ls_error *err)
{
    const char *want = flag ? flag : s->log_dir;
    if (want) {
        if (ls_log_dir_prepare(want, flag ? "--log-dir" : "log_dir:", err) < 0)
            return NULL;
        char *out = strdup(want);
        if (!out)
            ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return out;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    const char *base = strrchr(s->path, '/');
    base = base ? base + 1 : s->path;
    size_t stem = strcspn(base, ".");
    char *out;
    if (asprintf(&out, "%s/llcslice-slots-%.*s-XXXXXX", tmp, (int)(stem < 40 ? stem : 40), base) <
        0) {
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return NULL;
    }
    for (char *c = out + strlen(tmp) + 16; *c && *c != 'X'; c++)
        if (*c == '/' || (unsigned char)*c < 0x20) /* a stem is a file name: stay one */
            *c = '_';
    if (!mkdtemp(out)) {
        ls_fail(err, LS_ERR_SYSTEM, errno,
                "cannot create a log directory in %s: %s (set TMPDIR, or use --log-dir)", tmp,
                strerror(errno));
        free(out);
        return NULL;
    }
    return out;
}

/* *field = strdup(value) when value is set; -1 on ENOMEM. */
static int override(char **field, const char *value)
{
    if (!value)
        return 0;
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

static int run_file(const struct ls_slots *s, const struct ls_host *host, const char *lock_dir,
                    const char *lock_prefix, const char *log_flag,
                    const struct ls_slots_run_opts *base, const struct ls_seccomp *sc)
{
    struct ls_error err = {0};
    struct ls_lockdir ld;
    if (ls_lockdir_open(&ld, lock_dir ? lock_dir : s->lock_dir,
                        lock_prefix ? lock_prefix : s->lock_prefix, &err) < 0 ||
        ls_ktstr_check(&host->root, &host->topo, ld.prefix, &err) < 0)
        return ls_report(&err);
    _cleanup_free_ char *log_dir = log_dir_for(s, log_flag, &err);
    if (!log_dir)
        return ls_report(&err);
    if (ls_root_is_host(&host->root)) {
        struct ls_error serr = {0};
        if (ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, NULL, &serr) < 0)
            ls_warn("sweeping orphaned cgroups: %s", serr.msg);
    }
    struct ls_slots_run_opts o = *base;
    o.host = host;
    o.ld = &ld;
    o.seccomp = sc;
    o.log_dir = log_dir;
    o.max_jobs = s->max_jobs;
    o.cgroup_manager = s->cgroup_manager;
    return ls_slots_run(s, &o);
}

/* What the command line asked for. */
struct slots_args {
    bool check, dry_run, slurm;
    const char *log_dir, *kill_after, *path;
    struct ls_reqopts lh; /* only the lock and host options (LS_LOCKHOST_LONGOPTS) */
    struct ls_slots_run_opts ro;
};

enum {
    OPT_CHECK = 256,
    OPT_DRY_RUN,
    OPT_JSON,
    OPT_TAIL,
    OPT_FAIL_FAST,
    OPT_LOG_DIR,
    OPT_KILL_AFTER,
    OPT_SLURM
};

/* 0 parsed, else the exit code (help: 0 after printing, usage error: 64). */
static int parse(int argc, char **argv, struct slots_args *a, bool *done)
{
    static const struct option opts[] = {
        {"check", no_argument, NULL, OPT_CHECK},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"json", no_argument, NULL, OPT_JSON},
        {"tail", no_argument, NULL, OPT_TAIL},
        {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
        {"log-dir", required_argument, NULL, OPT_LOG_DIR},
        {"kill-after", required_argument, NULL, OPT_KILL_AFTER},
        LS_LOCKHOST_LONGOPTS,
        {"slurm", no_argument, NULL, OPT_SLURM},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct slots_args){.ro = {.kill_after_ms = 10000}};
    *done = false;
    struct ls_getopt g;
    ls_getopt_init(&g, "slots", argc, argv, ":h", opts);
    for (int c; (c = ls_getopt_next(&g)) != -1;) {
        if (ls_reqopts_handle(&a->lh, c, optarg))
            continue;
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            *done = true;
            return 0;
        case OPT_CHECK:
            a->check = true;
            break;
        case OPT_DRY_RUN:
            a->dry_run = true;
            break;
        case OPT_JSON:
            a->ro.json = true;
            break;
        case OPT_TAIL:
            a->ro.tail = true;
            break;
        case OPT_FAIL_FAST:
            a->ro.fail_fast = true;
            break;
        case OPT_LOG_DIR:
            a->log_dir = optarg;
            break;
        case OPT_KILL_AFTER:
            a->kill_after = optarg;
            break;
        case OPT_SLURM:
            a->slurm = true;
            break;
        default:
            return ls_getopt_error(&g);
        }
    }
    if (optind >= argc)
        return ls_usage_error("slots", "missing FILE.yaml");
    if (argc - optind > 1)
        return ls_usage_error("slots", "one slot file at a time; unexpected '%s'",
                              argv[optind + 1]);
    if (a->check && a->dry_run)
        return ls_usage_error("slots", "--check and --dry-run do not go together; pick one");
    if (a->slurm && a->check)
        return ls_usage_error("slots", "--check does not go with --slurm");
    if (a->log_dir && !*a->log_dir)
        return ls_usage_error("slots", "--log-dir needs a directory");
    struct ls_error err = {0};
    if (a->kill_after) {
        long long ms;
        if (ls_duration_parse(a->kill_after, "--kill-after", &ms, &err) < 0)
            return ls_usage_error("slots", "%s", err.msg);
        a->ro.kill_after_ms = (uint64_t)ms;
    }
    if (a->lh.lock_prefix && ls_lock_prefix_check(a->lh.lock_prefix, "--lock-prefix", &err) < 0)
        return ls_usage_error("slots", "%s", err.msg);
    a->path = argv[optind];
    return 0;
}

/* The loaded file on this host: submit it to Slurm, check it, plan it or run it. */
static int dispatch(const struct slots_args *a, struct ls_slots *slots, const struct ls_host *host,
                    const struct ls_seccomp *sc)
{
    const char *lock_dir = a->lh.lock_dir, *lock_prefix = a->lh.lock_prefix;
    struct ls_error err = {0};
    if (a->slurm) {
        struct ls_slurm_opts so = {
            .allowed_count = ls_cpuset_count(&host->allowed),
            .log_dir = a->log_dir ? a->log_dir : slots->log_dir,
            .lock_dir = lock_dir ? lock_dir : slots->lock_dir,
            .lock_prefix = lock_prefix ? lock_prefix : slots->lock_prefix,
        };
        _cleanup_free_ unsigned long *ids = NULL;
        if (a->dry_run)
            return ls_slots_slurm_script(slots, &so, stdout, &err) < 0 ? ls_report(&err) : 0;
        int rc = ls_slots_slurm_submit(slots, &so, &ids);
        return rc == 0 ? ls_slots_slurm_follow(slots, &so, ids, a->ro.json) : rc;
    }
    if (a->check) {
        /* the header shows what a run would use: the command line beats the file */
        if (override(&slots->lock_dir, lock_dir) < 0 ||
            override(&slots->lock_prefix, lock_prefix) < 0 ||
            override(&slots->log_dir, a->log_dir) < 0) {
            ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
            return ls_report(&err);
        }
        return ls_slots_check(slots, host, a->ro.json);
    }
    if (a->dry_run) {
        /* ktstr's slots shape the plans: the command line's prefix beats the file's */
        if (override(&slots->lock_prefix, lock_prefix) < 0) {
            ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
            return ls_report(&err);
        }
        return ls_slots_dry_run(slots, host, a->ro.json);
    }
    return run_file(slots, host, lock_dir, lock_prefix, a->log_dir, &a->ro, sc);
}

int ls_cmd_slots(int argc, char **argv)
{
    struct slots_args a;
    bool done;
    int rc = parse(argc, argv, &a, &done);
    if (rc || done)
        return rc;

    struct ls_error err = {0};
    struct ls_slots slots;
    if (ls_slots_load_file(a.path, &slots, &err) < 0)
        return ls_report(&err);
    ls_host_opts_from_env(&a.lh.host);
    struct ls_host host;
    _cleanup_free_ struct ls_seccomp *sc = calloc(slots.njobs, sizeof(*sc));
    if (!sc) {
        ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        rc = ls_report(&err);
        ls_slots_free(&slots);
        return rc;
    }
    /* With --slurm budgets are for the nodes Slurm picks, not this (submit) host. */
    if (ls_host_load(&host, &a.lh.host, &err) < 0 || ls_host_apply_grant(&host, NULL, &err) < 0 ||
        (!a.slurm &&
         ls_slots_check_budgets(&slots, ls_cpuset_count(&host.allowed),
                                ls_cpuset_count(&host.topo.online), host.topo.nllcs, &err) < 0) ||
        build_filters(&slots, sc, &err) < 0)
        rc = ls_report(&err);
    else
        rc = dispatch(&a, &slots, &host, sc);
    for (size_t i = 0; i < slots.njobs; i++)
        ls_seccomp_free(&sc[i]);
    ls_host_free(&host);
    ls_slots_free(&slots);
    return rc;
}

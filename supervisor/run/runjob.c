#include "runjob.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "planner/acquire.h"
#include "planner/cleanup.h"
#include "planner/trace.h"
#include "confine.h"
#include "hostwarn.h"
#include "jobenv.h"
#include "keeper.h"
#include "planfile.h"
#include "process.h"
#include "supervisor/vmm/vmm.h"
#include "runstats.h"
#include "waitview.h"
#include "planner/clock.h"

extern char **environ;

/* Ctrl-C while waiting for the reservation: stop waiting, leave the queue, die of it. */
static volatile sig_atomic_t stop_signal;
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void catch_stop(struct sigaction *saved)
{
    for (size_t i = 0; i < NSTOP; i++) {
        sigaction(stop_signals[i], NULL, &saved[i]);
        if (saved[i].sa_handler == SIG_IGN)
            continue; /* ignored by whoever started us: keep it so */
        struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: cut sleeps short */
        sigemptyset(&sa.sa_mask);
        sigaction(stop_signals[i], &sa, NULL);
    }
}

static void uncatch_stop(const struct sigaction *saved)
{
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &saved[i], NULL);
}

static void print_warnings(const struct ls_host *host, const struct ls_plan *plan,
                           uint64_t memory_max)
{
    for (size_t i = 0; i < plan->nwarnings; i++)
        fprintf(stderr, "%s\n", plan->warnings[i]);
    if (plan->mode != LS_MODE_EXCLUSIVE)
        return;
    _cleanup_free_ char *huge = ls_hugepage_warning(host->topo.hugepages_2m_total,
                                                    host->topo.hugepages_2m_free, memory_max);
    if (huge)
        ls_warn("%s", huge);
    _cleanup_free_ char *load =
        ls_load_warning(ls_host_running_tasks(&host->root), ls_cpuset_count(&host->topo.online),
                        ls_cpuset_count(&plan->cpus));
    if (load)
        ls_warn("%s", load);
}

static void say_where(const struct ls_runjob *rj, const struct ls_plan *plan,
                      const struct ls_confine *c)
{
    _cleanup_free_ char *cpus = ls_cpuset_format(&plan->cpus);
    _cleanup_free_ char *mems = ls_cpuset_format(&plan->mems);
    const char *where = ls_confine_where(c);
    fprintf(stderr, "llcslice: %s: %zu CPU(s) %s, memory node(s) %s, %s mode; cgroup %s\n",
            rj->argv[0], ls_cpuset_count(&plan->cpus), cpus ? cpus : "?", mems ? mems : "?",
            ls_mode_name(plan->mode), where);
}

/* Where and how the job is confined, from the run's options and its plan. */
static void confine_opts(const struct ls_runjob *rj, const struct ls_plan *plan,
                         struct ls_confine_opts *co)
{
    const struct ls_host *host = rj->host;
    *co = (struct ls_confine_opts){
        .simulated_root = ls_root_is_host(&host->root) ? NULL : host->root.path,
        .cgroup_parent = rj->cgroup_parent,
        .cpus = &plan->cpus,
        .mems = &plan->mems,
        .memory_max = rj->memory_max,
        .budget_explicit = rj->req->cpus_explicit || rj->req->has_perf,
        .strict = rj->strict,
        .manager = rj->cgroup_manager,
        .verbose = rj->verbose,
        .slice = rj->slice,
        .job_name = rj->job_name                ? rj->job_name
                    : strrchr(rj->argv[0], '/') ? strrchr(rj->argv[0], '/') + 1
                                                : rj->argv[0],
    };
}

/* Spawn the job (parked), start its lock keeper, put it in its confinement and let it run;
 * -1 with err (the job aborted) when any step fails. */
static int launch(const struct ls_runjob *rj, const struct ls_plan *plan, struct ls_confine *conf,
                  struct ls_job_spec *spec, struct ls_job *job, struct ls_keeper *keeper,
                  struct ls_error *err)
{
    /* cgroup v2: the shim is created in its group, no cgroup.procs write (v1: it moves itself
     * in, through the "tasks" files opened here, else it is moved below). */
    _cleanup_close_ int cgroup_fd =
        conf->kind == LS_CONFINE_CGROUP ? ls_sandbox_open_dir(&conf->sb) : -1;
    spec->nenter = 0;
    if (cgroup_fd < 0 && conf->kind == LS_CONFINE_CGROUP)
        ls_sandbox_enter_files(&conf->sb, spec->enter_fds, &spec->nenter);
    bool self_enter = spec->nenter > 0;
    int spawned = ls_job_spawn(job, spec, cgroup_fd, err);
    while (spec->nenter)
        close(spec->enter_fds[--spec->nenter]); /* the shim has its own */
    if (spawned < 0)
        return -1;
    if (job->in_cgroup && !ls_sandbox_applied(&conf->sb, job->shim)) {
        /* An older kernel put it in the group but on our CPUs: start over, moved in below. */
        ls_job_abort(job);
        if (ls_job_spawn(job, spec, -1, err) < 0)
            return -1;
    }
    if (!job->pidns)
        ls_warn("no pid namespace for the job (that needs root): a job that kills both its "
                "supervisor and its lock keeper (they run as the same user) could keep running "
                "on CPUs shown free; see docs/SECURITY.md");
    struct ls_keeper_spec ks = {
        .fds = plan->fds,
        .nfds = plan->nfds,
        .shim = job->shim,
        .marker_fd = job->marker_fd,
        .cgroup_dir = conf->kind == LS_CONFINE_CGROUP ? conf->sb.path : NULL,
        .cg_version = conf->kind == LS_CONFINE_CGROUP ? conf->sb.version : LS_CG_NONE,
        .kill_after_ms = rj->kill_after_ms,
    };
    int kept = ls_keeper_start(keeper, &ks, err);
    close(job->marker_fd); /* the keeper's copy is the one that must see EOF */
    job->marker_fd = -1;
    if (kept < 0) {
        ls_job_abort(job);
        return -1;
    }
    int entered = 0;
    if (job->in_cgroup) {
        ls_trace_mark("spawn-into-cgroup");
    } else if (self_enter) {
        ls_trace_mark("spawn");
        int code;
        size_t which;
        if (ls_job_entered(job, &code, &which) < 0)
            entered = ls_sandbox_enter_failed(&conf->sb, which, code, err);
        ls_trace_mark("cgroup-attach");
    } else {
        ls_trace_mark("spawn");
        entered = ls_confine_enter(conf, job->shim, err);
        ls_trace_mark("cgroup-attach");
    }
    if (entered < 0 || ls_job_start(job, err) < 0) {
        ls_job_abort(job);
        return -1;
    }
    return 0;
}

/* After the job: its stats (--verbose, the on_end hook), a wait error, the OOM kills. */
static void report_end(const struct ls_runjob *rj, const struct ls_confine *conf, int code,
                       uint64_t started, const struct ls_error *err)
{
    if (rj->verbose || rj->on_end) {
        struct ls_runstats st;
        ls_runstats_collect(&st, conf, started);
        if (rj->verbose) {
            char text[512];
            ls_runstats_format(&st, text, sizeof(text));
            fprintf(stderr, "llcslice: %s: exit %d after %s\n", rj->argv[0], code, text);
        }
        if (rj->on_end)
            rj->on_end(&st, rj->ctx);
    }
    if (ls_error_set(err))
        fprintf(stderr, "llcslice: %s\n", err->msg);
    long ooms = ls_confine_oom_kills(conf);
    if (ooms > 0)
        fprintf(stderr,
                "llcslice: out of memory: the kernel's OOM killer killed %ld process(es) of the "
                "job%s%s%s\n",
                ooms, rj->memory_max_text ? " at its memory limit (" : "",
                rj->memory_max_text ? rj->memory_max_text : "", rj->memory_max_text ? ")" : "");
}

/* What the job is started with: the plan file (exclusive mode; plan_path stays "" otherwise or
 * on failure), its environment, and with --vmm qemu's command line. -1 with err. */
static int job_inputs(const struct ls_runjob *rj, const struct ls_plan *plan, char *plan_path,
                      size_t size, char ***envp, char *const **argv, struct ls_error *err)
{
    if (plan->mode == LS_MODE_EXCLUSIVE && ls_planfile_write(plan, plan_path, size, err) < 0) {
        plan_path[0] = '\0';
        return -1;
    }
    *envp = ls_jobenv_build(environ, &plan->cpus, &plan->mems, plan_path[0] ? plan_path : NULL,
                            plan->vcpus, err);
    if (!*envp)
        return -1;
    if (rj->vmm) {
        if (ls_vmm_prepare(rj->vmm, plan, rj->argv, plan_path[0] ? plan_path : NULL, err) < 0)
            return -1;
        *argv = rj->vmm->argv;
    }
    return 0;
}

/* Everything from the reservation on: returns the exit code. */
static int run_reserved(const struct ls_runjob *rj, struct ls_plan *plan, struct ls_sigstate *sig)
{
    struct ls_error err = {0};
    const struct ls_host *host = rj->host;
    print_warnings(host, plan, rj->memory_max);

    struct ls_confine_opts co;
    confine_opts(rj, plan, &co);
    struct ls_confine *conf = calloc(1, sizeof(*conf));
    if (!conf) {
        ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return ls_report(&err);
    }
    ls_trace_mark("warnings");
    int prep = ls_confine_prepare(conf, &co, &err);
    ls_trace_mark("cgroup-create");
    if (prep < 0) {
        free(conf);
        return ls_report(&err);
    }
    if (rj->verbose)
        say_where(rj, plan, conf);

    int code;
    char plan_path[4096] = "";
    char **envp = NULL;
    struct ls_job job = LS_JOB_INIT;
    struct ls_keeper keeper = LS_KEEPER_INIT;
    char *const *argv = rj->argv;
    if (job_inputs(rj, plan, plan_path, sizeof(plan_path), &envp, &argv, &err) < 0) {
        code = ls_report(&err);
        goto out;
    }
    struct ls_job_spec spec = {.argv = argv,
                               .envp = envp,
                               .seccomp = rj->seccomp,
                               .sig = sig,
                               .kill_after_ms = rj->kill_after_ms,
                               .timeout_ms = rj->timeout_ms};
    if (launch(rj, plan, conf, &spec, &job, &keeper, &err) < 0) {
        code = ls_report(&err);
        goto out;
    }
    if (rj->on_start)
        rj->on_start(plan, job.shim, rj->ctx);
    if (rj->vmm)
        ls_vmm_attach(rj->vmm, job.shim);
    uint64_t started = ls_mono_ms();
    code = ls_job_wait(&job, &err);
    if (rj->vmm && rj->vmm->failed)
        code = LS_EXIT_SYSTEM; /* qemu was killed because it could not be pinned */
    ls_trace_mark("job");
    report_end(rj, conf, code, started, &err);
out:
    /* The job and all it started are gone (the shim saw to that); the cgroup goes next,
     * killing anything that slipped out, and only then are the locks released. */
    if (rj->vmm)
        ls_vmm_finish(rj->vmm);
    ls_confine_release(conf);
    free(conf);
    if (keeper.pid > 0) {
        /* The keeper releases (LOCK_UN, close) once it sees the job gone; our copies are
         * only closed, since an unlock of ours would drop its locks too. */
        ls_plan_forget(plan);
        ls_keeper_finish(&keeper);
    }
    if (plan_path[0])
        unlink(plan_path);
    ls_jobenv_free(envp);
    return code;
}

int ls_runjob(const struct ls_runjob *rj, int *stop_signal_out)
{
    struct ls_error err = {0};
    struct ls_request req = *rj->req;
    struct sigaction saved[NSTOP];
    stop_signal = 0;
    req.stop = &stop_signal;
    catch_stop(saved);
    struct ls_plan plan;
    int rc;
    /* Without a hook (run): waiting shows as a status line (waitview.h). */
    struct ls_waitview wv;
    bool view = rj->wait && !rj->on_wait;
    if (view)
        ls_waitview_init(&wv, stderr, rj->wait_ms);
    if (rj->wait)
        rc = ls_plan_acquire_wait(&rj->host->topo, &rj->host->allowed, rj->ld, &req, rj->wait_ms,
                                  view ? ls_waitview_who : rj->on_wait, view ? &wv : rj->ctx, &plan,
                                  &err);
    else
        rc = ls_plan_acquire(&rj->host->topo, &rj->host->allowed, rj->ld, &req, &plan, &err);
    if (view)
        ls_waitview_end(&wv, rc == 0);
    /* From here signals queue for the job (or for dying of them in the caller). */
    struct ls_sigstate sig = {0};
    struct ls_error berr = {0};
    int brc = ls_signals_block(&sig, &berr);
    uncatch_stop(saved);
    int code;
    if (stop_signal) {
        code = 128 + stop_signal;
        if (rc == 0)
            ls_plan_free(&plan);
    } else if (rc < 0) {
        code = ls_report(&err);
    } else if (brc < 0) {
        ls_plan_free(&plan);
        code = ls_report(&berr);
    } else {
        code = run_reserved(rj, &plan, &sig);
        ls_plan_free(&plan); /* locks released: the job is gone */
    }
    ls_signals_restore(&sig);
    *stop_signal_out = stop_signal;
    return code;
}

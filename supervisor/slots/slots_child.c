/* One run of a slot job, in a fork of the runner: the job's log as stdout and stderr, its cwd
 * and env, then exactly what `llcslice run` does (ls_runjob), reporting to the runner when it
 * waits and when the command started, on which CPUs.
 *
 * Why a fork calling ls_runjob rather than an exec of `llcslice run`: it is the same function
 * `run` calls, with the host, lock dir and seccomp filters the runner already read and
 * validated (no second parse of options that could drift from the file's), and the hooks
 * give the runner the reservation without scraping text. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "configs/slots_units.h"
#include "planner/cleanup.h"
#include "planner/ktstr.h"
#include "supervisor/cli/options.h"
#include "supervisor/run/process.h"
#include "supervisor/run/proctitle.h"
#include "supervisor/run/runjob.h"
#include "supervisor/run/runstats.h"
#include "slots_child.h"

static void send_line(int sock, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(sock, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the runner is gone; PR_SET_PDEATHSIG stops us */
        off += (size_t)n;
    }
}

static void report_wait(const char *who, void *ctx)
{
    const struct ls_slots_child *c = ctx;
    char line[1200];
    snprintf(line, sizeof(line), "W %.1100s", who);
    for (char *p = line; *p; p++)
        if (*p == '\n')
            *p = ' ';
    strcat(line, "\n");
    send_line(c->sock, line);
    fprintf(stderr, "llcslice: waiting for: %s\n", who); /* the log says it too */
}

static void report_start(const struct ls_plan *plan, pid_t shim, void *ctx)
{
    const struct ls_slots_child *c = ctx;
    _cleanup_free_ char *cpus = ls_cpuset_format(&plan->cpus);
    _cleanup_free_ char *mems = ls_cpuset_format(&plan->mems);
    _cleanup_free_ char *line = NULL;
    if (asprintf(&line, "S %d %s %s\n", (int)shim, cpus && *cpus ? cpus : "-",
                 mems && *mems ? mems : "-") < 0)
        return;
    send_line(c->sock, line);
}

static void report_end(const struct ls_runstats *st, void *ctx)
{
    const struct ls_slots_child *c = ctx;
    char line[256];
    ls_runstats_encode(st, line, sizeof(line));
    send_line(c->sock, line);
}

static void redirect(int log_fd)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO); /* jobs side by side must not fight over a terminal */
        close(null);
    }
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (log_fd > STDERR_FILENO)
        close(log_fd);
}

void ls_slots_child_main(const struct ls_slots_child *c)
{
    /* Die (cleanly: SIGTERM is forwarded and the locks released) with the runner. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != c->runner)
        _exit(128 + SIGTERM);
    sigprocmask(SIG_SETMASK, &c->mask, NULL);
    redirect(c->log_fd);
    const struct ls_slot_job *j = c->job;
    /* Which job this supervisor holds CPUs for: in `locks` (cmdline) and the cgroup name. */
    ls_proctitle_set("llcslice slots %s: %s", c->file ? c->file : "", j->name);
    ls_cg_set_label(j->name);
    ls_json_errors = false; /* stdout is the job's log: errors there are text */
    if (j->repeat > 1)
        fprintf(stderr, "llcslice: job '%s': run %u of %u\n", j->name, c->run, j->repeat);

    if (j->cwd && chdir(j->cwd) < 0) {
        fprintf(stderr, "llcslice: job '%s': cannot change to its cwd %s: %s\n", j->name, j->cwd,
                strerror(errno));
        _exit(LS_EXIT_SYSTEM);
    }
    for (size_t i = 0; i < j->nenv; i++)
        if (setenv(j->env[i].name, j->env[i].value, 1) < 0) {
            fprintf(stderr, "llcslice: job '%s': cannot set %s: %s\n", j->name, j->env[i].name,
                    strerror(errno));
            _exit(LS_EXIT_SYSTEM);
        }
    /* As run: a missing command is refused before anything is reserved. */
    struct ls_error err = {0};
    char path[4096];
    int rc = ls_command_lookup(j->argv[0], path, sizeof(path), &err);
    if (rc) {
        fprintf(stderr, "llcslice: %s\n", err.msg);
        _exit(rc);
    }

    const struct ls_host *host = c->o->host;
    struct ls_request req;
    ls_slot_job_request(j, ls_cpuset_count(&host->allowed), &req);
    req.pid = (unsigned)getpid();
    req.ktstr_slots = ls_ktstr_prefix(c->o->ld->prefix);
    char limit[64] = "memory_max: ";
    ls_slots_size_format(j->memory_max, limit + strlen(limit), sizeof(limit) - strlen(limit));
    struct ls_runjob rj = {
        .host = host,
        .ld = c->o->ld,
        .req = &req,
        .wait = j->wait_ms != 0,
        .wait_ms = j->wait_ms == LS_SLOTS_WAIT_FOREVER ? -1 : (long long)j->wait_ms,
        .argv = j->argv,
        .seccomp = &c->o->seccomp[c->index],
        .memory_max = j->memory_max,
        .memory_max_text = j->memory_max ? limit : NULL,
        .kill_after_ms = (long long)c->o->kill_after_ms,
        /* The runner enforces the timeout; this is the backstop should the runner itself be
         * killed, a second later so the runner's (which counts from exec) normally wins. */
        .timeout_ms = j->timeout_ms ? (long long)j->timeout_ms + 1000 : 0,
        .on_wait = report_wait,
        .on_start = report_start,
        .on_end = report_end,
        .ctx = (void *)c,
        .job_name = j->name, /* one systemd scope per run: llcslice-<name>-<id>.scope */
    };
    if (c->o->cgroup_manager) /* validated when the file was loaded */
        ls_cg_manager_parse(c->o->cgroup_manager, "cgroup_manager", &rj.cgroup_manager, &err);
    int stop_signal;
    int code = ls_runjob(&rj, &stop_signal);
    fflush(stdout);
    fflush(stderr);
    if (stop_signal) {
        signal(stop_signal, SIG_DFL);
        raise(stop_signal);
    }
    _exit(code);
}

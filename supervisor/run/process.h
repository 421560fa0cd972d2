/* The job's process tree: supervisor -> init shim -> job. The shim is pid 1 of a new pid
 * namespace when we may create one (root; the job then gets that namespace's /proc in a
 * mount namespace of its own), else a child subreaper. It exits only once the job and all of
 * its leftovers are gone: when the job's main process ends, or the supervisor dies
 * (PR_SET_PDEATHSIG), what is left gets SIGTERM (and SIGCONT), then SIGKILL after the grace
 * period. Every job process inherits the write end of a marker pipe, so the lock keeper
 * (keeper.h), which reads the other end, sees EOF only once they are all gone. */
#ifndef LLCSLICE_PROCESS_H
#define LLCSLICE_PROCESS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "planner/error.h"
#include "seccomp.h"

/* Forwarded to the job: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2. */
struct ls_sigstate {
    sigset_t mask;            /* the caller's mask, given back to the job */
    struct sigaction sigchld; /* the caller's SIGCHLD disposition, likewise */
    bool blocked;
};

/* Block the forwarded signals and SIGCHLD (they queue until ls_job_wait handles them) and set
 * SIGCHLD to its default so children can be waited for. Call before creating anything that
 * must be cleaned up. */
int ls_signals_block(struct ls_sigstate *st, struct ls_error *err);
void ls_signals_restore(struct ls_sigstate *st);

struct ls_job_spec {
    char *const *argv;                /* argv[0] is looked up in PATH like execvp */
    char *const *envp;                /* the job's whole environment */
    const struct ls_seccomp *seccomp; /* NULL: none */
    const struct ls_sigstate *sig;    /* required: what the job gets back */
    bool no_pidns;                    /* skip the pid namespace (tests of the fallback) */
    long long kill_after_ms; /* grace between SIGTERM and SIGKILL when ending (0: at once) */
    long long timeout_ms;    /* > 0: the job gets SIGTERM this long after it started */
    /* cgroup v1 "tasks" files the shim writes "0" to before it waits for go (then
     * ls_job_entered): a task moving itself skips the kernel's global cgroup_threadgroup_rwsem,
     * whose first writer after an idle spell waits for an RCU grace period
     * (kernel/cgroup/cgroup.c, cgroup_procs_write_start). The caller closes its copies. */
    int enter_fds[2];
    size_t nenter;
};

struct ls_job {
    pid_t shim;    /* in our pid namespace: move it into the cgroup before ls_job_start */
    bool pidns;    /* the shim is pid 1 of a pid namespace of its own */
    int go_fd;     /* one byte starts the job; closing it makes the shim exit */
    int report_fd; /* failure reports and the job's wait status, from shim and job */
    const struct ls_job_spec *spec;
    int marker_fd;  /* read end of the marker pipe: EOF once every job process is gone; the
                     * caller hands it to the keeper and closes it */
    bool timed_out; /* ls_job_wait ended the job at spec->timeout_ms */
    bool in_cgroup; /* the shim was created in the cgroup given to ls_job_spawn */
};

#define LS_JOB_INIT                                                                                \
    {                                                                                              \
        -1, false, -1, -1, NULL, -1, false, false                                                  \
    }

/* Sent to the shim: SIGKILL everything of the job now (the grace is over). Unlike SIGKILL of
 * the shim itself, this leaves nothing orphaned when the shim is a subreaper. */
#define LS_SIG_KILL_NOW (SIGRTMAX - 1)

/* Create the shim, parked until ls_job_start. cgroup_fd >= 0: a cgroup v2 directory to
 * create it in (job->in_cgroup says whether the kernel did; if not, move it there yourself). */
int ls_job_spawn(struct ls_job *job, const struct ls_job_spec *spec, int cgroup_fd,
                 struct ls_error *err);
/* After ls_job_spawn with spec->nenter files: wait until the shim has written to them. 0, or
 * -1 with *code (errno) and *which: the index of the file it could not write, or SIZE_MAX
 * when it exited first (*code: what it reported, else ECHILD). */
int ls_job_entered(struct ls_job *job, int *code, size_t *which);
int ls_job_start(struct ls_job *job, struct ls_error *err);
/* Forward signals until the shim (so the job and everything it started) is gone. A
 * terminating signal (INT, TERM, HUP, QUIT) forwarded, or spec->timeout_ms reached (the job
 * gets SIGTERM), is followed by SIGKILL of everything left after spec->kill_after_ms. Returns
 * the exit code llcslice should end with: the job's own code, 128+N when signal N killed
 * it; 127/126 when the command was not found / not executable and 125 when the job could
 * not be set up, those three with err explaining. */
int ls_job_wait(struct ls_job *job, struct ls_error *err);
/* Kill a shim that was never started, and reap it. */
void ls_job_abort(struct ls_job *job);

/* execvp's lookup without executing: 0 with the path, or 127 (not found) / 126 (found but not
 * executable) with err. Lets run refuse a missing command before reserving anything. */
int ls_command_lookup(const char *name, char *path, size_t size, struct ls_error *err);

/* pidfd_open(2): a descriptor that names process pid and no later process reusing its pid;
 * -1 with errno (ENOSYS before Linux 5.3). */
int ls_pidfd_open(pid_t pid);

/* Close this process's descriptors above 2 except keep[0..nkeep) (with cloexec_only, only the
 * close-on-exec ones): what a forked child that never execs must drop. */
void ls_fds_close_except(const int *keep, size_t nkeep, bool cloexec_only);

/* A wait status as a shell reports it: the exit code, or 128+N for signal N. */
int ls_exit_code_of_status(int status);

#endif

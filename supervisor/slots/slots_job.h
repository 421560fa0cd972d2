/* The slot runner's model of each job: its state and what its runs did, shared by the event
 * loop (slots_runner.c), what the user sees (slots_view.c) and the Slurm follower. Internal
 * to `llcslice slots`. */
#ifndef LLCSLICE_SLOTS_JOB_H
#define LLCSLICE_SLOTS_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/run/runstats.h"
#include "slots_cmd.h"

#define LS_SJ_RBUF 2048
#define LS_SJ_TAIL_BUF 4096

enum ls_sj_state {
    LS_SJ_PENDING,   /* its after: jobs have not all succeeded yet, or max_jobs is reached */
    LS_SJ_ACQUIRING, /* a run's supervisor is taking the reservation */
    LS_SJ_WAITING,   /* ... and waits for CPUs others hold (the job's wait:) */
    LS_SJ_RUNNING,   /* the command runs in its reservation */
    LS_SJ_DONE,      /* every run exited 0 */
    LS_SJ_FAILED,    /* a run exited non-zero (or could not get its reservation) */
    LS_SJ_TIMEOUT,   /* a run outlived the job's timeout: and was stopped */
    LS_SJ_SKIPPED,   /* never started: an after: job did not succeed, or the runner stopped */
    LS_SJ_STOPPED,   /* stopped by Ctrl-C or --fail-fast while it ran or waited */
};

const char *ls_sj_state_name(enum ls_sj_state st);
static inline bool ls_sj_final(enum ls_sj_state st)
{
    return st >= LS_SJ_DONE;
}
static inline bool ls_sj_active(enum ls_sj_state st)
{
    return st >= LS_SJ_ACQUIRING && st <= LS_SJ_RUNNING;
}

/* A job's live run as only the runner tracks it: the run's supervisor, its report, the shim,
 * and the timeout and stop state. */
struct ls_sj_proc {
    pid_t pid;  /* the run's supervisor (a fork of the runner); 0 when none */
    int sock;   /* its report socket; -1 */
    char *rbuf; /* [LS_SJ_RBUF], only while a run is live: a 10,000-job runner forks often,
                 * and every page it has touched is one more to copy-on-write per fork */
    size_t rlen;
    pid_t shim;            /* the run's init shim (from the report), 0 unknown */
    int shim_fd;           /* pidfd of the shim, -1 */
    uint64_t run_start_ms; /* monotonic start of this run */
    uint64_t term_ms;      /* monotonic time of the SIGTERM for a timeout, 0 none */
    bool timed_out, stop_sent;
    unsigned kills; /* SIGKILLs sent: 1 = the shim, 2 = the supervisor too */
};

/* --tail: how far the view has copied the job's log. */
struct ls_sj_tail {
    off_t off;
    char *buf; /* [LS_SJ_TAIL_BUF], allocated on the first --tail read */
    size_t len;
};

/* A job: its state and what its runs did (what the view shows), plus the live run (proc) and
 * the --tail position (tail). */
struct ls_sj {
    const struct ls_slot_job *job;
    enum ls_sj_state state;
    unsigned run; /* 1-based number of the current (or last) run; 0 before the first */
    struct ls_sj_proc proc;
    ls_cpuset cpus, mems; /* the last reservation */
    bool reserved;        /* cpus/mems are set */
    double start, end;    /* wall clock (unix seconds) of the first exec / last exit; 0 = none */
    uint64_t start_ms, end_ms; /* monotonic */
    int exit_code;             /* the last run's exit code; -1 none */
    char *log_path;
    char *node;               /* slots --slurm: the node the last run ran on; NULL locally */
    char *note;               /* who it waits for, why it was skipped or stopped; NULL none */
    struct ls_runstats stats; /* every run's: times summed, peak the largest */
    bool have_stats;
    struct ls_sj_tail tail;
};

/* Milliseconds on CLOCK_MONOTONIC (durations, timeouts) and unix seconds with millisecond
 * precision on CLOCK_REALTIME (what the log headers and JSON show). */
double ls_wall_now(void);

#endif

/* The slot runner's view of each job, shared by the event loop (slots_runner.c), the forked
 * run (slots_child.c) and what the user sees (slots_view.c). Internal to `llcslice slots`. */
#ifndef LLCSLICE_SLOTS_RUNNER_H
#define LLCSLICE_SLOTS_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "runstats.h"
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

struct ls_sj {
    const struct ls_slot_job *job;
    enum ls_sj_state state;
    unsigned run; /* 1-based number of the current (or last) run; 0 before the first */
    pid_t pid;    /* the run's supervisor (a fork of the runner); 0 when none */
    int sock;     /* its report socket; -1 */
    char *rbuf;   /* [LS_SJ_RBUF], only while a run is live: a 10,000-job runner forks often,
                   * and every page it has touched is one more to copy-on-write per fork */
    size_t rlen;
    pid_t shim;           /* the run's init shim (from the report), 0 unknown */
    int shim_fd;          /* pidfd of the shim, -1 */
    ls_cpuset cpus, mems; /* the last reservation */
    bool reserved;        /* cpus/mems are set */
    double start, end;    /* wall clock (unix seconds) of the first exec / last exit; 0 = none */
    uint64_t start_ms, end_ms, run_start_ms; /* monotonic */
    uint64_t term_ms; /* monotonic time of the SIGTERM for a timeout, 0 none */
    bool timed_out, stop_sent;
    unsigned kills; /* SIGKILLs sent: 1 = the shim, 2 = the supervisor too */
    int exit_code;  /* the last run's exit code; -1 none */
    bool queued;    /* started though it did not fit the runner's view: one of the few waiters */
    char *log_path;
    char *node;               /* slots --slurm: the node the last run ran on; NULL locally */
    char *note;               /* who it waits for, why it was skipped or stopped; NULL none */
    struct ls_runstats stats; /* every run's: times summed, peak the largest */
    bool have_stats;
    /* --tail */
    off_t tail_off;
    char *tail_buf; /* [LS_SJ_TAIL_BUF], allocated on the first --tail read */
    size_t tail_len;
};

/* What a forked run needs; the child never returns. */
struct ls_slots_child {
    const struct ls_slots_run_opts *o;
    const struct ls_slot_job *job;
    size_t index;     /* into o->seccomp */
    unsigned run;     /* 1-based, for the log header */
    int log_fd;       /* becomes its stdout and stderr */
    int sock;         /* report socket to the runner */
    pid_t runner;     /* its parent */
    sigset_t mask;    /* the signal mask llcslice was started with */
    const char *file; /* the slot file as given, for the process title */
};
__attribute__((noreturn)) void ls_slots_child_main(const struct ls_slots_child *c);

/* Progress on the runner's output: a live table on a terminal, else one line per change. */
struct ls_slots_view {
    FILE *out;
    bool table;
    bool tail;
    size_t drawn; /* table lines on screen */
    unsigned cols;
    const char *prefix_fmt;
};
void ls_slots_view_init(struct ls_slots_view *v, FILE *out, bool tail, size_t njobs);
/* A job changed state: one line (line mode); the table redraws on the next tick. */
void ls_slots_view_changed(struct ls_slots_view *v, const struct ls_sj *sj, uint64_t now_ms);
/* Redraw the live table (no-op in line mode). */
void ls_slots_view_draw(struct ls_slots_view *v, const struct ls_sj *sj, size_t n, uint64_t now_ms);
/* --tail: copy what the job's log gained, each line as "[JOB] line"; final flushes a last
 * line without a newline. */
void ls_slots_view_tail(struct ls_slots_view *v, struct ls_sj *sj, bool final);
void ls_slots_view_summary(struct ls_slots_view *v, const struct ls_sj *sj, size_t n,
                           const char *log_dir);
void ls_slots_view_json(FILE *out, const struct ls_slots *s, const struct ls_sj *sj, size_t n,
                        const char *log_dir, int exit_code);

/* Admission (slots_admit.c): one view of the host per scheduling round, jobs planned into it
 * in order. Without a view (begin failed) nothing fits: the runner then caps by CPU count. */
struct ls_slots_admit {
    bool ok;
    struct ls_snapshot view; /* holders + every waiter's reservation + jobs admitted so far */
    ls_cpuset running;       /* CPUs of our running runs (not shared mode) */
};
int ls_slots_admit_begin(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         struct ls_error *err);
/* Whether j fits beside what the view holds now; if it does, it is counted as held. */
bool ls_slots_admit_fits(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         const struct ls_slot_job *j);
/* A running run's CPUs count as held until its supervisor is reaped: it releases its locks
 * before it exits (cleanup, exit), and the view must not hand them out while it still lives.
 * false: another running run already has them (this one ended; count it as a waiter). */
bool ls_slots_admit_hold_run(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                             const struct ls_slot_job *j, const ls_cpuset *cpus);
void ls_slots_admit_end(struct ls_slots_admit *a);

double ls_wall_now(void);

#endif

/* slots --dry-run --slurm: a slot file as Slurm jobs, one sbatch script per job and repeat. */
#ifndef LLCSLICE_SLOTS_SLURM_H
#define LLCSLICE_SLOTS_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "configs/slots.h"
#include "planner/error.h"
#include "slots_job.h"

struct ls_slurm_opts {
    size_t allowed_count;    /* this host's allowed CPUs: what cpus: N% is a share of */
    const char *log_dir;     /* --log-dir, else the file's log_dir:; NULL = Slurm's default */
    const char *lock_dir;    /* --lock-dir, else the file's; NULL = llcslice's default */
    const char *lock_prefix; /* likewise */
};

/* Write to `out` a sh script that submits every job of `s` with sbatch, in dependency order:
 * cpus -> --cpus-per-task, memory_max -> --mem (MiB, rounded up), timeout -> --time (rounded
 * up to whole seconds), after: and earlier repeats -> --dependency=afterok:$ids (a failed run
 * stops what follows it, as locally), exclusive/perf jobs -> --exclusive (whole LLCs of a node);
 * each job runs `llcslice run` (${LLCSLICE:-llcslice} on the node) with its mode, budget, perf
 * shape, memory limit, seccomp profile, wait, env and cwd. Errors: LS_ERR_SYSTEM when writing
 * fails. */
int ls_slots_slurm_script(const struct ls_slots *s, const struct ls_slurm_opts *o, FILE *out,
                          struct ls_error *err);

/* slots --slurm: the same script run by /bin/sh (it prints each job id on stderr). Returns the
 * exit code: 0 when every job was submitted, with *ids (malloc'd, the caller frees) the Slurm
 * job id of every job and repeat in file order (job 0 runs 1..repeat, job 1, ...); 125 when sh
 * cannot be started, the script cannot be written or an sbatch failed (which stops the
 * script; what was submitted stays queued). */
int ls_slots_slurm_submit(const struct ls_slots *s, const struct ls_slurm_opts *o,
                          unsigned long **ids);

/* One job as a line of `scontrol show job -o` describes it. */
struct ls_slurm_job {
    unsigned long id;
    enum ls_sj_state state; /* JobState mapped: PENDING/REQUEUED pending, CONFIGURING/RUNNING/
                             * COMPLETING/SUSPENDED running, COMPLETED done, TIMEOUT/DEADLINE
                             * timeout, CANCELLED/PREEMPTED stopped, any other failed */
    bool final;             /* the job has ended */
    int exit_code;          /* ExitCode C:S -> C, or 128+S when signal S ended it; -1 not final */
    double start, end;      /* unix seconds from StartTime/EndTime (local time); 0 unknown */
    char *reason, *node, *log; /* Reason, NodeList, StdOut; NULL when absent ("(null)") */
};
/* Parse one line; -1 when it is not a job line (no JobId= or JobState=). Free with
 * ls_slurm_job_free also after an error. */
int ls_slurm_job_parse(const char *line, struct ls_slurm_job *j);
void ls_slurm_job_free(struct ls_slurm_job *j);

/* slots --slurm after the submission: follow the jobs (ids as ls_slots_slurm_submit gives
 * them) with `scontrol show job -o`, polling every 1 s, slowing to every 10 s while nothing
 * changes, until every one has ended. A job Slurm holds with reason DependencyNeverSatisfied
 * (an after: job or earlier repeat failed) is cancelled with scancel and counts as skipped.
 * Prints a line per change (on stderr with json), then the local runner's summary table
 * (with a NODE column) and with json its JSON summary on stdout (with "node"). Returns the
 * local runner's exit codes: 0 when every job succeeded, 1 when one failed, timed out, was
 * skipped or cancelled; 125 when scontrol fails 10 polls in a row (the jobs stay in Slurm). */
int ls_slots_slurm_follow(const struct ls_slots *s, const struct ls_slurm_opts *o,
                          const unsigned long *ids, bool json);

#endif

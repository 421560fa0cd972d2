/* slots --dry-run --slurm: a slot file as Slurm jobs, one sbatch script per job and repeat. */
#ifndef LLCSLICE_SLOTS_SLURM_H
#define LLCSLICE_SLOTS_SLURM_H

#include <stddef.h>
#include <stdio.h>

#include "../configs/slots.h"
#include "../planner/error.h"

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
 * exit code: 0 when every job was submitted, 125 when sh cannot be started, the script cannot be
 * written or an sbatch failed (which stops the script). Does not follow the jobs. */
int ls_slots_slurm_submit(const struct ls_slots *s, const struct ls_slurm_opts *o);

#endif

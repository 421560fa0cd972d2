/* The parts of `llcslice slots` (cmd_slots.c parses, loads and validates, then calls one of
 * these): the --check table, --dry-run, and the runner. */
#ifndef LLCSLICE_SLOTS_CMD_H
#define LLCSLICE_SLOTS_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "configs/slots.h"
#include "planner/plan.h"
#include "supervisor/cli/cli.h"
#include "supervisor/run/seccomp.h"

/* --check: the file-wide options and one row per job. */
void ls_slots_print_check(const struct ls_slots *s, const struct ls_host *host);
/* --check: everything --dry-run would find (each job's plan on the idle host: errors, exit
 * 77/64) plus warnings for a missing cwd: and a command not found (the file may be meant for
 * another host). Prints the table (or with json the findings as JSON on stdout) and the
 * findings on stderr; returns the exit code. */
int ls_slots_check(const struct ls_slots *s, const struct ls_host *host, bool json);
/* Job i's plan on the idle host; the error names the job. */
int ls_slots_plan_idle(const struct ls_slots *s, const struct ls_host *host, size_t i,
                       struct ls_plan *plan, struct ls_error *err);
/* A job's command for display: argv joined, shell-special arguments quoted, one line. */
char *ls_slots_command_text(const struct ls_slot_job *j);

/* --dry-run: every job's plan on the idle host and the waves of jobs that fit side by side.
 * Returns the exit code (0, or 77/64 when a job has no plan even on an idle host). */
int ls_slots_dry_run(const struct ls_slots *s, const struct ls_host *host, bool json);

struct ls_slots_run_opts {
    const struct ls_host *host;
    const struct ls_lockdir *ld;
    const struct ls_seccomp *seccomp; /* [njobs], built up front */
    const char *log_dir;              /* exists */
    unsigned max_jobs;                /* 0 = no limit */
    bool json, tail, fail_fast;
    uint64_t kill_after_ms;     /* a timed-out run gets SIGKILL this long after SIGTERM */
    const char *cgroup_manager; /* the file's cgroup_manager:, NULL = auto */
};

/* Run every job (see configs/README.md); returns the exit code: 0 when every job succeeded,
 * 1 when one failed, timed out or was skipped, 125 when the runner itself failed. Dies of
 * SIGINT/SIGTERM/SIGHUP (after stopping every job) when one stopped it. */
int ls_slots_run(const struct ls_slots *s, const struct ls_slots_run_opts *o);

#endif

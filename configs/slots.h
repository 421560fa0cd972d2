/* A YAML job-slot file (schema: configs/README.md), loaded and validated into what the slot
 * runner needs: file-wide options and one fully merged ls_slot_job per job. Loading is pure
 * (no host reads); budgets are checked against a host by ls_slots_check_budgets. Every error
 * is LS_ERR_USAGE and reads "FILE:LINE:COL: key 'K': what". */
#ifndef LLCSLICE_SLOTS_H
#define LLCSLICE_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "planner/error.h"
#include "planner/plan.h"

#define LS_SLOTS_MAX_FILE_BYTES (1u << 20) /* larger files are refused before parsing */
#define LS_SLOTS_MAX_NAME 64               /* job names become log file and cgroup names */
#define LS_SLOTS_MAX_REPEAT 1000000u
#define LS_SLOTS_MAX_ENV 4096u           /* variables in one env: mapping */
#define LS_SLOTS_WAIT_FOREVER UINT64_MAX /* wait: forever */

struct ls_slots_pos {
    unsigned line, col; /* 1-based; 0 when the value is a built-in default */
};

enum ls_slot_budget {
    LS_SLOT_BUDGET_DEFAULT, /* no cpus: the planner's default (30%, or the VM rule) */
    LS_SLOT_BUDGET_CPUS,    /* cpus: N */
    LS_SLOT_BUDGET_PERCENT, /* cpus: N% of the allowed set, rounded up, at least 1 */
};

struct ls_slot_env {
    char *name, *value;
};

struct ls_slot_job {
    char *name;
    struct ls_slots_pos pos; /* the job's mapping */
    enum ls_mode mode;
    enum ls_smt smt; /* smt: any (default) | full-cores */
    enum ls_slot_budget budget;
    unsigned budget_value; /* CPUs or percent */
    struct ls_slots_pos budget_pos;
    bool has_perf; /* exclusive mode with a virtual topology */
    struct ls_perf_topo perf;
    struct ls_slots_pos perf_pos;
    size_t vcpus;        /* declared vCPUs: llcs*cores*threads with perf, vcpus: otherwise */
    uint64_t memory_max; /* bytes; 0 = no limit */
    char *seccomp;       /* profile for ls_seccomp_build: build, log; NULL = none */
    char *seccomp_deny;  /* syscalls denied on top, "a,b"; NULL = none */
    struct ls_slots_pos seccomp_pos; /* for the runner's errors building the filter */
    char *cwd;               /* resolved against the file's directory; NULL = runner's cwd */
    struct ls_slot_env *env; /* defaults' and the job's, job wins; file order */
    size_t nenv;
    char **argv; /* NULL-terminated; a string command is /bin/sh -c TEXT */
    size_t argc;
    bool shell;          /* command was a string (argv[2] is the text) */
    unsigned repeat;     /* runs one after another, >= 1 */
    uint64_t timeout_ms; /* per run, from exec to exit; 0 = none */
    uint64_t wait_ms;    /* for the reservation; 0 = busy fails, LS_SLOTS_WAIT_FOREVER */
    size_t *after;       /* indices into ls_slots.jobs that must succeed first */
    size_t nafter;
};

struct ls_slots {
    char *path;               /* as given, used in messages */
    char *dir;                /* relative paths in the file are resolved against this */
    char *lock_dir;           /* NULL when the file does not set it (flag/env/default decide) */
    char *lock_prefix;        /* NULL likewise */
    char *log_dir;            /* resolved; NULL = the runner's default */
    unsigned max_jobs;        /* jobs running at once; 0 = no limit beyond the host */
    struct ls_slot_job *jobs; /* file order */
    size_t njobs;
    size_t *order; /* every job once, each after its after: jobs, else file order */
    /* appended fields */
    char *cgroup_manager; /* "auto", "systemd", "cgroupfs"; NULL when the file does not say */
};

/* Read and validate a slot file. Files over LS_SLOTS_MAX_FILE_BYTES are refused unread. */
int ls_slots_load_file(const char *path, struct ls_slots *out, struct ls_error *err);
/* Validate buf as the contents of a file called `path` (messages, relative paths). */
int ls_slots_load_buffer(const char *path, const char *buf, size_t len, struct ls_slots *out,
                         struct ls_error *err);
void ls_slots_free(struct ls_slots *s);

/* Budgets against a host: cpus: above the allowed set, and for perf: jobs more CPUs
 * (vCPUs + 1 service CPU) or more LLCs than the host has. Errors point at the value. */
int ls_slots_check_budgets(const struct ls_slots *s, size_t allowed_count, size_t host_cpus,
                           size_t host_llcs, struct ls_error *err);

/* CPUs the job asks for with `allowed_count` allowed CPUs; 0 = the planner's default. */
size_t ls_slot_job_cpus(const struct ls_slot_job *job, size_t allowed_count);
/* The request `llcslice run` would build for this job (pid left 0 for the caller). */
void ls_slot_job_request(const struct ls_slot_job *job, size_t allowed_count,
                         struct ls_request *req);

int ls_slots_find_job(const struct ls_slots *s, const char *name); /* index or -1 */

#endif

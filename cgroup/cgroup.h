/* The job sandbox: a child cgroup with cpuset.cpus/mems (and memory.max) from the plan,
 * through libcgroup, on cgroup v2 or a v1 cpuset hierarchy; orphan sweep.
 * Job groups are named llcslice-<supervisor pid>-<its start time>-<random hex> (with the pid
 * namespace's inode, "-ns<inode>", outside the initial one), so a sweep can tell when their
 * supervisor is gone. On cgroup v2, a non-root parent that holds processes has them all moved
 * into one shared leaf beside the job groups, <parent>/llcslice-procs (cgroup v2 forbids handing
 * controllers down from a group that holds processes); a sweep removes that leaf once empty. */
#ifndef LLCSLICE_CGROUP_H
#define LLCSLICE_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "planner/cpuset.h"
#include "planner/error.h"

enum ls_cg_version { LS_CG_NONE, LS_CG_V1, LS_CG_V2 };

struct ls_sandbox_opts {
    const char *parent; /* --cgroup-parent, relative to the hierarchy root; NULL = own */
    const ls_cpuset *cpus;
    const ls_cpuset *mems;
    uint64_t memory_max;  /* bytes, 0 = unlimited */
    bool budget_explicit; /* narrowed .effective is an error, else a warning */
};

/* Each group is kept as its absolute directory plus the length of its hierarchy's mount, the
 * prefix of it: the path relative to the mount is the rest (ls_sandbox_rel). */
struct ls_sandbox {
    enum ls_cg_version version;
    char path[4096];         /* absolute directory of the job group (cpuset), "" when none */
    size_t mount_len;        /* path[0..mount_len) is the mount of the hierarchy holding cpuset */
    char memory_path[4096];  /* v1: the group in the separate memory hierarchy, "" when unused */
    size_t memory_mount_len; /* likewise its mount */
    long long created;       /* unix time the group was created */
    bool noprefix;           /* v1 mounted with -o noprefix */
    size_t moved;            /* v2: processes this call moved into <parent>/llcslice-procs */
    char **warnings;
    size_t nwarnings;
    char **notices; /* things done the user should hear of (not warnings) */
    size_t nnotices;
};

/* The job group relative to its hierarchy's mount, "" when there is none (a view into sb). */
const char *ls_sandbox_rel(const struct ls_sandbox *sb);
/* v1: the memory group relative to the memory hierarchy's mount, "" when unused. */
const char *ls_sandbox_memory_rel(const struct ls_sandbox *sb);

/* Name this process's job groups after a slot job: "llcslice-<label>-<pid>-...". Characters
 * other than letters, digits, '_', '.', '-' become '_'; at most LS_CG_LABEL_MAX are kept. */
#define LS_CG_LABEL_MAX 40
void ls_cg_set_label(const char *label);

/* Which hierarchy carries cpuset for this process (v2 unified with cpuset, else v1 cpuset). */
enum ls_cg_version ls_cgroup_detect(char *mount, size_t size);

/* Create and configure the group (cpuset.cpus, then cpuset.mems), check .effective.
 * LS_ERR_SYSTEM with errno EACCES/EROFS/ENOENT when no usable cgroup: callers fall back
 * (ls_sandbox_unavailable says which errors those are). Problems with an explicit
 * opts->parent are LS_ERR_USAGE; effective CPUs/mems narrowed under budget_explicit are
 * LS_ERR_UNSAT (otherwise a warning in sb->warnings). sb->notices may be set either way (what
 * was done to the hierarchy); call ls_sandbox_free afterwards in both cases. */
int ls_sandbox_create(struct ls_sandbox *sb, const struct ls_sandbox_opts *opts,
                      struct ls_error *err);
/* true when err from ls_sandbox_create means "no usable cgroup here" (no cpuset hierarchy,
 * no permission, read-only, own cgroup unusable under v2 rules): fall back to affinity. */
bool ls_sandbox_unavailable(const struct ls_error *err);
/* The group's directory, opened for clone3(CLONE_INTO_CGROUP): a new process starts in it.
 * -1 with errno EOPNOTSUPP on cgroup v1 (no such clone there) or without a group. */
int ls_sandbox_open_dir(const struct ls_sandbox *sb);
/* Whether pid runs with the v2 group's effective CPUs and memory nodes (its Cpus_allowed_list
 * and Mems_allowed_list). Kernels before 6.3 (and 6.1.25, 5.15.108: commit 42a11bf5c543) leave
 * a process created there by CLONE_INTO_CGROUP on its parent's; false also when unreadable. */
bool ls_sandbox_applied(const struct ls_sandbox *sb, pid_t pid);
/* Move pid into the group (cgroup.procs / tasks). */
int ls_sandbox_enter(const struct ls_sandbox *sb, pid_t pid, struct ls_error *err);
/* cgroup v1: the "tasks" files of the job's groups (cpuset, then memory when used), opened
 * O_WRONLY|O_CLOEXEC into fds[0..*n), for a process to move itself in by writing "0" (no
 * global lock; see supervisor/run/process.h). *n = 0 on v2, or when one cannot be opened
 * (then move the process in by pid, ls_sandbox_enter). */
void ls_sandbox_enter_files(const struct ls_sandbox *sb, int fds[2], size_t *n);
/* The error for a write of "0" to ls_sandbox_enter_files' file `which` refused with code
 * (which beyond the files: the process failed or exited first, code says why). Returns -1. */
int ls_sandbox_enter_failed(const struct ls_sandbox *sb, size_t which, int code,
                            struct ls_error *err);
/* Kill whatever is left, migrate stragglers, rmdir with EBUSY retried 5x10 ms, else leave an
 * orphan marker for sweep. */
int ls_sandbox_destroy(struct ls_sandbox *sb, struct ls_error *err);
void ls_sandbox_free(struct ls_sandbox *sb);

/* What the job's cgroup parent (--cgroup-parent, NULL = the default parent, our own group)
 * grants: its effective CPUs and memory nodes (v2 cpuset.cpus.effective/cpuset.mems.effective,
 * v1 cpuset.effective_cpus/cpuset.effective_mems). 1 with cpus, mems and `where` (the group's
 * directory) filled; 0 when nothing can be said (no cpuset hierarchy, our own group not
 * usable, a file unreadable); -1 for a bad explicit parent (LS_ERR_USAGE, as the sandbox). */
int ls_cgroup_parent_grant(const char *parent, ls_cpuset *cpus, ls_cpuset *mems, char *where,
                           size_t where_size, struct ls_error *err);

#define LS_SWEEP_DEFAULT_MAX_AGE (24u * 3600u)

struct ls_sweep_entry {
    char *path;
    char *reason;
};
struct ls_sweep_result {
    struct ls_sweep_entry *removed, *kept, *failed;
    size_t nremoved, nkept, nfailed;
};
/* Remove llcslice groups whose owner is gone and orphans older than max_age_s. Returns the
 * number removed; res (NULL: not wanted) says what was removed, kept (young orphans) and
 * failed. */
int ls_cgroup_sweep(unsigned max_age_s, struct ls_sweep_result *res, struct ls_error *err);
void ls_sweep_result_free(struct ls_sweep_result *res);

#endif

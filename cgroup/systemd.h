/* The systemd cgroup manager: each job runs in a transient scope unit, created through systemd's
 * D-Bus API (StartTransientUnit, the call behind `systemd-run --scope` and the systemd drivers of
 * runc and crun), with AllowedCPUs=/AllowedMemoryNodes=/MemoryMax=/Delegate=yes, in a slice
 * (llcslice.slice by default). systemd owns its cgroup tree: only a unit it created for us (or
 * delegated to us) keeps its cpuset across a daemon-reload. The system bus as root, the
 * caller's user bus otherwise. Scope names: llcslice-<job>-<pid>-<start>[-ns<inode>]-<hex>.scope,
 * the part after the job being the supervisor's identity as in cgroup job group names, so a
 * sweep can tell when it is gone. */
#ifndef LLCSLICE_CGROUP_SYSTEMD_H
#define LLCSLICE_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "planner/cpuset.h"
#include "planner/error.h"
#include "cgroup.h"

enum ls_cg_manager { LS_CGM_AUTO, LS_CGM_SYSTEMD, LS_CGM_CGROUPFS };

#define LS_SYSTEMD_SLICE_DEFAULT "llcslice.slice"

/* "auto", "systemd", "cgroupfs" -> out; anything else is LS_ERR_USAGE naming `what` (the option
 * or key it came from). */
int ls_cg_manager_parse(const char *text, const char *what, enum ls_cg_manager *out,
                        struct ls_error *err);
const char *ls_cg_manager_name(enum ls_cg_manager m);

/* systemd is PID 1 (/run/systemd/system exists, as sd_booted(3) checks) and /sys/fs/cgroup is a
 * pure cgroup2 mount. false with the reason in why otherwise. Does not touch the bus. */
bool ls_systemd_host(char *why, size_t size);

/* "<anything>" -> a unit-name-safe job name (at most 64 chars of [A-Za-z0-9_.:-], others '_';
 * "job" when nothing is left). */
void ls_systemd_job_name(const char *job, char *out, size_t size);

struct sd_bus;

struct ls_scope_opts {
    const char *slice; /* NULL: llcslice.slice */
    const char *job;   /* shown in the unit name and Description= */
    const ls_cpuset *cpus, *mems;
    uint64_t memory_max;  /* bytes, 0 = none */
    bool budget_explicit; /* narrowed .effective is an error, else a warning */
};

struct ls_scope {
    struct sd_bus *bus;
    bool user;             /* the caller's user manager, not the system one */
    char unit[256];        /* "" until started */
    char path[8192];       /* absolute cgroup directory of the scope */
    char manager_cg[4096]; /* the manager's own cgroup ("/" for the system manager) */
    char **warnings;
    size_t nwarnings;
};

/* Connect to the bus (system as root, user otherwise) and check that systemd answers on it.
 * LS_ERR_SYSTEM (ENOTCONN, EHOSTDOWN...) with a message saying why systemd cannot be used. */
int ls_scope_open(struct ls_scope *s, struct ls_error *err);
/* Whether the manager's cgroup can hand cpuset to its units. false with the remedy in why (for
 * a user manager: the user@.service drop-in Delegate=cpu cpuset io memory pids). */
bool ls_scope_has_cpuset(const struct ls_scope *s, char *why, size_t size);
/* Whether the manager may move this process's children into a scope: always for the system
 * manager; a user manager only within its own cgroup tree (not from an ssh session's scope).
 * false with the reason and the way round it in why. */
bool ls_scope_reaches_self(const struct ls_scope *s, char *why, size_t size);
/* Start the scope holding pid (the parked shim), wait for systemd's job to finish, and check
 * what cpuset.cpus.effective/cpuset.mems.effective of the scope's cgroup say (as the cgroupfs
 * manager does: LS_ERR_UNSAT under budget_explicit, else a warning in s->warnings). */
int ls_scope_start(struct ls_scope *s, const struct ls_scope_opts *o, pid_t pid,
                   struct ls_error *err);
/* The job is over: kill whatever is left in the scope (KillUnit SIGKILL) and wait until its
 * cgroup is empty (cgroup.events "populated 0"), up to timeout_ms; systemd then collects the
 * unit (CollectMode=inactive-or-failed). LS_ERR_SYSTEM/EBUSY when it stays populated. */
int ls_scope_stop(struct ls_scope *s, long timeout_ms, struct ls_error *err);
void ls_scope_close(struct ls_scope *s);

/* Stop llcslice-*.scope units of the manager this process would use whose supervisor is gone;
 * appends to res (removed: stopped, kept: owner alive or unknown, failed). Returns the number
 * stopped, 0 without systemd, -1 on a bus failure. */
int ls_scope_sweep(struct ls_sweep_result *res, struct ls_error *err);

/* Who owns the cgroup <mount>/<rel>: no systemd unit at or above it, a unit that delegated its
 * subtree (trusted.delegate/user.delegate xattr on the deepest .service/.scope), or systemd. */
enum ls_delegation { LS_DELEG_NONE, LS_DELEG_DELEGATED, LS_DELEG_OWNED };
enum ls_delegation ls_systemd_delegation(const char *mount, const char *rel);
/* This process runs inside a delegated unit (a service with Delegate=yes, an llcslice job's
 * scope): its subtree is ours, and jobs made there stay inside the unit's limits. */
bool ls_systemd_self_delegated(void);

/* cgroupfs on a cgroup v2 tree: refuse (LS_ERR_SYSTEM/EREMOTE, with the remedy) a parent
 * inside a systemd unit's cgroup (the deepest .service/.scope/.slice component of parent_rel)
 * unless systemd delegated it (trusted.delegate or user.delegate xattr, which systemd sets on
 * Delegate=yes units). 0 when outside any unit. Slices are never delegated. Unprivileged the
 * errno is EACCES (run falls back to affinity, as it always did there), else EREMOTE. */
int ls_systemd_check_delegated(const char *mount, const char *parent_rel, struct ls_error *err);

/* The scope name in /proc/<pid>/cgroup when pid runs in an llcslice scope, else "". */
void ls_scope_of_pid(pid_t pid, char *out, size_t size);
/* The same for a lock holder: the pid itself, else one of its children (a supervisor's shim). */
void ls_scope_of_holder(pid_t pid, char *out, size_t size);

#endif

/* Where the job runs: a cgroup of its own (cpuset, memory.max) when the host has a usable
 * one, made by one of two managers: a transient systemd scope (systemd hosts on cgroup v2) or
 * a group llcslice creates itself (cgroupfs: no systemd, v1 cpuset); else pinned with
 * sched_setaffinity (loudly, an error under --strict); on a simulated host (--fsroot) neither,
 * since its CPUs are not this machine's. */
#ifndef LLCSLICE_CONFINE_H
#define LLCSLICE_CONFINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "cgroup/systemd.h"
#include "planner/cpuset.h"
#include "planner/error.h"

enum ls_confine_kind { LS_CONFINE_NONE, LS_CONFINE_CGROUP, LS_CONFINE_AFFINITY, LS_CONFINE_SCOPE };

struct ls_confine_opts {
    const char *simulated_root; /* non-NULL: --fsroot of a simulated host */
    const char *cgroup_parent;  /* --cgroup-parent, NULL = own cgroup */
    const ls_cpuset *cpus, *mems;
    uint64_t memory_max;  /* 0 = none */
    bool budget_explicit; /* narrowed effective CPUs are an error */
    bool strict;          /* no cgroup fallback */
    /* appended fields */
    enum ls_cg_manager manager; /* auto: systemd when ls_systemd_host and its bus answers */
    const char *slice;          /* systemd: the scope's slice, NULL = llcslice.slice */
    const char *job_name;       /* systemd: shown in the scope's name and Description= */
    bool verbose;               /* systemd: name the scope once it is started */
};

struct ls_confine {
    enum ls_confine_kind kind;
    const ls_cpuset *cpus;
    struct ls_sandbox sb; /* LS_CONFINE_CGROUP */
    /* appended fields */
    struct ls_scope scope;       /* LS_CONFINE_SCOPE: started by ls_confine_enter */
    struct ls_confine_opts opts; /* what prepare was given (pointers are the caller's) */
};

/* The manager a job gets: m unless it is auto, then LLCSLICE_CGROUP_MANAGER when set and not
 * empty (an unknown name is LS_ERR_USAGE naming the variable), else auto. The one reading of
 * that variable (run and plan check with it before reserving; confine decides with it). */
int ls_cg_manager_effective(enum ls_cg_manager m, enum ls_cg_manager *out, struct ls_error *err);

/* Decide and set up (create the cgroup; for systemd, connect to its bus: the scope needs the
 * pid); warnings go to stderr. --cgroup-manager systemd where systemd cannot be used is an
 * LS_ERR_SYSTEM error, never a silent fallback. */
int ls_confine_prepare(struct ls_confine *c, const struct ls_confine_opts *o, struct ls_error *err);
/* Put pid (the parked shim) there, before the job is exec'd (systemd: start its scope). */
int ls_confine_enter(struct ls_confine *c, pid_t pid, struct ls_error *err);
/* Where the job runs, for messages: the cgroup directory, or a description. */
const char *ls_confine_where(const struct ls_confine *c);
/* Processes of the job the OOM killer took (memory.events / memory.oom_control); 0 when none
 * or unknown. Call before ls_confine_release. */
long ls_confine_oom_kills(const struct ls_confine *c);
/* Kill what is left in the cgroup and remove it (systemd: wait until the scope's cgroup is
 * empty; systemd collects the unit); failures are warnings. */
void ls_confine_release(struct ls_confine *c);

#endif

/* Where the job runs: a cgroup of its own (cpuset, memory.max) when the host has a usable
 * one; else pinned with sched_setaffinity (loudly, an error under --strict); on a simulated
 * host (--fsroot) neither, since its CPUs are not this machine's. */
#ifndef LLCSLICE_CONFINE_H
#define LLCSLICE_CONFINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../cgroup/cgroup.h"
#include "../planner/cpuset.h"
#include "../planner/error.h"

enum ls_confine_kind { LS_CONFINE_NONE, LS_CONFINE_CGROUP, LS_CONFINE_AFFINITY };

struct ls_confine_opts {
    const char *simulated_root; /* non-NULL: --fsroot of a simulated host */
    const char *cgroup_parent;  /* --cgroup-parent, NULL = own cgroup */
    const ls_cpuset *cpus, *mems;
    uint64_t memory_max;  /* 0 = none */
    bool budget_explicit; /* narrowed effective CPUs are an error */
    bool strict;          /* no cgroup fallback */
};

struct ls_confine {
    enum ls_confine_kind kind;
    const ls_cpuset *cpus;
    struct ls_sandbox sb; /* LS_CONFINE_CGROUP */
};

/* Decide and set up (create the cgroup); warnings go to stderr. */
int ls_confine_prepare(struct ls_confine *c, const struct ls_confine_opts *o, struct ls_error *err);
/* Put pid (the parked shim) there, before the job is exec'd. */
int ls_confine_enter(const struct ls_confine *c, pid_t pid, struct ls_error *err);
/* Processes of the job the OOM killer took (memory.events / memory.oom_control); 0 when none
 * or unknown. Call before ls_confine_release. */
long ls_confine_oom_kills(const struct ls_confine *c);
/* Kill what is left in the cgroup and remove it; failures are warnings. */
void ls_confine_release(struct ls_confine *c);

#endif

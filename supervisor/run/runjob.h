/* The core of `llcslice run`, shared with the slot runner so both go one path: acquire (or wait
 * for) the reservation, print the host warnings, confine, spawn the job through process.h,
 * forward signals until it and everything it started are gone, remove its cgroup, release the
 * locks. The locks are held by a keeper process (keeper.h) as well as by us, so they outlive a
 * supervisor killed before its job. Validation (options, seccomp filter, command lookup) and the
 * orphan sweep are the caller's, before this. */
#ifndef LLCSLICE_RUNJOB_H
#define LLCSLICE_RUNJOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/systemd.h"
#include "planner/plan.h"
#include "supervisor/cli/cli.h"
#include "seccomp.h"

struct ls_vmm;
struct ls_runstats;

struct ls_runjob {
    const struct ls_host *host;
    const struct ls_lockdir *ld;
    const struct ls_request *req;
    bool wait;         /* wait for the reservation (ls_plan_acquire_wait) */
    long long wait_ms; /* with wait: -1 forever */
    char *const *argv; /* the job's command; the environment is ours plus LLCSLICE_* */
    const struct ls_seccomp *seccomp;
    uint64_t memory_max;         /* 0 = none */
    const char *memory_max_text; /* how the user set it, for the OOM message ("--memory-max
                                  * 4G"); may be NULL */
    const char *cgroup_parent;
    bool strict, verbose;
    long long kill_after_ms; /* grace between SIGTERM and SIGKILL when the job ends */
    long long timeout_ms;    /* > 0: the job gets SIGTERM this long after it started */
    /* Hooks, each may be NULL. on_wait: who the reservation waits for (default: a line on
     * stderr). on_start: the reservation is held and the job started in the shim `shim`. */
    void (*on_wait)(const char *who, void *ctx);
    void (*on_start)(const struct ls_plan *plan, pid_t shim, void *ctx);
    void *ctx;
    struct ls_vmm *vmm; /* --vmm: the job is a VM llcslice drives (vmm/vmm.h); may be NULL */
    enum ls_cg_manager cgroup_manager; /* --cgroup-manager (auto: also LLCSLICE_CGROUP_MANAGER) */
    const char *slice;                 /* --slice, NULL = llcslice.slice */
    const char *job_name;              /* systemd scope name part; NULL = argv[0]'s basename */
    /* Hook, may be NULL: the job and all it started exited; what the run cost. */
    void (*on_end)(const struct ls_runstats *st, void *ctx);
};

/* Returns the exit code (the job's, 128+N for signal N, or llcslice's own 64/75/77/125/126/127
 * with the reason on stderr). *stop_signal is set when SIGINT, SIGTERM or SIGHUP arrived
 * while waiting for the reservation: nothing ran, and the caller should die of that signal
 * after its own cleanup (as `run` does). */
int ls_runjob(const struct ls_runjob *rj, int *stop_signal);

#endif

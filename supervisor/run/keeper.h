/* The lock keeper: a small process outside the job (its own session, so out of the
 * supervisor's process group) that holds copies of the reservation's lock descriptors and
 * releases them (LOCK_UN, then close) only when every process of the job is gone:
 *   - the shim has exited (pidfd; as a pid namespace's init its exit is reported only after
 *     the kernel killed and reaped the rest of the namespace),
 *   - the marker pipe every job process inherited reads EOF,
 *   - the job's cgroup, if any, is empty or removed (cgroup.events "populated 0" on v2,
 *     no pid in cgroup.procs of the group and its children on v1).
 * So SIGKILL of the supervisor (which drops its own copies at once) cannot free CPUs a job
 * still runs on. When the supervisor is gone before the job, the keeper also wakes a shim the
 * job stopped and, past twice the grace period, SIGKILLs the shim, the cgroup's processes
 * and (once the shim is gone) every process still holding the marker pipe.
 * What it cannot guarantee without root is in docs/SECURITY.md. */
#ifndef LLCSLICE_KEEPER_H
#define LLCSLICE_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "planner/error.h"

struct ls_keeper {
    pid_t pid;    /* the keeper, our child */
    int alive_fd; /* write end: EOF tells the keeper the supervisor is done or dead */
};

#define LS_KEEPER_INIT                                                                             \
    {                                                                                              \
        -1, -1                                                                                     \
    }

struct ls_keeper_spec {
    const int *fds; /* the held lock descriptors */
    size_t nfds;
    pid_t shim;             /* our unreaped child */
    int marker_fd;          /* read end of the job's marker pipe (process.h) */
    const char *cgroup_dir; /* the job's group, NULL when none */
    enum ls_cg_version cg_version;
    long long kill_after_ms; /* grace before the keeper SIGKILLs what a dead supervisor left */
};

/* Fork the keeper. After this the caller's own lock descriptors may be closed without
 * unlocking (ls_plan_forget): the keeper's copies keep the locks. */
int ls_keeper_start(struct ls_keeper *k, const struct ls_keeper_spec *spec, struct ls_error *err);
/* The job is over (shim reaped, cgroup removed): tell the keeper and wait until it has
 * released the locks. */
void ls_keeper_finish(struct ls_keeper *k);

#endif

/* Building blocks of the acquire loops (ls_plan_acquire, ls_plan_acquire_wait): one DISCOVER
 * pass (locks table + snapshot + wait queue), PLAN honouring waiters ahead, ACQUIRE. */
#ifndef LLCSLICE_ACQUIRE_H
#define LLCSLICE_ACQUIRE_H

#include <sys/types.h>

#include "plan.h"
#include "waitq.h"

struct ls_acquire_args {
    const struct ls_topology *topo;
    const ls_cpuset *allowed;
    const struct ls_lockdir *ld;
    const struct ls_request *req;
};

struct ls_pass {
    struct ls_locktable table; /* the one /proc/locks read of this pass */
    struct ls_snapshot snap;   /* real holders only */
    struct ls_waitq queue;     /* live waiters */
};

int ls_pass_discover(const struct ls_acquire_args *a, struct ls_pass *p, struct ls_error *err);
void ls_pass_free(struct ls_pass *p);
/* PLAN on the pass's snapshot plus the reservations of waiters ahead of (ticket, pid). */
int ls_pass_plan(const struct ls_acquire_args *a, const struct ls_pass *p,
                 unsigned long long ticket, pid_t pid, struct ls_plan *plan, struct ls_error *err);
/* Discover into *p (caller frees it), plan, lock: 1 acquired, 0 busy (why says what), -1. */
int ls_pass_acquire(const struct ls_acquire_args *a, unsigned long long ticket, pid_t pid,
                    struct ls_pass *p, struct ls_plan *plan, char *why, size_t why_size,
                    struct ls_error *err);
/* Shared plan on a full host: append "CPUs shared with: CPU 0: pid 1 (make) shared; ..." for
 * plan->overlap from the pass's /proc/locks table. -1 on ENOMEM. */
int ls_plan_name_overlap(const struct ls_acquire_args *a, const struct ls_pass *p,
                         struct ls_plan *plan);
/* LS_ERR_BUSY "<lead> (<why>); holders: ... ; queued ahead: ... Run `llcslice locks` ..."
 * from a fresh read. Returns -1. */
int ls_busy_error(const struct ls_acquire_args *a, const char *lead, const char *why,
                  struct ls_error *err);

int ls_snapshot_copy(struct ls_snapshot *dst, const struct ls_snapshot *src);

#endif

/* ACQUIRE: DISCOVER -> PLAN -> lock, all-or-nothing (ls_plan_acquire, and ls_plan_acquire_wait
 * queued fairly), and their building blocks: one DISCOVER pass (locks table + snapshot + wait
 * queue), PLAN honouring waiters ahead, ACQUIRE. */
#ifndef LLCSLICE_ACQUIRE_H
#define LLCSLICE_ACQUIRE_H

#include <sys/types.h>

#include "plan.h"
#include "snapshot.h"
#include "waitq.h"

/* DISCOVER -> PLAN -> ACQUIRE, all-or-nothing, 3 retries after 10/50/200 ms. Busy after the
 * retries: LS_ERR_BUSY naming every holder. Plans around the reservations of live waiters
 * (waitq.h). Usage/unsatisfiable errors are returned at once, never retried. */
int ls_plan_acquire(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_lockdir *ld, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err);

/* Like ls_plan_acquire, but keeps retrying until acquired or timeout_ms passes (-1 =
 * forever), then LS_ERR_BUSY. Between passes it sleeps until a release or a waiter ahead
 * leaving wakes it (inotify on the lock dir, waitq.h), at most ls_wait_safety_poll_ms; where
 * inotify is unavailable it polls with backoff (10, 50, 200, then every 500 ms). Queues fairly
 * (waitq.h): reserves what it waits for so a stream of smaller requests cannot starve it.
 * on_wait (may be NULL) hears who we wait for once, and again whenever that changes. */
extern long long ls_wait_safety_poll_ms; /* default 2000; tests raise it */
int ls_plan_acquire_wait(const struct ls_topology *topo, const ls_cpuset *allowed,
                         const struct ls_lockdir *ld, const struct ls_request *req,
                         long long timeout_ms, void (*on_wait)(const char *who, void *ctx),
                         void *ctx, struct ls_plan *plan, struct ls_error *err);

/* Try every step non-blocking, all or nothing: 1 all held (fds in plan), 0 busy (*busy_what
 * says which), -1 error. */
int ls_plan_try_lock(const struct ls_lockdir *ld, struct ls_plan *plan, char *busy_what,
                     size_t busy_size, struct ls_error *err);

struct ls_acquire_args {
    const struct ls_topology *topo;
    const ls_cpuset *allowed;
    const struct ls_lockdir *ld;
    const struct ls_request *req;
    struct ls_budget budget; /* resolved once per acquire; zero: each PLAN resolves it */
    /* A dedicated waiter's reserved CPUs: taken as they are when all are free, so the CPUs
     * waiters behind reserve stay theirs (NULL: none). */
    const ls_cpuset *prefer;
    struct ls_waitq_fds *wait_fds; /* a waiter's kept wait files (NULL: none) */
    /* DISCOVER reads /proc/locks once (ls_locktable_read_once): the pass acquires what it
     * plans with LOCK_NB locks that conflict with every holder it could miss */
    bool one_read;
};

struct ls_pass {
    struct ls_locktable table; /* the one /proc/locks read of this pass */
    struct ls_snapshot snap;   /* real holders only */
    struct ls_waitq queue;     /* live waiters */
};

/* Whether a plan for req is safe on a lock table that missed holders: dedicated and exclusive
 * plans lock each CPU exclusively together with its LLC (unit/test_plan_modes checks it), or
 * whole LLCs exclusively, so a missed holder fails the take. A shared plan's marks never
 * conflict: it needs every holder. */
bool ls_flock_decides(const struct ls_request *req);
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
 * from a fresh read; lead names a->budget.target, resolved once, not recounted here.
 * Returns -1. */
int ls_busy_error(const struct ls_acquire_args *a, const char *lead, const char *why,
                  struct ls_error *err);

#endif

/* Fair waiting over lockfiles. A waiter holds LOCK_EX on {prefix}-wait-<ticket>-<pid>.lock
 * (ticket = CLOCK_MONOTONIC ns when it started waiting) and writes into it what it reserves:
 * the locks of the plan it is waiting for. Every acquirer treats the reservations of waiters
 * ahead of it (all live waiters for a non-waiting run, older ones for a waiter) as if they
 * were held, so a stream of small jobs cannot starve a large request: the small ones plan
 * around it or wait behind it. A waiter whose flock is free is dead; its file is removed. */
#ifndef LLCSLICE_WAITQ_H
#define LLCSLICE_WAITQ_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

struct ls_waiter {
    unsigned long long ticket;
    pid_t pid;
    enum ls_mode mode;
    size_t target_cpus;
    bool reserves;                  /* false: waiting but no plan to reserve yet */
    ls_cpuset llc_ex, llc_sh, cpus; /* the reserved locks */
    bool malformed;                 /* its file never parsed: it reserves nothing */
    uid_t uid;                      /* owner of its file */
};

struct ls_waitq {
    struct ls_waiter *w; /* oldest first */
    size_t n;
};

/* Live waiters of ld's prefix; stale files of dead waiters are removed on the way. */
int ls_waitq_read(const struct ls_lockdir *ld, struct ls_waitq *q, struct ls_error *err);
/* The same, but a wait file that table t (this pass's /proc/locks) shows locked exclusively is
 * taken as live without a flock probe: with many waiters the probes, each stalled behind other
 * processes' /proc/locks reads, dominate a pass. Files t does not show locked are probed. */
int ls_waitq_read_table(const struct ls_lockdir *ld, const struct ls_locktable *t,
                        struct ls_waitq *q, struct ls_error *err);
void ls_waitq_free(struct ls_waitq *q);

/* Whether w is ahead of the waiter (ticket, pid); everyone is ahead of ticket 0. */
bool ls_waiter_ahead(const struct ls_waiter *w, unsigned long long ticket, pid_t pid);

/* Count the reservations of waiters ahead of (ticket, pid) as holders in snap. */
int ls_waitq_apply(const struct ls_waitq *q, unsigned long long ticket, pid_t pid,
                   struct ls_snapshot *snap);

/* "waiter pid 9 (llcslice run ...) reserves LLC 0-1 exclusive" for waiters ahead of
 * (ticket, pid), joined by "; "; "" when none. Caller frees; NULL on ENOMEM. */
char *ls_waitq_describe(const struct ls_waitq *q, unsigned long long ticket, pid_t pid);

struct ls_wait_ticket {
    int fd;
    unsigned long long ticket;
    pid_t pid;
    enum ls_mode mode;
    size_t target_cpus;
    unsigned seq;
    char *content; /* what the file says now, to skip rewriting it unchanged */
    char path[PATH_MAX];
};

/* Join the queue (nothing reserved yet). */
int ls_wait_register(const struct ls_lockdir *ld, enum ls_mode mode, size_t target_cpus,
                     struct ls_wait_ticket *tk, struct ls_error *err);
/* Reserve the locks of `target` (NULL: nothing). Rewrites the file only when it changes. */
int ls_wait_reserve(struct ls_wait_ticket *tk, const struct ls_plan *target, struct ls_error *err);
/* Leave the queue: remove the file, then drop its lock. */
void ls_wait_unregister(struct ls_wait_ticket *tk);

#endif

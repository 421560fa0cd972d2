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
#include "snapshot.h"
#include "topology.h"

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

/* "{prefix}-wait-<20 digits>-<pid>.lock" -> ticket, pid; false for any other name. */
bool ls_waitq_parse_name(const char *name, const char *prefix, unsigned long long *ticket,
                         pid_t *pid);
/* "{prefix}-waitdone-<20 digits>-<pid>.lock": the wait file of a waiter leaving with what it
 * reserved now held, renamed so its removal wakes nobody (ls_wait_unregister_acquired). */
bool ls_waitq_parse_done_name(const char *name, const char *prefix, unsigned long long *ticket,
                              pid_t *pid);
/* "{prefix}-waittmp-...": a wait file being set up (not yet in the queue). */
bool ls_waitq_is_tmp_name(const char *name, const char *prefix);

/* A waiter's wait files of others, kept open across its passes: each pass then reads them
 * with pread instead of opening and closing them again (closing a file another process holds
 * a flock on waits behind every /proc/locks read on the host: many waiters, many passes). */
struct ls_waitq_fd {
    unsigned long long ticket;
    pid_t pid;
    int fd;
    unsigned long long ino; /* the file (a regular file) when it was opened: inode, owner */
    uid_t uid;
    bool seen; /* listed by the current read */
};
struct ls_waitq_fds {
    struct ls_waitq_fd *e;
    size_t n, cap;
};
#define LS_WAITQ_KEPT_MAX 128 /* beyond: opened and closed each read (RLIMIT_NOFILE) */
void ls_waitq_fds_close(struct ls_waitq_fds *fds);

/* Live waiters of ld's prefix; stale files of dead waiters are removed on the way. A wait
 * file that table t (this pass's /proc/locks; NULL: none) shows locked exclusively is taken as
 * live without a flock probe: with many waiters the probes, each stalled behind other
 * processes' /proc/locks reads, dominate a pass. Files t does not show locked are probed. */
int ls_waitq_read(const struct ls_lockdir *ld, const struct ls_locktable *t, struct ls_waitq *q,
                  struct ls_error *err);
/* ls_waitq_read through fds (NULL: none): files it keeps open are read without reopening; a
 * file no longer listed has its fd closed. */
int ls_waitq_read_kept(const struct ls_lockdir *ld, const struct ls_locktable *t,
                       struct ls_waitq *q, struct ls_waitq_fds *fds, struct ls_error *err);
void ls_waitq_free(struct ls_waitq *q);

/* Read the wait file `name` in ld (a torn read is retried); false when it cannot be read or
 * never parsed. Free w with ls_waiter_free. */
bool ls_waiter_read_file(const struct ls_lockdir *ld, const char *name, struct ls_waiter *w);
void ls_waiter_free(struct ls_waiter *w);

/* Whether w is ahead of the waiter (ticket, pid); everyone is ahead of ticket 0. */
bool ls_waiter_ahead(const struct ls_waiter *w, unsigned long long ticket, pid_t pid);

/* Count the reservations of waiters ahead of (ticket, pid) as holders in snap. */
int ls_waitq_apply(const struct ls_waitq *q, unsigned long long ticket, pid_t pid,
                   struct ls_snapshot *snap);
/* The same for every other waiter, behind (ticket, pid) too. */
int ls_waitq_apply_others(const struct ls_waitq *q, unsigned long long ticket, pid_t pid,
                          struct ls_snapshot *snap);

/* "waiter pid 9 (llcslice run ...) reserves LLC 0-1 exclusive" for the first
 * LS_WAITQ_DESCRIBE_MAX waiters ahead of (ticket, pid), joined by "; ", then "(and N more
 * waiters ahead: ...)"; "" when none. Each named waiter costs a /proc/<pid>/cmdline read,
 * and a queue of hundreds is read by every waiter in it. Caller frees; NULL on ENOMEM. */
#define LS_WAITQ_DESCRIBE_MAX 3
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
/* Leave the queue holding `acquired`. When that holds everything we reserved, waiters behind
 * lose nothing and gain nothing, so the file is renamed to its done name before it is removed
 * and they are not woken; otherwise as ls_wait_unregister. */
void ls_wait_unregister_acquired(struct ls_wait_ticket *tk, const struct ls_plan *acquired);

/* Waking on releases instead of polling: an inotify watch on the lock dir. A lockfile's close
 * (a holder releasing or dying: the kernel closes its fds), and a waiter ahead leaving, dying
 * or changing its reservation, wake the waiter; everything else (readers' closes of wait
 * files, waiters behind us) is ignored. The same close events ktstr's queue waits on. */
struct ls_wait_cover {
    unsigned long long ticket;
    pid_t pid;
    ls_cpuset llc_ex, llc_sh, cpus; /* what this waiter reserves */
    bool rewritten;                 /* (behind us) its file changed since: not known */
};

struct ls_wait_wake {
    int fd; /* -1: no watch (inotify unavailable or out of instances): poll instead */
    unsigned long long ticket;
    pid_t pid;
    const struct ls_lockdir *ld;
    /* false when even with no holders at all the reservations of waiters ahead leave no room
     * for us: then only those waiters (leaving, re-reserving) can change anything, and
     * lockfile closes are ignored, so a release wakes the waiters that can use it, not all */
    bool on_release;
    /* Waiters ahead reserving locks, as of our last pass, and what we ask for. Our plan
     * counts their reservations as held, so the release of a lock that leaves us nothing
     * usable beside them (a CPU one of them reserves, an LLC whose allowed CPUs they all
     * reserve) does not wake us; one of them leaving with its reservation held (a done name)
     * only takes it out of here. */
    const struct ls_topology *topo;
    const ls_cpuset *allowed;
    enum ls_mode mode;
    struct ls_wait_cover *cover;
    size_t ncover;
    bool cover_ok; /* false before the first cover, or after one failed: wake on any change */
    /* Waiters behind us reserving, as of our last pass: one that leaves holding exactly that
     * (done name) holds those CPUs now, which room() must not count as free. */
    struct ls_wait_cover *behind;
    size_t nbehind;
    /* Room (ls_wait_wake_room): the CPUs we reserve, and which of them (or of their LLCs, held
     * exclusively) other jobs held at our last pass, less those whose lockfiles closed since.
     * Only a waiter ahead can take a CPU we reserve, and it says so (done name, leaving), so
     * until all of them are free a release does not wake us. */
    bool room_known;
    bool room_maybe; /* enough CPUs elsewhere may be free: sleep at most LS_WAIT_MAYBE_MS */
    size_t target;   /* CPUs we ask for */
    ls_cpuset mine, held_cpus, held_llcs_ex;
    ls_cpuset reserved; /* CPUs the cover keeps from us, rebuilt when reserved_stale */
    bool reserved_stale;
};

/* Start watching ld's dir for the waiter (ticket, pid). 0 with w->fd >= 0 when watching, -1
 * with w->fd = -1 when inotify cannot be used here (e.g. fs.inotify.max_user_instances is
 * used up); the caller then polls. Events before this call are not seen: pass once more. */
int ls_wait_wake_open(struct ls_wait_wake *w, const struct ls_lockdir *ld,
                      unsigned long long ticket, pid_t pid);
/* Take the reservations of waiters ahead of w's (ticket, pid) in q as w's cover, for a
 * request of `mode` on `allowed` CPUs of topo (both kept: they must outlive w). -1 on ENOMEM,
 * with no cover (every release wakes us). */
int ls_wait_wake_cover(struct ls_wait_wake *w, const struct ls_waitq *q,
                       const struct ls_topology *topo, const ls_cpuset *allowed, enum ls_mode mode);
/* Add to w's cover the waiters ahead in q it does not cover yet (those it covers keep what it
 * has: events since then are judged against that). -1 on ENOMEM: no cover (every change wakes
 * us). */
int ls_wait_wake_cover_more(struct ls_wait_wake *w, const struct ls_waitq *q);
/* For a dedicated waiter of `target` CPUs whose entry reserves `mine` (empty: nothing yet):
 * take from snap (the last pass's holders, after ls_wait_wake_cover) which allowed CPUs other
 * jobs hold. Until the next cover, a lockfile's close or a waiter ahead leaving or giving part
 * of its reservation up wakes us only when all of `mine` may be free and reserved by nobody
 * ahead (waiters behind and newcomers plan around our entry), or, with no waiter ahead
 * reserving, `target` allowed CPUs may be free. With nothing reserved, only when `target`
 * allowed CPUs are reserved by nobody ahead, so that we can reserve (fairness). -1 on ENOMEM
 * (room unknown: every relevant event wakes us). */
int ls_wait_wake_room(struct ls_wait_wake *w, const struct ls_snapshot *snap, size_t target,
                      const ls_cpuset *mine);
/* After ls_wait_wake_room with a reservation: whether all of it may be free and reserved by
 * nobody ahead, as of the events read so far, so that locking it without a pass may work. */
bool ls_wait_wake_ready(struct ls_wait_wake *w);
/* Forget events so far (the pass about to start sees their effect). */
void ls_wait_wake_drain(struct ls_wait_wake *w);
/* Block up to ms milliseconds for a relevant event: 1 woken, 0 timed out or interrupted by a
 * signal, -1 the watch broke (e.g. the lock dir was removed; w->fd is then -1). */
int ls_wait_wake_sleep(struct ls_wait_wake *w, long long ms);
#define LS_WAIT_MAYBE_MS 100
void ls_wait_wake_close(struct ls_wait_wake *w);

#endif

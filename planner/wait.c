/* --wait: retry DISCOVER -> PLAN -> ACQUIRE with backoff until acquired or out of time,
 * queued fairly (waitq.h): while waiting we reserve the plan we wait for, so newcomers plan
 * around it instead of starving us. */
#include "acquire.h"
#include "cleanup.h"
#include "holders.h"
#include "locksteps.h"
#include "trace.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Without a watch (inotify unavailable, e.g. out of instances) we poll with this backoff;
 * with one, releases wake us and this slow poll is only a safety net (a lock dir on a
 * filesystem whose changes inotify misses, a signal racing the sleep). */
static const unsigned wait_delays_ms[] = {10, 50, 200, 500};
#define NDELAYS (sizeof(wait_delays_ms) / sizeof(wait_delays_ms[0]))
/* A changed "waiting for" is named (and shown) at most this often. */
#define LS_WAIT_NAME_MS 1000
long long ls_wait_safety_poll_ms = 2000;

/* What to reserve while waiting: the plan we would get once the holders that keep coming and
 * going (shared and per-CPU) are gone, exclusive holders staying; failing that, once every
 * current holder is gone. Waiters ahead of us stay reserved in both. 1 found, 0 none. */
static int reservation_target(const struct ls_acquire_args *a, const struct ls_pass *p,
                              const struct ls_wait_ticket *tk, struct ls_plan *target)
{
    for (int relax = 0; relax < 2; relax++) {
        _cleanup_snapshot_ struct ls_snapshot s = {0};
        if (ls_snapshot_copy(&s, &p->snap) < 0)
            return 0;
        memset(s.llc_shared, 0, s.nllcs * sizeof(unsigned));
        if (relax)
            memset(s.llc_exclusive, 0, s.nllcs * sizeof(unsigned));
        /* Their CPUs are free to reserve, but taken last: the reservation then waits for as
         * few of today's jobs as it can. */
        ls_cpuset_free(&s.cpu_soft);
        s.cpu_soft = s.cpu_held; /* moved */
        s.cpu_held = (ls_cpuset){0};
        for (size_t c = 0; s.cpu_shared && c < s.ncpus; c++)
            if (s.cpu_shared[c] && ls_cpuset_add(&s.cpu_soft, (unsigned)c) < 0)
                return 0;
        if (s.cpu_shared)
            memset(s.cpu_shared, 0, s.ncpus * sizeof(unsigned));
        struct ls_error e = {0};
        int rc = ls_waitq_apply(&p->queue, tk->ticket, tk->pid, &s);
        if (rc == 0)
            rc = ls_plan_compute_budget(a->topo, a->allowed, &s, a->req, &a->budget, target, &e);
        if (rc == 0)
            return 1;
    }
    return 0;
}

/* Whether two "waiting for" texts name the same holders: compared without the parenthesised
 * command lines, which change (or vanish) while a holder exits, so the line is not repeated. */
static bool same_holders(const char *a, const char *b)
{
    int da = 0, db = 0;
    for (;;) {
        while (*a && (*a == '(' || *a == ')' || da > 0))
            da += *a == '(' ? 1 : *a == ')' ? (da > 0 ? -1 : 0) : 0, a++;
        while (*b && (*b == '(' || *b == ')' || db > 0))
            db += *b == '(' ? 1 : *b == ')' ? (db > 0 ? -1 : 0) : 0, b++;
        if (*a != *b)
            return false;
        if (!*a)
            return true;
        a++, b++;
    }
}

/* Who we wait for: holders blocking the reserved plan, else the waiters ahead of us; NULL to
 * keep the last report. Every pass of every waiter asks, and naming a holder reads its /proc
 * entries, so holders are named only when their pids differ from *last_pids (the pids-only
 * text last named), at most once per LS_WAIT_NAME_MS (*named_ms: when). */
static char *waiting_for(const struct ls_acquire_args *a, const struct ls_pass *p,
                         const struct ls_wait_ticket *tk, const struct ls_plan *target,
                         char **last_pids, long long *named_ms)
{
    if (target) {
        _cleanup_free_ struct ls_lock_step *steps = NULL;
        _cleanup_free_ char *pids = NULL;
        size_t n = 0;
        struct ls_error e = {0};
        if (ls_plan_lock_steps(target, &steps, &n) == 0 &&
            ls_describe_conflicts(a->ld, &p->table, steps, n, false, &pids, &e) == 0 && pids &&
            *pids) {
            if (*last_pids && strcmp(pids, *last_pids) == 0)
                return NULL;
            long long now = ls_mono_ms();
            if (*last_pids && now - *named_ms < LS_WAIT_NAME_MS)
                return NULL;
            char *who = NULL;
            if (ls_describe_conflicts(a->ld, &p->table, steps, n, true, &who, &e) == 0 && who &&
                *who) {
                free(*last_pids);
                *last_pids = LS_STEAL(pids);
                *named_ms = now;
                return who;
            }
            free(who);
        }
    }
    free(*last_pids); /* no holders named: the next ones are news */
    *last_pids = NULL;
    return ls_waitq_describe(&p->queue, tk->ticket, tk->pid);
}

/* Write what we wait for (or that we wait without a plan) into our queue entry, and name who
 * we wait for; *target takes the plan reserved (*have false: none). -1 (err set) when the
 * entry cannot be written. */
static int reserve(const struct ls_acquire_args *a, const struct ls_pass *p,
                   struct ls_wait_ticket *tk, bool *have, struct ls_plan *target, char **who,
                   char **last_pids, long long *named_ms, struct ls_error *err)
{
    ls_plan_free(target);
    *target = (struct ls_plan){0};
    *have = reservation_target(a, p, tk, target);
    if (ls_wait_reserve(tk, *have ? target : NULL, err) < 0)
        return -1;
    *who = waiting_for(a, p, tk, *have ? target : NULL, last_pids, named_ms);
    return 0;
}

/* Out of time or stopped: leave the queue, then the busy error naming who holds what. */
static void give_up(const struct ls_acquire_args *a, struct ls_wait_ticket *tk, bool stopped,
                    long long elapsed, const char *why, struct ls_error *err)
{
    char lead[160];
    snprintf(lead, sizeof(lead), "could not reserve %zu CPU(s) %s %lld ms of waiting",
             a->budget.target, stopped ? "(interrupted) after" : "within", elapsed);
    ls_wait_unregister(tk); /* so the error does not list us as queued ahead */
    ls_busy_error(a, lead, why, err);
}

/* The first pass, as a run that does not wait; busy, join the queue and re-read it (waiters
 * that joined meanwhile are ahead of us). 1 acquired at once, 0 queued (first holds the
 * pass with the re-read queue, *planned the queue it was busy on, tk our entry), -1 error. */
static int join_queue(const struct ls_acquire_args *a, struct ls_pass *first,
                      struct ls_waitq *planned, struct ls_wait_ticket *tk, struct ls_plan *plan,
                      char *why, size_t whylen, struct ls_error *err)
{
    int r = ls_pass_acquire(a, 0, 0, first, plan, why, whylen, err);
    if (r != 0) {
        ls_pass_free(first);
        return r;
    }
    if (ls_wait_register(a->ld, a->req->mode, a->budget.target, tk, err) < 0) {
        ls_pass_free(first);
        return -1;
    }
    /* Read the queue again, not /proc/locks, so the first reservation plans around theirs. */
    *planned = first->queue;
    first->queue = (struct ls_waitq){0};
    if (ls_waitq_read_kept(a->ld, &first->table, &first->queue, a->wait_fds, err) < 0) {
        ls_waitq_free(planned);
        ls_pass_free(first);
        ls_wait_unregister(tk);
        return -1;
    }
    return 0;
}

/* Hand the wait files kept open to the acquired plan, to be closed with it (plan_types.h):
 * not between acquiring and starting the job. On ENOMEM they stay in *kept. */
static void keep_for_plan(struct ls_waitq_fds *kept, struct ls_plan *plan)
{
    if (kept->n && (plan->spare_fds = malloc(kept->n * sizeof(int)))) {
        for (size_t i = 0; i < kept->n; i++)
            plan->spare_fds[plan->nspare++] = kept->e[i].fd;
        kept->n = 0;
    }
}

/* Tell on_wait who we wait for, unless it names the same holders as last time (then who is
 * freed); *last_who keeps the last text told. */
static void report_who(char **last_who, char *who, void (*on_wait)(const char *who, void *ctx),
                       void *ctx)
{
    if (who && *who && (!*last_who || !same_holders(who, *last_who))) {
        if (on_wait)
            on_wait(who, ctx);
        free(*last_who);
        *last_who = who;
    } else {
        free(who);
    }
}

/* Until a release (or a waiter ahead leaving) wakes us, or the safety poll (50 ms when soon),
 * or the deadline; without inotify, the backoff of wait_delays_ms. */
static void sleep_until_woken(struct ls_wait_wake *wake, unsigned attempt, bool soon,
                              long long timeout_ms, long long elapsed)
{
    long long delay = ls_wait_safety_poll_ms;
    if (soon)
        delay = wait_delays_ms[1];
    else if (wake->fd < 0)
        delay = wait_delays_ms[attempt < NDELAYS ? attempt : NDELAYS - 1];
    if (timeout_ms >= 0 && delay > timeout_ms - elapsed)
        delay = timeout_ms - elapsed;
    ls_trace_mark("wait-queue");
    if (wake->fd < 0 || ls_wait_wake_sleep(wake, delay) < 0)
        ls_sleep_ms((unsigned)delay);
    ls_trace_mark("wait-sleep");
}

int ls_plan_acquire_wait(const struct ls_topology *topo, const ls_cpuset *allowed,
                         const struct ls_lockdir *ld, const struct ls_request *req,
                         long long timeout_ms, void (*on_wait)(const char *who, void *ctx),
                         void *ctx, struct ls_plan *plan, struct ls_error *err)
{
    struct ls_acquire_args a = {topo, allowed, ld, req, {0}, NULL, NULL, ls_flock_decides(req)};
    long long start = ls_mono_ms();
    /* Once for the whole wait: the queue entry, every pass and the busy message. */
    if (ls_budget_resolve(topo, allowed, req, &a.budget, err) < 0)
        return -1;

    _cleanup_free_ char *last_who = NULL;
    _cleanup_free_ char *last_pids = NULL; /* the holders last named, pids only */
    long long named_ms = 0;                /* and when */
    char why[512] = "";
    /* Watching before the first pass, so no release after it goes unseen. Without inotify
     * (fs.inotify.max_user_instances, per user, is used up) we poll. */
    struct ls_wait_wake wake = {.fd = -1};
    ls_wait_wake_open(&wake, ld, ~0ull, getpid());
    /* A newcomer queues behind every live waiter, so its first pass is the pass of a run
     * that does not wait (every waiter ahead): only when that is busy does it join the
     * queue, and the wait file is not written, renamed and removed for nothing. */
    struct ls_waitq_fds kept __attribute__((cleanup(ls_waitq_fds_close))) = {0};
    a.wait_fds = &kept;
    struct ls_pass first;
    _cleanup_waitq_ struct ls_waitq planned = {0};
    struct ls_wait_ticket tk;
    int r = join_queue(&a, &first, &planned, &tk, plan, why, sizeof(why), err);
    if (r != 0) {
        if (r > 0)
            keep_for_plan(&kept, plan);
        ls_wait_wake_close(&wake);
        return r > 0 ? 0 : -1;
    }
    wake.ticket = tk.ticket;
    wake.pid = tk.pid;
    bool have_first = true;
    bool have = false;
    _cleanup_plan_ struct ls_plan reserved = {0}; /* what our entry reserves, when have */
    a.prefer = &reserved.cpus;
    unsigned retries_now = 0;
    bool soon = false; /* the next sleep is short: a lock seen released may still be held */
    int rc = -1;
    for (unsigned attempt = 0;; attempt++) {
        struct ls_pass p;
        if (have_first) {
            p = first; /* busy, and discovered before we joined: nobody queued behind us */
            have_first = false;
            r = 0;
        } else {
            ls_wait_wake_drain(&wake);
            if (req->stop && *req->stop) {
                /* Stopped while asleep: leave without taking what a release just freed. */
                give_up(&a, &tk, true, ls_mono_ms() - start, why, err);
                break;
            }
            if (have && ls_wait_wake_ready(&wake)) {
                /* All we reserve is free and nobody ahead reserves it: take it as it is,
                 * without a pass (its /proc/locks read waits for an RCU grace period). */
                int t = ls_plan_try_lock(ld, &reserved, why, sizeof(why), err);
                ls_trace_mark("wait-take");
                if (t < 0)
                    break;
                if (t == 1) {
                    ls_plan_free(plan);
                    *plan = reserved;
                    reserved = (struct ls_plan){0};
                    rc = 0;
                    break;
                }
                /* Lost it. Our rollback's closes are older than the pass below: they must not
                 * count as releases after it. A dying holder's close event comes before the
                 * kernel drops its lock, so if this pass fails too, look again soon. */
                ls_wait_wake_drain(&wake);
                soon = true;
            }
            r = ls_pass_acquire(&a, tk.ticket, tk.pid, &p, plan, why, sizeof(why), err);
        }
        if (r != 0) {
            ls_pass_free(&p);
            rc = r > 0 ? 0 : -1;
            break;
        }
        char *who = NULL;
        int rr = reserve(&a, &p, &tk, &have, &reserved, &who, &last_pids, &named_ms, err);
        /* The first pass was busy on the queue it read before we joined: a waiter ahead that
         * changed before the re-read is judged against what it had then, when its event
         * comes; those that joined meanwhile are covered as the re-read has them. */
        if (rr == 0 &&
            ls_wait_wake_cover(&wake, attempt == 0 ? &planned : &p.queue, topo, allowed,
                               req->mode) == 0 &&
            (attempt > 0 || ls_wait_wake_cover_more(&wake, &p.queue) == 0))
            ls_wait_wake_room(&wake, &p.snap, a.budget.target,
                              &reserved.cpus); /* ENOMEM: unknown */
        ls_pass_free(&p);
        if (rr < 0)
            break;
        wake.on_release = have;
        report_who(&last_who, who, on_wait, ctx);

        long long elapsed = ls_mono_ms() - start;
        bool stopped = req->stop && *req->stop;
        if (stopped || (timeout_ms >= 0 && elapsed >= timeout_ms)) {
            give_up(&a, &tk, stopped, elapsed, why, err);
            break;
        }
        /* What we reserve may be free already (the first pass was busy on the queue read
         * before we joined; a pass can lose a race for CPUs outside it): then no event would
         * come for it, so take it now. A few times at most, then sleep. */
        if (have && retries_now < 3 && ls_wait_wake_ready(&wake)) {
            retries_now++;
            continue;
        }
        retries_now = 0;
        sleep_until_woken(&wake, attempt, soon, timeout_ms, elapsed);
        soon = false;
    }
    if (rc == 0)
        keep_for_plan(&kept, plan);
    ls_wait_wake_close(&wake);
    if (rc == 0)
        ls_wait_unregister_acquired(&tk, plan);
    else
        ls_wait_unregister(&tk);
    return rc;
}

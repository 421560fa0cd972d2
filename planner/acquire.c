/* ACQUIRE: lock a computed plan all-or-nothing, and the seed's DISCOVER -> PLAN -> ACQUIRE
 * loop with 3 retries after 10/50/200 ms, ending in a busy error naming every holder. */
#include "acquire.h"
#include "cleanup.h"
#include "holders.h"
#include "locksteps.h"
#include "strv.h"
#include "trace.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const unsigned retry_delays_ms[] = {10, 50, 200};
#define ATTEMPTS (sizeof(retry_delays_ms) / sizeof(retry_delays_ms[0]) + 1)

int ls_plan_try_lock(const struct ls_lockdir *ld, struct ls_plan *plan, char *busy_what,
                     size_t busy_size, struct ls_error *err)
{
    _cleanup_free_ struct ls_lock_step *steps = NULL;
    size_t n = 0;
    if (ls_plan_lock_steps(plan, &steps, &n) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory locking the plan");
    /* A shared job holds a lock per CPU it runs on: on a big host that can pass the usual
     * soft limit of 1024 fds while the hard limit allows far more. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)n + 256 > rl.rlim_cur && rl.rlim_cur < rl.rlim_max) {
        rlim_t want = (rlim_t)n + 256;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max ? want : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    _cleanup_free_ int *fds = malloc((n ? n : 1) * sizeof(*fds));
    if (!fds)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory locking the plan");
    size_t held = 0;
    int rc = 1;
    for (size_t i = 0; i < n; i++) {
        int fd = -1;
        int r = ls_lock_acquire(ld, steps[i].kind, steps[i].index, steps[i].mode, &fd, err);
        if (r == 1) {
            fds[held++] = fd;
            continue;
        }
        if (r == 0 && busy_what)
            snprintf(busy_what, busy_size, "%s %u busy",
                     steps[i].kind == LS_LOCK_LLC ? "LLC" : "CPU", steps[i].index);
        rc = r;
        break;
    }
    if (rc != 1) {
        /* All or nothing: drop what we got so racing peers see a consistent state. */
        while (held)
            ls_lock_release(fds[--held]);
        return rc;
    }
    ls_plan_release(plan);
    plan->fds = LS_STEAL(fds);
    plan->nfds = held;
    return 1;
}

void ls_pass_free(struct ls_pass *p)
{
    ls_locktable_free(&p->table);
    ls_snapshot_free(&p->snap);
    ls_waitq_free(&p->queue);
}

bool ls_flock_decides(const struct ls_request *req)
{
    return req->mode != LS_MODE_SHARED;
}

int ls_pass_discover(const struct ls_acquire_args *a, struct ls_pass *p, struct ls_error *err)
{
    memset(p, 0, sizeof(*p));
    bool torn = false;
    int r = a->one_read ? ls_locktable_read_once(&p->table, &torn, err)
                        : ls_locktable_read(&p->table, NULL, err);
    /* A live waiter holds a flock in the lock dir: with none on its filesystem there is no
     * queue to read (dead waiters' files are swept by the next pass that reads it). A torn
     * read proves nothing absent; a waiter it missed is found by its file and a probe. */
    if (r < 0 || ls_snapshot_take(a->topo, a->allowed, a->ld, &p->table, &p->snap, err) < 0 ||
        ((torn || ls_locktable_has_device(&p->table, a->ld->dev_major, a->ld->dev_minor)) &&
         ls_waitq_read_kept(a->ld, &p->table, &p->queue, a->wait_fds, err) < 0)) {
        ls_pass_free(p);
        return -1;
    }
    return 0;
}

int ls_pass_plan(const struct ls_acquire_args *a, const struct ls_pass *p,
                 unsigned long long ticket, pid_t pid, struct ls_plan *plan, struct ls_error *err)
{
    _cleanup_snapshot_ struct ls_snapshot eff = {0};
    if (ls_snapshot_copy(&eff, &p->snap) < 0 || ls_waitq_apply(&p->queue, ticket, pid, &eff) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning");
    if (a->prefer && a->req->mode == LS_MODE_DEDICATED && !ls_cpuset_empty(a->prefer)) {
        /* The reservation, planned on its own CPUs: it fits when every one is free. */
        struct ls_budget mine = {ls_cpuset_count(a->prefer), a->budget.target};
        struct ls_error busy = {0};
        if (mine.allowed == mine.target &&
            ls_plan_compute_budget(a->topo, a->prefer, &eff, a->req, &mine, plan, &busy) == 0)
            return 0;
    }
    if (ticket && a->req->mode == LS_MODE_DEDICATED) {
        /* A waiter may take what waiters behind it reserve, but free CPUs nobody reserves come
         * first: they do not make those waiters plan again, nor race their takes. */
        _cleanup_snapshot_ struct ls_snapshot all = {0};
        struct ls_error busy = {0};
        if (ls_snapshot_copy(&all, &p->snap) == 0 &&
            ls_waitq_apply_others(&p->queue, ticket, pid, &all) == 0 &&
            ls_plan_compute_budget(a->topo, a->allowed, &all, a->req, &a->budget, plan, &busy) == 0)
            return 0;
    }
    return ls_plan_compute_budget(a->topo, a->allowed, &eff, a->req, &a->budget, plan, err);
}

/* The overcommit warning's "shared with which holders": every holder of the overlap's CPU
 * lockfiles, from this pass's /proc/locks table (read before our own locks). */
int ls_plan_name_overlap(const struct ls_acquire_args *a, const struct ls_pass *p,
                         struct ls_plan *plan)
{
    size_t n = ls_cpuset_count(&plan->overlap), k = 0;
    _cleanup_free_ struct ls_lock_step *steps = malloc((n ? n : 1) * sizeof(*steps));
    if (!steps)
        return -1;
    LS_CPUSET_FOREACH(cpu, &plan->overlap)
    steps[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)cpu, LS_LOCK_EXCLUSIVE};
    _cleanup_free_ char *who = NULL;
    struct ls_error e = {0};
    if (ls_describe_conflicts(a->ld, &p->table, steps, k, true, &who, &e) == 0 && who && *who)
        return ls_strv_appendf(&plan->warnings, &plan->nwarnings, "llcslice: CPUs shared with: %s",
                               who);
    return 0;
}

static int pass_acquire(const struct ls_acquire_args *a, unsigned long long ticket, pid_t pid,
                        struct ls_pass *p, struct ls_plan *plan, char *why, size_t why_size,
                        struct ls_error *err);

/* Shared jobs only mark CPUs with LOCK_SH, which never conflict: two starting at once would
 * plan on the same snapshot and stack. {prefix}-plan.lock (LOCK_EX from discover to acquire)
 * makes them see each other. Best effort: a lock dir we cannot write, or a holder stuck for
 * 10 s (stopped), and we plan without it. Returns the fd to close, or -1. */
static int plan_lock(const struct ls_lockdir *ld)
{
    char path[sizeof(ld->dir) + sizeof(ld->prefix) + 16];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s-plan.lock", ld->dir, ld->prefix) >=
        sizeof(path))
        return -1;
    _cleanup_close_ int fd =
        open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    if ((st.st_mode & 0777) != 0666 && st.st_uid == geteuid())
        (void)fchmod(fd, 0666); /* umask-independent, like every lockfile */
    for (int i = 0; i < 2000; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return LS_STEAL_FD(fd);
        if (errno != EWOULDBLOCK && errno != EINTR)
            break;
        ls_sleep_ms(5);
    }
    return -1;
}

int ls_pass_acquire(const struct ls_acquire_args *a, unsigned long long ticket, pid_t pid,
                    struct ls_pass *p, struct ls_plan *plan, char *why, size_t why_size,
                    struct ls_error *err)
{
    /* Held until this pass has locked (or given up): the next starter's discover sees us. */
    _cleanup_close_ int serial = a->req->mode == LS_MODE_SHARED ? plan_lock(a->ld) : -1;
    (void)serial; /* only its cleanup is wanted */
    return pass_acquire(a, ticket, pid, p, plan, why, why_size, err);
}

static int pass_acquire(const struct ls_acquire_args *a, unsigned long long ticket, pid_t pid,
                        struct ls_pass *p, struct ls_plan *plan, char *why, size_t why_size,
                        struct ls_error *err)
{
    if (ls_pass_discover(a, p, err) < 0)
        return -1;
    ls_trace_mark("discover-locks");
    struct ls_error perr = {0};
    int prc = ls_pass_plan(a, p, ticket, pid, plan, &perr);
    ls_trace_mark("plan");
    if (prc < 0) {
        if (perr.category != LS_ERR_BUSY) {
            *err = perr;
            return -1;
        }
        snprintf(why, why_size, "%s", perr.msg);
        return 0;
    }
    int r = ls_plan_try_lock(a->ld, plan, why, why_size, err);
    ls_trace_mark("acquire");
    if (r == 1 && !ls_cpuset_empty(&plan->overlap) && ls_plan_name_overlap(a, p, plan) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory naming shared CPUs");
    if (r != 1) {
        enum ls_mode mode = plan->mode;
        ls_plan_free(plan);
        plan->mode = mode;
    }
    return r;
}

int ls_busy_error(const struct ls_acquire_args *a, const char *lead, const char *why,
                  struct ls_error *err)
{
    _cleanup_free_ char *holders = NULL;
    _cleanup_free_ char *waiters = NULL;
    _cleanup_waitq_ struct ls_waitq q = {0};
    struct ls_error e2 = {0};
    if (ls_describe_holders(a->topo, a->allowed, a->ld, &holders, &e2) < 0)
        holders = NULL;
    if (ls_waitq_read(a->ld, NULL, &q, &e2) == 0)
        waiters = ls_waitq_describe(&q, 0, 0);
    ls_fail(err, LS_ERR_BUSY, EBUSY,
            "%s%s%s%s; holders: %s%s%s. Run `llcslice locks` to see every lock", lead,
            why && *why ? " (" : "", why && *why ? why : "", why && *why ? ")" : "",
            holders && *holders ? holders : "<none recorded>",
            waiters && *waiters ? "; queued ahead: " : "", waiters ? waiters : "");
    return -1;
}

int ls_plan_acquire(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_lockdir *ld, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err)
{
    /* Both reads: a run that does not wait has a few passes only, and a holder a torn read
     * missed could use one up while another CPU is free. */
    struct ls_acquire_args a = {topo, allowed, ld, req, {0}, NULL, NULL, false};
    /* Errors are PLAN's to report, as each pass resolves an unresolved budget itself; the busy
     * message then says 0 CPU(s). */
    struct ls_error ignore = {0};
    (void)ls_budget_resolve(topo, allowed, req, &a.budget, &ignore);
    char why[512] = "";
    for (unsigned attempt = 0; attempt < ATTEMPTS; attempt++) {
        struct ls_pass p;
        int r = ls_pass_acquire(&a, 0, 0, &p, plan, why, sizeof(why), err);
        ls_pass_free(&p);
        if (r != 0)
            return r < 0 ? -1 : 0;
        if (attempt + 1 < ATTEMPTS)
            ls_sleep_ms(retry_delays_ms[attempt]);
    }
    /* Busy every time: name the holders from a fresh read, so the error points at who won. */
    char lead[128];
    snprintf(lead, sizeof(lead), "could not reserve %zu CPU(s) after %zu attempts", a.budget.target,
             (size_t)ATTEMPTS);
    return ls_busy_error(&a, lead, why, err);
}

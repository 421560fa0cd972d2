/* Waking waiters on releases: an inotify watch on the lock dir (see waitq.h). The kernel
 * closes a dying holder's fds too, so a crash wakes the waiters like a clean release. */
#include "waitq.h"
#include "clock.h"
#include "lockfile.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* No IN_CLOSE_NOWRITE: every pass of every waiter opens and closes each wait file read-only,
 * and the kernel queues each such close to every watcher (the profile's top cost at 128
 * waiters). Lockfiles are opened read-write; a holder that could only open one read-only (a
 * lock dir it may not write) is seen by the safety poll. */
#define WAKE_MASK (IN_CLOSE_WRITE | IN_DELETE | IN_MODIFY | IN_ONLYDIR)

int ls_wait_wake_open(struct ls_wait_wake *w, const struct ls_lockdir *ld,
                      unsigned long long ticket, pid_t pid)
{
    w->ticket = ticket;
    w->pid = pid;
    w->ld = ld;
    w->on_release = true;
    w->topo = NULL;
    w->allowed = NULL;
    w->mode = LS_MODE_SHARED;
    w->cover = NULL;
    w->ncover = 0;
    w->behind = NULL;
    w->nbehind = 0;
    w->cover_ok = false;
    w->room_known = false;
    w->held_cpus = w->held_llcs_ex = w->reserved = w->mine = (ls_cpuset){0};
    w->room_maybe = false;
    w->reserved_stale = true;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0)
        return -1;
    if (inotify_add_watch(w->fd, ld->dir, WAKE_MASK) < 0) {
        close(w->fd);
        w->fd = -1;
        return -1;
    }
    return 0;
}

static void entry_free(struct ls_wait_cover *c)
{
    ls_cpuset_free(&c->llc_ex);
    ls_cpuset_free(&c->llc_sh);
    ls_cpuset_free(&c->cpus);
}

static void cover_clear(struct ls_wait_wake *w)
{
    for (size_t i = 0; i < w->ncover; i++)
        entry_free(&w->cover[i]);
    free(w->cover);
    w->cover = NULL;
    w->ncover = 0;
    for (size_t i = 0; i < w->nbehind; i++)
        entry_free(&w->behind[i]);
    free(w->behind);
    w->behind = NULL;
    w->nbehind = 0;
}

void ls_wait_wake_close(struct ls_wait_wake *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    cover_clear(w);
    w->room_known = false;
    ls_cpuset_free(&w->held_cpus);
    ls_cpuset_free(&w->held_llcs_ex);
    ls_cpuset_free(&w->reserved);
    ls_cpuset_free(&w->mine);
}

int ls_wait_wake_cover(struct ls_wait_wake *w, const struct ls_waitq *q,
                       const struct ls_topology *topo, const ls_cpuset *allowed, enum ls_mode mode)
{
    cover_clear(w);
    w->cover_ok = false;
    w->room_known = false;
    w->reserved_stale = true;
    w->topo = topo;
    w->allowed = allowed;
    w->mode = mode;
    if (!q->n) {
        w->cover_ok = true;
        return 0;
    }
    w->cover_ok = true;
    if (ls_wait_wake_cover_more(w, q) < 0) {
        cover_clear(w);
        w->cover_ok = false;
        return -1;
    }
    return 0;
}

static struct ls_wait_cover *entry_of(struct ls_wait_cover *e, size_t n, unsigned long long ticket,
                                      pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].ticket == ticket && e[i].pid == pid)
            return &e[i];
    return NULL;
}

static struct ls_wait_cover *cover_of(struct ls_wait_wake *w, unsigned long long ticket, pid_t pid)
{
    return entry_of(w->cover, w->ncover, ticket, pid);
}

int ls_wait_wake_cover_more(struct ls_wait_wake *w, const struct ls_waitq *q)
{
    if (!w->cover_ok)
        return 0;
    struct ls_wait_cover *more = realloc(w->cover, (w->ncover + q->n + 1) * sizeof(*more));
    if (!more)
        goto fail;
    w->cover = more;
    more = realloc(w->behind, (w->nbehind + q->n + 1) * sizeof(*more));
    if (!more)
        goto fail;
    w->behind = more;
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *o = &q->w[i];
        if (!o->reserves || (o->ticket == w->ticket && o->pid == w->pid))
            continue;
        bool ahead = ls_waiter_ahead(o, w->ticket, w->pid);
        if (entry_of(ahead ? w->cover : w->behind, ahead ? w->ncover : w->nbehind, o->ticket,
                     o->pid))
            continue;
        struct ls_wait_cover *c = ahead ? &w->cover[w->ncover++] : &w->behind[w->nbehind++];
        *c = (struct ls_wait_cover){.ticket = o->ticket, .pid = o->pid};
        if (ls_cpuset_copy(&c->llc_ex, &o->llc_ex) < 0 ||
            ls_cpuset_copy(&c->llc_sh, &o->llc_sh) < 0 || ls_cpuset_copy(&c->cpus, &o->cpus) < 0)
            goto fail;
    }
    w->reserved_stale = true;
    return 0;
fail:
    w->cover_ok = false; /* every change wakes us */
    w->room_known = false;
    return -1;
}

/* Waiter c left holding what it reserved: its CPUs and exclusive LLCs are held now. */
static void count_held(struct ls_wait_wake *w, const struct ls_wait_cover *c)
{
    if (w->room_known && (ls_cpuset_or(&w->held_cpus, &c->cpus) < 0 ||
                          ls_cpuset_or(&w->held_llcs_ex, &c->llc_ex) < 0))
        w->room_known = false;
}

/* A waiter behind us rewrote its file: what it reserves is no longer what we read. */
static void rewritten(struct ls_wait_wake *w, unsigned long long ticket, pid_t pid)
{
    struct ls_wait_cover *c = entry_of(w->behind, w->nbehind, ticket, pid);
    if (c)
        c->rewritten = true;
}

/* The waiter behind us (ticket, pid) left holding what it reserved (done name): unless its
 * file changed since our pass, we know which CPUs it holds now. */
static void behind_left(struct ls_wait_wake *w, unsigned long long ticket, pid_t pid)
{
    struct ls_wait_cover *c = entry_of(w->behind, w->nbehind, ticket, pid);
    if (!c)
        return;
    if (!c->rewritten)
        count_held(w, c);
    entry_free(c);
    *c = w->behind[--w->nbehind];
}

/* Take the waiter ahead (ticket, pid) out of the cover; what it reserved may be room for us.
 * With `holds`, it left holding that: its locks are now other jobs' locks. */
static void uncover(struct ls_wait_wake *w, unsigned long long ticket, pid_t pid, bool holds)
{
    if (holds)
        behind_left(w, ticket, pid);
    struct ls_wait_cover *c = cover_of(w, ticket, pid);
    if (c) {
        if (holds)
            count_held(w, c);
        entry_free(c);
        *c = w->cover[--w->ncover];
        w->reserved_stale = true;
        w->on_release = true; /* its part may be room for us (once it releases) */
    }
}

int ls_wait_wake_room(struct ls_wait_wake *w, const struct ls_snapshot *snap, size_t target,
                      const ls_cpuset *mine)
{
    w->room_known = false;
    w->room_maybe = false;
    ls_cpuset_clear(&w->held_cpus);
    ls_cpuset_clear(&w->held_llcs_ex);
    if (!w->topo || w->mode != LS_MODE_DEDICATED || !w->cover_ok)
        return 0;
    if (ls_cpuset_copy(&w->mine, mine) < 0)
        return -1;
    w->target = target;
    LS_CPUSET_FOREACH(cpu, w->allowed)
    {
        bool marked = snap->cpu_shared && (size_t)cpu < snap->ncpus && snap->cpu_shared[cpu];
        if ((marked || ls_cpuset_has(&snap->cpu_held, (unsigned)cpu)) &&
            ls_cpuset_add(&w->held_cpus, (unsigned)cpu) < 0)
            return -1;
    }
    for (size_t l = 0; l < snap->nllcs && l < w->topo->nllcs; l++)
        if (snap->llc_exclusive[l] && ls_cpuset_add(&w->held_llcs_ex, (unsigned)l) < 0)
            return -1;
    w->room_known = true;
    return 0;
}

/* The CPUs the cover keeps from us: those reserved ahead and those of LLCs reserved ahead
 * exclusively. -1 on ENOMEM. */
static int rebuild_reserved(struct ls_wait_wake *w)
{
    ls_cpuset_clear(&w->reserved);
    for (size_t i = 0; i < w->ncover; i++) {
        const struct ls_wait_cover *c = &w->cover[i];
        if (ls_cpuset_or(&w->reserved, &c->cpus) < 0)
            return -1;
        LS_CPUSET_FOREACH(l, &c->llc_ex)
        for (size_t k = 0; (unsigned)l < w->topo->nllcs && k < w->topo->llcs[l].ncpus; k++)
            if (ls_cpuset_add(&w->reserved, w->topo->llcs[l].cpu_list[k]) < 0)
                return -1;
    }
    w->reserved_stale = false;
    return 0;
}

/* w->reserved up to date; false on ENOMEM, with room unknown. */
static bool reserved_now(struct ls_wait_wake *w)
{
    if (w->reserved_stale && rebuild_reserved(w) < 0) {
        w->room_known = false;
        return false;
    }
    return true;
}

/* CPU c may be free for us: not held at our last pass (or its lockfile closed since), in no
 * LLC held exclusively, and not reserved ahead. */
static bool may_take(const struct ls_wait_wake *w, unsigned c)
{
    int l = c <= w->topo->max_cpu ? w->topo->cpu_llc[c] : -1;
    return !ls_cpuset_has(&w->held_cpus, c) &&
           !(l >= 0 && ls_cpuset_has(&w->held_llcs_ex, (unsigned)l)) &&
           !ls_cpuset_has(&w->reserved, c);
}

/* Whether the CPUs we reserve may all be free now. Every lock and release is by a read-write
 * open, so a close event follows each. */
static bool mine_free(const struct ls_wait_wake *w)
{
    LS_CPUSET_FOREACH(cpu, &w->mine)
    if (!may_take(w, (unsigned)cpu))
        return false;
    return true;
}

/* Allowed CPUs that may be free for us (with a reservation), or reserved by nobody ahead
 * (without one). */
static size_t free_count(const struct ls_wait_wake *w)
{
    bool reserving = !ls_cpuset_empty(&w->mine);
    size_t n = 0;
    LS_CPUSET_FOREACH(cpu, w->allowed)
    if ((reserving ? may_take(w, (unsigned)cpu) : !ls_cpuset_has(&w->reserved, (unsigned)cpu)) &&
        ++n >= w->target)
        break;
    return n;
}

/* Whether a dedicated plan of ours may fit now: our reservation free; or, with no waiter ahead
 * reserving what we may use, `target` allowed CPUs that may be free (a plan need not use what
 * it reserves); without a reservation, `target` allowed CPUs reserved by nobody ahead, whoever
 * holds them (we can reserve then). Estimates from above: a CPU others took since our pass
 * without an event (newcomers, a waiter taking other than it reserved) still counts as free.
 * Behind reserving waiters that error costs a pass per release, so there enough CPUs free
 * elsewhere only shortens the sleep (room_maybe); our own reservation only waiters ahead can
 * take, and they say so. True when not known. */
static bool room(struct ls_wait_wake *w)
{
    if (!w->room_known || !reserved_now(w))
        return true;
    bool reserving = !ls_cpuset_empty(&w->mine);
    if (reserving && mine_free(w))
        return true;
    if (reserving && ls_cpuset_intersects(&w->reserved, w->allowed)) {
        w->room_maybe = w->room_maybe || free_count(w) >= w->target;
        return false;
    }
    return free_count(w) >= w->target;
}

bool ls_wait_wake_ready(struct ls_wait_wake *w)
{
    return w->room_known && !ls_cpuset_empty(&w->mine) && reserved_now(w) && mine_free(w);
}

/* A lockfile closed: what it held may be free now. */
static void released(struct ls_wait_wake *w, enum ls_lock_kind kind, unsigned id)
{
    if (kind == LS_LOCK_CPU)
        ls_cpuset_del(&w->held_cpus, id);
    else
        ls_cpuset_del(&w->held_llcs_ex, id);
}

/* Whether a release of this lock leaves us nothing new: what it frees, the reservations of
 * waiters ahead keep from us (our plan counts them as held). A CPU reserved ahead, or an LLC
 * whose allowed CPUs are all reserved ahead (one reserved exclusively among them): no dedicated
 * CPU, no whole LLC and no --perf service CPU left there for us. Not known (ENOMEM): false. */
static bool covered(struct ls_wait_wake *w, enum ls_lock_kind kind, unsigned id)
{
    if (!w->topo || w->mode == LS_MODE_SHARED || !reserved_now(w))
        return false; /* shared jobs weigh every mark: any release may move them */
    if (kind == LS_LOCK_CPU)
        return ls_cpuset_has(&w->reserved, id);
    if (id >= w->topo->nllcs)
        return false;
    const struct ls_llc *llc = &w->topo->llcs[id];
    for (size_t k = 0; k < llc->ncpus; k++)
        if (ls_cpuset_has(w->allowed, llc->cpu_list[k]) &&
            !ls_cpuset_has(&w->reserved, llc->cpu_list[k]))
            return false;
    return true;
}

/* A waiter ahead rewrote its reservation: its entry takes the new one. Relevant when it gave
 * something up and that may leave room for us. */
static bool rereserved(struct ls_wait_wake *w, const char *name, unsigned long long ticket,
                       pid_t pid)
{
    struct ls_wait_cover *c = cover_of(w, ticket, pid);
    if (!c && !w->cover_ok)
        return true;
    struct ls_waiter now = {0};
    if (!ls_waiter_read_file(w->ld, name, &now)) {
        ls_waiter_free(&now);
        w->room_known = false; /* what it reserves now is unknown */
        return true;
    }
    if (!c) {
        /* It reserved nothing at our last pass (it can only take more): cover it now, or
         * room() would count what it takes from us as ours. */
        struct ls_wait_cover *more = realloc(w->cover, (w->ncover + 1) * sizeof(*more));
        if (!more) {
            ls_waiter_free(&now);
            w->room_known = false;
            return true;
        }
        w->cover = more;
        c = &w->cover[w->ncover++];
        *c = (struct ls_wait_cover){.ticket = ticket, .pid = pid};
    }
    bool gave_up = !ls_cpuset_subset(&c->llc_ex, &now.llc_ex) ||
                   !ls_cpuset_subset(&c->llc_sh, &now.llc_sh) ||
                   !ls_cpuset_subset(&c->cpus, &now.cpus);
    entry_free(c);
    c->llc_ex = now.llc_ex, c->llc_sh = now.llc_sh, c->cpus = now.cpus; /* moved, not freed */
    w->reserved_stale = true;
    if (!gave_up)
        return false;
    w->on_release = true;
    return room(w);
}

/* Whether an event can change what we may acquire: a lockfile closed (a holder released or
 * died, or a racing acquirer rolled back), or a waiter ahead of us left or re-reserved. */
static bool relevant(struct ls_wait_wake *w, const struct inotify_event *ev)
{
    if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED)) {
        /* Events lost, or the dir is gone: look, and trust nothing kept from them. */
        w->cover_ok = false;
        w->room_known = false;
        return true;
    }
    if (!ev->len || (ev->mask & IN_ISDIR))
        return false; /* the dir itself: readers listing it */
    const char *name = ev->name;
    unsigned long long ticket;
    pid_t pid;
    if (ls_waitq_parse_name(name, w->ld->prefix, &ticket, &pid)) {
        struct ls_waiter other = {.ticket = ticket, .pid = pid};
        if (!ls_waiter_ahead(&other, w->ticket, w->pid))
            return false; /* behind us (or ourselves): the first sweep of consume() saw it */
        if (ev->mask & (IN_DELETE | IN_CLOSE_WRITE)) {
            /* Left without what it reserved, or died; what it took instead is not in our
             * held set, so room() can only say yes too often. */
            uncover(w, ticket, pid, false);
            return room(w);
        }
        return rereserved(w, name, ticket, pid);
    }
    if (ls_waitq_parse_done_name(name, w->ld->prefix, &ticket, &pid)) {
        uncover(w, ticket, pid, true);
        return false;
    }
    if (ls_waitq_is_tmp_name(name, w->ld->prefix))
        return false;
    enum ls_lock_kind kind;
    unsigned id;
    /* A lockfile's close; anything else (the plan lock, which serialises planning) frees
     * nothing. */
    if (!(ev->mask & IN_CLOSE_WRITE) || !ls_lock_name(w->ld, name, &kind, &id))
        return false;
    released(w, kind, id);
    return w->on_release && !covered(w, kind, id) && room(w);
}

/* Read what is queued: 1 something relevant, 0 nothing (more), -1 the watch is gone. */
static int consume(struct ls_wait_wake *w)
{
    int found = 0;
    for (;;) {
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? found : -1;
        }
        if (n == 0)
            return found;
        /* Departures with what they reserved first: a waiter that dies right after its
         * rename has its lockfiles' closes in the same batch, judged without its cover. */
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            unsigned long long ticket;
            pid_t pid;
            if (ev->len && ls_waitq_parse_done_name(ev->name, w->ld->prefix, &ticket, &pid))
                uncover(w, ticket, pid, true);
            else if (ev->len && (ev->mask & IN_MODIFY) &&
                     ls_waitq_parse_name(ev->name, w->ld->prefix, &ticket, &pid))
                rewritten(w, ticket, pid); /* before its done name, if both are here */
            p += sizeof(*ev) + ev->len;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (relevant(w, ev))
                found = 1;
            if (ev->mask & IN_IGNORED) {
                ls_wait_wake_close(w);
                return -1;
            }
            p += sizeof(*ev) + ev->len;
        }
    }
}

void ls_wait_wake_drain(struct ls_wait_wake *w)
{
    if (w->fd >= 0)
        consume(w);
}

int ls_wait_wake_sleep(struct ls_wait_wake *w, long long ms)
{
    if (w->fd < 0)
        return -1;
    long long end = ls_mono_ms() + (ms > 0 ? ms : 0);
    bool capped = false;
    for (;;) {
        int r = consume(w);
        if (r != 0)
            return r;
        if (w->room_maybe && !capped) {
            capped = true;
            if (end > ls_mono_ms() + LS_WAIT_MAYBE_MS)
                end = ls_mono_ms() + LS_WAIT_MAYBE_MS;
        }
        long long left = end - ls_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {w->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (pr < 0)
            return errno == EINTR ? 0 : -1; /* a signal: let the caller look at its stop flag */
    }
}

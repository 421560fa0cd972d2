/* Waking waiters on releases: an inotify watch on the lock dir (see waitq.h). The kernel
 * closes a dying holder's fds too, so a crash wakes the waiters like a clean release. */
#include "waitq.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>
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
    w->prefix = ld->prefix;
    w->on_release = true;
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

void ls_wait_wake_close(struct ls_wait_wake *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Whether an event can change what we may acquire: a lockfile closed (a holder released or
 * died, or a racing acquirer rolled back), or a waiter ahead of us left or re-reserved. */
static bool relevant(const struct ls_wait_wake *w, const struct inotify_event *ev)
{
    if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED))
        return true; /* events lost, or the dir is gone: look */
    if (!ev->len || (ev->mask & IN_ISDIR))
        return false; /* the dir itself: readers listing it */
    const char *name = ev->name;
    unsigned long long ticket;
    pid_t pid;
    if (ls_waitq_parse_name(name, w->prefix, &ticket, &pid)) {
        struct ls_waiter other = {.ticket = ticket, .pid = pid};
        return ls_waiter_ahead(&other, w->ticket, w->pid); /* never ourselves */
    }
    if (ls_waitq_is_tmp_name(name, w->prefix))
        return false;
    size_t pl = strlen(w->prefix), nl = strlen(name);
    return w->on_release && !strncmp(name, w->prefix, pl) && name[pl] == '-' && nl > 5 &&
           !strcmp(name + nl - 5, ".lock") && (ev->mask & IN_CLOSE_WRITE);
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
    for (;;) {
        int r = consume(w);
        if (r != 0)
            return r;
        long long left = end - ls_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {w->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (pr < 0)
            return errno == EINTR ? 0 : -1; /* a signal: let the caller look at its stop flag */
    }
}

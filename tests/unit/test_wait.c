/* --wait: retry until acquired or out of time, report who we wait for when it changes, and
 * the fair queue: a large request is not starved by a stream of small dedicated jobs. */
#include "plan_testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/select.h>

#include "planner/acquire.h"
#include "planner/waitq.h"

static int setup_2x2(void **state)
{
    return env_setup(state, 2, 2, 2);
}

static int teardown(void **state)
{
    return env_teardown(state);
}

struct reports {
    char *msg[16];
    int n;
};

static void record(const char *who, void *ctx)
{
    struct reports *r = ctx;
    if (r->n < 16)
        r->msg[r->n++] = strdup(who);
}

static void reports_free(struct reports *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->msg[i]);
    r->n = 0;
}

/* The holder leaves after 300 ms; we waited, said for whom, and got it. Said once, but for
 * the case a loaded machine makes visible: while the holder exits, /proc still lists its lock
 * but no longer its command line, and the changed description is said again (same holder). */
static void test_wait_until_released(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 300, 1, "llc:0:ex");
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    r.pid = 1;
    struct ls_plan p;
    struct ls_error err = {0};
    struct reports rep = {0};
    /* Shared 2 CPUs would fit on LLC 1: make LLC 1 unusable too, for the same holder. */
    ls_cpuset_free(&e->allowed);
    set_parse(&e->allowed, "0-1");
    assert_int_equal(
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 10000, record, &rep, &p, &err), 0);
    assert_llcs(&p, "0");
    char who[64];
    snprintf(who, sizeof(who), "LLC 0: pid %d (", (int)a.pid);
    assert_true(rep.n >= 1);
    for (int i = 0; i < rep.n; i++) {
        if (rep.n > 1)
            print_message("  wait report %d: %s\n", i + 1, rep.msg[i]);
        assert_contains(rep.msg[i], who);
        assert_contains(rep.msg[i], ") exclusive");
    }
    ls_plan_free(&p);
    reports_free(&rep);
    peer_end(&a);
    /* The queue is empty again. */
    struct ls_waitq q;
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(q.n, 0);
    ls_waitq_free(&q);
}

/* Out of time: busy, naming the holder; at least the timeout has passed. */
static void test_wait_timeout(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:ex");
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan p;
    struct ls_error err = {0};
    long long t0 = ls_mono_ms();
    assert_int_equal(
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 400, NULL, NULL, &p, &err), -1);
    assert_true(ls_mono_ms() - t0 >= 400);
    assert_int_equal(err.category, LS_ERR_BUSY);
    assert_contains(err.msg, "could not reserve 4 CPU(s) within");
    assert_null(strstr(err.msg, "queued ahead"));
    char who[64];
    snprintf(who, sizeof(who), "LLC 0: pid %d (", (int)a.pid);
    assert_contains(err.msg, who);
    /* Never-fits requests do not wait at all. */
    r.cpus = 5;
    t0 = ls_mono_ms();
    assert_int_equal(
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, -1, NULL, NULL, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    /* Stop flag: gives up at the next check. */
    volatile sig_atomic_t stop = 1;
    r.cpus = 4;
    r.stop = &stop;
    assert_int_equal(
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, -1, NULL, NULL, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_BUSY);
    assert_contains(err.msg, "interrupted");
    peer_end(&a);
}

/* Who we wait for is reported again only when it changes. The first report releases holder A,
 * the first one without A releases B, so the sequence does not depend on timing. An exiting A
 * may be reported once more, described differently (its command line is gone from /proc while
 * its lock is still listed): a loaded machine makes that window visible. */
struct release_on_report {
    struct reports rep;
    struct peer *peers[2];
    char wa[64];
};

static void record_and_release(const char *who, void *ctx)
{
    struct release_on_report *x = ctx;
    record(who, &x->rep);
    if (x->peers[0]->ctl >= 0) {
        close(x->peers[0]->ctl);
        x->peers[0]->ctl = -1;
    } else if (x->peers[1]->ctl >= 0 && !strstr(who, x->wa)) {
        close(x->peers[1]->ctl);
        x->peers[1]->ctl = -1;
    }
}

static void test_wait_reports_changes(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:sh");
    struct peer b = peer_hold(&e->ld, 0, 1, "llc:1:sh");
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan p;
    struct ls_error err = {0};
    struct release_on_report x = {.peers = {&a, &b}};
    char wb[64];
    snprintf(x.wa, sizeof(x.wa), "LLC 0: pid %d (", (int)a.pid);
    snprintf(wb, sizeof(wb), "LLC 1: pid %d (", (int)b.pid);
    assert_int_equal(ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 300000,
                                          record_and_release, &x, &p, &err),
                     0);
    assert_llcs(&p, "0,1");
    assert_true(x.rep.n >= 2);
    assert_contains(x.rep.msg[0], x.wa);
    assert_contains(x.rep.msg[0], wb);
    for (int i = 1; i < x.rep.n; i++) {
        if (x.rep.n > 2)
            print_message("  wait report %d: %s\n", i + 1, x.rep.msg[i]);
        assert_contains(x.rep.msg[i], wb);
    }
    assert_null(strstr(x.rep.msg[x.rep.n - 1], x.wa));
    assert_int_equal(x.rep.n, 2 + (x.rep.n > 2 && strstr(x.rep.msg[1], x.wa) != NULL));
    ls_plan_free(&p);
    reports_free(&x.rep);
    peer_end(&a);
    peer_end(&b);
}

/* ---- waking on releases ------------------------------------------------------------------ */

/* A child waiting (timeout 4 min) for r; it closes `drop` (peers' control pipes it must not
 * keep open) and writes '1' (acquired) or '0' to the returned fd's pipe, then exits. */
static pid_t waiter_start(struct env *e, struct ls_request r, const int *drop, size_t ndrop,
                          int *res_out)
{
    int res[2];
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid) {
        close(res[1]);
        *res_out = res[0];
        return pid;
    }
    close(res[0]);
    for (size_t i = 0; i < ndrop; i++)
        close(drop[i]);
    struct ls_plan p;
    struct ls_error err = {0};
    int rc = ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 240000, NULL, NULL, &p, &err);
    if (write(res[1], rc == 0 ? "1" : "0", 1) < 0)
        _exit(3);
    _exit(0);
}

/* Whether pid has an inotify watch (its fdinfo lists "inotify wd:"). */
static bool has_watch(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        char path[384], buf[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        found = strstr(buf, "inotify wd:") != NULL;
    }
    closedir(d);
    return found;
}

/* Wait (bounded: 2 min) for a condition that another process brings about. */
#define AWAIT(cond, what)                                                                          \
    do {                                                                                           \
        long long end_ = ls_mono_ms() + 120000;                                                    \
        while (!(cond)) {                                                                          \
            if (ls_mono_ms() > end_)                                                               \
                fail_msg("gave up waiting for %s", what);                                          \
            struct timespec ts_ = {0, 5 * 1000000L};                                               \
            nanosleep(&ts_, NULL);                                                                 \
        }                                                                                          \
    } while (0)

static int read_result(int fd)
{
    char c = 0;
    ssize_t n = read(fd, &c, 1); /* the waiter's own timeout bounds this */
    close(fd);
    return n == 1 && c == '1';
}

static bool only_waiter_reserves(const struct ls_lockdir *ld, pid_t pid)
{
    struct ls_waitq q;
    struct ls_error err = {0};
    bool yes =
        ls_waitq_read(ld, NULL, &q, &err) == 0 && q.n == 1 && q.w[0].reserves && q.w[0].pid == pid;
    ls_waitq_free(&q);
    return yes;
}

/* The release comes after the waiter is watching the lock dir, and the safety poll (10 min)
 * is longer than the waiter's timeout (4 min): only the release's close event can wake it. */
static void test_release_wakes_waiter(void **state)
{
    struct env *e = *state;
    ls_wait_safety_poll_ms = 600000;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:ex");
    ls_cpuset_free(&e->allowed);
    set_parse(&e->allowed, "0-1");
    int res;
    pid_t w = waiter_start(e, req_make(LS_MODE_SHARED, 2), &a.ctl, 1, &res);
    AWAIT(has_watch(w), "the waiter to watch the lock dir");
    peer_end(&a); /* release: the holder exits, the kernel closes its lockfile */
    int got = read_result(res);
    waitpid(w, NULL, 0);
    ls_wait_safety_poll_ms = 2000;
    assert_true(got);
}

/* A waiter ahead that dies (its wait file closes) wakes the waiter behind it, which could
 * not plan around the dead one's reservation. */
static void test_waiter_leaving_wakes(void **state)
{
    struct env *e = *state;
    ls_wait_safety_poll_ms = 600000;
    struct peer h = peer_hold(&e->ld, 0, 1, "llc:0:sh");
    int res_a, res_b;
    /* A wants the whole host exclusively and reserves both LLCs while h holds LLC 0. */
    pid_t wa = waiter_start(e, req_make(LS_MODE_EXCLUSIVE, 4), &h.ctl, 1, &res_a);
    AWAIT(only_waiter_reserves(&e->ld, wa), "waiter A to reserve");
    /* B (1 dedicated CPU) fits on LLC 1 only by A's leave. */
    int drop[] = {h.ctl, res_a};
    pid_t wb = waiter_start(e, req_make(LS_MODE_DEDICATED, 1), drop, 2, &res_b);
    AWAIT(has_watch(wb), "waiter B to watch the lock dir");
    kill(wa, SIGKILL);
    waitpid(wa, NULL, 0);
    close(res_a);
    int got = read_result(res_b);
    waitpid(wb, NULL, 0);
    peer_end(&h);
    ls_wait_safety_poll_ms = 2000;
    assert_true(got);
}

/* ---- who a release wakes ------------------------------------------------------------- */

/* Open (creating) and close dir/name read-write: the close event a release makes. */
static void touch_close(const struct env *e, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", e->dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
}

static void touch_unlink(const struct env *e, const char *name)
{
    touch_close(e, name);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", e->dir, name);
    assert_int_equal(unlink(path), 0);
}

/* Whether the events queued so far wake w (ms 0: nothing is awaited). */
static int woken(struct ls_wait_wake *w)
{
    return ls_wait_wake_sleep(w, 0);
}

/* Waiter ahead (ticket 1, pid 7) reserves LLC 0 (CPUs 0-1) exclusively and CPU 3; we are
 * (ticket 2). Releases that free only what it reserves do not wake a dedicated waiter, others
 * do; its leaving with its reservation held (done name) wakes nobody but uncovers its locks;
 * its leaving otherwise wakes us; plan-lock closes never do. */
static void test_wake_only_on_useful_release(void **state)
{
    struct env *e = *state;
    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, 2, 100), 0);
    struct ls_waiter ahead = {.ticket = 1, .pid = 7, .reserves = true};
    struct ls_waiter behind = {.ticket = 3, .pid = 9, .reserves = true};
    set_parse(&ahead.llc_ex, "0");
    set_parse(&ahead.cpus, "3");
    set_parse(&behind.cpus, "2");
    struct ls_waiter both[] = {ahead, behind};
    struct ls_waitq q = {both, 2};
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    assert_int_equal(w.ncover, 1);

    touch_close(e, "t-llc-0.lock");
    touch_close(e, "t-cpu-0.lock"); /* in the LLC it reserves exclusively */
    touch_close(e, "t-cpu-3.lock");
    touch_close(e, "t-plan.lock");
    assert_int_equal(woken(&w), 0);
    touch_close(e, "t-cpu-2.lock"); /* only a waiter behind us reserves it */
    assert_int_equal(woken(&w), 1);
    touch_close(e, "t-llc-1.lock"); /* CPU 2 may be free now */
    assert_int_equal(woken(&w), 1);

    /* Nothing reachable even with no holders: releases do not wake us; the waiter ahead
     * leaving with what it reserved makes its locks plain holders, whose release may. */
    w.on_release = false;
    touch_close(e, "t-cpu-2.lock");
    assert_int_equal(woken(&w), 0);
    touch_unlink(e, "t-waitdone-00000000000000000001-7.lock");
    assert_int_equal(woken(&w), 0);
    assert_true(w.on_release);
    assert_int_equal(w.ncover, 0);
    touch_close(e, "t-llc-0.lock");
    assert_int_equal(woken(&w), 1);

    /* One that dies right after its rename: its lockfiles' closes come before its done
     * file's in the same batch, and are judged without its cover. */
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    touch_close(e, "t-cpu-3.lock");
    touch_close(e, "t-waitdone-00000000000000000001-7.lock");
    assert_int_equal(woken(&w), 1);

    /* A waiter ahead leaving any other way (gave up, died) wakes us; one behind does not. */
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    touch_unlink(e, "t-wait-00000000000000000003-9.lock");
    assert_int_equal(woken(&w), 0);
    touch_unlink(e, "t-wait-00000000000000000001-7.lock");
    assert_int_equal(woken(&w), 1);

    /* It reserves CPU 2 too: LLC 1 has nothing left for a dedicated or exclusive request, but
     * a shared one weighs every mark. */
    ls_cpuset_free(&ahead.cpus);
    set_parse(&ahead.cpus, "2-3");
    both[0] = ahead;
    static const struct {
        enum ls_mode mode;
        int woken;
    } by_mode[] = {{LS_MODE_DEDICATED, 0}, {LS_MODE_EXCLUSIVE, 0}, {LS_MODE_SHARED, 1}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, by_mode[i].mode), 0);
        touch_close(e, "t-llc-1.lock");
        assert_int_equal(woken(&w), by_mode[i].woken);
    }
    /* An exclusive request may still want a CPU of an LLC only partly reserved ahead (a
     * --perf plan's service CPU): those releases wake it. */
    ls_cpuset_free(&ahead.llc_ex);
    ls_cpuset_free(&ahead.cpus);
    set_parse(&ahead.cpus, "3");
    both[0] = ahead;
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_EXCLUSIVE), 0);
    touch_close(e, "t-cpu-3.lock");
    assert_int_equal(woken(&w), 0);
    touch_close(e, "t-llc-1.lock");
    assert_int_equal(woken(&w), 1);
    touch_close(e, "t-cpu-2.lock");
    assert_int_equal(woken(&w), 1);

    ls_wait_wake_close(&w);
    ls_cpuset_free(&ahead.llc_ex);
    ls_cpuset_free(&ahead.cpus);
    ls_cpuset_free(&behind.cpus);
}

/* A waiter that leaves holding what it reserved renames its file to the done name first, so
 * the waiter behind is not woken; one that acquired something else is removed as it is. */
static void test_leave_acquired_wakes_nobody(void **state)
{
    struct env *e = *state;
    struct ls_topology *t = &e->topo;
    struct ls_snapshot s;
    snap_init(&s, t);
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 2);
    struct ls_plan llc0, other;
    plan_ok(t, "0-1", &s, &r, &llc0);
    plan_ok(t, "2-3", &s, &r, &other);
    struct ls_error err = {0};
    for (int same = 1; same >= 0; same--) {
        struct ls_wait_ticket tk;
        assert_int_equal(ls_wait_register(&e->ld, LS_MODE_EXCLUSIVE, 2, &tk, &err), 0);
        assert_int_equal(ls_wait_reserve(&tk, &llc0, &err), 0);
        struct ls_wait_wake w;
        assert_int_equal(ls_wait_wake_open(&w, &e->ld, tk.ticket + 1, tk.pid), 0);
        struct ls_waitq q;
        assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
        assert_int_equal(q.n, 1);
        assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
        ls_waitq_free(&q);
        ls_wait_unregister_acquired(&tk, same ? &llc0 : &other);
        assert_int_equal(woken(&w), !same);
        ls_wait_wake_close(&w);
        assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
        assert_int_equal(q.n, 0);
        ls_waitq_free(&q);
    }
    DIR *d = opendir(e->dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, "wait"))
            fail_msg("left behind: %s", de->d_name);
    closedir(d);
    ls_plan_free(&llc0);
    ls_plan_free(&other);
    ls_snapshot_free(&s);
}

/* A waiter ahead rewriting its reservation wakes us only when it gives something up. */
static void test_rereserve_wakes_when_giving_up(void **state)
{
    struct env *e = *state;
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    struct ls_request r2 = req_make(LS_MODE_EXCLUSIVE, 2), r4 = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan llc0, both, llc1;
    plan_ok(&e->topo, "0-1", &s, &r2, &llc0);
    plan_ok(&e->topo, "0-3", &s, &r4, &both);
    plan_ok(&e->topo, "2-3", &s, &r2, &llc1);
    struct ls_error err = {0};
    struct ls_wait_ticket tk;
    assert_int_equal(ls_wait_register(&e->ld, LS_MODE_EXCLUSIVE, 2, &tk, &err), 0);
    assert_int_equal(ls_wait_reserve(&tk, &llc0, &err), 0);
    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, tk.ticket + 1, tk.pid), 0);
    assert_int_equal(woken(&w), 0);
    struct ls_waitq q;
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    ls_waitq_free(&q);

    assert_int_equal(ls_wait_reserve(&tk, &both, &err), 0); /* LLC 0 still, and LLC 1 */
    assert_int_equal(woken(&w), 0);
    assert_set(&w.cover[0].llc_ex, "0-1");
    assert_int_equal(ls_wait_reserve(&tk, &llc1, &err), 0); /* gives LLC 0 up */
    assert_int_equal(woken(&w), 1);

    ls_wait_wake_close(&w);
    ls_wait_unregister(&tk);
    ls_plan_free(&llc0);
    ls_plan_free(&both);
    ls_plan_free(&llc1);
    ls_snapshot_free(&s);
}

/* ---- room: a waiter with a reservation sleeps until all of it may be free ------------- */

/* We (ticket 2) want 2 CPUs and reserve 0-1. At the head of the queue, a release wakes us
 * once 2 CPUs may be free (a plan need not use what it reserves); behind a waiter that
 * reserves, only once our reservation may be free (what is free elsewhere goes to the waiters
 * ahead, or is taken by then). The reservation is ready to take without a pass only when all
 * of it may be free. */
static void test_room_wakes_when_reservation_free(void **state)
{
    struct env *e = *state;
    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, 2, 100), 0);
    struct ls_waitq none = {NULL, 0};
    assert_int_equal(ls_wait_wake_cover(&w, &none, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    set_parse(&s.cpu_held, "0-3");
    ls_cpuset mine = LS_CPUSET_INIT;
    set_parse(&mine, "0-1");
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);
    touch_close(e, "t-cpu-3.lock"); /* one free */
    assert_int_equal(woken(&w), 0);
    touch_close(e, "t-cpu-2.lock"); /* two, outside our reservation */
    assert_int_equal(woken(&w), 1);
    assert_false(ls_wait_wake_ready(&w));
    touch_close(e, "t-cpu-0.lock");
    touch_close(e, "t-cpu-1.lock");
    assert_int_equal(woken(&w), 1);
    assert_true(ls_wait_wake_ready(&w));

    struct ls_waiter ahead = {.ticket = 1, .pid = 7, .reserves = true};
    set_parse(&ahead.cpus, "3");
    struct ls_waitq q = {&ahead, 1};
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    ls_cpuset_clear(&s.cpu_held);
    set_parse(&s.cpu_held, "0-2");
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);
    assert_false(ls_wait_wake_ready(&w));
    touch_close(e, "t-cpu-3.lock"); /* reserved ahead */
    touch_close(e, "t-cpu-2.lock"); /* elsewhere */
    touch_close(e, "t-cpu-0.lock"); /* half of ours */
    assert_int_equal(woken(&w), 0);
    assert_false(ls_wait_wake_ready(&w));
    touch_close(e, "t-cpu-1.lock");
    assert_int_equal(woken(&w), 1);
    assert_true(ls_wait_wake_ready(&w));

    /* An LLC held exclusively keeps its CPUs from us until its lockfile closes. */
    ls_cpuset_clear(&s.cpu_held);
    set_parse(&s.cpu_held, "2");
    s.llc_exclusive[0] = 1;
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);
    assert_false(ls_wait_wake_ready(&w));
    touch_close(e, "t-cpu-0.lock");
    assert_int_equal(woken(&w), 0);
    touch_close(e, "t-llc-0.lock");
    assert_int_equal(woken(&w), 1);
    assert_true(ls_wait_wake_ready(&w));

    /* Events were lost: nothing kept is trusted, and the reservation is not taken blind. */
    ls_wait_wake_close(&w);
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, 2, 100), 0);
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    ls_cpuset_clear(&s.cpu_held);
    s.llc_exclusive[0] = 0;
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);
    assert_true(ls_wait_wake_ready(&w));
    FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    long max = 16384;
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 16384;
        fclose(f);
    }
    /* One event each (two names: the kernel merges a repeat of the last event queued), until
     * the queue overflows. */
    for (long i = 0; i <= max; i++)
        touch_close(e, i % 2 ? "t-other-1" : "t-other-2");
    assert_int_equal(woken(&w), 1);
    assert_false(ls_wait_wake_ready(&w));

    ls_wait_wake_close(&w);
    ls_cpuset_free(&mine);
    ls_cpuset_free(&ahead.cpus);
    ls_snapshot_free(&s);
}

/* A real waiter ahead re-reserving onto our CPU keeps it from us; when it leaves holding it
 * (done name) the CPU counts as held, and its release wakes us. */
static void test_room_follows_waiter_ahead(void **state)
{
    struct env *e = *state;
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    struct ls_request r1 = req_make(LS_MODE_DEDICATED, 1);
    struct ls_plan cpu3, cpu0;
    set_parse(&s.cpu_held, "0-2");
    plan_ok(&e->topo, NULL, &s, &r1, &cpu3);
    assert_set(&cpu3.cpus, "3");
    ls_cpuset_clear(&s.cpu_held);
    set_parse(&s.cpu_held, "1-3");
    plan_ok(&e->topo, NULL, &s, &r1, &cpu0);
    assert_set(&cpu0.cpus, "0");
    struct ls_error err = {0};
    struct ls_wait_ticket tk;
    assert_int_equal(ls_wait_register(&e->ld, LS_MODE_DEDICATED, 1, &tk, &err), 0);
    assert_int_equal(ls_wait_reserve(&tk, &cpu3, &err), 0);

    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, tk.ticket + 1, tk.pid), 0);
    struct ls_waitq q;
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    ls_waitq_free(&q);
    ls_cpuset_clear(&s.cpu_held);
    set_parse(&s.cpu_held, "1-3");
    ls_cpuset mine = LS_CPUSET_INIT;
    set_parse(&mine, "0-1");
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);

    assert_int_equal(ls_wait_reserve(&tk, &cpu0, &err), 0); /* gives 3 (held) up, takes our 0 */
    assert_int_equal(woken(&w), 0);
    touch_close(e, "t-cpu-1.lock");
    assert_int_equal(woken(&w), 0);
    assert_false(ls_wait_wake_ready(&w));
    ls_wait_unregister_acquired(&tk, &cpu0); /* leaves holding CPU 0 */
    assert_int_equal(woken(&w), 0);
    assert_false(ls_wait_wake_ready(&w));
    touch_close(e, "t-cpu-0.lock"); /* and releases it */
    assert_int_equal(woken(&w), 1);
    assert_true(ls_wait_wake_ready(&w));

    ls_wait_wake_close(&w);
    ls_cpuset_free(&mine);
    ls_plan_free(&cpu3);
    ls_plan_free(&cpu0);
    ls_snapshot_free(&s);
}

/* Behind a waiter that reserves CPUs we could use, CPUs free elsewhere do not wake us at once
 * (others may have taken them without an event) but shorten the sleep; one that reserves only
 * an LLC shared does not keep us from looking at once. */
static void test_room_elsewhere_behind_a_waiter(void **state)
{
    struct env *e = *state;
    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, 2, 100), 0);
    struct ls_waiter ahead = {.ticket = 1, .pid = 7, .reserves = true};
    set_parse(&ahead.cpus, "0-1");
    struct ls_waitq q = {&ahead, 1};
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    set_parse(&s.cpu_held, "0-3");
    ls_cpuset mine = LS_CPUSET_INIT;
    set_parse(&mine, "2");
    assert_int_equal(ls_wait_wake_room(&w, &s, 1, &mine), 0);
    touch_close(e, "t-cpu-3.lock");
    assert_int_equal(woken(&w), 0);
    assert_true(w.room_maybe);
    assert_int_equal(ls_wait_wake_sleep(&w, 600000), 0); /* returns: the short sleep ran out */

    ls_cpuset_free(&ahead.cpus);
    set_parse(&ahead.llc_sh, "0");
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    assert_int_equal(ls_wait_wake_room(&w, &s, 1, &mine), 0);
    touch_close(e, "t-cpu-3.lock");
    assert_int_equal(woken(&w), 1);

    ls_wait_wake_close(&w);
    ls_cpuset_free(&mine);
    ls_cpuset_free(&ahead.llc_sh);
    ls_snapshot_free(&s);
}

/* A waiter behind us that leaves holding what it reserved holds those CPUs now; one that
 * rewrote its file first (in the same read of events) holds what we do not know: not counted. */
static void test_room_waiter_behind_leaves(void **state)
{
    struct env *e = *state;
    struct ls_waiter behind = {.ticket = 3, .pid = 9, .reserves = true};
    set_parse(&behind.cpus, "3");
    struct ls_waitq q = {&behind, 1};
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    set_parse(&s.cpu_held, "0-2");
    ls_cpuset mine = LS_CPUSET_INIT;
    set_parse(&mine, "0-1");
    for (int rewrite = 0; rewrite < 2; rewrite++) {
        struct ls_wait_wake w;
        assert_int_equal(ls_wait_wake_open(&w, &e->ld, 2, 100), 0);
        assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
        assert_int_equal(ls_wait_wake_room(&w, &s, 2, &mine), 0);
        if (rewrite) {
            char path[512];
            snprintf(path, sizeof(path), "%s/t-wait-00000000000000000003-9.lock", e->dir);
            int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            assert_true(fd >= 0);
            assert_int_equal(write(fd, "x", 1), 1);
            close(fd);
            assert_int_equal(unlink(path), 0);
        }
        touch_unlink(e, "t-waitdone-00000000000000000003-9.lock");
        touch_close(e, "t-cpu-2.lock"); /* with CPU 3: enough, unless 3 is held */
        assert_int_equal(woken(&w), rewrite);
        ls_wait_wake_close(&w);
    }
    ls_cpuset_free(&mine);
    ls_cpuset_free(&behind.cpus);
    ls_snapshot_free(&s);
}

/* Without a reservation (waiters ahead reserve too much), releases do not wake us; a waiter
 * ahead leaving wakes us once enough CPUs are reserved by nobody ahead. */
static void test_room_without_reservation(void **state)
{
    struct env *e = *state;
    struct ls_wait_wake w;
    assert_int_equal(ls_wait_wake_open(&w, &e->ld, 3, 100), 0);
    struct ls_waiter ahead[2] = {{.ticket = 1, .pid = 7, .reserves = true},
                                 {.ticket = 2, .pid = 8, .reserves = true}};
    set_parse(&ahead[0].cpus, "0");
    set_parse(&ahead[1].cpus, "1-3");
    struct ls_waitq q = {ahead, 2};
    assert_int_equal(ls_wait_wake_cover(&w, &q, &e->topo, &e->allowed, LS_MODE_DEDICATED), 0);
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    ls_cpuset none = LS_CPUSET_INIT;
    assert_int_equal(ls_wait_wake_room(&w, &s, 2, &none), 0);
    w.on_release = false;
    assert_false(ls_wait_wake_ready(&w));

    touch_close(e, "t-cpu-2.lock");
    assert_int_equal(woken(&w), 0);
    touch_unlink(e, "t-wait-00000000000000000001-7.lock"); /* frees one CPU: 1 of 2 */
    assert_int_equal(woken(&w), 0);
    touch_unlink(e, "t-wait-00000000000000000002-8.lock");
    assert_int_equal(woken(&w), 1);

    ls_wait_wake_close(&w);
    ls_cpuset_free(&ahead[0].cpus);
    ls_cpuset_free(&ahead[1].cpus);
    ls_snapshot_free(&s);
}

/* A waiter's reservation looks past today's jobs (cpu_soft) but waits for as few as it can:
 * the LLC with a CPU free now, and that CPU first. */
static void test_reservation_prefers_free_now(void **state)
{
    struct env *e = *state;
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    set_parse(&s.cpu_soft, "0-2");
    struct ls_request r1 = req_make(LS_MODE_DEDICATED, 1), r2 = req_make(LS_MODE_DEDICATED, 2),
                      r3 = req_make(LS_MODE_DEDICATED, 3);
    struct ls_plan p;
    plan_ok(&e->topo, NULL, &s, &r2, &p);
    assert_set(&p.cpus, "2-3");
    ls_plan_free(&p);
    plan_ok(&e->topo, NULL, &s, &r1, &p);
    assert_set(&p.cpus, "3");
    ls_plan_free(&p);
    plan_ok(&e->topo, NULL, &s, &r3, &p); /* LLC 1 first (one free now), then LLC 0 */
    assert_true(ls_cpuset_has(&p.cpus, 3) && ls_cpuset_has(&p.cpus, 2));
    ls_plan_free(&p);
    /* Nothing held now: the usual packing (LLC 0 first). */
    ls_cpuset_clear(&s.cpu_soft);
    plan_ok(&e->topo, NULL, &s, &r2, &p);
    assert_set(&p.cpus, "0-1");
    ls_plan_free(&p);
    ls_snapshot_free(&s);
}

/* Two jobs hold LLC 0 and LLC 1; we want 2 CPUs and reserve one of them. The other job leaving
 * wakes us: its CPUs are enough, though not the ones we reserve. */
static void test_wait_takes_free_cpus_elsewhere(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 3, "llc:0:sh", "cpu:0:ex", "cpu:1:ex");
    struct peer b = peer_hold(&e->ld, 200, 3, "llc:1:sh", "cpu:2:ex", "cpu:3:ex");
    ls_wait_safety_poll_ms = 600000;
    struct ls_request r = req_make(LS_MODE_DEDICATED, 2);
    struct ls_plan p;
    struct ls_error err = {0};
    int rc = ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 300000, NULL, NULL, &p, &err);
    ls_wait_safety_poll_ms = 2000;
    assert_int_equal(rc, 0);
    assert_set(&p.cpus, "2-3");
    ls_plan_free(&p);
    peer_end(&a);
    peer_end(&b);
}

/* A dedicated waiter whose whole reservation is held takes it when its holder leaves. */
static void test_wait_takes_reservation(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 300, 3, "llc:0:sh", "cpu:0:ex", "cpu:1:ex");
    struct peer b = peer_hold(&e->ld, 150, 3, "llc:1:sh", "cpu:2:ex", "cpu:3:ex");
    struct ls_request r = req_make(LS_MODE_DEDICATED, 4);
    struct ls_plan p;
    struct ls_error err = {0};
    assert_int_equal(
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 60000, NULL, NULL, &p, &err), 0);
    assert_set(&p.cpus, "0-3");
    ls_plan_free(&p);
    peer_end(&a);
    peer_end(&b);
    struct ls_waitq q;
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(q.n, 0);
    ls_waitq_free(&q);
}

/* A waiter's passes read the queue through the wait files it keeps open: the same fds each
 * time, a rewritten reservation seen through them, a leaver's fd closed. */
static void test_queue_read_through_kept_fds(void **state)
{
    struct env *e = *state;
    struct ls_snapshot s;
    snap_init(&s, &e->topo);
    struct ls_request r2 = req_make(LS_MODE_EXCLUSIVE, 2);
    struct ls_plan llc1;
    plan_ok(&e->topo, "2-3", &s, &r2, &llc1);
    struct ls_error err = {0};
    struct ls_wait_ticket a, b;
    assert_int_equal(ls_wait_register(&e->ld, LS_MODE_EXCLUSIVE, 2, &a, &err), 0);
    assert_int_equal(ls_wait_register(&e->ld, LS_MODE_EXCLUSIVE, 2, &b, &err), 0);
    struct ls_waitq_fds kept = {0};
    struct ls_waitq q;
    assert_int_equal(ls_waitq_read_kept(&e->ld, NULL, &q, &kept, &err), 0);
    assert_int_equal(q.n, 2);
    assert_false(q.w[0].reserves);
    ls_waitq_free(&q);
    assert_int_equal(kept.n, 2);
    int fd0 = kept.e[0].fd, fd1 = kept.e[1].fd;

    assert_int_equal(ls_wait_reserve(&a, &llc1, &err), 0);
    assert_int_equal(ls_waitq_read_kept(&e->ld, NULL, &q, &kept, &err), 0);
    assert_int_equal(q.n, 2);
    assert_true(q.w[0].reserves);
    assert_set(&q.w[0].llc_ex, "1");
    ls_waitq_free(&q);
    assert_int_equal(kept.n, 2);
    assert_int_equal(kept.e[0].fd, fd0);
    assert_int_equal(kept.e[1].fd, fd1);

    ls_wait_unregister(&b);
    assert_int_equal(ls_waitq_read_kept(&e->ld, NULL, &q, &kept, &err), 0);
    assert_int_equal(q.n, 1);
    ls_waitq_free(&q);
    assert_int_equal(kept.n, 1);
    assert_int_equal(kept.e[0].ticket, a.ticket);
    assert_true(fcntl(fd1, F_GETFD) < 0 || fd1 == kept.e[0].fd);

    ls_wait_unregister(&a);
    ls_waitq_fds_close(&kept);
    assert_int_equal(kept.n, 0);
    ls_plan_free(&llc1);
    ls_snapshot_free(&s);
}

/* Who is ahead, for a long queue: the first three by name, the rest counted. */
static void test_describe_long_queue(void **state)
{
    (void)state;
    struct ls_waiter w[6];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < 6; i++) {
        w[i].ticket = (unsigned long long)i + 1;
        w[i].pid = 999990 + i;
        w[i].target_cpus = 1;
        w[i].mode = LS_MODE_DEDICATED;
    }
    struct ls_waitq q = {w, 6};
    char *text = ls_waitq_describe(&q, 6, 999995); /* five ahead of the last */
    assert_non_null(text);
    assert_contains(text, "waiter pid 999990 ");
    assert_contains(text, "waiter pid 999992 ");
    assert_null(strstr(text, "waiter pid 999993"));
    assert_contains(text, "(and 2 more waiters ahead");
    free(text);
    text = ls_waitq_describe(&q, 4, 999993); /* three ahead: all named */
    assert_non_null(text);
    assert_null(strstr(text, "more waiter"));
    free(text);
}

/* ---- anti-starvation ----------------------------------------------------------------- */

/* A child that starts a 1-CPU dedicated job every 40 ms (each holds its CPU 150 ms when it
 * gets one, and gives up after the usual retries otherwise) until its control pipe closes and
 * at least one job got its CPU (a loaded machine may need a while for that: bound 2 min);
 * then it writes how many jobs got their CPU. */
static pid_t feeder_start(struct env *e, int *ctl_out, int *res_out)
{
    int ctl[2], res[2];
    assert_int_equal(pipe(ctl), 0);
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid) {
        close(ctl[0]);
        close(res[1]);
        *ctl_out = ctl[1];
        *res_out = res[0];
        return pid;
    }
    close(ctl[1]);
    close(res[0]);
    int jobs[2];
    if (pipe2(jobs, O_NONBLOCK) < 0)
        _exit(2);
    long long end = ls_mono_ms() + 120000;
    int got = 0, started = 0;
    char c;
    while (ls_mono_ms() < end) {
        struct timespec ts = {0, 40 * 1000000L};
        nanosleep(&ts, NULL);
        while (read(jobs[0], &c, 1) == 1)
            got++;
        /* Stop when the parent closes the control pipe and the stream was real. */
        struct timeval tv = {0, 0};
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(ctl[0], &rd);
        if (got > 0 && select(ctl[0] + 1, &rd, NULL, NULL, &tv) > 0)
            break;
        pid_t j = fork();
        if (j == 0) {
            close(jobs[0]);
            struct ls_request r = req_make(LS_MODE_DEDICATED, 1);
            struct ls_plan p;
            struct ls_error err = {0};
            if (ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err) == 0) {
                if (write(jobs[1], "g", 1) < 0)
                    _exit(3);
                struct timespec hold = {0, 150 * 1000000L};
                nanosleep(&hold, NULL);
                ls_plan_free(&p);
            }
            _exit(0);
        }
        started += j > 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    while (waitpid(-1, NULL, 0) > 0)
        ;
    close(jobs[1]);
    while (read(jobs[0], &c, 1) == 1)
        got++;
    dprintf(res[1], "%d %d\n", got, started);
    _exit(0);
}

static void test_large_request_not_starved(void **state)
{
    struct env *e = *state;
    int ctl, res;
    pid_t feeder = feeder_start(e, &ctl, &res);
    struct timespec settle = {0, 300 * 1000000L};
    nanosleep(&settle, NULL);

    /* Both whole LLCs, exclusively: needs a moment when no small job holds either. */
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan p;
    struct ls_error err = {0};
    struct reports rep = {0};
    long long t0 = ls_mono_ms();
    int rc =
        ls_plan_acquire_wait(&e->topo, &e->allowed, &e->ld, &r, 120000, record, &rep, &p, &err);
    long long waited = ls_mono_ms() - t0;
    if (rc < 0)
        fail_msg("starved: %s", err.msg);
    assert_llcs(&p, "0,1");
    /* Small jobs keep arriving while we hold everything: none may get in. */
    nanosleep(&settle, NULL);
    ls_plan_free(&p);
    nanosleep(&settle, NULL);

    close(ctl);
    char buf[64] = "";
    assert_true(read(res, buf, sizeof(buf) - 1) > 0);
    close(res);
    waitpid(feeder, NULL, 0);
    int got = 0, started = 0;
    assert_int_equal(sscanf(buf, "%d %d", &got, &started), 2);
    print_message("  2-LLC exclusive request acquired after %lld ms behind a stream of %d "
                  "1-CPU jobs (%d got a CPU); %d wait report(s)\n",
                  waited, started, got, rep.n);
    assert_true(got > 0); /* the stream was real */
    reports_free(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_until_released, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_wait_timeout, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_wait_reports_changes, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_large_request_not_starved, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_release_wakes_waiter, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_waiter_leaving_wakes, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_wake_only_on_useful_release, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_leave_acquired_wakes_nobody, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_rereserve_wakes_when_giving_up, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_room_wakes_when_reservation_free, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_room_follows_waiter_ahead, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_room_without_reservation, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_room_elsewhere_behind_a_waiter, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_room_waiter_behind_leaves, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_reservation_prefers_free_now, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_wait_takes_reservation, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_wait_takes_free_cpus_elsewhere, setup_2x2, teardown),
        cmocka_unit_test_setup_teardown(test_queue_read_through_kept_fds, setup_2x2, teardown),
        cmocka_unit_test(test_describe_long_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* DISCOVER -> PLAN -> ACQUIRE on real lockfiles in a mktemp -d dir, against forked peers
 * holding real flocks: consolidation, exclusivity between modes, concurrent dedicated jobs,
 * TOCTOU retries, the busy error, the snapshot itself. */
#include "plan_testlib.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>

#include "planner/acquire.h"
#include "planner/holders.h"
#include "planner/trace.h"
#include "planner/waitq.h"

static int setup_flat4(void **state)
{
    return env_setup(state, 4, 4, 4);
}

static int setup_one_llc(void **state)
{
    return env_setup(state, 1, 4, 1);
}

static int teardown(void **state)
{
    return env_teardown(state);
}

static void acquire_ok(struct env *e, const struct ls_request *r, struct ls_plan *p)
{
    struct ls_error err = {0};
    if (ls_plan_acquire(&e->topo, &e->allowed, &e->ld, r, p, &err) < 0)
        fail_msg("acquire failed (%s): %s", ls_category_name(err.category), err.msg);
}

/* Would a fresh process get this lock right now? */
static bool lock_free(struct env *e, enum ls_lock_kind kind, unsigned n, enum ls_lock_mode mode)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct ls_error err = {0};
        int fd;
        _exit(ls_lock_acquire(&e->ld, kind, n, mode, &fd, &err) == 1 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_snapshot_counts_real_holders(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 3, "llc:2:sh", "llc:3:ex", "cpu:5:ex");
    struct peer b = peer_hold(&e->ld, 0, 1, "llc:2:sh");
    struct ls_locktable t = {0};
    struct ls_snapshot s;
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    assert_int_equal(ls_snapshot_take(&e->topo, &e->allowed, &e->ld, &t, &s, &err), 0);
    assert_int_equal(s.nllcs, 4);
    assert_int_equal(s.llc_shared[2], 2);
    assert_int_equal(s.llc_exclusive[3], 1);
    assert_int_equal(s.llc_shared[0] + s.llc_exclusive[0], 0);
    assert_set(&s.cpu_held, "5");
    ls_snapshot_free(&s);
    /* Outside the allowed set: not looked at. */
    ls_cpuset narrow = LS_CPUSET_INIT;
    set_parse(&narrow, "0-7");
    assert_int_equal(ls_snapshot_take(&e->topo, &narrow, &e->ld, &t, &s, &err), 0);
    assert_int_equal(s.llc_shared[2], 0);
    assert_set(&s.cpu_held, "5");
    ls_snapshot_free(&s);
    ls_cpuset_free(&narrow);
    ls_locktable_free(&t);
    char *who = NULL;
    assert_int_equal(ls_describe_holders(&e->topo, &e->allowed, &e->ld, &who, &err), 0);
    char pa[32], pb[32];
    snprintf(pa, sizeof(pa), "pid %d (", (int)a.pid);
    snprintf(pb, sizeof(pb), "pid %d (", (int)b.pid);
    assert_contains(who, "LLC 2: ");
    assert_contains(who, pa);
    assert_contains(who, pb);
    assert_contains(who, "LLC 3: ");
    assert_contains(who, ") exclusive");
    assert_contains(who, "CPU 5: ");
    free(who);
    peer_end(&a);
    peer_end(&b);
    assert_int_equal(ls_describe_holders(&e->topo, &e->allowed, &e->ld, &who, &err), 0);
    assert_string_equal(who, "");
    free(who);
}

/* A peer holds LLC 2 shared: the plan consolidates onto it and really holds it. */
static void test_consolidates_onto_peer(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:2:sh");
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "2");
    assert_set(&p.cpus, "8-11");
    assert_int_equal(p.nfds, 5); /* LLC 2 + a shared mark on each of its CPUs */
    assert_false(lock_free(e, LS_LOCK_LLC, 2, LS_LOCK_EXCLUSIVE));
    peer_end(&a);
    assert_false(lock_free(e, LS_LOCK_LLC, 2, LS_LOCK_EXCLUSIVE)); /* we still hold it */
    assert_true(lock_free(e, LS_LOCK_LLC, 2, LS_LOCK_SHARED));
    ls_plan_free(&p);
    assert_true(lock_free(e, LS_LOCK_LLC, 2, LS_LOCK_EXCLUSIVE));
}

/* A peer holds LLC 0 exclusively: shared and dedicated plans go elsewhere. */
static void test_avoids_exclusive_peer(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:ex");
    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "1");
    ls_plan_free(&p);
    r = req_make(LS_MODE_DEDICATED, 3);
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "1");
    assert_set(&p.cpus, "4-6");
    assert_int_equal(p.nfds, 4); /* LLC 1 shared + 3 CPUs */
    assert_false(lock_free(e, LS_LOCK_CPU, 5, LS_LOCK_EXCLUSIVE));
    assert_true(lock_free(e, LS_LOCK_LLC, 1, LS_LOCK_SHARED));
    assert_false(lock_free(e, LS_LOCK_LLC, 1, LS_LOCK_EXCLUSIVE));
    ls_plan_free(&p);
    peer_end(&a);
}

/* Exclusive mode: any holder (LLC shared, or a per-CPU lock inside it) rules an LLC out. */
static void test_exclusive_excluded_by_any_holder(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 2, "llc:0:sh", "cpu:5:ex");
    struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
    struct ls_plan p;
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "2");
    assert_false(lock_free(e, LS_LOCK_LLC, 2, LS_LOCK_SHARED));
    ls_plan_free(&p);
    for (unsigned pid = 1; pid <= 8; pid++) {
        struct ls_request pr = req_make(LS_MODE_EXCLUSIVE, 0);
        pr.has_perf = true;
        pr.perf = (struct ls_perf_topo){1, 2, 1, 1};
        pr.pid = pid;
        acquire_ok(e, &pr, &p);
        assert_true(p.nlocked == 1 && p.locked_llcs[0] >= 2);
        assert_true(p.service_cpu >= 8);
        ls_plan_free(&p);
    }
    peer_end(&a);
}

/* Two dedicated jobs starting at the same instant never share a CPU. */
static void test_concurrent_dedicated_disjoint(void **state)
{
    struct env *e = *state;
    for (int round = 0; round < 4; round++) {
        int go[2], res[2], hold[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(res), 0);
        assert_int_equal(pipe(hold), 0);
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            assert_true(kids[k] >= 0);
            if (kids[k] == 0) {
                close(go[1]);
                close(res[0]);
                close(hold[1]);
                char c;
                if (read(go[0], &c, 1) != 0)
                    _exit(2);
                struct ls_request r = req_make(LS_MODE_DEDICATED, 3);
                struct ls_plan p;
                struct ls_error err = {0};
                char line[128] = "error\n";
                if (ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err) == 0) {
                    char *l = ls_cpuset_format(&p.cpus);
                    snprintf(line, sizeof(line), "%s\n", l);
                    free(l);
                }
                if (write(res[1], line, strlen(line)) < 0)
                    _exit(3);
                while (read(hold[0], &c, 1) > 0)
                    ;
                _exit(0);
            }
        }
        close(go[0]);
        close(res[1]);
        close(hold[0]);
        close(go[1]); /* both start now */
        char buf[512] = "";
        size_t o = 0;
        ssize_t n;
        int lines = 0;
        while (lines < 2 && (n = read(res[0], buf + o, sizeof(buf) - 1 - o)) > 0) {
            o += (size_t)n;
            buf[o] = '\0';
            lines = 0;
            for (char *q = buf; (q = strchr(q, '\n')); q++)
                lines++;
        }
        close(hold[1]);
        for (int k = 0; k < 2; k++)
            waitpid(kids[k], NULL, 0);
        close(res[0]);
        char *save, *l1 = strtok_r(buf, "\n", &save), *l2 = strtok_r(NULL, "\n", &save);
        assert_non_null(l1);
        assert_non_null(l2);
        ls_cpuset a = LS_CPUSET_INIT, b = LS_CPUSET_INIT;
        set_parse(&a, l1);
        set_parse(&b, l2);
        assert_int_equal(ls_cpuset_count(&a), 3);
        assert_int_equal(ls_cpuset_count(&b), 3);
        if (ls_cpuset_intersects(&a, &b))
            fail_msg("round %d: dedicated jobs overlap: %s vs %s", round, l1, l2);
        ls_cpuset_free(&a);
        ls_cpuset_free(&b);
    }
}

/* All or nothing: a plan whose second lock is busy leaves nothing held. */
static void test_try_lock_all_or_nothing(void **state)
{
    struct env *e = *state;
    struct ls_request r = req_make(LS_MODE_SHARED, 8);
    struct ls_plan p;
    plan_ok(&e->topo, NULL, NULL, &r, &p);
    assert_llcs(&p, "0,1");
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:1:ex"); /* arrives after our snapshot */
    char what[64] = "";
    struct ls_error err = {0};
    assert_int_equal(ls_plan_try_lock(&e->ld, &p, what, sizeof(what), &err), 0);
    assert_string_equal(what, "LLC 1 busy");
    assert_int_equal(p.nfds, 0);
    assert_true(lock_free(e, LS_LOCK_LLC, 0, LS_LOCK_EXCLUSIVE));
    peer_end(&a);
    assert_int_equal(ls_plan_try_lock(&e->ld, &p, what, sizeof(what), &err), 1);
    assert_int_equal(p.nfds, 10); /* 2 LLCs + 8 CPU marks */
    ls_plan_free(&p);
}

/* TOCTOU: the holder leaves 30 ms in; a retry gets it. */
static void test_retry_after_peer_releases(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 30, 1, "llc:0:ex");
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "0");
    assert_set(&p.cpus, "0-1");
    ls_plan_free(&p);
    peer_end(&a);
}

/* Busy through every retry: LS_ERR_BUSY from a fresh snapshot naming the holder. */
static void test_retries_exhausted_names_holder(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:ex");
    struct ls_request r = req_make(LS_MODE_SHARED, 2);
    struct ls_plan p;
    struct ls_error err = {0};
    long long t0 = ls_mono_ms();
    assert_int_equal(ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err), -1);
    long long dt = ls_mono_ms() - t0;
    assert_int_equal(err.category, LS_ERR_BUSY);
    assert_int_equal(ls_exit_code(&err), 75);
    assert_true(dt >= 260); /* slept 10 + 50 + 200 ms between the 4 attempts */
    char pid[64];
    snprintf(pid, sizeof(pid), "LLC 0: pid %d (", (int)a.pid);
    assert_contains(err.msg, "could not reserve 2 CPU(s) after 4 attempts");
    assert_contains(err.msg, "holders: ");
    assert_contains(err.msg, pid);
    assert_contains(err.msg, ") exclusive");
    assert_contains(err.msg, "Run `llcslice locks` to see every lock");
    peer_end(&a);
}

/* How many times phase PHASE was marked since ls_trace_start (LLCSLICE_TRACE_TIMING on), read
 * from ls_trace_report's "llcslice-timing: PHASE USEC COUNT" lines on a captured stderr. */
static unsigned trace_count(const char *phase)
{
    char path[] = "/tmp/llcslice-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    ls_trace_report();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[4096] = "", want[128];
    assert_true(pread(fd, buf, sizeof(buf) - 1, 0) >= 0);
    close(fd);
    unlink(path);
    snprintf(want, sizeof(want), "llcslice-timing: %s ", phase);
    const char *at = strstr(buf, want);
    double usec;
    unsigned count = 0;
    if (at)
        assert_int_equal(sscanf(at + strlen(want), "%lf %u", &usec, &count), 2);
    return count;
}

/* Requests that can never fit fail at once with their own category, not as busy: one plan
 * pass each, no retry (counted by the trace marks, not timed: a loaded machine is slow). */
static void test_never_fits_is_not_busy(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 1, "llc:0:ex");
    struct ls_plan p;
    struct ls_error err = {0};
    struct ls_request r = req_make(LS_MODE_SHARED, 5);
    setenv("LLCSLICE_TRACE_TIMING", "1", 1);
    ls_trace_start();
    assert_int_equal(ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_contains(err.msg, "5 exceeds the 4 CPUs");
    r = req_make(LS_MODE_EXCLUSIVE, 0);
    r.has_perf = true;
    r.perf = (struct ls_perf_topo){1, 4, 1, 1};
    assert_int_equal(ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_UNSAT);
    assert_int_equal(ls_exit_code(&err), 77);
    assert_contains(err.msg, "performance_mode: need 5 CPUs (4 vCPUs + 1 service)");
    assert_int_equal(trace_count("plan"), 2); /* one pass per request: no retries */
    unsetenv("LLCSLICE_TRACE_TIMING");
    ls_trace_start(); /* off again */
    peer_end(&a);
}

/* A live waiter's reservation is honoured by non-waiting runs; a dead waiter is swept. */
static void test_waiter_reservation_honoured(void **state)
{
    struct env *e = *state;
    int ready[2], ctl[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(ctl), 0);
    pid_t w = fork();
    assert_true(w >= 0);
    if (w == 0) {
        close(ready[0]);
        close(ctl[1]);
        struct ls_wait_ticket tk;
        struct ls_error err = {0};
        struct ls_request r = req_make(LS_MODE_EXCLUSIVE, 4);
        struct ls_plan target;
        if (ls_wait_register(&e->ld, r.mode, 4, &tk, &err) < 0 ||
            ls_plan_compute(&e->topo, &e->allowed, NULL, &r, &target, &err) < 0 ||
            ls_wait_reserve(&tk, &target, &err) < 0)
            _exit(2);
        if (write(ready[1], "r", 1) != 1)
            _exit(3);
        char c;
        while (read(ctl[0], &c, 1) > 0)
            ;
        _exit(0); /* dies without unregistering: the file stays behind */
    }
    close(ready[1]);
    close(ctl[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);

    struct ls_waitq q;
    struct ls_error err = {0};
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.w[0].pid, w);
    assert_true(q.w[0].reserves);
    assert_set(&q.w[0].llc_ex, "0");
    ls_waitq_free(&q);

    struct ls_request r = req_make(LS_MODE_SHARED, 4);
    struct ls_plan p;
    acquire_ok(e, &r, &p); /* LLC 0 is reserved for the waiter */
    assert_llcs(&p, "1");
    ls_plan_free(&p);
    r.cpus = 16;
    assert_int_equal(ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_BUSY);
    char who[64];
    snprintf(who, sizeof(who), "queued ahead: waiter pid %d (", (int)w);
    assert_contains(err.msg, who);
    assert_contains(err.msg, "reserves LLC 0 exclusive");

    close(ctl[1]);
    waitpid(w, NULL, 0);
    assert_int_equal(ls_waitq_read(&e->ld, NULL, &q, &err), 0);
    assert_int_equal(q.n, 0);
    ls_waitq_free(&q);
    /* ...and its file is gone. */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q -- '-wait-'", e->dir);
    assert_int_not_equal(system(cmd), 0);
    acquire_ok(e, &r, &p);
    assert_llcs(&p, "0,1,2,3");
    ls_plan_free(&p);
}

static int setup_two_cpus(void **state)
{
    return env_setup(state, 1, 2, 1);
}

/* Shared jobs mark their CPUs (LOCK_SH): two --cpus 1 jobs on a 2-CPU host get different
 * CPUs, and a dedicated job then finds no free CPU there. */
static void test_shared_jobs_mark_cpus(void **state)
{
    struct env *e = *state;
    struct ls_request r = req_make(LS_MODE_SHARED, 1);
    struct ls_plan a, b;
    acquire_ok(e, &r, &a);
    assert_set(&a.cpus, "0");
    assert_set(&a.cpu_marks, "0");
    assert_false(lock_free(e, LS_LOCK_CPU, 0, LS_LOCK_EXCLUSIVE));
    assert_true(lock_free(e, LS_LOCK_CPU, 0, LS_LOCK_SHARED));
    acquire_ok(e, &r, &b);
    assert_set(&b.cpus, "1");
    assert_int_equal(b.nwarnings, 0);
    struct ls_request d = req_make(LS_MODE_DEDICATED, 1);
    struct ls_plan p;
    struct ls_error err = {0};
    assert_int_equal(ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &d, &p, &err), -1);
    assert_int_equal(err.category, LS_ERR_BUSY);
    ls_plan_free(&b);
    /* A third shared job on the full host shares the least-used CPU and names its holder. */
    struct ls_plan c;
    r.cpus = 2;
    acquire_ok(e, &r, &c);
    assert_set(&c.cpus, "0-1");
    assert_set(&c.overlap, "0");
    assert_int_equal(c.nwarnings, 2);
    assert_contains(c.warnings[0], "CPUs 0 are shared with other jobs");
    char pid[64];
    snprintf(pid, sizeof(pid), "CPU 0: pid %d", (int)getpid());
    assert_contains(c.warnings[1], pid);
    ls_plan_free(&c);
    ls_plan_free(&a);
    assert_true(lock_free(e, LS_LOCK_CPU, 0, LS_LOCK_EXCLUSIVE));
}

/* A dedicated peer's CPUs: a shared job avoids them while a free CPU exists, then runs on
 * them unmarked (their LOCK_EX refuses LOCK_SH) and names the peer. */
static void test_shared_beside_dedicated_peer(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 2, "llc:0:sh", "cpu:0:ex");
    struct ls_request r = req_make(LS_MODE_SHARED, 1);
    struct ls_plan p;
    acquire_ok(e, &r, &p);
    assert_set(&p.cpus, "1");
    ls_plan_free(&p);
    r.cpus = 2;
    acquire_ok(e, &r, &p);
    assert_set(&p.cpus, "0-1");
    assert_set(&p.cpu_marks, "1");
    assert_set(&p.overlap, "0");
    assert_contains(p.warnings[0], "(0 dedicated to another job)");
    char pid[64];
    snprintf(pid, sizeof(pid), "CPU 0: pid %d", (int)a.pid);
    assert_contains(p.warnings[1], pid);
    assert_contains(p.warnings[1], "exclusive");
    ls_plan_free(&p);
    peer_end(&a);
}

/* The snapshot counts LOCK_SH holders per CPU lockfile, LOCK_EX ones as held. */
static void test_snapshot_counts_cpu_marks(void **state)
{
    struct env *e = *state;
    struct peer a = peer_hold(&e->ld, 0, 2, "cpu:1:sh", "cpu:2:ex");
    struct peer b = peer_hold(&e->ld, 0, 1, "cpu:1:sh");
    struct ls_locktable t = {0};
    struct ls_snapshot s;
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    assert_int_equal(ls_snapshot_take(&e->topo, &e->allowed, &e->ld, &t, &s, &err), 0);
    assert_true(s.ncpus >= 16);
    assert_int_equal(s.cpu_shared[1], 2);
    assert_int_equal(s.cpu_shared[2], 0);
    assert_set(&s.cpu_held, "2");
    ls_snapshot_free(&s);
    ls_locktable_free(&t);
    peer_end(&a);
    peer_end(&b);
}

/* Shared jobs starting at the same moment still see each other's marks ({prefix}-plan.lock
 * serialises discover..acquire): four --cpus 1 jobs on a 4-CPU host get four CPUs. */
static void test_concurrent_shared_distinct(void **state)
{
    struct env *e = *state;
    int go[2], res[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(res), 0);
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) < 0) /* all start together when go closes */
                _exit(2);
            struct ls_request r = req_make(LS_MODE_SHARED, 1);
            struct ls_plan p;
            struct ls_error err = {0};
            if (ls_plan_acquire(&e->topo, &e->allowed, &e->ld, &r, &p, &err) < 0)
                _exit(3);
            char buf[16];
            int n = snprintf(buf, sizeof(buf), "%d\n", ls_cpuset_first(&p.cpus));
            if (write(res[1], buf, (size_t)n) != n)
                _exit(4);
            close(res[1]);
            for (int fd = 0; fd < 3; fd++) /* no test output pipe kept open by a holder */
                close(fd);
            pause(); /* hold until killed */
            _exit(0);
        }
    }
    close(go[0]);
    close(res[1]);
    close(go[1]);
    FILE *f = fdopen(res[0], "r");
    assert_non_null(f);
    int cpus[4] = {-1, -1, -1, -1};
    for (int i = 0; i < 4 && fscanf(f, "%d", &cpus[i]) == 1; i++)
        ;
    fclose(f);
    for (int i = 0; i < 4; i++) { /* before any assertion: a failure leaves no holder behind */
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    int seen = 0;
    for (int i = 0; i < 4; i++) {
        if (cpus[i] < 0 || cpus[i] >= 4 || (seen & (1 << cpus[i])))
            fail_msg("concurrent shared jobs got CPUs %d %d %d %d", cpus[0], cpus[1], cpus[2],
                     cpus[3]);
        seen |= 1 << cpus[i];
    }
}

/* A shared plan holds one fd per CPU mark: past a low soft RLIMIT_NOFILE the acquire raises it
 * (up to the hard limit) instead of failing with EMFILE. */
static void test_marks_raise_fd_limit(void **state)
{
    struct env *e = *state;
    struct ls_topology t;
    topo_uniform(&t, 16, 8, 16);
    ls_cpuset all = LS_CPUSET_INIT;
    assert_int_equal(ls_cpuset_copy(&all, &t.online), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < 512)
            _exit(0); /* cannot test here */
        rl.rlim_cur = 64;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            _exit(2);
        struct ls_request r = req_make(LS_MODE_SHARED, 100);
        struct ls_plan p;
        struct ls_error err = {0};
        if (ls_plan_acquire(&t, &all, &e->ld, &r, &p, &err) < 0)
            _exit(3);
        _exit(p.nfds >= 100 ? 0 : 4);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    ls_cpuset_free(&all);
    ls_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_counts_real_holders, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_consolidates_onto_peer, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_shared_jobs_mark_cpus, setup_two_cpus, teardown),
        cmocka_unit_test_setup_teardown(test_shared_beside_dedicated_peer, setup_two_cpus,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_counts_cpu_marks, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_shared_distinct, setup_one_llc, teardown),
        cmocka_unit_test_setup_teardown(test_marks_raise_fd_limit, setup_one_llc, teardown),
        cmocka_unit_test_setup_teardown(test_avoids_exclusive_peer, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_excluded_by_any_holder, setup_flat4,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_dedicated_disjoint, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_try_lock_all_or_nothing, setup_flat4, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_peer_releases, setup_one_llc, teardown),
        cmocka_unit_test_setup_teardown(test_retries_exhausted_names_holder, setup_one_llc,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_never_fits_is_not_busy, setup_one_llc, teardown),
        cmocka_unit_test_setup_teardown(test_waiter_reservation_honoured, setup_flat4, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

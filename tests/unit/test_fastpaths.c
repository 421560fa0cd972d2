/* The shortcuts the benchmarks led to: sysfs reads through an open directory, lockfile names
 * from a directory entry, the "nobody holds anything on this filesystem" test, the snapshot's
 * single readdir, wait files whose liveness comes from the /proc/locks table, and the
 * LLCSLICE_TRACE_TIMING phase report. Real files, real flocks, real /proc/locks. */
#include "plan_testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "planner/holders.h"
#include "planner/sysfs.h"
#include "planner/trace.h"
#include "planner/waitq.h"

static int setup(void **state)
{
    return env_setup(state, 2, 2, 2); /* LLC 0 = CPUs 0-1, LLC 1 = CPUs 2-3 */
}

static int teardown(void **state)
{
    return env_teardown(state);
}

static void write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static unsigned long long lock_ino(const struct env *e, enum ls_lock_kind kind, unsigned n)
{
    struct ls_error err = {0};
    int fd = ls_lock_open(&e->ld, kind, n, &err);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    return st.st_ino;
}

/* A /proc/locks text naming files on the lock dir's device (and one elsewhere). */
static void table_of(const struct env *e, struct ls_locktable *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void table_of(const struct env *e, struct ls_locktable *t, const char *fmt, ...)
{
    (void)e;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_parse(t, text, strlen(text), &err), 0);
}

/* ---- ls_read_at ------------------------------------------------------------------------ */

static void test_read_at(void **state)
{
    struct env *e = *state;
    int dfd = open(e->dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    /* Sizes around the first buffer (256) and its doubling; empty; NUL-padded. */
    static const size_t sizes[] = {0, 1, 254, 255, 256, 257, 511, 512, 5000};
    char path[512], *big = malloc(5001);
    for (size_t i = 0; i < 5000; i++)
        big[i] = (char)('a' + i % 26);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        snprintf(path, sizeof(path), "%s/f", e->dir);
        write_file(path, big, sizes[k]);
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(ls_read_at(dfd, "f", &out, &len), 0);
        assert_int_equal(len, sizes[k]);
        assert_memory_equal(out, big, sizes[k]);
        assert_int_equal(out[len], '\0');
        free(out);
    }
    free(big);
    char *out = NULL;
    assert_int_equal(ls_read_at(dfd, "missing", &out, NULL), -ENOENT);
    assert_null(out);
    snprintf(path, sizeof(path), "%s/sub", e->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(ls_read_at(dfd, "sub", &out, NULL), -EISDIR);
    /* AT_FDCWD with a full path, as the per-CPU reads use it. */
    snprintf(path, sizeof(path), "%s/f", e->dir);
    write_file(path, "0-3\n\0\0", 6);
    size_t len = 0;
    assert_int_equal(ls_read_at(AT_FDCWD, path, &out, &len), 0);
    assert_int_equal(len, 6);
    free(out);
    close(dfd);
}

/* ---- lockfile names and the device test ------------------------------------------------ */

static void test_lock_name(void **state)
{
    struct env *e = *state; /* prefix "t" */
    enum ls_lock_kind kind;
    unsigned idx;
    assert_true(ls_lock_name(&e->ld, "t-llc-0.lock", &kind, &idx));
    assert_int_equal(kind, LS_LOCK_LLC);
    assert_int_equal(idx, 0);
    assert_true(ls_lock_name(&e->ld, "t-cpu-4095.lock", &kind, &idx));
    assert_int_equal(kind, LS_LOCK_CPU);
    assert_int_equal(idx, 4095);
    static const char *const bad[] = {
        "t-llc-.lock",
        "t-llc-01.lock",
        "t-llc--1.lock",
        "t-llc-1.lockx",
        "t-llc-1",
        "t-llc-1a.lock",
        "t-cpu-4294967296.lock",
        "tt-llc-1.lock",
        "t-wait-00000000000000000001-5.lock",
        "t-waittmp-5-1.lock",
        "x-llc-1.lock",
        "t-llcx-1.lock",
        "t-ll-1.lock",
        "t--llc-1.lock",
        "",
        "t",
        "t-",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ls_lock_name(&e->ld, bad[i], &kind, &idx))
            fail_msg("\"%s\" taken for a lockfile", bad[i]);
}

static void test_has_device(void **state)
{
    struct env *e = *state;
    struct ls_locktable t;
    table_of(e, &t, "%s", "");
    assert_false(ls_locktable_has_device(&t, e->ld.dev_major, e->ld.dev_minor));
    ls_locktable_free(&t);
    /* Entries on the neighbouring devices only; then one on ours among them. */
    unsigned ma = e->ld.dev_major, mi = e->ld.dev_minor;
    table_of(e, &t,
             "1: FLOCK  ADVISORY  WRITE 10 %02x:%02x:5 0 EOF\n"
             "2: FLOCK  ADVISORY  WRITE 11 %02x:%02x:5 0 EOF\n"
             "3: POSIX  ADVISORY  WRITE 12 %02x:%02x:5 0 EOF\n"
             "4: -> FLOCK  ADVISORY  WRITE 13 %02x:%02x:5 0 EOF\n",
             ma, mi + 1, ma + 1, mi, ma, mi, ma, mi);
    assert_false(ls_locktable_has_device(&t, ma, mi)); /* POSIX and waiters are not holders */
    ls_locktable_free(&t);
    table_of(e, &t,
             "1: FLOCK  ADVISORY  WRITE 10 %02x:%02x:5 0 EOF\n"
             "2: FLOCK  ADVISORY  READ  11 %02x:%02x:999999 0 EOF\n",
             ma, mi + 1, ma, mi);
    assert_true(ls_locktable_has_device(&t, ma, mi));
    ls_locktable_free(&t);
}

/* ---- snapshot -------------------------------------------------------------------------- */

static void snap_expect(const struct env *e, const struct ls_locktable *t, unsigned sh0,
                        unsigned sh1, unsigned ex0, unsigned ex1, const char *cpus)
{
    struct ls_snapshot s;
    struct ls_error err = {0};
    if (ls_snapshot_take(&e->topo, &e->allowed, &e->ld, t, &s, &err) < 0)
        fail_msg("snapshot: %s", err.msg);
    assert_int_equal(s.llc_shared[0], sh0);
    assert_int_equal(s.llc_shared[1], sh1);
    assert_int_equal(s.llc_exclusive[0], ex0);
    assert_int_equal(s.llc_exclusive[1], ex1);
    assert_set(&s.cpu_held, cpus);
    ls_snapshot_free(&s);
}

static void test_snapshot_from_table(void **state)
{
    struct env *e = *state;
    unsigned long long l0 = lock_ino(e, LS_LOCK_LLC, 0), l1 = lock_ino(e, LS_LOCK_LLC, 1);
    unsigned long long c2 = lock_ino(e, LS_LOCK_CPU, 2), c3 = lock_ino(e, LS_LOCK_CPU, 3);
    lock_ino(e, LS_LOCK_LLC, 7); /* an LLC this host does not have: ignored */
    unsigned ma = e->ld.dev_major, mi = e->ld.dev_minor;
    struct ls_locktable t;
    table_of(e, &t,
             "1: FLOCK  ADVISORY  READ  10 %02x:%02x:%llu 0 EOF\n"
             "2: FLOCK  ADVISORY  READ  11 %02x:%02x:%llu 0 EOF\n"
             "3: FLOCK  ADVISORY  WRITE 12 %02x:%02x:%llu 0 EOF\n"
             "4: FLOCK  ADVISORY  WRITE 13 %02x:%02x:%llu 0 EOF\n"
             "5: FLOCK  ADVISORY  WRITE 14 %02x:%02x:%llu 0 EOF\n",
             ma, mi, l1, ma, mi, l1, ma, mi, l0, ma, mi, c2, ma + 1, mi, c3);
    snap_expect(e, &t, 0, 2, 1, 0, "2");
    ls_locktable_free(&t);

    /* Only CPUs 0-1 allowed: LLC 1 and CPU 2 are none of our business. */
    ls_cpuset_clear(&e->allowed);
    set_parse(&e->allowed, "0-1");
    table_of(e, &t,
             "1: FLOCK  ADVISORY  READ  10 %02x:%02x:%llu 0 EOF\n"
             "2: FLOCK  ADVISORY  WRITE 13 %02x:%02x:%llu 0 EOF\n",
             ma, mi, l1, ma, mi, c2);
    snap_expect(e, &t, 0, 0, 0, 0, "");
    ls_locktable_free(&t);
}

static void test_snapshot_nobody_on_device(void **state)
{
    struct env *e = *state;
    /* A symlink where a lockfile belongs is an error when anything may be held there... */
    char path[512];
    snprintf(path, sizeof(path), "%s/t-llc-0.lock", e->dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    unsigned ma = e->ld.dev_major, mi = e->ld.dev_minor;
    struct ls_locktable t;
    table_of(e, &t, "1: FLOCK  ADVISORY  READ  10 %02x:%02x:1 0 EOF\n", ma, mi);
    struct ls_snapshot s;
    struct ls_error err = {0};
    assert_int_equal(ls_snapshot_take(&e->topo, &e->allowed, &e->ld, &t, &s, &err), -1);
    assert_contains(err.msg, "t-llc-0.lock");
    ls_locktable_free(&t);
    /* ...but with no flock at all on that filesystem nothing is looked at: all free. */
    table_of(e, &t, "1: FLOCK  ADVISORY  READ  10 %02x:%02x:1 0 EOF\n", ma + 1, mi);
    snap_expect(e, &t, 0, 0, 0, 0, "");
    ls_locktable_free(&t);
}

static void test_snapshot_real_holders(void **state)
{
    struct env *e = *state;
    struct peer p = peer_hold(&e->ld, 0, 4, "llc:1:sh", "llc:0:ex", "cpu:3:ex", "llc:1:sh");
    struct ls_locktable t;
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    snap_expect(e, &t, 0, 2, 1, 0, "3");
    ls_locktable_free(&t);
    peer_end(&p);
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    snap_expect(e, &t, 0, 0, 0, 0, "");
    ls_locktable_free(&t);
}

/* ---- wait queue liveness from the table ------------------------------------------------ */

/* Fork a waiter that registers and holds its wait file until ctl closes. */
static struct peer waiter_start(const struct env *e)
{
    int ready[2], ctl[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(ctl), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(ctl[1]);
        struct ls_wait_ticket tk;
        struct ls_error err = {0};
        if (ls_wait_register(&e->ld, LS_MODE_SHARED, 1, &tk, &err) < 0)
            _exit(3);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        char c;
        while (read(ctl[0], &c, 1) < 0)
            ;
        _exit(0); /* the file stays, unlocked: a dead waiter */
    }
    close(ready[1]);
    close(ctl[0]);
    char c;
    if (read(ready[0], &c, 1) != 1)
        fail_msg("waiter could not register");
    close(ready[0]);
    return (struct peer){pid, ctl[1]};
}

static size_t wait_files(const struct env *e)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c -- '-wait-' || true", e->dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    unsigned n = 0;
    assert_int_equal(fscanf(f, "%u", &n), 1);
    pclose(f);
    return n;
}

static void test_waitq_table(void **state)
{
    struct env *e = *state;
    struct peer w = waiter_start(e);
    struct ls_locktable t;
    struct ls_waitq q;
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    assert_int_equal(ls_waitq_read(&e->ld, &t, &q, &err), 0);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.w[0].pid, w.pid);
    ls_waitq_free(&q);
    /* A table taken while it lived still vouches for it after it died: one stale pass. */
    peer_end(&w);
    assert_int_equal(ls_waitq_read(&e->ld, &t, &q, &err), 0);
    assert_int_equal(q.n, 1);
    ls_waitq_free(&q);
    assert_int_equal(wait_files(e), 1);
    ls_locktable_free(&t);
    /* A fresh table does not: probed, found unlocked, removed. */
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    assert_int_equal(ls_waitq_read(&e->ld, &t, &q, &err), 0);
    assert_int_equal(q.n, 0);
    assert_int_equal(wait_files(e), 0);
    ls_waitq_free(&q);
    ls_locktable_free(&t);
}

/* ---- LLCSLICE_TRACE_TIMING ------------------------------------------------------------- */

/* Run start, marks a, b, a, report with the variable set to `value` (NULL: unset); stderr. */
static char *traced(const char *value)
{
    if (value)
        setenv("LLCSLICE_TRACE_TIMING", value, 1);
    else
        unsetenv("LLCSLICE_TRACE_TIMING");
    char path[] = "/tmp/llcslice-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    ls_trace_start();
    ls_trace_mark("a");
    ls_trace_mark("b");
    ls_trace_mark("a");
    ls_trace_report();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *buf = calloc(1, 4096);
    assert_true(pread(fd, buf, 4095, 0) >= 0);
    close(fd);
    unlink(path);
    unsetenv("LLCSLICE_TRACE_TIMING");
    return buf;
}

static void test_trace(void **state)
{
    (void)state;
    char *off = traced(NULL);
    assert_string_equal(off, "");
    free(off);
    off = traced("0");
    assert_string_equal(off, "");
    free(off);
    char *on = traced("1");
    char a[8], b[8];
    double ua, ub;
    unsigned ca, cb;
    assert_int_equal(sscanf(on, "llcslice-timing: %7s %lf %u\nllcslice-timing: %7s %lf %u\n", a,
                            &ua, &ca, b, &ub, &cb),
                     6);
    assert_string_equal(a, "a");
    assert_int_equal(ca, 2);
    assert_string_equal(b, "b");
    assert_int_equal(cb, 1);
    assert_true(ua >= 0 && ub >= 0);
    free(on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_at, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_has_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_from_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_nobody_on_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_real_holders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waitq_table, setup, teardown),
        cmocka_unit_test(test_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

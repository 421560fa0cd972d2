/* The supervisor -> shim -> job tree with real processes: exit codes, exec failures, signal
 * forwarding, leftovers killed before the wait returns, lock fds not inherited, and the job
 * dying with a SIGKILLed supervisor; with and without the pid namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/procstat.h"
#include "supervisor/run/process.h"

extern char **environ;

static bool no_pidns; /* second pass: the subreaper fallback */

static int run_job(char *const *argv, const struct ls_seccomp *sc, struct ls_error *err)
{
    struct ls_sigstate sig = {0};
    assert_int_equal(ls_signals_block(&sig, err), 0);
    struct ls_job_spec spec = {
        .argv = argv, .envp = environ, .seccomp = sc, .sig = &sig, .no_pidns = no_pidns};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, err), 0);
    assert_int_equal(job.pidns, !no_pidns && geteuid() == 0);
    assert_int_equal(ls_job_start(&job, err), 0);
    int code = ls_job_wait(&job, err);
    ls_signals_restore(&sig);
    return code;
}

static void expect_code(int want, const char *needle, char *const *argv)
{
    struct ls_error err = {0};
    int code = run_job(argv, NULL, &err);
    if (code != want)
        fail_msg("%s ... exited %d, want %d (%s)", argv[0], code, want, err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("error '%s' does not mention '%s'", err.msg, needle);
}

static void test_exit_codes(void **state)
{
    (void)state;
    expect_code(0, NULL, (char *[]){"true", NULL});
    expect_code(3, NULL, (char *[]){"sh", "-c", "exit 3", NULL});
    expect_code(143, NULL, (char *[]){"sh", "-c", "kill -TERM $$", NULL});
    expect_code(137, NULL, (char *[]){"sh", "-c", "kill -KILL $$", NULL});
    expect_code(127, "command not found: llcslice-no-such-command",
                (char *[]){"llcslice-no-such-command", NULL});
    expect_code(127, "command not found: /nonexistent/x", (char *[]){"/nonexistent/x", NULL});
    expect_code(126, "cannot execute /tmp", (char *[]){"/tmp", NULL});
    char path[] = "/tmp/llcslice-test-noexec-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    expect_code(126, "Permission denied", (char *[]){path, NULL});
    unlink(path);
}

static void test_seccomp_in_job(void **state)
{
    (void)state;
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(ls_seccomp_build(&sc, NULL, "execve", &err), 0);
    int code = run_job((char *[]){"true", NULL}, &sc, &err);
    assert_int_equal(code, 126);
    assert_non_null(strstr(err.msg, "Operation not permitted"));
    ls_seccomp_free(&sc);
    assert_int_equal(ls_seccomp_build(&sc, "build", "uname", &err), 0);
    /* a denied call fails with EPERM inside, everything else works */
    code = run_job((char *[]){"sh", "-c",
                              "uname 2>&1 | grep -q 'Operation not permitted' && "
                              "echo ok | grep -q ok",
                              NULL},
                   &sc, &err);
    assert_int_equal(code, 0);
    ls_seccomp_free(&sc);
}

static void test_environment(void **state)
{
    (void)state;
    struct ls_sigstate sig = {0};
    struct ls_error err = {0};
    assert_int_equal(ls_signals_block(&sig, &err), 0);
    char *envp[] = {"PATH=/usr/bin:/bin", "LLCSLICE_TEST_VAR=yes", NULL};
    char *argv[] = {"sh", "-c", "test \"$LLCSLICE_TEST_VAR\" = yes && test -z \"$HOME\"", NULL};
    struct ls_job_spec spec = {.argv = argv, .envp = envp, .sig = &sig, .no_pidns = no_pidns};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, &err), 0);
    assert_int_equal(ls_job_start(&job, &err), 0);
    assert_int_equal(ls_job_wait(&job, &err), 0);
    ls_signals_restore(&sig);
}

/* Processes running exactly "sleep MARKER". */
static int count_marker(const char *marker)
{
    char want[128];
    int wlen = snprintf(want, sizeof(want), "sleep%c%s", 0, marker) + 1;
    int count = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[300], buf[4096];
        snprintf(path, sizeof(path), "/proc/%.20s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        if (n == wlen && !memcmp(buf, want, (size_t)wlen))
            count++;
    }
    closedir(d);
    return count;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_marker(char *buf, size_t size)
{
    snprintf(buf, size, "9999.%d%d", (int)getpid() % 100000, no_pidns ? 1 : 2);
}

/* The job forks sleepers, some in their own session, and exits: nothing may survive
 * ls_job_wait. */
static void test_leftovers_killed(void **state)
{
    (void)state;
    char marker[64], script[512];
    make_marker(marker, sizeof(marker));
    snprintf(script, sizeof(script),
             "for i in 1 2 3 4 5; do sleep %s & done; setsid sleep %s </dev/null >/dev/null 2>&1 &"
             " (sleep %s &) ; sleep 0.2; exit 7",
             marker, marker, marker);
    struct ls_error err = {0};
    assert_int_equal(run_job((char *[]){"sh", "-c", script, NULL}, NULL, &err), 7);
    assert_int_equal(count_marker(marker), 0);
}

/* A SIGTERM to the supervisor reaches the job: it dies of it and we report 143. */
static void test_signal_forwarded(void **state)
{
    (void)state;
    struct ls_sigstate sig = {0};
    struct ls_error err = {0};
    assert_int_equal(ls_signals_block(&sig, &err), 0);
    char marker[64];
    make_marker(marker, sizeof(marker));
    char *argv[] = {"sleep", marker, NULL};
    struct ls_job_spec spec = {
        .argv = argv, .envp = environ, .sig = &sig, .no_pidns = no_pidns, .kill_after_ms = 600000};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, &err), 0);
    assert_int_equal(ls_job_start(&job, &err), 0);
    for (int i = 0; i < 6000 && count_marker(marker) == 0; i++) /* up to a minute: slow is fine */
        usleep(10000);
    kill(getpid(), SIGTERM); /* blocked: handled by ls_job_wait */
    assert_int_equal(ls_job_wait(&job, &err), 143);
    ls_signals_restore(&sig);
    assert_int_equal(count_marker(marker), 0);
}

/* Run argv with a grace period and a timeout; returns the exit code, *timed_out. */
static int run_graceful(char *const *argv, long long kill_after_ms, long long timeout_ms,
                        bool send_term, bool *timed_out)
{
    struct ls_sigstate sig = {0};
    struct ls_error err = {0};
    assert_int_equal(ls_signals_block(&sig, &err), 0);
    struct ls_job_spec spec = {.argv = argv,
                               .envp = environ,
                               .sig = &sig,
                               .no_pidns = no_pidns,
                               .kill_after_ms = kill_after_ms,
                               .timeout_ms = timeout_ms};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, &err), 0);
    assert_int_equal(ls_job_start(&job, &err), 0);
    if (send_term) {
        usleep(200000);
        kill(getpid(), SIGTERM);
    }
    int code = ls_job_wait(&job, &err);
    close(job.marker_fd);
    ls_signals_restore(&sig);
    *timed_out = job.timed_out;
    return code;
}

/* What the job leaves running gets SIGTERM first (a handler runs), then SIGKILL after the
 * grace period (one that ignores SIGTERM is gone too); the job's own code is returned. */
static void test_leftovers_graceful(void **state)
{
    (void)state;
    char marker[64], flag[128], script[512];
    make_marker(marker, sizeof(marker));
    snprintf(flag, sizeof(flag), "/tmp/llcslice-graceful-%d", (int)getpid());
    unlink(flag);
    snprintf(script, sizeof(script),
             "sh -c 'trap \"touch %s; exit 0\" TERM; while :; do sleep 0.05; done' & "
             "sh -c \"trap '' TERM; exec sleep %s\" & sleep 0.3; exit 5",
             flag, marker);
    char *argv[] = {"sh", "-c", script, NULL};
    bool timed_out;
    assert_int_equal(run_graceful(argv, 500, 0, false, &timed_out), 5);
    assert_false(timed_out);
    assert_int_equal(access(flag, F_OK), 0); /* the handler ran: SIGTERM came first */
    assert_int_equal(count_marker(marker), 0);
    unlink(flag);
}

/* A forwarded SIGTERM the job ignores, and a timeout: SIGKILL after the grace period. */
static void test_escalation(void **state)
{
    (void)state;
    char marker[64], script[256];
    make_marker(marker, sizeof(marker));
    snprintf(script, sizeof(script), "trap '' TERM; exec sleep %s", marker);
    char *argv[] = {"sh", "-c", script, NULL};
    bool timed_out;
    assert_int_equal(run_graceful(argv, 300, 0, true, &timed_out), 137);
    assert_false(timed_out);
    assert_int_equal(count_marker(marker), 0);
    assert_int_equal(run_graceful(argv, 300, 300, false, &timed_out), 137);
    assert_true(timed_out);
    assert_int_equal(count_marker(marker), 0);
    char *polite[] = {"sleep", marker, NULL}; /* dies of the timeout's SIGTERM */
    assert_int_equal(run_graceful(polite, 60000, 300, false, &timed_out), 143);
    assert_true(timed_out);
}

/* Lock fds are close-on-exec: neither the shim nor the job may keep a lock alive. The check
 * runs once the job is running (its sleep exists), however long a loaded machine takes. */
static void test_lock_fds_not_inherited(void **state)
{
    (void)state;
    char path[] = "/tmp/llcslice-test-lock-XXXXXX";
    int fd = mkostemp(path, O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    struct ls_sigstate sig = {0};
    struct ls_error err = {0};
    assert_int_equal(ls_signals_block(&sig, &err), 0);
    char marker[64];
    make_marker(marker, sizeof(marker));
    char *argv[] = {"sleep", marker, NULL};
    /* a grace period, so the forwarded SIGTERM (not the SIGKILL after it) ends the job */
    struct ls_job_spec spec = {
        .argv = argv, .envp = environ, .sig = &sig, .no_pidns = no_pidns, .kill_after_ms = 60000};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, &err), 0);
    assert_int_equal(ls_job_start(&job, &err), 0);
    close(fd); /* our copy gone: the lock must be free while the job still runs */
    for (int i = 0; i < 30000 && count_marker(marker) == 0; i++) /* 5 min bound */
        usleep(10000);
    assert_int_equal(count_marker(marker), 1);
    int fd2 = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd2 >= 0);
    assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), 0);
    close(fd2);
    kill(getpid(), SIGTERM); /* blocked: ls_job_wait forwards it and the job ends */
    assert_int_equal(ls_job_wait(&job, &err), 143);
    ls_signals_restore(&sig);
    unlink(path);
}

/* Spawn argv with the shim writing "0" to enter_fd (the v1 "tasks" file it moves itself in
 * through) before it waits for go. The job's exit code, or -1 with *code set when the shim
 * reported the write refused (the job never starts). */
static int run_entering(char *const *argv, int enter_fd, int *code, struct ls_error *err)
{
    struct ls_sigstate sig = {0};
    assert_int_equal(ls_signals_block(&sig, err), 0);
    struct ls_job_spec spec = {.argv = argv,
                               .envp = environ,
                               .sig = &sig,
                               .no_pidns = no_pidns,
                               .enter_fds = {enter_fd},
                               .nenter = 1};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, err), 0);
    close(enter_fd);
    size_t which = 9;
    int rc;
    if (ls_job_entered(&job, code, &which) < 0) {
        assert_int_equal(which, 0);
        ls_job_abort(&job);
        rc = -1;
    } else {
        assert_int_equal(ls_job_start(&job, err), 0);
        rc = ls_job_wait(&job, err);
    }
    ls_signals_restore(&sig);
    return rc;
}

static void test_self_enter(void **state)
{
    (void)state;
    struct ls_error err = {0};
    /* A write the kernel refuses: reported before go, with its errno; the job never runs. */
    char *never[] = {"sh", "-c", "exit 3", NULL};
    int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
    assert_true(full >= 0);
    int code = 0;
    assert_int_equal(run_entering(never, full, &code, &err), -1);
    assert_int_equal(code, ENOSPC);

    /* The shim dies before it reports (stuck writing to a full pipe, then killed): told as
     * such, not as a refused write of the first file. */
    int fill[2];
    assert_int_equal(pipe2(fill, O_CLOEXEC | O_NONBLOCK), 0);
    static char junk[4096];
    while (write(fill[1], junk, sizeof(junk)) > 0)
        ;
    assert_int_equal(fcntl(fill[1], F_SETFL, 0), 0); /* the shim's write blocks */
    struct ls_sigstate sig = {0};
    assert_int_equal(ls_signals_block(&sig, &err), 0);
    struct ls_job_spec spec = {.argv = never,
                               .envp = environ,
                               .sig = &sig,
                               .no_pidns = no_pidns,
                               .enter_fds = {fill[1]},
                               .nenter = 1};
    struct ls_job job;
    assert_int_equal(ls_job_spawn(&job, &spec, -1, &err), 0);
    close(fill[1]);
    spec.nenter = 0; /* as launch() does once the shim has its copies */
    kill(job.shim, SIGKILL);
    size_t which = 0;
    assert_int_equal(ls_job_entered(&job, &code, &which), -1);
    assert_int_equal(which, SIZE_MAX);
    assert_int_equal(code, ECHILD);
    ls_job_abort(&job);
    ls_signals_restore(&sig);
    close(fill[0]);

    /* A real v1 cpuset group: the job starts inside it. */
    const char *root = "/sys/fs/cgroup/cpuset";
    char dir[256], file[300], text[256];
    snprintf(dir, sizeof(dir), "%s/llcslice-test-enter-%d", root, (int)getpid());
    if (geteuid() != 0 || access("/sys/fs/cgroup/cpuset/tasks", W_OK) != 0 || mkdir(dir, 0755)) {
        printf("no writable v1 cpuset hierarchy here: the VM suite covers cgroup v2\n");
        return;
    }
    for (int i = 0; i < 2; i++) { /* cpus, then mems, from the parent */
        const char *name = i ? "cpuset.mems" : "cpuset.cpus";
        snprintf(file, sizeof(file), "%s/%s", root, name);
        FILE *f = fopen(file, "r");
        assert_non_null(f);
        assert_non_null(fgets(text, sizeof(text), f));
        fclose(f);
        snprintf(file, sizeof(file), "%s/%s", dir, name);
        f = fopen(file, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
    }
    snprintf(file, sizeof(file), "%s/tasks", dir);
    int tasks = open(file, O_WRONLY | O_CLOEXEC);
    assert_true(tasks >= 0);
    char check[320];
    snprintf(check, sizeof(check), "grep -q ':cpuset:/llcslice-test-enter-%d$' /proc/self/cgroup",
             (int)getpid());
    char *inside[] = {"sh", "-c", check, NULL};
    int rc = run_entering(inside, tasks, &code, &err);
    rmdir(dir);
    assert_int_equal(rc, 0);
}

/* ls_fds_close_except in a child: which of fds[] (a close-on-exec one, a plain one, a kept
 * one, one far up the table) are still open after it, as a bitmask written to the pipe. */
static unsigned fds_left_after_close(bool cloexec_only)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int plain = open("/dev/null", O_RDONLY);
        int kept = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int high = dup3(cloexec, 700, O_CLOEXEC); /* grows the table past its first size */
        int high_plain = dup2(plain, 701);
        const int keep[] = {kept, p[1]};
        ls_fds_close_except(keep, 2, cloexec_only);
        const int fds[] = {cloexec, plain, kept, high, high_plain};
        unsigned left = 0;
        for (unsigned i = 0; i < 5; i++)
            if (fds[i] >= 0 && fcntl(fds[i], F_GETFD) >= 0)
                left |= 1u << i;
        _exit(write(p[1], &left, sizeof(left)) == sizeof(left) ? 0 : 1);
    }
    close(p[1]);
    unsigned left = ~0u;
    assert_int_equal(read(p[0], &left, sizeof(left)), (ssize_t)sizeof(left));
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return left;
}

/* /proc/self/status fields: the first line's, one line only, the table size past a high fd,
 * and none for a key that is not at the start of a line. */
static void test_status_field(void **state)
{
    (void)state;
    char buf[4096];
    const char *name = ls_proc_self_status_field("Name:", buf, sizeof(buf));
    assert_non_null(name);
    assert_non_null(strstr(name, "test_process"));
    assert_null(strchr(name, '\n'));
    int high = dup2(0, 500);
    assert_int_equal(high, 500);
    const char *size = ls_proc_self_status_field("FDSize:", buf, sizeof(buf));
    assert_non_null(size);
    assert_true(strtol(size, NULL, 10) > 500);
    close(high);
    assert_null(ls_proc_self_status_field("Size:", buf, sizeof(buf))); /* only in "FDSize:" */
    assert_null(ls_proc_self_status_field("NoSuchField:", buf, sizeof(buf)));
}

static void test_fds_close_except(void **state)
{
    (void)state;
    /* The shim: every close-on-exec fd but the kept ones; plain fds go to the job. */
    assert_int_equal(fds_left_after_close(true), (1u << 1) | (1u << 2) | (1u << 4));
    /* The keeper: everything but the kept ones. */
    assert_int_equal(fds_left_after_close(false), 1u << 2);
}

/* SIGKILL the supervisor: the job and its children are gone (the time is printed, not
 * asserted: a loaded machine is slow; only a job that never dies fails, after 5 min). */
static void test_supervisor_killed(void **state)
{
    (void)state;
    char marker[64], script[256];
    make_marker(marker, sizeof(marker));
    snprintf(script, sizeof(script), "sleep %s & setsid sleep %s & sleep %s", marker, marker,
             marker);
    pid_t sup = fork();
    assert_true(sup >= 0);
    if (sup == 0) {
        struct ls_sigstate sig = {0};
        struct ls_error err = {0};
        if (ls_signals_block(&sig, &err) < 0)
            _exit(1);
        char *argv[] = {"sh", "-c", script, NULL};
        struct ls_job_spec spec = {
            .argv = argv, .envp = environ, .sig = &sig, .no_pidns = no_pidns};
        struct ls_job job;
        if (ls_job_spawn(&job, &spec, -1, &err) < 0 || ls_job_start(&job, &err) < 0)
            _exit(1);
        ls_job_wait(&job, &err);
        _exit(0);
    }
    for (int i = 0; i < 30000 && count_marker(marker) < 3; i++)
        usleep(10000);
    int started = count_marker(marker);
    double t0 = now();
    kill(sup, SIGKILL);
    waitpid(sup, NULL, 0);
    while (count_marker(marker) > 0 && now() - t0 < 300)
        usleep(10000);
    double took = now() - t0;
    print_message("job gone %.3f s after the supervisor's SIGKILL\n", took);
    assert_int_equal(started, 3);
    assert_int_equal(count_marker(marker), 0);
}

static void test_command_lookup(void **state)
{
    (void)state;
    char path[4096];
    struct ls_error err = {0};
    assert_int_equal(ls_command_lookup("sh", path, sizeof(path), &err), 0);
    assert_true(path[0] == '/');
    assert_int_equal(ls_command_lookup("/bin/sh", path, sizeof(path), &err), 0);
    assert_string_equal(path, "/bin/sh");
    assert_int_equal(ls_command_lookup("llcslice-no-such-command", path, sizeof(path), &err), 127);
    assert_non_null(strstr(err.msg, "command not found: llcslice-no-such-command"));
    assert_int_equal(ls_command_lookup("", path, sizeof(path), &err), 127);
    assert_int_equal(ls_command_lookup("/nonexistent/x", path, sizeof(path), &err), 127);
    assert_int_equal(ls_command_lookup("/tmp", path, sizeof(path), &err), 126);
    assert_non_null(strstr(err.msg, "is a directory"));
}

/* A cgroup v2 mount we may create groups in, or NULL (then the test is skipped). */
static const char *cgroup2_mount(char *buf, size_t size)
{
    FILE *f = fopen("/proc/self/mounts", "re");
    if (!f)
        return NULL;
    char dev[256], dir[4096], type[64];
    const char *found = NULL;
    while (!found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
        if (!strcmp(type, "cgroup2") && access(dir, W_OK) == 0 && strlen(dir) < size)
            found = strcpy(buf, dir);
    fclose(f);
    return found;
}

/* Spawned with a cgroup v2 directory, the shim (so the job) starts in that group; with a
 * directory that is not a cgroup, it starts where we are and says so. */
static void test_spawn_into_cgroup(void **state)
{
    (void)state;
    char mnt[4096], group[4200], out[] = "/tmp/llcslice-cgtest-XXXXXX";
    if (!cgroup2_mount(mnt, sizeof(mnt)))
        skip();
    snprintf(group, sizeof(group), "%s/llcslice-unit-%d", mnt, (int)getpid());
    if (mkdir(group, 0755) < 0)
        skip();
    int ofd = mkstemp(out);
    assert_true(ofd >= 0);
    close(ofd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "grep '^0::' /proc/self/cgroup > %s", out);
    char *const argv[] = {"sh", "-c", cmd, NULL};
    for (int into = 1; into >= 0; into--) {
        int dfd = open(into ? group : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        struct ls_error err = {0};
        struct ls_sigstate sig = {0};
        assert_int_equal(ls_signals_block(&sig, &err), 0);
        struct ls_job_spec spec = {
            .argv = argv, .envp = environ, .sig = &sig, .no_pidns = no_pidns};
        struct ls_job job;
        assert_int_equal(ls_job_spawn(&job, &spec, dfd, &err), 0);
        close(dfd);
        assert_int_equal(job.in_cgroup, into);
        assert_int_equal(ls_job_start(&job, &err), 0);
        assert_int_equal(ls_job_wait(&job, &err), 0);
        ls_signals_restore(&sig);
        char line[4300] = "";
        FILE *f = fopen(out, "re");
        assert_non_null(f);
        if (!fgets(line, sizeof(line), f))
            line[0] = '\0';
        fclose(f);
        bool in_group = strstr(line, group + strlen(mnt)) != NULL;
        if (in_group != (bool)into)
            fail_msg("job's cgroup line '%s', group %s, spawned into it: %d", line, group, into);
    }
    unlink(out);
    /* The group empties once the shim is reaped; a loaded kernel may lag: bounded retry. */
    for (int i = 0; i < 6000 && rmdir(group) < 0 && errno == EBUSY; i++)
        usleep(10000);
    if (access(group, F_OK) == 0)
        fail_msg("cannot remove %s", group);
}

static int use_fallback(void **state)
{
    (void)state;
    no_pidns = true;
    return 0;
}

#define BOTH(fn) cmocka_unit_test(fn), cmocka_unit_test_setup(fn, use_fallback)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_lookup),
        cmocka_unit_test(test_status_field),
        cmocka_unit_test(test_fds_close_except),
        BOTH(test_exit_codes),
        BOTH(test_seccomp_in_job),
        BOTH(test_environment),
        BOTH(test_leftovers_killed),
        BOTH(test_signal_forwarded),
        BOTH(test_lock_fds_not_inherited),
        BOTH(test_self_enter),
        BOTH(test_supervisor_killed),
        BOTH(test_leftovers_graceful),
        BOTH(test_escalation),
        BOTH(test_spawn_into_cgroup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

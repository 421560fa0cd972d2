#include "process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/procstat.h"
#include "planner/sort.h"
#include "planner/clock.h"

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* What the shim and the job tell the supervisor through the report pipe. */
/* REPORT_ENTERED: value 0, or the errno of the enter file `which` (REPORT_ENTER_WHICH). */
enum report_kind { REPORT_EXEC = 1, REPORT_SECCOMP, REPORT_SETUP, REPORT_STATUS, REPORT_ENTERED };
#define REPORT_ENTER_VALUE(which, errno_)                                                          \
    ((int)(((unsigned)(which) << 16) | ((unsigned)(errno_)&0xffff)))
#define REPORT_ENTER_WHICH(value) ((size_t)((unsigned)(value) >> 16))
#define REPORT_ENTER_ERRNO(value) ((int)((unsigned)(value)&0xffff))
struct report {
    int32_t kind;
    int32_t value; /* errno, or the job's wait status */
};

static void forwarded_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(set, forwarded[i]);
    sigaddset(set, SIGCHLD);
}

int ls_signals_block(struct ls_sigstate *st, struct ls_error *err)
{
    sigset_t set;
    forwarded_set(&set);
    if (sigprocmask(SIG_BLOCK, &set, &st->mask) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "blocking signals: %s", strerror(errno));
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, &st->sigchld) < 0) {
        sigprocmask(SIG_SETMASK, &st->mask, NULL);
        return ls_fail(err, LS_ERR_SYSTEM, errno, "resetting SIGCHLD: %s", strerror(errno));
    }
    st->blocked = true;
    return 0;
}

void ls_signals_restore(struct ls_sigstate *st)
{
    if (!st->blocked)
        return;
    sigaction(SIGCHLD, &st->sigchld, NULL);
    sigprocmask(SIG_SETMASK, &st->mask, NULL);
    st->blocked = false;
}

/* ---- the shim and the job (after fork: single-threaded, only plain syscalls matter) ---- */

static void report(int fd, enum report_kind kind, int value)
{
    struct report r = {.kind = kind, .value = value};
    ssize_t n;
    do
        n = write(fd, &r, sizeof(r));
    while (n < 0 && errno == EINTR);
}

int ls_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int ls_exit_code_of_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return LS_EXIT_SYSTEM;
}

static bool fd_kept(int fd, const int *keep, size_t nkeep)
{
    for (size_t i = 0; i < nkeep; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

static void close_unless_kept(int fd, const int *keep, size_t nkeep, bool cloexec_only)
{
    if (fd <= 2 || fd_kept(fd, keep, nkeep))
        return;
    if (cloexec_only) {
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || !(flags & FD_CLOEXEC))
            return;
    }
    close(fd);
}

/* close_range(2) over the gaps between the kept descriptors: 0, or -1 when the kernel has
 * no close_range (before 5.9) or no memory for the sorted copy. */
static int close_gaps(const int *keep, size_t nkeep)
{
    _cleanup_free_ int *sorted = malloc((nkeep ? nkeep : 1) * sizeof(*sorted));
    if (!sorted)
        return -1;
    memcpy(sorted, keep, nkeep * sizeof(*sorted));
    ls_sort_ints(sorted, nkeep);
    unsigned lo = 3;
    for (size_t i = 0; i < nkeep; i++) {
        if (sorted[i] < (int)lo) /* below 3, or a duplicate */
            continue;
        if ((unsigned)sorted[i] > lo && close_range(lo, (unsigned)sorted[i] - 1, 0) < 0)
            return -1;
        lo = (unsigned)sorted[i] + 1;
    }
    return close_range(lo, ~0u, 0) < 0 ? -1 : 0;
}

/* The size of this process's descriptor table (FDSize in /proc/self/status): no descriptor is
 * open at or above it. -1 when it cannot be read. Not a walk of /proc/self/fd, which makes
 * the kernel build (and at exit drop) an entry for every descriptor. */
static long fd_table_size(void)
{
    char buf[4096];
    const char *p = ls_proc_self_status_field("FDSize:", buf, sizeof(buf));
    long v = p ? strtol(p, NULL, 10) : -1;
    return v > 0 ? v : -1;
}

/* Close what /proc/self/fd lists: for a table too large to walk fd by fd. -1 without /proc. */
static int close_listed(const int *keep, size_t nkeep, bool cloexec_only)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int dfd = dirfd(dir);
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        int fd = atoi(de->d_name);
        if (fd != dfd)
            close_unless_kept(fd, keep, nkeep, cloexec_only);
    }
    closedir(dir);
    return 0;
}

void ls_fds_close_except(const int *keep, size_t nkeep, bool cloexec_only)
{
    if (!cloexec_only && close_gaps(keep, nkeep) == 0)
        return;
    long max = fd_table_size();
    if ((max < 0 || max > 4096) && close_listed(keep, nkeep, cloexec_only) == 0)
        return;
    if (max < 0) {
        max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
    }
    for (int fd = 3; fd < max; fd++)
        close_unless_kept(fd, keep, nkeep, cloexec_only);
}

struct pid_pair {
    pid_t pid, ppid;
};

/* Every process whose parent chain leads to `root`, from one pass over /proc. */
static size_t list_descendants(pid_t root, pid_t **out)
{
    *out = NULL;
    DIR *dir = opendir("/proc");
    if (!dir)
        return 0;
    struct pid_pair *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        int pid = atoi(de->d_name);
        char dir[32];
        snprintf(dir, sizeof(dir), "/proc/%d", pid);
        struct ls_proc_stat st;
        if (ls_proc_stat_read(dir, &st) != 1)
            continue;
        int ppid = st.ppid;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct pid_pair *grown = realloc(all, cap * sizeof(*all));
            if (!grown)
                break;
            all = grown;
        }
        all[n++] = (struct pid_pair){.pid = pid, .ppid = ppid};
    }
    closedir(dir);
    pid_t *found = malloc((n ? n : 1) * sizeof(*found));
    size_t nfound = 0;
    if (found) {
        /* breadth-first, found[] doubling as the queue; bounded by n in case pid reuse
         * between reads made the parent links inconsistent */
        for (size_t i = 0; i < n && nfound < n; i++)
            if (all[i].ppid == root)
                found[nfound++] = all[i].pid;
        for (size_t head = 0; head < nfound; head++)
            for (size_t i = 0; i < n && nfound < n; i++)
                if (all[i].ppid == found[head] && all[i].pid != root)
                    found[nfound++] = all[i].pid;
    }
    free(all);
    *out = found;
    return nfound;
}

static void reap_all(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* Signals between supervisor and shim: the supervisor died (PR_SET_PDEATHSIG), and the
 * supervisor's "grace is over, kill everything now". */
#define SIG_PARENT_GONE SIGRTMAX
#define SIG_KILL_NOW LS_SIG_KILL_NOW

/* Send sig to everything of the job but the shim: as a namespace's init, kill(-1) reaches
 * every other process of the namespace; as a subreaper, every descendant. */
static void signal_rest(bool pidns, int sig)
{
    if (pidns) {
        kill(-1, sig);
        return;
    }
    pid_t *pids;
    size_t n = list_descendants(getpid(), &pids);
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    free(pids);
}

/* Whether anything of the job is left, reaping what ended. Orphans come back to us (init or
 * subreaper), so no child means no descendant. */
static bool anything_left(void)
{
    reap_all();
    return waitpid(-1, NULL, WNOHANG) == 0;
}

/* SIGKILL everything below us until nothing is left; repeated passes catch late forks. */
static void kill_rest(bool pidns)
{
    for (int round = 0; round < 100000; round++) {
        if (!anything_left())
            return;
        signal_rest(pidns, SIGKILL);
        ls_sleep_ms(1);
    }
}

/* End what is left of the job: SIGTERM and SIGCONT (a stopped process cannot act on the
 * TERM), then SIGKILL once grace_ms passed or the supervisor says so (SIG_KILL_NOW). */
static void end_rest(bool pidns, int sfd, long long grace_ms)
{
    if (!anything_left())
        return;
    signal_rest(pidns, SIGTERM);
    signal_rest(pidns, SIGCONT);
    long long deadline = ls_mono_ms() + (grace_ms > 0 ? grace_ms : 0);
    while (anything_left()) {
        long long left = deadline - ls_mono_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = sfd, .events = POLLIN};
        if (poll(&pfd, 1, left > 100 ? 100 : (int)left) > 0) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
                (int)si.ssi_signo == SIG_KILL_NOW)
                break;
        }
    }
    kill_rest(pidns);
}

__attribute__((noreturn)) static void job_exec(const struct ls_job_spec *spec, int report_wr)
{
    sigaction(SIGCHLD, &spec->sig->sigchld, NULL);
    sigprocmask(SIG_SETMASK, &spec->sig->mask, NULL);
    int rc = ls_seccomp_apply(spec->seccomp);
    if (rc < 0) {
        report(report_wr, REPORT_SECCOMP, -rc);
        _exit(LS_EXIT_SYSTEM);
    }
    environ = (char **)spec->envp;
    execvp(spec->argv[0], spec->argv);
    int e = errno;
    report(report_wr, REPORT_EXEC, e);
    _exit(e == ENOENT ? LS_EXIT_NOTFOUND : LS_EXIT_NOEXEC);
}

/* In a pid namespace the host's /proc names other processes: getpid() is 2 but /proc/2 is
 * not the job. Give the job a /proc of its namespace, in a mount namespace of its own whose
 * mounts do not propagate back to the host. Best effort: without it the job still runs. */
static void mount_own_proc(void)
{
    if (unshare(CLONE_NEWNS) < 0)
        return;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return;
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

struct shim_args {
    const struct ls_job_spec *spec;
    bool pidns;
    pid_t supervisor;
    int go_rd, report_wr, marker_wr;
};

/* The shim's watch over the job: forward signals to it, end everything when the supervisor
 * dies (exits), kill the rest on SIG_KILL_NOW (*grace becomes 0); the job's wait status. */
static int forward_until_exit(const struct shim_args *a, pid_t job, int sfd, long long *grace)
{
    int status = 0;
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof(si));
        if (n != (ssize_t)sizeof(si)) {
            if (n < 0 && errno == EINTR)
                continue;
            kill_rest(a->pidns); /* cannot watch the job any more: do not leave it running */
            waitpid(job, &status, 0);
            break;
        }
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            pid_t p;
            bool done = false;
            int st;
            while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                if (p == job) {
                    status = st;
                    done = true;
                }
            if (done)
                break;
        } else if (sig == SIG_PARENT_GONE) {
            if (getppid() != a->supervisor) {
                end_rest(a->pidns, sfd, *grace); /* the job itself too */
                _exit(128 + SIGTERM);
            }
        } else if (sig == SIG_KILL_NOW) {
            *grace = 0; /* the supervisor's grace for the job is over */
            kill_rest(a->pidns);
        } else if (si.ssi_code == SI_KERNEL && getpgid(job) == getpgrp()) {
            /* The terminal signalled the whole foreground group: the job has it already. */
        } else {
            kill(job, sig);
        }
    }
    return status;
}

__attribute__((noreturn)) static void shim_main(const struct shim_args *a)
{
    /* End the job (gracefully) when the supervisor dies. */
    prctl(PR_SET_PDEATHSIG, SIG_PARENT_GONE);
    if (!a->pidns)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* The shim never execs, so it drops what exec would: every close-on-exec fd (lockfiles,
     * cgroup and sysfs files) except its pipe ends. The job must not keep a lock alive. */
    const struct ls_job_spec *spec = a->spec;
    const int keep[] = {a->go_rd, a->report_wr, a->marker_wr,
                        spec->nenter > 0 ? spec->enter_fds[0] : -1,
                        spec->nenter > 1 ? spec->enter_fds[1] : -1};
    ls_fds_close_except(keep, sizeof(keep) / sizeof(keep[0]), true);
    fcntl(a->marker_wr, F_SETFD, 0); /* every job process inherits the marker */

    sigset_t set;
    forwarded_set(&set);
    sigaddset(&set, SIG_PARENT_GONE);
    sigaddset(&set, SIG_KILL_NOW);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        report(a->report_wr, REPORT_SETUP, errno);
        _exit(LS_EXIT_SYSTEM);
    }
    /* Into the v1 groups by ourselves, and say so; else the supervisor moves us. */
    for (size_t i = 0; i < spec->nenter; i++) {
        ssize_t w;
        do
            w = write(spec->enter_fds[i], "0", 1);
        while (w < 0 && errno == EINTR);
        if (w != 1) {
            int e = w < 0 ? errno : EIO;
            report(a->report_wr, REPORT_ENTERED, REPORT_ENTER_VALUE(i, e));
            _exit(LS_EXIT_SYSTEM);
        }
        close(spec->enter_fds[i]);
    }
    if (spec->nenter)
        report(a->report_wr, REPORT_ENTERED, 0);
    /* Then the supervisor says go. EOF: it gave up or died (also covers a death before
     * PR_SET_PDEATHSIG took effect). */
    char go;
    ssize_t n;
    do
        n = read(a->go_rd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(LS_EXIT_SYSTEM);
    close(a->go_rd);
    if (a->pidns)
        mount_own_proc();

    pid_t job = fork();
    if (job < 0) {
        report(a->report_wr, REPORT_SETUP, errno);
        _exit(LS_EXIT_SYSTEM);
    }
    if (job == 0) {
        close(sfd);
        job_exec(a->spec, a->report_wr);
    }

    close(a->marker_wr); /* the job has it; ours would keep the pipe open after the job */

    long long grace = a->spec->kill_after_ms;
    int status = forward_until_exit(a, job, sfd, &grace);
    /* What the job left running: SIGTERM, then SIGKILL after the grace period. */
    end_rest(a->pidns, sfd, grace);
    report(a->report_wr, REPORT_STATUS, status);
    _exit(ls_exit_code_of_status(status));
}

/* fork() into a new pid namespace: the raw syscall with no new stack behaves like fork (as
 * systemd's raw_clone); glibc's clone() wrapper would need a separate stack. The child only
 * uses what fork() leaves consistent in a single-threaded process. */
static pid_t fork_into_new_pidns(void)
{
#if defined(__s390__) || defined(__CRIS__)
    return (pid_t)syscall(SYS_clone, 0, CLONE_NEWPID | SIGCHLD);
#else
    return (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
#endif
}

/* fork() straight into the cgroup v2 directory cgroup_fd (clone3 CLONE_INTO_CGROUP, Linux
 * 5.7; what systemd and crun do): no cgroup.procs write afterwards (whether an older kernel
 * also applied the group's cpuset is the caller's check). -1 with errno when refused. */
static pid_t fork_into_cgroup(int cgroup_fd, bool new_pidns)
{
#ifdef SYS_clone3
    struct clone_args args = {
        .flags = CLONE_INTO_CGROUP | (new_pidns ? CLONE_NEWPID : 0),
        .exit_signal = SIGCHLD,
        .cgroup = (uint64_t)cgroup_fd,
    };
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
#else
    (void)cgroup_fd, (void)new_pidns;
    errno = ENOSYS;
    return -1;
#endif
}

/* ---- the supervisor's side ---- */

int ls_job_spawn(struct ls_job *job, const struct ls_job_spec *spec, int cgroup_fd,
                 struct ls_error *err)
{
    *job = (struct ls_job)LS_JOB_INIT;
    job->spec = spec;
    if (!spec->sig || !spec->sig->blocked)
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "internal: signals must be blocked first");
    int go[2], rep[2], mark[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "pipe: %s", strerror(errno));
    if (pipe2(rep, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        return ls_fail(err, LS_ERR_SYSTEM, e, "pipe: %s", strerror(e));
    }
    if (pipe2(mark, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        close(rep[0]);
        close(rep[1]);
        return ls_fail(err, LS_ERR_SYSTEM, e, "pipe: %s", strerror(e));
    }
    struct shim_args args = {.spec = spec,
                             .supervisor = getpid(),
                             .go_rd = go[0],
                             .report_wr = rep[1],
                             .marker_wr = mark[1]};

    pid_t pid = -1;
    /* Each way in order until one works: into the group and a pid namespace, into the group;
     * then without the group (the caller moves the shim): a pid namespace, neither. No
     * privilege for a pid namespace (or not wanted) gives a subreaper shim instead. */
    for (int way = cgroup_fd >= 0 ? 0 : 2; way < 4 && pid < 0; way++) {
        args.pidns = !(way & 1);
        if (args.pidns && spec->no_pidns)
            continue;
        if (way < 2)
            pid = fork_into_cgroup(cgroup_fd, args.pidns);
        else
            pid = args.pidns ? fork_into_new_pidns() : fork();
        if (pid == 0)
            shim_main(&args);
        job->in_cgroup = pid > 0 && way < 2;
    }
    int fork_errno = errno;
    close(go[0]);
    close(rep[1]);
    close(mark[1]);
    if (pid < 0) {
        close(go[1]);
        close(rep[0]);
        close(mark[0]);
        return ls_fail(err, LS_ERR_SYSTEM, fork_errno, "cannot fork the job: %s",
                       strerror(fork_errno));
    }
    job->shim = pid;
    job->pidns = args.pidns;
    job->go_fd = go[1];
    job->report_fd = rep[0];
    job->marker_fd = mark[0];
    return 0;
}

int ls_job_entered(struct ls_job *job, int *code, size_t *which)
{
    struct report r;
    ssize_t n;
    do
        n = read(job->report_fd, &r, sizeof(r));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(r) && r.kind == REPORT_ENTERED && r.value == 0)
        return 0;
    bool got = n == (ssize_t)sizeof(r);
    bool told = got && r.kind == REPORT_ENTERED;
    /* Anything else: the shim failed before it got to the files (REPORT_SETUP), or died. */
    *code = told                                           ? REPORT_ENTER_ERRNO(r.value)
            : got && r.kind == REPORT_SETUP && r.value > 0 ? r.value
            : n < 0                                        ? errno
                                                           : ECHILD;
    *which = told ? REPORT_ENTER_WHICH(r.value) : SIZE_MAX;
    return -1;
}

int ls_job_start(struct ls_job *job, struct ls_error *err)
{
    ssize_t n;
    do
        n = write(job->go_fd, "g", 1);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(job->go_fd);
    job->go_fd = -1;
    if (n != 1)
        return ls_fail(err, LS_ERR_SYSTEM, e, "starting the job: %s",
                       n < 0 ? strerror(e) : "short write");
    return 0;
}

static int decide(const struct ls_job *job, int shim_status, struct ls_error *err)
{
    int fl = fcntl(job->report_fd, F_GETFL);
    if (fl >= 0)
        fcntl(job->report_fd, F_SETFL, fl | O_NONBLOCK);
    struct report r;
    bool have_status = false;
    int status = 0;
    while (read(job->report_fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
        const char *cmd = job->spec->argv[0];
        switch (r.kind) {
        case REPORT_EXEC:
            if (r.value == ENOENT) {
                ls_fail(err, LS_ERR_SYSTEM, r.value, "command not found: %s", cmd);
                return LS_EXIT_NOTFOUND;
            }
            ls_fail(err, LS_ERR_SYSTEM, r.value, "cannot execute %s: %s", cmd, strerror(r.value));
            return LS_EXIT_NOEXEC;
        case REPORT_SECCOMP:
            ls_fail(err, LS_ERR_SYSTEM, r.value, "cannot install the seccomp filter: %s",
                    strerror(r.value));
            return LS_EXIT_SYSTEM;
        case REPORT_SETUP:
            ls_fail(err, LS_ERR_SYSTEM, r.value, "cannot start the job: %s", strerror(r.value));
            return LS_EXIT_SYSTEM;
        case REPORT_ENTERED: /* the caller did not wait for it (ls_job_entered) */
            break;
        case REPORT_STATUS:
            have_status = true;
            status = r.value;
            break;
        }
    }
    return ls_exit_code_of_status(have_status ? status : shim_status);
}

static bool terminating(int sig)
{
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

int ls_job_wait(struct ls_job *job, struct ls_error *err)
{
    sigset_t set;
    forwarded_set(&set);
    int status = 0;
    long long now = ls_mono_ms();
    long long timeout_at = job->spec->timeout_ms > 0 ? now + job->spec->timeout_ms : -1;
    long long kill_at = -1; /* the grace after a terminating signal ends here */
    int kills = 0;
    for (;;) {
        long long next = timeout_at;
        if (kill_at >= 0 && (next < 0 || kill_at < next))
            next = kill_at;
        siginfo_t si;
        int sig;
        if (next < 0) {
            sig = sigwaitinfo(&set, &si);
        } else {
            long long left = next - ls_mono_ms();
            if (left < 0)
                left = 0;
            struct timespec ts = {left / 1000, (long)(left % 1000) * 1000000L};
            sig = sigtimedwait(&set, &si, &ts);
        }
        if (sig < 0 && errno == EAGAIN) {
            now = ls_mono_ms();
            if (timeout_at >= 0 && now >= timeout_at) {
                timeout_at = -1;
                job->timed_out = true;
                kill(job->shim, SIGTERM);
                if (kill_at < 0)
                    kill_at = now + job->spec->kill_after_ms;
            }
            if (kill_at >= 0 && now >= kill_at) {
                /* The shim kills everything of the job; a shim that cannot (stopped by the
                 * job, without a pid namespace) is killed itself a grace later, and the
                 * keeper holds the locks while anything of the job is left. */
                kill(job->shim, SIGCONT);
                kill(job->shim, kills == 0 ? SIG_KILL_NOW : SIGKILL);
                kills++;
                kill_at =
                    kills < 2
                        ? now + (job->spec->kill_after_ms > 1000 ? job->spec->kill_after_ms : 1000)
                        : -1;
            }
            continue;
        }
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            kill(job->shim, SIGKILL);
            waitpid(job->shim, &status, 0);
            job->shim = -1;
            ls_fail(err, LS_ERR_SYSTEM, e, "waiting for the job: %s", strerror(e));
            return LS_EXIT_SYSTEM;
        }
        if (sig == SIGCHLD) {
            if (waitpid(job->shim, &status, WNOHANG) == job->shim)
                break;
            continue;
        }
        /* A terminal's signal reached the job's process group (ours) already. */
        if (si.si_code != SI_KERNEL)
            kill(job->shim, sig);
        if (terminating(sig) && kill_at < 0)
            kill_at = ls_mono_ms() + job->spec->kill_after_ms;
    }
    job->shim = -1;
    int code = decide(job, status, err);
    close(job->report_fd);
    job->report_fd = -1;
    if (job->marker_fd >= 0) { /* nobody took it for a keeper */
        close(job->marker_fd);
        job->marker_fd = -1;
    }
    return code;
}

void ls_job_abort(struct ls_job *job)
{
    if (job->go_fd >= 0) {
        close(job->go_fd); /* the parked shim reads EOF and exits */
        job->go_fd = -1;
    }
    if (job->shim > 0) {
        kill(job->shim, SIGKILL);
        while (waitpid(job->shim, NULL, 0) < 0 && errno == EINTR)
            ;
        job->shim = -1;
    }
    if (job->report_fd >= 0) {
        close(job->report_fd);
        job->report_fd = -1;
    }
    if (job->marker_fd >= 0) {
        close(job->marker_fd);
        job->marker_fd = -1;
    }
}

int ls_command_lookup(const char *name, char *path, size_t size, struct ls_error *err)
{
    if (!name || !*name) {
        ls_fail(err, LS_ERR_SYSTEM, ENOENT, "command not found: '%s'", name ? name : "");
        return LS_EXIT_NOTFOUND;
    }
    struct stat st;
    if (strchr(name, '/')) {
        if (stat(name, &st) < 0) {
            int e = errno;
            ls_fail(err, LS_ERR_SYSTEM, e, "%s: %s", e == ENOENT ? "command not found" : name,
                    e == ENOENT ? name : strerror(e));
            return e == ENOENT || e == ENOTDIR ? LS_EXIT_NOTFOUND : LS_EXIT_NOEXEC;
        }
        if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0) {
            ls_fail(err, LS_ERR_SYSTEM, EACCES, "cannot execute %s: %s", name,
                    S_ISDIR(st.st_mode) ? "is a directory" : strerror(EACCES));
            return LS_EXIT_NOEXEC;
        }
        snprintf(path, size, "%s", name);
        return 0;
    }
    const char *env = getenv("PATH");
    char dflt[256];
    if (!env) {
        if (!confstr(_CS_PATH, dflt, sizeof(dflt)))
            snprintf(dflt, sizeof(dflt), "/bin:/usr/bin");
        env = dflt;
    }
    bool denied = false;
    char denied_path[4096] = "";
    for (const char *p = env;; p++) {
        const char *colon = strchrnul(p, ':');
        int dlen = (int)(colon - p);
        char cand[4096];
        /* an empty PATH entry means the current directory */
        int n = dlen ? snprintf(cand, sizeof(cand), "%.*s/%s", dlen, p, name)
                     : snprintf(cand, sizeof(cand), "%s", name);
        if (n > 0 && (size_t)n < sizeof(cand) && stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                snprintf(path, size, "%s", cand);
                return 0;
            }
            if (!denied)
                snprintf(denied_path, sizeof(denied_path), "%s", cand);
            denied = true;
        }
        if (!*colon)
            break;
        p = colon;
    }
    if (denied) {
        ls_fail(err, LS_ERR_SYSTEM, EACCES, "cannot execute %s: %s", denied_path, strerror(EACCES));
        return LS_EXIT_NOEXEC;
    }
    ls_fail(err, LS_ERR_SYSTEM, ENOENT, "command not found: %s", name);
    return LS_EXIT_NOTFOUND;
}

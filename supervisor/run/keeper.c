/* The lock keeper (keeper.h): holds the reservation's locks until every process of the job
 * is gone, whatever happens to the supervisor. */
#include "keeper.h"
#include "process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/lockfile.h"
#include "planner/clock.h"

#define POLL_MS 20 /* how often an emptying cgroup is looked at (v1 has no notification) */

static void pidfd_signal(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
    syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#else
    (void)pidfd;
    (void)sig;
#endif
}

/* Processes in a v1 group and its children, SIGKILLed when kill is set. A group that is gone
 * (or unreadable) counts as empty: rmdir succeeds only on an empty group. */
static size_t v1_procs(const char *dir, bool kill_them, int depth)
{
    char path[PATH_MAX];
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (f) {
        long pid;
        while (fscanf(f, "%ld", &pid) == 1) {
            n++;
            if (kill_them && pid > 0)
                kill((pid_t)pid, SIGKILL);
        }
        fclose(f);
    }
    if (depth > 16)
        return n;
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_type == DT_DIR && de->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            n += v1_procs(path, kill_them, depth + 1);
        }
    closedir(d);
    return n;
}

static bool cgroup_populated(const struct ls_keeper_spec *s)
{
    if (!s->cgroup_dir)
        return false;
    if (s->cg_version == LS_CG_V2) {
        char path[PATH_MAX], buf[256];
        snprintf(path, sizeof(path), "%s/cgroup.events", s->cgroup_dir);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        ssize_t r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (r <= 0)
            return false;
        buf[r] = '\0';
        return strstr(buf, "populated 1") != NULL;
    }
    return v1_procs(s->cgroup_dir, false, 0) > 0;
}

static void cgroup_kill(const struct ls_keeper_spec *s)
{
    if (!s->cgroup_dir)
        return;
    if (s->cg_version == LS_CG_V2) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/cgroup.kill", s->cgroup_dir);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t w = write(fd, "1", 1);
            (void)w;
            close(fd);
            return;
        }
    }
    v1_procs(s->cgroup_dir, true, 0); /* v1, or v2 before cgroup.kill (5.14) */
}

/* SIGKILL every process with a descriptor on the marker pipe (inode ino): what is left of a
 * job without a cgroup once its shim is gone. Processes we may not look at are skipped. */
static void marker_kill(ino_t ino)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    char want[64];
    snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)ino);
    pid_t self = getpid();
    struct dirent *de;
    while ((de = readdir(proc))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid == self)
            continue;
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
        DIR *fds = opendir(dir);
        if (!fds)
            continue;
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            char link[64];
            ssize_t n = readlinkat(dirfd(fds), fe->d_name, link, sizeof(link) - 1);
            if (n <= 0)
                continue;
            link[n] = '\0';
            if (strcmp(link, want) == 0) {
                kill(pid, SIGKILL);
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
}

/* Keep only the listed descriptors (and 0-2, pointed at /dev/null: a keeper that outlives
 * the supervisor must not hold its terminal or a pipe a caller waits on). */
static void keep_only(const int *keep, size_t nkeep)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        for (int fd = 0; fd <= 2; fd++)
            dup2(null, fd);
        if (null > 2)
            close(null);
    }
    ls_fds_close_except(keep, nkeep, false);
}

/* The keeper on its own: out of the supervisor's session, deaf to stray signals, spared by the
 * OOM killer, holding only the lockfiles and the descriptors it watches. */
static void detach(const struct ls_keeper_spec *s, int pidfd, int alive_rd)
{
    /* Out of the supervisor's session and process group: a terminal's or a CI runner's
     * kill of the group does not reach us; we leave when the job is gone. */
    setsid();
    prctl(PR_SET_PDEATHSIG, 0);
    prctl(PR_SET_NAME, "llcslice-keep");
    /* Stray signals (a terminal's, a group kill's, a job's) must not end the keeper. */
    static const int ignored[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                  SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        signal(ignored[i], SIG_IGN);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        signal(sig, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (geteuid() == 0) { /* the OOM killer must not take the locks' last holder */
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t w = write(fd, "-1000", 5);
            (void)w;
            close(fd);
        }
    }
    size_t nkeep = s->nfds + 3;
    int *keep = malloc(nkeep * sizeof(*keep));
    if (keep) {
        memcpy(keep, s->fds, s->nfds * sizeof(*keep));
        keep[s->nfds] = pidfd;
        keep[s->nfds + 1] = alive_rd;
        keep[s->nfds + 2] = s->marker_fd;
        keep_only(keep, nkeep);
        free(keep);
    }
}

__attribute__((noreturn)) static void keeper_main(const struct ls_keeper_spec *s, int pidfd,
                                                  int alive_rd)
{
    detach(s, pidfd, alive_rd);
    struct stat mst;
    ino_t marker_ino = s->marker_fd >= 0 && fstat(s->marker_fd, &mst) == 0 ? mst.st_ino : 0;
    bool shim_gone = pidfd < 0, marker_eof = s->marker_fd < 0, supervisor_gone = false;
    long long kill_at = -1;
    int kills = 0;
    for (;;) {
        if (shim_gone && marker_eof && !cgroup_populated(s))
            break;
        struct pollfd pfd[3];
        int np = 0, ipid = -1, ialive = -1, imark = -1;
        if (!shim_gone) {
            ipid = np;
            pfd[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        }
        if (!supervisor_gone) {
            ialive = np;
            pfd[np++] = (struct pollfd){.fd = alive_rd, .events = POLLIN};
        }
        if (!marker_eof) {
            imark = np;
            pfd[np++] = (struct pollfd){.fd = s->marker_fd, .events = POLLIN};
        }
        /* Only the cgroup is left to empty, or a deadline is due: look again soon. */
        int timeout = (shim_gone && marker_eof) || kill_at >= 0 ? POLL_MS : -1;
        int r = poll(pfd, (nfds_t)np, timeout);
        if (r < 0 && errno != EINTR)
            break; /* cannot watch any more: keeping the locks forever helps nobody */
        if (ipid >= 0 && pfd[ipid].revents)
            shim_gone = true;
        if (imark >= 0 && pfd[imark].revents) {
            char buf[64];
            if (read(s->marker_fd, buf, sizeof(buf)) <= 0)
                marker_eof = true; /* nobody writes into it: data never comes */
        }
        if (ialive >= 0 && pfd[ialive].revents) {
            supervisor_gone = true; /* done with the job, or killed */
            if (!shim_gone && pidfd >= 0)
                pidfd_signal(pidfd, SIGCONT); /* a stopped shim cannot end the job */
            /* A supervisor that finished removed the cgroup already; one that died left
             * the shim ending the job within the grace: past twice that, kill. */
            long long grace = s->kill_after_ms > 1000 ? s->kill_after_ms : 1000;
            kill_at = ls_mono_ms() + 2 * grace;
        }
        if (kill_at >= 0 && ls_mono_ms() >= kill_at) {
            if (!shim_gone && pidfd >= 0)
                pidfd_signal(pidfd, SIGKILL);
            cgroup_kill(s);
            if (shim_gone && !marker_eof && marker_ino)
                marker_kill(marker_ino); /* the shim could not end them (killed by the job) */
            kill_at = ls_mono_ms() + (kills++ < 100 ? 100 : 1000);
        }
    }
    for (size_t i = 0; i < s->nfds; i++)
        ls_lock_release(s->fds[i]);
    _exit(0);
}

int ls_keeper_start(struct ls_keeper *k, const struct ls_keeper_spec *spec, struct ls_error *err)
{
    *k = (struct ls_keeper)LS_KEEPER_INIT;
    int pidfd = ls_pidfd_open(spec->shim);
    if (pidfd < 0 && errno != ENOSYS)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot watch the job (pidfd_open): %s",
                       strerror(errno));
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0) {
        int e = errno;
        if (pidfd >= 0)
            close(pidfd);
        return ls_fail(err, LS_ERR_SYSTEM, e, "pipe: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(alive[1]);
        keeper_main(spec, pidfd, alive[0]);
    }
    int e = errno;
    close(alive[0]);
    if (pidfd >= 0)
        close(pidfd);
    if (pid < 0) {
        close(alive[1]);
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot fork the lock keeper: %s", strerror(e));
    }
    k->pid = pid;
    k->alive_fd = alive[1];
    return 0;
}

void ls_keeper_finish(struct ls_keeper *k)
{
    if (k->alive_fd >= 0) {
        close(k->alive_fd);
        k->alive_fd = -1;
    }
    if (k->pid > 0) {
        while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        k->pid = -1;
    }
}

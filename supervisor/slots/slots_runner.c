/* The slot runner: one forked supervisor per job run (slots_child.c), and an event loop
 * (signalfd + poll on the runs' report sockets) that starts runs as after:, max_jobs, repeat
 * and room on the host allow (slots_admit.c: about as many as can run now plus a few
 * waiters, so 10,000 pending jobs are not 10,000 supervisors), enforces timeouts (SIGTERM, then
 * SIGKILL of the run's shim after
 * --kill-after), --fail-fast and Ctrl-C (SIGTERM to every run's supervisor, which forwards
 * it to its job, removes the cgroup and releases the locks itself). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "configs/slots_units.h"
#include "planner/cleanup.h"
#include "logfile.h"
#include "supervisor/run/process.h"
#include "planner/clock.h"
#include "slots_admit.h"
#include "slots_child.h"
#include "slots_job.h"
#include "slots_view.h"

#define TABLE_TICK_MS 1000
#define TAIL_TICK_MS 200
/* Runs started though the runner's view had no room for them: they wait in the lock dir's
 * queue, reserving what they wait for (so a large job is not starved by small ones). */
#define SLOTS_QUEUED 4
/* With jobs held back, look at the host again this often even if none of our runs changed
 * (someone else's holder may have left). */
#define RESCAN_MS 1000

struct runner {
    const struct ls_slots *s;
    const struct ls_slots_run_opts *o;
    struct ls_sj *sj;
    size_t n;
    unsigned active; /* runs whose supervisor has not been reaped */
    size_t *live;    /* [active] indices of those runs */
    size_t cursor;   /* jobs before order[cursor] are no longer pending */
    size_t nfinal;   /* jobs in a final state */
    bool dirty;      /* something changed since the last scheduling round */
    bool deferred;   /* that round held back a job that may start */
    struct ls_slots_view view;
    int sfd;
    sigset_t orig_mask;
    bool stopping;   /* no more runs start */
    int stop_signal; /* what stopped us (0: --fail-fast or nothing) */
    unsigned nstops; /* stop signals received */
    bool failed;     /* the runner itself failed to start a run */
};

/* Have the run's shim SIGKILL its job and all it started (LS_SIG_KILL_NOW: a SIGKILL of a
 * subreaper shim itself would orphan them): through the pidfd when there is one, which
 * cannot hit a recycled pid. */
static void kill_shim(struct ls_sj *sj)
{
#ifdef SYS_pidfd_send_signal
    if (sj->proc.shim_fd >= 0 &&
        syscall(SYS_pidfd_send_signal, sj->proc.shim_fd, LS_SIG_KILL_NOW, NULL, 0) == 0)
        return;
#endif
    if (sj->proc.shim_fd < 0 && sj->proc.shim > 0 && sj->proc.pid > 0)
        kill(sj->proc.shim, LS_SIG_KILL_NOW);
}

static void set_note(struct ls_sj *sj, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(struct ls_sj *sj, const char *fmt, ...)
{
    free(sj->note);
    sj->note = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&sj->note, fmt, ap) < 0)
        sj->note = NULL;
    va_end(ap);
}

static void change(struct runner *r, struct ls_sj *sj, enum ls_sj_state st)
{
    if (ls_sj_final(st) && !ls_sj_final(sj->state))
        r->nfinal++;
    sj->state = st;
    ls_slots_view_changed(&r->view, sj, ls_mono_ms());
}

static int open_logs(struct runner *r, struct ls_error *err)
{
    for (size_t i = 0; i < r->n; i++) {
        struct ls_sj *sj = &r->sj[i];
        if (asprintf(&sj->log_path, "%s/%s.log", r->o->log_dir, sj->job->name) < 0) {
            sj->log_path = NULL;
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        }
        /* Truncated now: a log left from an earlier run of the file must not pass for this
         * one's (a job that is skipped keeps an empty log). */
        int fd = ls_log_open(sj->log_path, O_WRONLY | O_CREAT | O_TRUNC, err);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return 0;
}

static void start_run(struct runner *r, size_t i)
{
    struct ls_sj *sj = &r->sj[i];
    sj->run++;
    sj->proc.shim = 0;
    sj->proc.timed_out = sj->proc.stop_sent = false;
    sj->proc.term_ms = 0;
    sj->proc.kills = 0;
    struct ls_error lerr = {0};
    int log_fd = ls_log_open(sj->log_path, O_WRONLY | O_APPEND, &lerr);
    int sv[2] = {-1, -1};
    if (!sj->proc.rbuf && !(sj->proc.rbuf = malloc(LS_SJ_RBUF)))
        errno = ENOMEM;
    if (log_fd < 0 || !sj->proc.rbuf ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = log_fd < 0 ? lerr.code : errno;
        if (log_fd >= 0)
            close(log_fd);
        set_note(sj, "cannot start: %s", log_fd < 0 ? lerr.msg : strerror(e));
        sj->exit_code = LS_EXIT_SYSTEM;
        r->failed = true;
        change(r, sj, LS_SJ_FAILED);
        return;
    }
    struct ls_slots_child c = {
        .o = r->o,
        .job = sj->job,
        .index = (size_t)(sj->job - r->s->jobs),
        .run = sj->run,
        .log_fd = log_fd,
        .sock = sv[1],
        .runner = getpid(),
        .file = r->s->path,
        .mask = r->orig_mask,
    };
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        close(r->sfd);
        ls_slots_child_main(&c);
    }
    int e = errno;
    close(sv[1]);
    close(log_fd);
    if (pid < 0) {
        close(sv[0]);
        set_note(sj, "cannot fork: %s", strerror(e));
        sj->exit_code = LS_EXIT_SYSTEM;
        r->failed = true;
        change(r, sj, LS_SJ_FAILED);
        return;
    }
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    sj->proc.pid = pid;
    sj->proc.sock = sv[0];
    sj->proc.rlen = 0;
    r->live[r->active++] = i;
    change(r, sj, LS_SJ_ACQUIRING);
}

/* A line from a run's supervisor: "W who" (waiting) or "S shim cpus mems" (started). */
static void handle_line(struct runner *r, struct ls_sj *sj, char *line)
{
    if (line[0] == 'W' && line[1] == ' ') {
        /* Whom it waits for may change; the state does not: one line, the note updated. */
        bool again = sj->state == LS_SJ_WAITING;
        set_note(sj, "%s", line + 2);
        if (!again)
            change(r, sj, LS_SJ_WAITING);
        return;
    }
    struct ls_runstats st;
    if (line[0] == 'R' && ls_runstats_decode(&st, line) == 0) { /* a run ended: what it cost */
        sj->stats.wall_ms += st.wall_ms;
        sj->stats.user_ms += st.user_ms;
        sj->stats.sys_ms += st.sys_ms;
        sj->stats.oom_kills += st.oom_kills;
        if (st.peak_bytes > sj->stats.peak_bytes)
            sj->stats.peak_bytes = st.peak_bytes;
        sj->have_stats = true;
        return;
    }
    int shim;
    char cpus[1024], mems[1024];
    if (sscanf(line, "S %d %1023s %1023s", &shim, cpus, mems) != 3)
        return;
    struct ls_error err = {0};
    ls_cpuset_clear(&sj->cpus);
    ls_cpuset_clear(&sj->mems);
    sj->reserved = ls_cpuset_parse_list(&sj->cpus, cpus, strcmp(cpus, "-") ? strlen(cpus) : 0,
                                        "cpus", &err) == 0 &&
                   ls_cpuset_parse_list(&sj->mems, mems, strcmp(mems, "-") ? strlen(mems) : 0,
                                        "mems", &err) == 0;
    sj->proc.shim = shim;
    if (sj->proc.shim_fd >= 0)
        close(sj->proc.shim_fd);
    sj->proc.shim_fd = ls_pidfd_open(shim);
    sj->proc.run_start_ms = ls_mono_ms();
    if (!sj->start_ms) {
        sj->start_ms = sj->proc.run_start_ms;
        sj->start = ls_wall_now();
    }
    free(sj->note);
    sj->note = NULL;
    r->dirty = true; /* a waiter's place is free */
    change(r, sj, LS_SJ_RUNNING);
}

static void read_reports(struct runner *r, struct ls_sj *sj)
{
    while (sj->proc.sock >= 0) {
        size_t room = LS_SJ_RBUF - 1 - sj->proc.rlen;
        ssize_t got = recv(sj->proc.sock, sj->proc.rbuf + sj->proc.rlen, room, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(sj->proc.sock);
                sj->proc.sock = -1;
            }
            return;
        }
        sj->proc.rlen += (size_t)got;
        sj->proc.rbuf[sj->proc.rlen] = '\0';
        char *start = sj->proc.rbuf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            handle_line(r, sj, start);
            start = nl + 1;
        }
        sj->proc.rlen = strlen(start);
        memmove(sj->proc.rbuf, start, sj->proc.rlen + 1);
        if (sj->proc.rlen == LS_SJ_RBUF - 1)
            sj->proc.rlen = 0; /* no line is this long: drop it */
    }
}

/* Stop everything: no new runs, pending jobs skipped, every live run's supervisor asked to
 * stop its job (it releases its own reservation and cgroup). */
static void begin_stop(struct runner *r, const char *why)
{
    r->stopping = true;
    for (size_t i = 0; i < r->n; i++) {
        struct ls_sj *sj = &r->sj[i];
        if (sj->state == LS_SJ_PENDING) {
            set_note(sj, "%s", why);
            change(r, sj, LS_SJ_SKIPPED);
        } else if (ls_sj_active(sj->state) && sj->proc.pid > 0 && !sj->proc.stop_sent) {
            sj->proc.stop_sent = true;
            set_note(sj, "%s", why);
            kill(sj->proc.pid, SIGTERM);
        }
    }
}

static void on_stop_signal(struct runner *r, int sig)
{
    r->nstops++;
    if (r->nstops == 1) {
        r->stop_signal = sig;
        char why[64];
        snprintf(why, sizeof(why), "stopped by %s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        fprintf(r->view.table ? stderr : r->view.out,
                "llcslice: %s: stopping every job (again to kill them)\n", strsignal(sig));
        begin_stop(r, why);
        return;
    }
    /* Again: kill the jobs; their supervisors still clean up and release. */
    for (size_t i = 0; i < r->n; i++) {
        struct ls_sj *sj = &r->sj[i];
        if (!ls_sj_active(sj->state) || sj->proc.pid <= 0)
            continue;
        if (r->nstops == 2)
            kill_shim(sj);
        else
            kill(sj->proc.pid, SIGKILL); /* third time: the supervisors too (locks die with them) */
    }
}

static bool after_state(const struct runner *r, const struct ls_slot_job *j, size_t *bad)
{
    for (size_t k = 0; k < j->nafter; k++) {
        enum ls_sj_state st = r->sj[j->after[k]].state;
        if (st != LS_SJ_DONE) {
            *bad = j->after[k];
            return false;
        }
    }
    return true;
}

/* Start what may start, skip what never will; jobs in run order (after: jobs first). A job
 * starts when it fits the host as the runner sees it (holders, reservations of waiters, our
 * runs still acquiring), or as one of SLOTS_QUEUED waiters; the first that can do neither
 * holds back the rest, so the order stays and a round costs O(jobs started). */
static void schedule(struct runner *r)
{
    if (r->stopping || !r->dirty)
        return;
    r->dirty = r->deferred = false;
    while (r->cursor < r->n && r->sj[r->s->order[r->cursor]].state != LS_SJ_PENDING)
        r->cursor++;
    struct ls_slots_admit adm = {0};
    bool viewed = false;
    unsigned queued = 0;
    size_t blind_cap = ls_cpuset_count(&r->o->host->allowed) + SLOTS_QUEUED;
    for (size_t k = r->cursor; k < r->n; k++) {
        size_t i = r->s->order[k];
        struct ls_sj *sj = &r->sj[i];
        if (sj->state != LS_SJ_PENDING)
            continue;
        size_t bad;
        if (!after_state(r, sj->job, &bad)) {
            enum ls_sj_state st = r->sj[bad].state;
            if (ls_sj_final(st)) {
                set_note(sj, "after: '%s' %s", r->s->jobs[bad].name, ls_sj_state_name(st));
                change(r, sj, LS_SJ_SKIPPED);
            }
            continue;
        }
        if (r->o->max_jobs && r->active >= r->o->max_jobs)
            break; /* a run's end makes the next round */
        if (!viewed) {
            /* Our running runs hold their CPUs until reaped (they release before they
             * exit). Those not running yet: the ones that fit the view are counted as
             * holding it (their locks may not show yet), the others (waiting: their own
             * reservation is in the view) as waiters. */
            viewed = true;
            struct ls_error e = {0};
            ls_slots_admit_begin(&adm, r->o, &e);
            for (int pass = 0; pass < 2; pass++)
                for (size_t a = 0; adm.ok && a < r->active; a++) {
                    struct ls_sj *x = &r->sj[r->live[a]];
                    bool running = x->state == LS_SJ_RUNNING;
                    if (pass == 0 && running && x->reserved)
                        queued += !ls_slots_admit_hold_run(&adm, r->o, x->job, &x->cpus);
                    else if (pass == 1 && !running && !ls_slots_admit_fits(&adm, r->o, x->job))
                        queued++;
                }
        }
        /* No view (the lock table unreadable): as many runs as CPUs, plus the waiters. */
        bool fits = adm.ok ? ls_slots_admit_fits(&adm, r->o, sj->job) : r->active < blind_cap;
        if (!fits && (!adm.ok || queued >= SLOTS_QUEUED)) {
            r->deferred = true;
            break;
        }
        start_run(r, i);
        queued += !fits;
        if (r->stopping)
            break;
    }
    ls_slots_admit_end(&adm);
}

static void run_ended(struct runner *r, struct ls_sj *sj, int status)
{
    read_reports(r, sj);
    if (sj->proc.sock >= 0) {
        close(sj->proc.sock);
        sj->proc.sock = -1;
    }
    free(sj->proc.rbuf);
    sj->proc.rbuf = NULL;
    if (sj->proc.shim_fd >= 0) {
        close(sj->proc.shim_fd);
        sj->proc.shim_fd = -1;
    }
    sj->proc.pid = 0;
    for (size_t k = 0; k < r->active; k++)
        if (r->live[k] == (size_t)(sj - r->sj)) {
            r->live[k] = r->live[--r->active];
            break;
        }
    r->dirty = true;
    sj->exit_code = ls_exit_code_of_status(status);
    uint64_t now = ls_mono_ms();
    ls_slots_view_tail(&r->view, sj, true);
    free(sj->tail.buf); /* a repeat reads its log on from tail.off with a fresh one */
    sj->tail.buf = NULL;
    /* A run stopped at its timeout counts as timed out whatever its exit code. */
    if (sj->exit_code == 0 && !sj->proc.timed_out && sj->run < sj->job->repeat && !r->stopping) {
        start_run(r, (size_t)(sj - r->sj));
        return;
    }
    if (sj->start_ms) {
        sj->end_ms = now;
        sj->end = ls_wall_now();
    }
    if (sj->proc.timed_out) {
        change(r, sj, LS_SJ_TIMEOUT);
    } else if (sj->exit_code == 0) {
        change(r, sj, LS_SJ_DONE);
    } else if (sj->proc.stop_sent) {
        change(r, sj, LS_SJ_STOPPED);
    } else {
        /* Why, in one line: llcslice's own last error in the log (cwd, command, lock...) */
        char why[512];
        bool have = sj->log_path && ls_log_last_error(sj->log_path, why, sizeof(why));
        if (sj->job->repeat > 1)
            set_note(sj, "run %u of %u%s%s", sj->run, sj->job->repeat, have ? ": " : "",
                     have ? why : "");
        else if (have)
            set_note(sj, "%s", why);
        change(r, sj, LS_SJ_FAILED);
    }
    if ((sj->state == LS_SJ_FAILED || sj->state == LS_SJ_TIMEOUT) && r->o->fail_fast &&
        !r->stopping) {
        char why[160];
        snprintf(why, sizeof(why), "--fail-fast: '%s' %s", sj->job->name,
                 ls_sj_state_name(sj->state));
        begin_stop(r, why);
    }
}

static void reap(struct runner *r)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t k = 0; k < r->active; k++)
            if (r->sj[r->live[k]].proc.pid == pid) {
                run_ended(r, &r->sj[r->live[k]], status);
                break;
            }
}

/* Timeouts from exec: SIGTERM (forwarded to the job), SIGKILL of the shim after
 * --kill-after, of the supervisor itself after twice that. Returns ms to the next deadline. */
static long long enforce_timeouts(struct runner *r, uint64_t now)
{
    long long next = -1;
#define SOONER(ms) (next = (next < 0 || (long long)(ms) < next) ? (long long)(ms) : next)
    uint64_t grace = r->o->kill_after_ms;
    for (size_t k = 0; k < r->active; k++) {
        struct ls_sj *sj = &r->sj[r->live[k]];
        if (sj->proc.pid <= 0)
            continue;
        if (sj->state == LS_SJ_RUNNING && sj->job->timeout_ms && !sj->proc.term_ms) {
            uint64_t due = sj->proc.run_start_ms + sj->job->timeout_ms;
            if (now < due) {
                SOONER(due - now);
                continue;
            }
            char limit[64];
            ls_slots_duration_format(sj->job->timeout_ms, limit, sizeof(limit));
            set_note(sj, "ran into its timeout of %s", limit);
            sj->proc.timed_out = true;
            sj->proc.term_ms = now;
            kill(sj->proc.pid, SIGTERM);
        }
        if (!sj->proc.term_ms || sj->proc.kills >= 2)
            continue;
        uint64_t due = sj->proc.term_ms + grace * (sj->proc.kills + 1);
        if (now < due) {
            SOONER(due - now);
            continue;
        }
        if (sj->proc.kills++ == 0)
            kill_shim(sj);
        else
            kill(sj->proc.pid, SIGKILL);
        if (sj->proc.kills < 2)
            SOONER(grace);
    }
#undef SOONER
    return next;
}

static bool all_final(const struct runner *r)
{
    return r->nfinal == r->n && r->active == 0;
}

static int loop(struct runner *r)
{
    _cleanup_free_ struct pollfd *pfd = calloc(r->n + 1, sizeof(*pfd));
    _cleanup_free_ size_t *who = calloc(r->n + 1, sizeof(*who));
    if (!pfd || !who)
        return -1;
    for (;;) {
        schedule(r);
        uint64_t now = ls_mono_ms();
        long long timeout = enforce_timeouts(r, now);
        ls_slots_view_draw(&r->view, r->sj, r->n, now);
        if (all_final(r))
            return 0;
        if (r->view.table && (timeout < 0 || timeout > TABLE_TICK_MS))
            timeout = TABLE_TICK_MS;
        if (r->view.tail && (timeout < 0 || timeout > TAIL_TICK_MS))
            timeout = TAIL_TICK_MS;
        if (r->deferred && (timeout < 0 || timeout > RESCAN_MS))
            timeout = RESCAN_MS;
        size_t np = 0;
        pfd[np++] = (struct pollfd){.fd = r->sfd, .events = POLLIN};
        for (size_t k = 0; k < r->active; k++) {
            size_t i = r->live[k];
            if (r->sj[i].proc.sock >= 0) {
                who[np] = i;
                pfd[np++] = (struct pollfd){.fd = r->sj[i].proc.sock, .events = POLLIN};
            }
        }
        int rc = poll(pfd, np, timeout < 0 ? -1 : (int)timeout);
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc == 0 && r->deferred)
            r->dirty = true;
        for (size_t k = 1; rc > 0 && k < np; k++)
            if (pfd[k].revents)
                read_reports(r, &r->sj[who[k]]);
        if (rc > 0 && (pfd[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                    reap(r);
                else
                    on_stop_signal(r, (int)si.ssi_signo);
            }
        }
        for (size_t i = 0; r->view.tail && i < r->n; i++)
            if (ls_sj_active(r->sj[i].state))
                ls_slots_view_tail(&r->view, &r->sj[i], false);
    }
}

static int final_code(const struct runner *r)
{
    if (r->stop_signal)
        return 128 + r->stop_signal;
    for (size_t i = 0; i < r->n; i++)
        if (r->sj[i].state != LS_SJ_DONE)
            return r->failed ? LS_EXIT_SYSTEM : 1;
    return 0;
}

int ls_slots_run(const struct ls_slots *s, const struct ls_slots_run_opts *o)
{
    struct ls_error err = {0};
    struct runner r = {.s = s, .o = o, .n = s->njobs, .sfd = -1, .dirty = true};
    r.sj = calloc(s->njobs, sizeof(*r.sj));
    r.live = calloc(s->njobs + 1, sizeof(*r.live));
    if (!r.sj || !r.live) {
        free(r.sj);
        free(r.live);
        ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return ls_report(&err);
    }
    for (size_t i = 0; i < r.n; i++) {
        r.sj[i].job = &s->jobs[i];
        r.sj[i].proc.sock = r.sj[i].proc.shim_fd = -1;
        r.sj[i].exit_code = -1;
    }
    FILE *progress = o->json ? stderr : stdout;
    ls_slots_view_init(&r.view, progress, o->tail, r.n);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        struct sigaction sa;
        if (sigaction(stops[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            continue; /* ignored by whoever started us (nohup): keep it so, as run does */
        sigaddset(&set, stops[i]);
    }
    int rc = -1;
    if (open_logs(&r, &err) < 0)
        goto out;
    if (sigprocmask(SIG_BLOCK, &set, &r.orig_mask) < 0 ||
        (r.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "signalfd: %s", strerror(errno));
        goto out;
    }
    fprintf(progress, "llcslice: %s: %zu job%s, logs in %s\n", s->path, r.n, r.n == 1 ? "" : "s",
            o->log_dir);
    fflush(progress);
    rc = loop(&r);
    if (rc < 0) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "the runner's event loop failed: %s", strerror(errno));
        /* Do not leave runs behind: stop them and wait. */
        begin_stop(&r, "runner failed");
        int status;
        while (r.active > 0 && waitpid(-1, &status, 0) > 0)
            r.active--;
    }
out:;
    int code = rc < 0 ? ls_report(&err) : final_code(&r);
    if (rc == 0) {
        ls_slots_view_summary(&r.view, r.sj, r.n, o->log_dir);
        if (o->json)
            ls_slots_view_json(stdout, s, r.sj, r.n, o->log_dir, code);
    }
    for (size_t i = 0; i < r.n; i++) {
        ls_cpuset_free(&r.sj[i].cpus);
        ls_cpuset_free(&r.sj[i].mems);
        free(r.sj[i].log_path);
        free(r.sj[i].note);
        free(r.sj[i].proc.rbuf);
        free(r.sj[i].tail.buf);
    }
    free(r.sj);
    free(r.live);
    if (r.sfd >= 0)
        close(r.sfd);
    sigprocmask(SIG_SETMASK, &r.orig_mask, NULL);
    if (rc == 0 && r.stop_signal) {
        signal(r.stop_signal, SIG_DFL);
        raise(r.stop_signal);
    }
    return code;
}

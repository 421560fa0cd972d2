/* llcslice locks: every lockfile of the prefix in the lock dir and who holds it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/duration.h"
#include "planner/lockfile.h"
#include "cgroup/systemd.h"
#include "planner/waitq.h"
#include "cli.h"
#include "json.h"
#include "lockopts.h"
#include "options.h"

static const char usage[] =
    "Usage: llcslice locks [--json] [--watch DURATION] [--lock-dir DIR] [--lock-prefix P]\n"
    "\n"
    "List every {prefix}-llc-N.lock and {prefix}-cpu-C.lock in the lock dir with the\n"
    "processes holding it (pid, shared/exclusive, command line), from one /proc/locks read.\n"
    "A lockfile /proc/locks shows free is confirmed with a non-blocking flock probe: one\n"
    "held by a process /proc/locks does not name (outside this pid namespace, or read\n"
    "while it changed) is listed with pid 0 (\"?\"); so is the command line of a pid that\n"
    "does not have the lockfile open (reused since it took the lock).\n"
    "Then the wait queue (runs waiting with --wait, oldest first): position, pid, command,\n"
    "what it waits for and what it reserves, since when. A wait file that does not parse,\n"
    "or whose owner is not the user its waiter runs as, is named in a warning.\n"
    "\n"
    "Options:\n"
    "  --json              machine-readable: {\"llcs\": [...], \"cpus\": [...], \"waiters\": "
    "[...]},\n"
    "                      llcs/cpus {index, lockfile, holders: [{pid, mode, cmdline}]},\n"
    "                      waiters {position, pid, cmdline, mode, target_cpus, reserves:\n"
    "                      {llcs_exclusive, llcs_shared, cpus}, since, waiting_s,\n"
    "                      wait_file, malformed}\n"
    "  --watch DURATION    print again every DURATION (500ms, 1s, 2m, ...) until Ctrl-C;\n"
    "                      with --json, one compact JSON document per line\n"
    "  --lock-dir DIR      lock directory (LLCSLICE_LOCK_DIR, default /tmp)\n"
    "  --lock-prefix P     lockfile name prefix (LLCSLICE_LOCK_PREFIX, default llcslice;\n"
    "                      'ktstr' shows ktstr's own lockfiles)\n"
    "  -h, --help          this text\n";

struct lock_row {
    unsigned index;
    char path[PATH_MAX];
    struct ls_holder *holders;
    size_t nholders;
};

struct lock_list {
    struct lock_row *rows;
    size_t n;
};

static void list_free(struct lock_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->rows[i].holders);
    free(l->rows);
    l->rows = NULL;
    l->n = 0;
}

/* Every lockfile of one kind with its holders. Lockfiles that vanish meanwhile are skipped;
 * one that is not a regular file is reported and skipped. */
static int collect(const struct ls_lockdir *ld, const struct ls_locktable *t,
                   enum ls_lock_kind kind, struct lock_list *out, struct ls_error *err)
{
    out->rows = NULL;
    out->n = 0;
    _cleanup_free_ unsigned *idx = NULL;
    size_t n = 0;
    if (ls_lockdir_scan(ld, kind, &idx, &n, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    out->rows = calloc(n, sizeof(*out->rows));
    if (!out->rows)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        unsigned long long inode = 0;
        struct ls_error ierr = {0};
        int r = ls_lock_inode(ld, kind, idx[i], &inode, &ierr);
        if (r < 0)
            ls_warn("%s", ierr.msg);
        if (r <= 0)
            continue;
        struct lock_row *row = &out->rows[out->n];
        row->index = idx[i];
        ls_lock_path(ld, kind, idx[i], row->path, sizeof(row->path));
        if (ls_lock_holders(ld, t, inode, true, &row->holders, &row->nholders, err) < 0)
            return -1;
        enum ls_lock_mode mode;
        if (row->nholders == 0 && ls_lock_probe(ld, kind, idx[i], &mode) == 1) {
            /* Held, but /proc/locks does not say by whom: read while it changed, or the
             * holder is outside our pid namespace. */
            row->holders = calloc(1, sizeof(*row->holders));
            if (!row->holders)
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
            row->holders[0] = (struct ls_holder){.pid = 0, .mode = mode, .cmdline = "?"};
            row->nholders = 1;
        }
        out->n++;
    }
    return 0;
}

static void json_list(struct ls_json *j, const char *key, const struct lock_list *l)
{
    ls_json_arr_begin(j, key);
    for (size_t i = 0; i < l->n; i++) {
        const struct lock_row *row = &l->rows[i];
        ls_json_obj_begin(j, NULL);
        ls_json_uint(j, "index", row->index);
        ls_json_str(j, "lockfile", row->path);
        ls_json_arr_begin(j, "holders");
        for (size_t k = 0; k < row->nholders; k++) {
            ls_json_obj_begin(j, NULL);
            ls_json_int(j, "pid", row->holders[k].pid);
            ls_json_str(j, "mode", ls_lock_mode_name(row->holders[k].mode));
            ls_json_str(j, "cmdline", row->holders[k].cmdline);
            char scope[256];
            ls_scope_of_holder(row->holders[k].pid, scope, sizeof(scope));
            if (*scope) /* systemd manager: the job's scope, named after the job */
                ls_json_str(j, "scope", scope);
            ls_json_obj_end(j);
        }
        ls_json_arr_end(j);
        ls_json_obj_end(j);
    }
    ls_json_arr_end(j);
}

static void table_rows(FILE *out, const char *kind, const struct lock_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct lock_row *row = &l->rows[i];
        char name[32];
        snprintf(name, sizeof(name), "%s %u", kind, row->index);
        if (row->nholders == 0)
            fprintf(out, "%-10s %8s  free\n", name, "-");
        for (size_t k = 0; k < row->nholders; k++) {
            const struct ls_holder *h = &row->holders[k];
            char pid[16] = "?";
            if (h->pid > 0)
                snprintf(pid, sizeof(pid), "%d", (int)h->pid);
            char scope[256] = "";
            if (h->pid > 0)
                ls_scope_of_holder(h->pid, scope, sizeof(scope));
            fprintf(out, "%-10s %8s  %-9s  %s%s%s\n", k ? "" : name, pid,
                    ls_lock_mode_name(h->mode), h->cmdline, *scope ? "  scope " : "", scope);
        }
    }
}

/* Wall-clock time a waiter started, from its ticket (CLOCK_MONOTONIC ns); seconds waited. */
static time_t waiter_since(const struct ls_waiter *w, double *waited_s)
{
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    unsigned long long now =
        (unsigned long long)mono.tv_sec * 1000000000ull + (unsigned long long)mono.tv_nsec;
    unsigned long long ago = now > w->ticket ? now - w->ticket : 0;
    *waited_s = (double)ago / 1e9;
    return real.tv_sec - (time_t)(ago / 1000000000ull);
}

static void wait_file_path(const struct ls_lockdir *ld, const struct ls_waiter *w, char *buf,
                           size_t size)
{
    int r = snprintf(buf, size, "%s/%s-wait-%020llu-%d.lock", ld->dir, ld->prefix, w->ticket,
                     (int)w->pid);
    if (r < 0 || (size_t)r >= size) /* cannot happen: sized for dir + prefix + name */
        snprintf(buf, size, "?");
}

/* The fs uid process pid runs as, or -1 when it cannot be read. */
static long long pid_fsuid(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long long uid = -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned r, e, sv, fs;
        if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &sv, &fs) == 4) {
            uid = fs;
            break;
        }
    }
    fclose(f);
    return uid;
}

/* Wait files that may block others without saying so: named on stderr. */
static void warn_waiters(const struct ls_lockdir *ld, const struct ls_waitq *q)
{
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *w = &q->w[i];
        char path[sizeof(ld->dir) + sizeof(ld->prefix) + 64];
        wait_file_path(ld, w, path, sizeof(path));
        if (w->malformed)
            ls_warn("wait file %s (owner uid %u) is held but does not parse as llcslice wrote "
                    "it; it is not an llcslice waiter: ask its owner, or remove it",
                    path, (unsigned)w->uid);
        long long uid = pid_fsuid(w->pid);
        if (uid >= 0 && (uid_t)uid != w->uid)
            ls_warn("wait file %s is owned by uid %u, but its waiter pid %d runs as uid %lld: "
                    "llcslice did not make it that way (unless that waiter is in another pid "
                    "namespace); ask its owner, or remove it",
                    path, (unsigned)w->uid, (int)w->pid, uid);
    }
}

static void json_waiters(struct ls_json *j, const struct ls_lockdir *ld, const struct ls_waitq *q)
{
    ls_json_arr_begin(j, "waiters");
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *w = &q->w[i];
        char cmd[160], when[32], path[sizeof(ld->dir) + sizeof(ld->prefix) + 64];
        ls_pid_cmdline(w->pid, cmd, sizeof(cmd));
        double waited;
        time_t since = waiter_since(w, &waited);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&since));
        wait_file_path(ld, w, path, sizeof(path));
        ls_json_obj_begin(j, NULL);
        ls_json_uint(j, "position", i + 1);
        ls_json_int(j, "pid", w->pid);
        ls_json_str(j, "cmdline", cmd);
        ls_json_str(j, "mode", w->malformed ? NULL : ls_mode_name(w->mode));
        ls_json_uint(j, "target_cpus", w->target_cpus);
        ls_json_obj_begin(j, "reserves");
        ls_json_cpuset(j, "llcs_exclusive", &w->llc_ex);
        ls_json_cpuset(j, "llcs_shared", &w->llc_sh);
        ls_json_cpuset(j, "cpus", &w->cpus);
        ls_json_obj_end(j);
        ls_json_str(j, "since", when);
        ls_json_double(j, "waiting_s", waited);
        ls_json_str(j, "wait_file", path);
        ls_json_bool(j, "malformed", w->malformed);
        ls_json_obj_end(j);
    }
    ls_json_arr_end(j);
}

static void table_waiters(FILE *out, const struct ls_waitq *q)
{
    if (!q->n)
        return;
    printf("wait queue: %zu waiter(s), oldest first\n", q->n);
    printf("%-4s %8s  %-8s  %-28s  %s\n", "POS", "PID", "SINCE", "WAITS FOR", "COMMAND");
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *w = &q->w[i];
        char cmd[160], when[16], what[256];
        ls_pid_cmdline(w->pid, cmd, sizeof(cmd));
        double waited;
        time_t since = waiter_since(w, &waited);
        strftime(when, sizeof(when), "%H:%M:%S", localtime(&since));
        if (w->malformed) {
            snprintf(what, sizeof(what), "(malformed wait file)");
        } else {
            _cleanup_free_ char *cpus = ls_cpuset_format(&w->cpus);
            _cleanup_free_ char *ex = ls_cpuset_format(&w->llc_ex);
            _cleanup_free_ char *sh = ls_cpuset_format(&w->llc_sh);
            int o = snprintf(what, sizeof(what), "%zu CPU(s) %s", w->target_cpus,
                             ls_mode_name(w->mode));
            if (w->reserves && o > 0 && (size_t)o < sizeof(what))
                snprintf(what + o, sizeof(what) - (size_t)o, ", reserves%s%s%s%s%s%s%s%s",
                         ex && *ex ? " llc " : "", ex && *ex ? ex : "",
                         ex && *ex ? " exclusive" : "", sh && *sh ? " llc " : "",
                         sh && *sh ? sh : "", sh && *sh ? " shared" : "",
                         cpus && *cpus ? " cpu " : "", cpus && *cpus ? cpus : "");
        }
        fprintf(out, "%-4zu %8d  %-8s  %-28s  %s\n", i + 1, (int)w->pid, when, what, cmd);
    }
}

static int show(const struct ls_lockdir *ld, bool json, bool watch, struct ls_error *err)
{
    struct ls_locktable t = {0};
    struct lock_list llcs = {0}, cpus = {0};
    struct ls_waitq q = {0};
    int rc = -1;
    if (ls_locktable_read(&t, NULL, err) < 0)
        goto out;
    if (collect(ld, &t, LS_LOCK_LLC, &llcs, err) < 0 ||
        collect(ld, &t, LS_LOCK_CPU, &cpus, err) < 0 || ls_waitq_read(ld, &t, &q, err) < 0)
        goto out;
    if (!watch)
        warn_waiters(ld, &q);
    if (json) {
        struct ls_json j;
        ls_json_init(&j, stdout, !watch);
        ls_json_obj_begin(&j, NULL);
        json_list(&j, "llcs", &llcs);
        json_list(&j, "cpus", &cpus);
        json_waiters(&j, ld, &q);
        ls_json_obj_end(&j);
        ls_json_finish(&j);
    } else {
        if (watch) {
            char when[32];
            time_t now = time(NULL);
            strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
            if (isatty(STDOUT_FILENO))
                fputs("\033[H\033[2J", stdout);
            printf("%s\n", when);
        }
        printf("lock dir %s, prefix %s: %zu LLC and %zu CPU lockfiles\n", ld->dir, ld->prefix,
               llcs.n, cpus.n);
        if (llcs.n + cpus.n) {
            printf("%-10s %8s  %-9s  %s\n", "LOCK", "PID", "MODE", "COMMAND");
            table_rows(stdout, "llc", &llcs);
            table_rows(stdout, "cpu", &cpus);
        }
        table_waiters(stdout, &q);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ls_fail(err, LS_ERR_SYSTEM, errno, "writing the output failed: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    list_free(&llcs);
    list_free(&cpus);
    ls_waitq_free(&q);
    ls_locktable_free(&t);
    return rc;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* Print every interval until SIGINT/SIGTERM; the check and the sleep are atomic (ppoll
 * unblocks the signals only while sleeping), so a signal is never lost between them. */
static int watch_loop(const struct ls_lockdir *ld, bool json, long long interval_ms,
                      struct ls_error *err)
{
    struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    int rc = 0;
    while (!stop_signal) {
        if (show(ld, json, true, err) < 0) {
            rc = stop_signal ? 0 : -1; /* a write cut short by Ctrl-C is not an error */
            break;
        }
        sigprocmask(SIG_BLOCK, &block, &orig);
        if (!stop_signal) {
            struct timespec ts = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L};
            ppoll(NULL, 0, &ts, &orig);
        }
        sigprocmask(SIG_SETMASK, &orig, NULL);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    stop_signal = 0;
    return rc;
}

int ls_cmd_locks(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},           {"watch", required_argument, NULL, 'w'},
        {"lock-dir", required_argument, NULL, 'd'}, {"lock-prefix", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    bool json = false, watch = false;
    long long interval_ms = 0;
    const char *dir = NULL, *prefix = NULL;
    struct ls_error err = {0};
    int c;
    struct ls_getopt g;
    ls_getopt_init(&g, "locks", argc, argv, "+:h", opts);
    while ((c = ls_getopt_next(&g)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'w':
            if (ls_duration_parse(optarg, "--watch", &interval_ms, &err) < 0)
                return ls_usage_error("locks", "%s", err.msg);
            if (interval_ms <= 0)
                return ls_usage_error("locks", "--watch '%s' must be longer than zero", optarg);
            watch = true;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'p':
            prefix = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    if (optind < argc)
        return ls_usage_error("locks", "unexpected argument '%s'", argv[optind]);

    struct ls_lockdir ld;
    if (ls_lockdir_open_flags(&ld, dir, prefix, LS_LOCKDIR_OBSERVE, &err) < 0)
        return ls_report(&err);
    int r = watch ? watch_loop(&ld, json, interval_ms, &err) : show(&ld, json, false, &err);
    return r < 0 ? ls_report(&err) : 0;
}

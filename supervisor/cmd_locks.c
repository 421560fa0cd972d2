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

#include "../planner/cleanup.h"
#include "../planner/duration.h"
#include "../planner/lockfile.h"
#include "../cgroup/systemd.h"
#include "cli.h"
#include "json.h"
#include "options.h"

static const char usage[] =
    "Usage: llcslice locks [--json] [--watch DURATION] [--lock-dir DIR] [--lock-prefix P]\n"
    "\n"
    "List every {prefix}-llc-N.lock and {prefix}-cpu-C.lock in the lock dir with the\n"
    "processes holding it (pid, shared/exclusive, command line), from one /proc/locks read.\n"
    "\n"
    "Options:\n"
    "  --json              machine-readable: {\"llcs\": [...], \"cpus\": [...]}, each\n"
    "                      {index, lockfile, holders: [{pid, mode, cmdline}]}\n"
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
        if (ls_lock_holders(ld, t, inode, &row->holders, &row->nholders, err) < 0)
            return -1;
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
            char scope[256];
            ls_scope_of_holder(h->pid, scope, sizeof(scope));
            fprintf(out, "%-10s %8d  %-9s  %s%s%s\n", k ? "" : name, (int)h->pid,
                    ls_lock_mode_name(h->mode), h->cmdline, *scope ? "  scope " : "", scope);
        }
    }
}

static int show(const struct ls_lockdir *ld, bool json, bool watch, struct ls_error *err)
{
    struct ls_locktable t = {0};
    struct lock_list llcs = {0}, cpus = {0};
    int rc = -1;
    if (ls_locktable_read(&t, NULL, err) < 0)
        goto out;
    if (collect(ld, &t, LS_LOCK_LLC, &llcs, err) < 0 ||
        collect(ld, &t, LS_LOCK_CPU, &cpus, err) < 0)
        goto out;
    if (json) {
        struct ls_json j;
        ls_json_init(&j, stdout, !watch);
        ls_json_obj_begin(&j, NULL);
        json_list(&j, "llcs", &llcs);
        json_list(&j, "cpus", &cpus);
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
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ls_fail(err, LS_ERR_SYSTEM, errno, "writing the output failed: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    list_free(&llcs);
    list_free(&cpus);
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

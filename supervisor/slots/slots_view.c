/* What the slot runner shows: a live table on a terminal (redrawn in place), else one line
 * per state change; --tail copies of the job logs; the summary table and the JSON summary. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "supervisor/cli/json.h"
#include "slots_view.h"

void ls_slots_view_init(struct ls_slots_view *v, FILE *out, bool tail, size_t njobs)
{
    memset(v, 0, sizeof(*v));
    v->out = out;
    v->tail = tail;
    struct winsize ws;
    /* A table taller than the terminal cannot be redrawn in place: lines then. */
    if (!tail && isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3 &&
        njobs + 3 <= ws.ws_row && ws.ws_col >= 40) {
        v->table = true;
        v->cols = ws.ws_col;
    }
}

static void fmt_elapsed(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = ms / 1000;
    if (s < 60)
        snprintf(buf, size, "%llu.%llus", (unsigned long long)s,
                 (unsigned long long)(ms % 1000) / 100);
    else if (s < 3600)
        snprintf(buf, size, "%llum%02llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else
        snprintf(buf, size, "%lluh%02llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60));
}

/* 1.2G, 340M, 512K: a table cell */
static void fmt_size(uint64_t b, char *buf, size_t size)
{
    static const char unit[] = "BKMGTP";
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(unit) - 1) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, v < 10 && u ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

static uint64_t elapsed_ms(const struct ls_sj *sj, uint64_t now_ms)
{
    if (!sj->start_ms)
        return 0;
    return (sj->end_ms ? sj->end_ms : now_ms) - sj->start_ms;
}

static void clock_text(double wall, char *buf, size_t size)
{
    if (wall <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    time_t t = (time_t)wall;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
}

void ls_slots_view_changed(struct ls_slots_view *v, const struct ls_sj *sj, uint64_t now_ms)
{
    if (v->table)
        return;
    char when[16], el[32];
    clock_text(ls_wall_now(), when, sizeof(when));
    fmt_elapsed(elapsed_ms(sj, now_ms), el, sizeof(el));
    const struct ls_slot_job *j = sj->job;
    char runs[48] = "";
    if (j->repeat > 1 && sj->run)
        snprintf(runs, sizeof(runs), " (run %u/%u)", sj->run, j->repeat);
    FILE *f = v->out;
    fprintf(f, "%s %s: %s%s", when, j->name, ls_sj_state_name(sj->state), runs);
    switch (sj->state) {
    case LS_SJ_WAITING:
        fprintf(f, ": for %s", sj->note ? sj->note : "?");
        break;
    case LS_SJ_RUNNING: {
        _cleanup_free_ char *cpus = ls_cpuset_format(&sj->cpus);
        _cleanup_free_ char *mems = ls_cpuset_format(&sj->mems);
        fprintf(f, " on CPUs %s (memory nodes %s)", cpus ? cpus : "?", mems ? mems : "?");
        break;
    }
    case LS_SJ_DONE:
    case LS_SJ_FAILED:
    case LS_SJ_TIMEOUT:
    case LS_SJ_STOPPED:
        fprintf(f, ", exit %d", sj->exit_code);
        if (sj->start_ms)
            fprintf(f, " after %s", el);
        if (sj->state != LS_SJ_DONE)
            fprintf(f, "%s%s; log %s", sj->note ? ": " : "", sj->note ? sj->note : "",
                    sj->log_path);
        break;
    case LS_SJ_SKIPPED:
        fprintf(f, ": %s", sj->note ? sj->note : "");
        break;
    default:
        break;
    }
    fputc('\n', f);
    fflush(f);
}

/* One table row into buf, cut to the terminal's width so nothing wraps. */
static void table_row(const struct ls_slots_view *v, char *buf, size_t size, int wname,
                      const char *name, const char *state, const char *cpus, const char *el,
                      const char *exit_text, const char *note)
{
    snprintf(buf, size, "%-*s  %-9s  %-16.16s  %7s  %4s  %s", wname, name, state, cpus, el,
             exit_text, note);
    if (v->cols && strlen(buf) >= v->cols)
        buf[v->cols - 1] = '\0';
}

void ls_slots_view_draw(struct ls_slots_view *v, const struct ls_sj *sj, size_t n, uint64_t now_ms)
{
    if (!v->table)
        return;
    int wname = 3;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(sj[i].job->name) > wname)
            wname = (int)strlen(sj[i].job->name);
    if (wname > 40)
        wname = 40;
    FILE *f = v->out;
    /* The terminal may have been resized (SIGWINCH) since the last draw: lines drawn for the
     * old width may have wrapped, so counting them back up is wrong; clear and start over. */
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) {
        if (ws.ws_row < n + 3) { /* too short for the table now: lines from here on */
            v->table = false;
            fputc('\n', f);
            fflush(f);
            return;
        }
        if (ws.ws_col != v->cols && v->drawn) {
            fputs("\033[H\033[2J", f);
            v->drawn = 0;
        }
        v->cols = ws.ws_col;
    }
    size_t size = (size_t)v->cols + 512;
    _cleanup_free_ char *row = malloc(size);
    if (!row)
        return;
    if (v->drawn)
        fprintf(f, "\r\033[%zuA", v->drawn);
    table_row(v, row, size, wname, "JOB", "STATE", "CPUS", "ELAPSED", "EXIT", "");
    fprintf(f, "%s\033[K\n", row);
    unsigned count[LS_SJ_STOPPED + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        char el[32] = "", ex[16] = "", cpus_buf[32] = "";
        count[sj[i].state]++;
        if (sj[i].start_ms)
            fmt_elapsed(elapsed_ms(&sj[i], now_ms), el, sizeof(el));
        if (sj[i].exit_code >= 0 && ls_sj_final(sj[i].state))
            snprintf(ex, sizeof(ex), "%d", sj[i].exit_code);
        _cleanup_free_ char *cpus = sj[i].reserved ? ls_cpuset_format(&sj[i].cpus) : NULL;
        snprintf(cpus_buf, sizeof(cpus_buf), "%s", cpus ? cpus : "");
        const char *note = sj[i].state == LS_SJ_WAITING || sj[i].state == LS_SJ_SKIPPED ||
                                   sj[i].state == LS_SJ_TIMEOUT || sj[i].state == LS_SJ_FAILED
                               ? (sj[i].note ? sj[i].note : "")
                               : "";
        char state[32];
        if (sj[i].job->repeat > 1 && sj[i].run && !ls_sj_final(sj[i].state))
            snprintf(state, sizeof(state), "%s %u/%u", ls_sj_state_name(sj[i].state), sj[i].run,
                     sj[i].job->repeat);
        else
            snprintf(state, sizeof(state), "%s", ls_sj_state_name(sj[i].state));
        table_row(v, row, size, wname, sj[i].job->name, state, cpus_buf, el, ex, note);
        fprintf(f, "%s\033[K\n", row);
    }
    /* The footer names only the states some job is in, and like every line is cut to the
     * width: a wrapped line would make the next redraw start one line too low. */
    const unsigned nfoot[] = {count[LS_SJ_RUNNING], count[LS_SJ_WAITING] + count[LS_SJ_ACQUIRING],
                              count[LS_SJ_PENDING], count[LS_SJ_DONE],
                              count[LS_SJ_FAILED],  count[LS_SJ_TIMEOUT],
                              count[LS_SJ_SKIPPED], count[LS_SJ_STOPPED]};
    static const char *const foot[] = {"running", "waiting",   "pending", "done",
                                       "failed",  "timed out", "skipped", "stopped"};
    size_t used = 0;
    row[0] = '\0';
    for (size_t k = 0; k < sizeof(foot) / sizeof(foot[0]); k++)
        if (nfoot[k] || k == 0)
            used += (size_t)snprintf(row + used, used < size ? size - used : 0, "%s%u %s",
                                     used ? ", " : "", nfoot[k], foot[k]);
    if (v->cols && strlen(row) >= v->cols)
        row[v->cols - 1] = '\0';
    fprintf(f, "%s\033[K\n", row);
    v->drawn = n + 2;
    fflush(f);
}

void ls_slots_view_tail(struct ls_slots_view *v, struct ls_sj *sj, bool final)
{
    if (!v->tail || !sj->log_path)
        return;
    if (!sj->tail.buf && !(sj->tail.buf = malloc(LS_SJ_TAIL_BUF)))
        return;
    _cleanup_close_ int fd = open(sj->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return;
    for (;;) {
        size_t room = LS_SJ_TAIL_BUF - sj->tail.len;
        ssize_t got = pread(fd, sj->tail.buf + sj->tail.len, room, sj->tail.off);
        if (got <= 0)
            break;
        sj->tail.off += got;
        sj->tail.len += (size_t)got;
        char *start = sj->tail.buf, *end = sj->tail.buf + sj->tail.len, *nl;
        while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
            fprintf(v->out, "[%s] %.*s\n", sj->job->name, (int)(nl - start), start);
            start = nl + 1;
        }
        sj->tail.len = (size_t)(end - start);
        memmove(sj->tail.buf, start, sj->tail.len);
        if (sj->tail.len == LS_SJ_TAIL_BUF) { /* a very long line: show it in pieces */
            fprintf(v->out, "[%s] %.*s\n", sj->job->name, (int)sj->tail.len, sj->tail.buf);
            sj->tail.len = 0;
        }
    }
    if (final && sj->tail.len) {
        fprintf(v->out, "[%s] %.*s\n", sj->job->name, (int)sj->tail.len, sj->tail.buf);
        sj->tail.len = 0;
    }
    fflush(v->out);
}

enum {
    S_JOB,
    S_STATE,
    S_EXIT,
    S_CPUS,
    S_MEMS,
    S_START,
    S_END,
    S_ELAPSED,
    S_CPU_TIME,
    S_PEAK,
    S_RUNS,
    S_NODE,
    S_LOG,
    S_N
};

void ls_slots_view_summary(struct ls_slots_view *v, const struct ls_sj *sj, size_t n,
                           const char *log_dir)
{
    static const char *const head[S_N] = {"JOB",   "STATE", "EXIT",    "CPUS",     "MEMS",
                                          "START", "END",   "ELAPSED", "CPU TIME", "PEAK",
                                          "RUNS",  "NODE",  "LOG"};
    FILE *f = v->out;
    bool nodes = false; /* the NODE column only for slots --slurm, where jobs run elsewhere */
    for (size_t i = 0; i < n; i++)
        nodes |= sj[i].node != NULL;
    _cleanup_free_ char **cells = calloc(n * S_N, sizeof(*cells));
    if (!cells)
        return;
    size_t width[S_N];
    for (size_t c = 0; c < S_N; c++)
        width[c] = strlen(head[c]);
    unsigned count[LS_SJ_STOPPED + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct ls_sj *s = &sj[i];
        char buf[S_N][64];
        count[s->state]++;
        snprintf(buf[S_STATE], 64, "%s", ls_sj_state_name(s->state));
        snprintf(buf[S_EXIT], 64, s->exit_code >= 0 ? "%d" : "-", s->exit_code);
        clock_text(s->start, buf[S_START], 64);
        clock_text(s->end, buf[S_END], 64);
        if (s->start_ms)
            fmt_elapsed(elapsed_ms(s, 0), buf[S_ELAPSED], 64);
        else
            snprintf(buf[S_ELAPSED], 64, "-");
        snprintf(buf[S_RUNS], 64, "%u/%u", s->run, s->job->repeat);
        snprintf(buf[S_CPU_TIME], 64, "-");
        snprintf(buf[S_PEAK], 64, "-");
        if (s->have_stats) {
            fmt_elapsed(s->stats.user_ms + s->stats.sys_ms, buf[S_CPU_TIME], 64);
            if (s->stats.peak_bytes)
                fmt_size(s->stats.peak_bytes, buf[S_PEAK], 64);
            if (s->stats.oom_kills > 0) /* the reason a run died should not need the log */
                snprintf(buf[S_PEAK] + strlen(buf[S_PEAK]), 64 - strlen(buf[S_PEAK]), " %ld OOM",
                         s->stats.oom_kills);
        }
        char **row = &cells[i * S_N];
        row[S_JOB] = strdup(s->job->name);
        row[S_CPUS] = s->reserved ? ls_cpuset_format(&s->cpus) : strdup("-");
        row[S_MEMS] = s->reserved ? ls_cpuset_format(&s->mems) : strdup("-");
        row[S_NODE] = strdup(s->node ? s->node : "-");
        row[S_LOG] = strdup(s->log_path ? s->log_path : "-");
        for (size_t c = 0; c < S_N; c++) {
            if (!row[c] && c != S_JOB && c != S_CPUS && c != S_MEMS && c != S_NODE && c != S_LOG)
                row[c] = strdup(buf[c]);
            size_t len = row[c] ? strlen(row[c]) : 1;
            if (len > width[c])
                width[c] = len;
        }
    }
    fputc('\n', f);
    for (size_t c = 0; c < S_N; c++)
        if (c != S_NODE || nodes)
            fprintf(f, "%-*s%s", c + 1 < S_N ? (int)width[c] : 0, head[c],
                    c + 1 < S_N ? "  " : "\n");
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < S_N; c++) {
            if (c == S_NODE && !nodes)
                continue;
            const char *t = cells[i * S_N + c] ? cells[i * S_N + c] : "?";
            fprintf(f, "%-*s%s", c + 1 < S_N ? (int)width[c] : 0, t, c + 1 < S_N ? "  " : "\n");
        }
    for (size_t i = 0; i < n * S_N; i++)
        free(cells[i]);
    /* Why each job that did not succeed did not, one line each. */
    for (size_t i = 0; i < n; i++)
        if (sj[i].state != LS_SJ_DONE && sj[i].note)
            fprintf(f, "%s %s: %s\n", sj[i].job->name, ls_sj_state_name(sj[i].state), sj[i].note);
    fprintf(f, "%zu job%s: %u done, %u failed, %u timed out, %u skipped, %u stopped; logs in %s\n",
            n, n == 1 ? "" : "s", count[LS_SJ_DONE], count[LS_SJ_FAILED], count[LS_SJ_TIMEOUT],
            count[LS_SJ_SKIPPED], count[LS_SJ_STOPPED], log_dir);
    fflush(f);
}

/* RFC 3339 in UTC with milliseconds, or null. */
static void json_time(struct ls_json *j, const char *key, double wall)
{
    if (wall <= 0) {
        ls_json_null(j, key);
        return;
    }
    time_t t = (time_t)wall;
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64], out[80];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, sizeof(out), "%s.%03dZ", buf, (int)((wall - (double)t) * 1000.0 + 0.5) % 1000);
    ls_json_str(j, key, out);
}

void ls_slots_view_json(FILE *out, const struct ls_slots *s, const struct ls_sj *sj, size_t n,
                        const char *log_dir, int exit_code)
{
    struct ls_json j;
    ls_json_init(&j, out, true);
    ls_json_obj_begin(&j, NULL);
    ls_json_str(&j, "file", s->path);
    ls_json_str(&j, "log_dir", log_dir);
    ls_json_int(&j, "exit_code", exit_code);
    ls_json_arr_begin(&j, "jobs");
    for (size_t i = 0; i < n; i++) {
        const struct ls_sj *x = &sj[i];
        ls_json_obj_begin(&j, NULL);
        ls_json_str(&j, "name", x->job->name);
        ls_json_str(&j, "state", ls_sj_state_name(x->state));
        if (x->exit_code >= 0)
            ls_json_int(&j, "exit_code", x->exit_code);
        else
            ls_json_null(&j, "exit_code");
        ls_json_uint(&j, "runs", x->run);
        if (x->reserved) {
            ls_json_cpuset(&j, "cpus", &x->cpus);
            ls_json_cpuset(&j, "mems", &x->mems);
        } else {
            ls_json_null(&j, "cpus");
            ls_json_null(&j, "mems");
        }
        json_time(&j, "start", x->start);
        json_time(&j, "end", x->end);
        if (x->start_ms && x->end_ms)
            ls_json_double(&j, "elapsed_s", (double)(x->end_ms - x->start_ms) / 1000.0);
        else
            ls_json_null(&j, "elapsed_s");
        ls_json_str(&j, "log", x->log_path);
        ls_json_str(&j, "node", x->node); /* slots --slurm; null for a local run */
        ls_json_str(&j, "reason", x->state == LS_SJ_DONE ? NULL : x->note);
        if (x->have_stats) {
            ls_json_double(&j, "cpu_s", (double)(x->stats.user_ms + x->stats.sys_ms) / 1000.0);
            if (x->stats.peak_bytes)
                ls_json_uint(&j, "peak_memory_bytes", x->stats.peak_bytes);
            else
                ls_json_null(&j, "peak_memory_bytes");
            ls_json_int(&j, "oom_kills", x->stats.oom_kills);
        } else {
            ls_json_null(&j, "cpu_s");
            ls_json_null(&j, "peak_memory_bytes");
            ls_json_null(&j, "oom_kills");
        }
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
    fflush(out);
}

/* slots --check: what the file asks for, one row per job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configs/slots_units.h"
#include "planner/cleanup.h"
#include "slots_cmd.h"

char *ls_slots_command_text(const struct ls_slot_job *j)
{
    if (j->shell) {
        const char *t = j->argv[2];
        const char *nl = strchr(t, '\n');
        if (!nl || !nl[1])
            return strndup(t, nl ? (size_t)(nl - t) : strlen(t));
        char *out;
        return asprintf(&out, "%.*s ...", (int)(nl - t), t) < 0 ? NULL : out;
    }
    size_t size = 1;
    for (size_t i = 0; i < j->argc; i++)
        size += 4 * strlen(j->argv[i]) + 3;
    char *out = malloc(size), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < j->argc; i++) {
        const char *a = j->argv[i];
        bool quote = !*a || strpbrk(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!");
        if (i)
            *p++ = ' ';
        if (quote)
            *p++ = '\'';
        for (; *a; a++) {
            if (*a == '\'' && quote) {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a == '\n' ? ' ' : *a;
            }
        }
        if (quote)
            *p++ = '\'';
    }
    *p = '\0';
    return out;
}

static void budget_text(const struct ls_slot_job *j, size_t allowed, char *buf, size_t size)
{
    if (j->has_perf) {
        if (j->perf.nodes > 1)
            snprintf(buf, size, "perf %ux%ux%u,nodes=%u", j->perf.llcs, j->perf.cores,
                     j->perf.threads, j->perf.nodes);
        else
            snprintf(buf, size, "perf %ux%ux%u", j->perf.llcs, j->perf.cores, j->perf.threads);
        return;
    }
    switch (j->budget) {
    case LS_SLOT_BUDGET_CPUS:
        snprintf(buf, size, "%u", j->budget_value);
        break;
    case LS_SLOT_BUDGET_PERCENT:
        snprintf(buf, size, "%u%% (%zu)", j->budget_value, ls_slot_job_cpus(j, allowed));
        break;
    case LS_SLOT_BUDGET_DEFAULT:
        snprintf(buf, size, j->vcpus ? "default (vm)" : "default");
        break;
    }
}

static void after_text(const struct ls_slots *s, const struct ls_slot_job *j, char *buf,
                       size_t size)
{
    size_t off = 0;
    snprintf(buf, size, "-");
    for (size_t k = 0; k < j->nafter && off < size; k++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", k ? "," : "",
                                s->jobs[j->after[k]].name);
}

enum {
    COL_JOB,
    COL_MODE,
    COL_CPUS,
    COL_MEMORY,
    COL_TIMEOUT,
    COL_WAIT,
    COL_REPEAT,
    COL_AFTER,
    COL_COMMAND,
    NCOLS
};

void ls_slots_print_check(const struct ls_slots *s, const struct ls_host *host)
{
    static const char *const head[NCOLS] = {"JOB",  "MODE",   "CPUS",  "MEMORY", "TIMEOUT",
                                            "WAIT", "REPEAT", "AFTER", "COMMAND"};
    size_t allowed = ls_cpuset_count(&host->allowed);
    printf("%s: %zu job%s, valid on this host (%zu allowed CPUs, %zu online, %zu LLCs)\n", s->path,
           s->njobs, s->njobs == 1 ? "" : "s", allowed, ls_cpuset_count(&host->topo.online),
           host->topo.nllcs);
    printf("lock dir: %s  lock prefix: %s  log dir: %s  max jobs: ",
           s->lock_dir ? s->lock_dir : "(default)", s->lock_prefix ? s->lock_prefix : "(default)",
           s->log_dir ? s->log_dir : "(default)");
    if (s->max_jobs)
        printf("%u\n", s->max_jobs);
    else
        printf("no limit\n");

    _cleanup_free_ char **cells = calloc(NCOLS * s->njobs, sizeof(*cells));
    if (!cells) {
        ls_warn("out of memory printing the job table");
        return;
    }
    size_t width[NCOLS];
    for (size_t c = 0; c < NCOLS; c++)
        width[c] = strlen(head[c]);
    for (size_t i = 0; i < s->njobs; i++) {
        const struct ls_slot_job *j = &s->jobs[i];
        char buf[NCOLS][512];
        snprintf(buf[COL_JOB], sizeof(buf[0]), "%s", j->name);
        snprintf(buf[COL_MODE], sizeof(buf[0]), "%s", ls_mode_name(j->mode));
        budget_text(j, allowed, buf[COL_CPUS], sizeof(buf[0]));
        if (j->memory_max)
            ls_slots_size_format(j->memory_max, buf[COL_MEMORY], sizeof(buf[0]));
        else
            snprintf(buf[COL_MEMORY], sizeof(buf[0]), "-");
        if (j->timeout_ms)
            ls_slots_duration_format(j->timeout_ms, buf[COL_TIMEOUT], sizeof(buf[0]));
        else
            snprintf(buf[COL_TIMEOUT], sizeof(buf[0]), "-");
        if (j->wait_ms == LS_SLOTS_WAIT_FOREVER)
            snprintf(buf[COL_WAIT], sizeof(buf[0]), "forever");
        else
            ls_slots_duration_format(j->wait_ms, buf[COL_WAIT], sizeof(buf[0]));
        snprintf(buf[COL_REPEAT], sizeof(buf[0]), "%u", j->repeat);
        after_text(s, j, buf[COL_AFTER], sizeof(buf[0]));
        for (size_t c = 0; c < COL_COMMAND; c++)
            cells[i * NCOLS + c] = strdup(buf[c]);
        cells[i * NCOLS + COL_COMMAND] = ls_slots_command_text(j);
        for (size_t c = 0; c < NCOLS; c++) {
            const char *t = cells[i * NCOLS + c] ? cells[i * NCOLS + c] : "?";
            if (strlen(t) > width[c])
                width[c] = strlen(t);
        }
    }
    for (size_t c = 0; c < NCOLS; c++)
        printf(c + 1 < NCOLS ? "%-*s  " : "%-*s\n", c + 1 < NCOLS ? (int)width[c] : 0, head[c]);
    for (size_t i = 0; i < s->njobs; i++)
        for (size_t c = 0; c < NCOLS; c++) {
            const char *t = cells[i * NCOLS + c] ? cells[i * NCOLS + c] : "?";
            printf(c + 1 < NCOLS ? "%-*s  " : "%-*s\n", c + 1 < NCOLS ? (int)width[c] : 0, t);
        }
    for (size_t i = 0; i < NCOLS * s->njobs; i++)
        free(cells[i]);
}

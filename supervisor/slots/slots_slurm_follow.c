/* slots --slurm, after sbatch: follow the submitted jobs until all have ended and summarise
 * them with the local runner's table and JSON (slots_view.c). Without slurmdbd there is no
 * sacct, so the state comes from `scontrol show job -o`, which knows a finished job for
 * MinJobAge (default 300 s) after it ended: far longer than one poll. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "slots_job.h"
#include "slots_view.h"
#include "slots_slurm.h"

#define POLL_MIN_MS 1000
#define POLL_MAX_MS 10000
#define MAX_FAILURES 10 /* scontrol failing this many polls in a row: ~1.5 min at 10 s */

/* One Slurm job: one run of a slot job. */
struct srun {
    unsigned long id;
    enum ls_sj_state st; /* pending, running, or final */
    int exit_code;       /* -1 none */
    double start, end;   /* unix seconds, 0 none */
    char *node, *log, *why;
    bool listed;     /* in this poll's scontrol output */
    unsigned misses; /* polls in a row without it */
};

/* The value of KEY= in one `scontrol show job -o` line, up to the next space; NULL if absent. */
static char *field(const char *line, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p += klen) {
        if ((p == line || p[-1] == ' ') && p[klen] == '=') {
            const char *v = p + klen + 1;
            return strndup(v, strcspn(v, " \n"));
        }
    }
    return NULL;
}

/* scontrol prints local time, "Unknown"/"None" when there is none. */
static double slurm_time(const char *v)
{
    struct tm tm = {0};
    if (!v || !strptime(v, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? 0 : (double)t;
}

static enum ls_sj_state map_state(const char *st, bool *final)
{
    static const struct {
        const char *name;
        enum ls_sj_state st;
        bool final;
    } map[] = {
        {"PENDING", LS_SJ_PENDING, false},     {"REQUEUED", LS_SJ_PENDING, false},
        {"CONFIGURING", LS_SJ_RUNNING, false}, {"RUNNING", LS_SJ_RUNNING, false},
        {"COMPLETING", LS_SJ_RUNNING, false},  {"SUSPENDED", LS_SJ_RUNNING, false},
        {"COMPLETED", LS_SJ_DONE, true},       {"TIMEOUT", LS_SJ_TIMEOUT, true},
        {"DEADLINE", LS_SJ_TIMEOUT, true},     {"CANCELLED", LS_SJ_STOPPED, true},
        {"PREEMPTED", LS_SJ_STOPPED, true},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(st, map[i].name)) {
            *final = map[i].final;
            return map[i].st;
        }
    *final = true; /* FAILED, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL: the job did not succeed */
    return LS_SJ_FAILED;
}

static void cancel(unsigned long id)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lu", id);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("scancel", "scancel", buf, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
}

void ls_slurm_job_free(struct ls_slurm_job *j)
{
    free(j->reason);
    free(j->node);
    free(j->log);
    memset(j, 0, sizeof(*j));
}

int ls_slurm_job_parse(const char *line, struct ls_slurm_job *j)
{
    memset(j, 0, sizeof(*j));
    j->exit_code = -1;
    if (strncmp(line, "JobId=", 6))
        return -1;
    char *end;
    j->id = strtoul(line + 6, &end, 10);
    _cleanup_free_ char *state = field(line, "JobState");
    if (!j->id || end == line + 6 || !state)
        return -1;
    j->state = map_state(state, &j->final);
    j->reason = field(line, "Reason");
    j->node = field(line, "NodeList");
    if (j->node && !strcmp(j->node, "(null)")) {
        free(j->node);
        j->node = NULL;
    }
    j->log = field(line, "StdOut");
    _cleanup_free_ char *start = field(line, "StartTime");
    _cleanup_free_ char *endt = field(line, "EndTime");
    _cleanup_free_ char *ec = field(line, "ExitCode");
    if (j->state != LS_SJ_PENDING) /* a pending job's StartTime is Slurm's forecast */
        j->start = slurm_time(start);
    if (j->final) {
        j->end = slurm_time(endt);
        unsigned code = 0, sig = 0;
        if (ec && sscanf(ec, "%u:%u", &code, &sig) >= 1)
            j->exit_code = sig ? 128 + (int)sig : (int)code;
    }
    return 0;
}

/* Apply one scontrol line to the run it names, if it is one of ours; true when it changed. */
static bool apply(struct srun *runs, size_t n, const char *line)
{
    struct ls_slurm_job j;
    if (ls_slurm_job_parse(line, &j) < 0)
        return false;
    struct srun *r = NULL;
    for (size_t i = 0; i < n && !r; i++)
        if (runs[i].id == j.id)
            r = &runs[i];
    bool changed = false;
    if (r)
        r->listed = true;
    if (!r || ls_sj_final(r->st)) {
        /* not ours, or already ended */
    } else if (j.state == LS_SJ_PENDING && j.reason &&
               !strcmp(j.reason, "DependencyNeverSatisfied")) {
        cancel(r->id); /* it would wait in the queue for ever */
        r->st = LS_SJ_SKIPPED;
        changed = true;
    } else if (j.state != r->st || j.final) {
        r->st = j.state;
        r->start = j.start;
        r->end = j.end;
        r->exit_code = j.exit_code;
        free(r->node);
        free(r->log);
        r->node = j.node;
        r->log = j.log;
        j.node = j.log = NULL;
        /* the exit code says it already, as a local run's summary leaves it to the code */
        if (j.final && j.state != LS_SJ_DONE && j.reason && strcmp(j.reason, "None") &&
            strcmp(j.reason, "NonZeroExitCode")) {
            r->why = j.reason;
            j.reason = NULL;
        }
        changed = true;
    }
    ls_slurm_job_free(&j);
    return changed;
}

/* One poll: every job Slurm knows, ours picked out. <0 (errno) when scontrol failed. */
static int poll_once(struct srun *runs, size_t n, bool *changed)
{
    FILE *p = popen("scontrol show job -o 2>&1", "r");
    if (!p)
        return -1;
    _cleanup_free_ char *line = NULL;
    _cleanup_free_ char *first = NULL;
    size_t cap = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++)
        runs[i].listed = false;
    while (getline(&line, &cap, p) > 0) {
        if (!first)
            first = strdup(line);
        if (!strncmp(line, "JobId=", 6))
            any = true;
        *changed |= apply(runs, n, line);
    }
    int status = pclose(p);
    /* "No jobs in the system" is an answer; anything else without a job is a failure */
    if (!any && (status != 0 || (first && !strstr(first, "No jobs")))) {
        fprintf(stderr, "llcslice: scontrol show job: %s", first ? first : "no output\n");
        errno = EIO;
        return -1;
    }
    /* Not listed three polls in a row: purged after MinJobAge (a very slow machine, or a
     * suspended llcslice); its end is unknown, so it did not succeed. */
    for (size_t i = 0; i < n; i++) {
        if (ls_sj_final(runs[i].st) || runs[i].listed) {
            runs[i].misses = 0;
        } else if (++runs[i].misses >= 3) {
            runs[i].st = LS_SJ_FAILED;
            runs[i].why = strdup("Slurm no longer lists the job (MinJobAge passed?)");
            *changed = true;
        }
    }
    return 0;
}

static void show(FILE *f, const struct ls_slot_job *j, unsigned run, const struct srun *r)
{
    char when[16];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    fprintf(f, "%s %s", when, j->name);
    if (j->repeat > 1)
        fprintf(f, " (run %u/%u)", run, j->repeat);
    fprintf(f, ": %s (Slurm job %lu)", ls_sj_state_name(r->st), r->id);
    if (r->node)
        fprintf(f, " on %s", r->node);
    if (ls_sj_final(r->st) && r->exit_code >= 0)
        fprintf(f, ", exit %d", r->exit_code);
    if (r->why)
        fprintf(f, ": %s", r->why);
    fputc('\n', f);
    fflush(f);
}

/* A slot job from its runs, as the local runner would have left it: the first run that did
 * not succeed decides the state (later repeats never ran). */
static void summarise(const struct ls_slots *s, size_t i, const struct srun *runs, struct ls_sj *sj,
                      struct ls_sj *all)
{
    const struct ls_slot_job *j = &s->jobs[i];
    sj->job = j;
    sj->exit_code = -1;
    sj->state = LS_SJ_DONE;
    for (unsigned r = 0; r < j->repeat; r++) {
        const struct srun *x = &runs[r];
        if (x->st == LS_SJ_SKIPPED && r > 0)
            break; /* an earlier repeat failed: that one is the job's state */
        if (x->st != LS_SJ_SKIPPED) {
            sj->run = r + 1;
            sj->exit_code = x->exit_code;
            if (!sj->start && x->start)
                sj->start = x->start;
            if (x->end)
                sj->end = x->end;
            free(sj->node);
            sj->node = x->node ? strdup(x->node) : NULL;
            free(sj->log_path);
            sj->log_path = x->log ? strdup(x->log) : NULL;
        }
        if (x->st != LS_SJ_DONE) {
            sj->state = x->st;
            if (x->why && !sj->note)
                sj->note = strdup(x->why);
            break;
        }
    }
    if (sj->state == LS_SJ_SKIPPED) { /* name the after: job that did not succeed, as locally */
        for (size_t a = 0; a < j->nafter; a++) {
            const struct ls_sj *d = &all[j->after[a]];
            if (d->job && d->state != LS_SJ_DONE) {
                free(sj->note);
                if (asprintf(&sj->note, "after: '%s' %s", d->job->name,
                             ls_sj_state_name(d->state)) < 0)
                    sj->note = NULL;
                break;
            }
        }
        if (!sj->note)
            sj->note = strdup("Slurm: DependencyNeverSatisfied");
    }
    if (sj->state == LS_SJ_STOPPED && !sj->note)
        sj->note = strdup("cancelled in Slurm");
    if (sj->start > 0) {
        sj->start_ms = (uint64_t)(sj->start * 1000);
        sj->end_ms = sj->end > 0 ? (uint64_t)(sj->end * 1000) : 0;
    }
}

/* Poll scontrol until every run has ended, showing each change on progress; 0, or
 * LS_EXIT_SYSTEM when scontrol keeps failing (or out of memory). */
static int poll_until_done(const struct ls_slots *s, struct srun *runs, size_t n,
                           const size_t *first, FILE *progress)
{
    unsigned wait_ms = POLL_MIN_MS, failures = 0;
    int code = 0;
    for (;;) {
        _cleanup_free_ enum ls_sj_state *before = calloc(n ? n : 1, sizeof(*before));
        if (!before) {
            fprintf(stderr, "llcslice: out of memory\n");
            code = LS_EXIT_SYSTEM;
            break;
        }
        for (size_t k = 0; k < n; k++)
            before[k] = runs[k].st;
        bool changed = false;
        if (poll_once(runs, n, &changed) < 0) {
            /* a busy slurmctld times out now and then: give up only after a minute or more */
            if (++failures < MAX_FAILURES)
                goto sleep;
            fprintf(stderr,
                    "llcslice: cannot follow the Slurm jobs (scontrol failed %u times in a "
                    "row); they stay in Slurm: squeue shows them\n",
                    failures);
            code = LS_EXIT_SYSTEM;
            break;
        }
        failures = 0;
        bool all = true;
        for (size_t i = 0; i < s->njobs; i++)
            for (unsigned r = 0; r < s->jobs[i].repeat; r++) {
                struct srun *x = &runs[first[i] + r];
                if (x->st != before[first[i] + r])
                    show(progress, &s->jobs[i], r + 1, x);
                all &= ls_sj_final(x->st);
            }
        if (all)
            break;
    sleep:
        /* Slow down while nothing happens, back to fast after a change; never above 10 s. */
        wait_ms = changed ? POLL_MIN_MS : (wait_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait_ms * 2);
        struct timespec ts = {.tv_sec = wait_ms / 1000,
                              .tv_nsec = (long)(wait_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    return code;
}

int ls_slots_slurm_follow(const struct ls_slots *s, const struct ls_slurm_opts *o,
                          const unsigned long *ids, bool json)
{
    size_t n = 0;
    for (size_t i = 0; i < s->njobs; i++)
        n += s->jobs[i].repeat;
    _cleanup_free_ struct srun *runs = calloc(n ? n : 1, sizeof(*runs));
    _cleanup_free_ size_t *first = calloc(s->njobs ? s->njobs : 1, sizeof(*first));
    _cleanup_free_ struct ls_sj *sj = calloc(s->njobs ? s->njobs : 1, sizeof(*sj));
    if (!runs || !first || !sj) {
        fprintf(stderr, "llcslice: out of memory\n");
        return LS_EXIT_SYSTEM;
    }
    for (size_t i = 0, k = 0; i < s->njobs; k += s->jobs[i].repeat, i++)
        first[i] = k;
    for (size_t k = 0; k < n; k++) {
        runs[k].id = ids[k];
        runs[k].exit_code = -1;
    }
    FILE *progress = json ? stderr : stdout;
    fprintf(progress, "llcslice: %s: following %zu Slurm job%s until they end\n", s->path, n,
            n == 1 ? "" : "s");
    fflush(progress);
    int code = poll_until_done(s, runs, n, first, progress);
    if (code == 0) {
        for (size_t k = 0; k < s->njobs; k++) { /* dependency order: after: jobs come first */
            size_t i = s->order[k];
            summarise(s, i, &runs[first[i]], &sj[i], sj);
        }
        for (size_t i = 0; i < s->njobs; i++)
            if (sj[i].state != LS_SJ_DONE)
                code = 1;
        struct ls_slots_view v;
        ls_slots_view_init(&v, progress, false, s->njobs);
        v.table = false;
        const char *logs = o->log_dir ? o->log_dir : "Slurm's output files (see LOG)";
        ls_slots_view_summary(&v, sj, s->njobs, logs);
        if (json)
            ls_slots_view_json(stdout, s, sj, s->njobs, o->log_dir, code);
    }
    for (size_t i = 0; i < s->njobs; i++) {
        free(sj[i].node);
        free(sj[i].log_path);
        free(sj[i].note);
    }
    for (size_t k = 0; k < n; k++) {
        free(runs[k].node);
        free(runs[k].log);
        free(runs[k].why);
    }
    return code;
}

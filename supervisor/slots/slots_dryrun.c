/* slots --dry-run: each job's plan on the idle host, then waves of jobs that fit side by side:
 * jobs in run order join the current wave while their after: jobs are in earlier waves,
 * max_jobs allows, and the planner finds room beside the wave's plans (counted as held). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/ktstr.h"
#include "supervisor/cli/json.h"
#include "supervisor/cli/plan_json.h"
#include "slots_cmd.h"

struct dry {
    const struct ls_slots *s;
    const struct ls_host *host;
    struct ls_plan *plans; /* [njobs] on the idle host */
    unsigned *wave;        /* [njobs] 1-based */
    unsigned nwaves;
};

static void request_for(const struct dry *d, size_t i, struct ls_request *req)
{
    ls_slot_job_request(&d->s->jobs[i], ls_cpuset_count(&d->host->allowed), req);
    req->pid = (unsigned)getpid();
    req->ktstr_slots = ls_ktstr_prefix(d->s->lock_prefix);
}

int ls_slots_plan_idle(const struct ls_slots *s, const struct ls_host *host, size_t i,
                       struct ls_plan *plan, struct ls_error *err)
{
    struct dry d = {.s = s, .host = host};
    struct ls_request req;
    request_for(&d, i, &req);
    struct ls_error e = {0};
    if (ls_plan_compute(&host->topo, &host->allowed, NULL, &req, plan, &e) < 0)
        return ls_fail(err, e.category, e.code, "job '%s' has no plan even on an idle host: %s",
                       s->jobs[i].name, e.msg);
    return 0;
}

static int plan_idle(struct dry *d, struct ls_error *err)
{
    for (size_t i = 0; i < d->s->njobs; i++)
        if (ls_slots_plan_idle(d->s, d->host, i, &d->plans[i], err) < 0)
            return -1;
    return 0;
}

static bool after_done(const struct dry *d, size_t i, unsigned wave)
{
    const struct ls_slot_job *j = &d->s->jobs[i];
    for (size_t k = 0; k < j->nafter; k++) {
        unsigned w = d->wave[j->after[k]];
        if (!w || w >= wave)
            return false;
    }
    return true;
}

static int plan_waves(struct dry *d, struct ls_error *err)
{
    const struct ls_slots *s = d->s;
    size_t placed = 0;
    while (placed < s->njobs) {
        unsigned w = ++d->nwaves, count = 0;
        struct ls_snapshot snap;
        if (ls_snapshot_idle(&d->host->topo, &snap, err) < 0)
            return -1;
        for (size_t k = 0; k < s->njobs && (!s->max_jobs || count < s->max_jobs); k++) {
            size_t i = s->order[k];
            if (d->wave[i] || !after_done(d, i, w))
                continue;
            struct ls_request req;
            request_for(d, i, &req);
            struct ls_plan p;
            struct ls_error e = {0};
            if (ls_plan_compute(&d->host->topo, &d->host->allowed, &snap, &req, &p, &e) < 0)
                continue; /* busy beside this wave: a later one */
            int rc = ls_snapshot_hold(&snap, &p, err);
            ls_plan_free(&p);
            if (rc < 0) {
                ls_snapshot_free(&snap);
                return -1;
            }
            d->wave[i] = w;
            count++;
            placed++;
        }
        ls_snapshot_free(&snap);
        if (!count) /* cannot happen: a wave's first job sees the idle host */
            return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "internal: no job fits wave %u", w);
    }
    return 0;
}

static char *cpus_text(const struct ls_plan *p)
{
    _cleanup_free_ char *cpus = ls_cpuset_format(&p->cpus);
    char *out;
    if (!cpus)
        return NULL;
    if (p->mode == LS_MODE_EXCLUSIVE && p->service_cpu >= 0)
        return asprintf(&out, "%s (service %d)", cpus, p->service_cpu) < 0 ? NULL : out;
    return asprintf(&out, "%s", cpus) < 0 ? NULL : out;
}

static char *llcs_text(const struct ls_plan *p)
{
    size_t size = 16 + 12 * p->nlocked;
    char *out = malloc(size);
    if (!out)
        return NULL;
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->nlocked; i++)
        off += (size_t)snprintf(out + off, size - off, "%s%u", i ? "," : "", p->locked_llcs[i]);
    if (!p->nlocked)
        snprintf(out, size, "-");
    return out;
}

static void print_human(const struct dry *d)
{
    const struct ls_slots *s = d->s;
    size_t wname = 3, wmode = 4, wcpus = 4, wllcs = 4, wmems = 4;
    _cleanup_free_ char **cells = calloc(3 * s->njobs, sizeof(*cells));
    if (!cells) {
        ls_warn("out of memory printing the plans");
        return;
    }
    for (size_t i = 0; i < s->njobs; i++) {
        cells[3 * i] = cpus_text(&d->plans[i]);
        cells[3 * i + 1] = llcs_text(&d->plans[i]);
        cells[3 * i + 2] = ls_cpuset_format(&d->plans[i].mems);
        size_t w[5] = {strlen(s->jobs[i].name), strlen(ls_mode_name(d->plans[i].mode)),
                       cells[3 * i] ? strlen(cells[3 * i]) : 1,
                       cells[3 * i + 1] ? strlen(cells[3 * i + 1]) : 1,
                       cells[3 * i + 2] ? strlen(cells[3 * i + 2]) : 1};
        wname = w[0] > wname ? w[0] : wname;
        wmode = w[1] > wmode ? w[1] : wmode;
        wcpus = w[2] > wcpus ? w[2] : wcpus;
        wllcs = w[3] > wllcs ? w[3] : wllcs;
        wmems = w[4] > wmems ? w[4] : wmems;
    }
    printf("%s: %zu job%s, planned as if this host were idle (%zu allowed CPUs, %zu LLCs); "
           "no lock taken\n",
           s->path, s->njobs, s->njobs == 1 ? "" : "s", ls_cpuset_count(&d->host->allowed),
           d->host->topo.nllcs);
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)wname, "JOB", (int)wmode, "MODE", (int)wcpus,
           "CPUS", (int)wllcs, "LLCS", (int)wmems, "MEMS", "WAVE");
    for (size_t i = 0; i < s->njobs; i++) {
        const char *c[3];
        for (int k = 0; k < 3; k++)
            c[k] = cells[3 * i + k] ? cells[3 * i + k] : "?";
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %u\n", (int)wname, s->jobs[i].name, (int)wmode,
               ls_mode_name(d->plans[i].mode), (int)wcpus, c[0], (int)wllcs, c[1], (int)wmems, c[2],
               d->wave[i]);
    }
    for (size_t i = 0; i < 3 * s->njobs; i++)
        free(cells[i]);
    for (size_t i = 0; i < s->njobs; i++)
        for (size_t k = 0; k < d->plans[i].nwarnings; k++)
            printf("%s: %s\n", s->jobs[i].name, d->plans[i].warnings[k]);
    printf("Side by side (a wave starts once the jobs of earlier waves it is after are done");
    if (s->max_jobs)
        printf("; max_jobs %u", s->max_jobs);
    printf("):\n");
    for (unsigned w = 1; w <= d->nwaves; w++) {
        printf("  wave %u:", w);
        bool first = true;
        for (size_t k = 0; k < s->njobs; k++) {
            size_t i = s->order[k];
            if (d->wave[i] != w)
                continue;
            printf("%s %s", first ? "" : ",", s->jobs[i].name);
            first = false;
        }
        printf("\n");
    }
}

static void print_json(const struct dry *d)
{
    const struct ls_slots *s = d->s;
    struct ls_json j;
    ls_json_init(&j, stdout, true);
    ls_json_obj_begin(&j, NULL);
    ls_json_str(&j, "file", s->path);
    ls_json_cpuset(&j, "allowed_cpus", &d->host->allowed);
    if (s->max_jobs)
        ls_json_uint(&j, "max_jobs", s->max_jobs);
    else
        ls_json_null(&j, "max_jobs");
    ls_json_arr_begin(&j, "jobs");
    for (size_t i = 0; i < s->njobs; i++) {
        ls_json_obj_begin(&j, NULL);
        ls_json_str(&j, "name", s->jobs[i].name);
        ls_json_uint(&j, "wave", d->wave[i]);
        ls_json_obj_begin(&j, "plan");
        ls_plan_json_members(&j, &d->plans[i]);
        ls_json_obj_end(&j);
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_arr_begin(&j, "waves");
    for (unsigned w = 1; w <= d->nwaves; w++) {
        ls_json_arr_begin(&j, NULL);
        for (size_t k = 0; k < s->njobs; k++)
            if (d->wave[s->order[k]] == w)
                ls_json_str(&j, NULL, s->jobs[s->order[k]].name);
        ls_json_arr_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
}

int ls_slots_dry_run(const struct ls_slots *s, const struct ls_host *host, bool json)
{
    struct ls_error err = {0};
    struct dry d = {.s = s, .host = host};
    d.plans = calloc(s->njobs, sizeof(*d.plans));
    d.wave = calloc(s->njobs, sizeof(*d.wave));
    int rc = 0;
    if (!d.plans || !d.wave) {
        ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = plan_idle(&d, &err);
    if (rc == 0)
        rc = plan_waves(&d, &err);
    if (rc == 0) {
        if (json)
            print_json(&d);
        else
            print_human(&d);
    }
    for (size_t i = 0; d.plans && i < s->njobs; i++)
        ls_plan_free(&d.plans[i]);
    free(d.plans);
    free(d.wave);
    if (rc < 0)
        return ls_report(&err);
    if (fflush(stdout) != 0) {
        ls_fail(&err, LS_ERR_SYSTEM, EIO, "cannot write the output");
        return ls_report(&err);
    }
    return 0;
}

/* A slot file's budgets against a host, and the run request each job turns into. */
#include "slots.h"

#include <string.h>

#include "slots_values.h"

size_t ls_slot_job_cpus(const struct ls_slot_job *job, size_t allowed_count)
{
    switch (job->budget) {
    case LS_SLOT_BUDGET_CPUS:
        return job->budget_value;
    case LS_SLOT_BUDGET_PERCENT: {
        size_t n = (allowed_count * job->budget_value + 99) / 100;
        return n ? n : 1;
    }
    case LS_SLOT_BUDGET_DEFAULT:
        break;
    }
    return 0;
}

void ls_slot_job_request(const struct ls_slot_job *job, size_t allowed_count,
                         struct ls_request *req)
{
    memset(req, 0, sizeof(*req));
    req->mode = job->mode;
    req->smt = job->smt;
    req->cpus = ls_slot_job_cpus(job, allowed_count);
    req->cpus_explicit = job->budget != LS_SLOT_BUDGET_DEFAULT;
    req->has_perf = job->has_perf;
    req->perf = job->perf;
    req->vcpus = job->vcpus;
}

int ls_slots_check_budgets(const struct ls_slots *s, size_t allowed_count, size_t host_cpus,
                           size_t host_llcs, struct ls_error *err)
{
    const struct ls_sl c = {.name = s->path, .err = err};
    for (size_t i = 0; i < s->njobs; i++) {
        const struct ls_slot_job *j = &s->jobs[i];
        if (j->has_perf) {
            size_t need = j->vcpus + 1;
            if (need > host_cpus)
                return ls_sl_fail_at(&c, j->perf_pos.line, j->perf_pos.col, "perf",
                                     "job '%s' needs %zu CPUs (%zu vCPUs + 1 service CPU) but "
                                     "the host has %zu",
                                     j->name, need, j->vcpus, host_cpus);
            if (j->perf.llcs > host_llcs)
                return ls_sl_fail_at(&c, j->perf_pos.line, j->perf_pos.col, "perf",
                                     "job '%s' needs %u whole LLCs but the host has %zu", j->name,
                                     j->perf.llcs, host_llcs);
            continue;
        }
        if (j->budget == LS_SLOT_BUDGET_CPUS && j->budget_value > allowed_count)
            return ls_sl_fail_at(&c, j->budget_pos.line, j->budget_pos.col, "cpus",
                                 "job '%s' asks for %u CPUs but only %zu are allowed here", j->name,
                                 j->budget_value, allowed_count);
    }
    return 0;
}

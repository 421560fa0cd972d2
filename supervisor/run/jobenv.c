#include "jobenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/cleanup.h"

static const char *const ours[] = {"LLCSLICE_CPUS", "LLCSLICE_NCPUS", "LLCSLICE_MEMS",
                                   "LLCSLICE_PLAN", "LLCSLICE_VCPUS"};

static bool is_ours(const char *entry)
{
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        size_t n = strlen(ours[i]);
        if (!strncmp(entry, ours[i], n) && entry[n] == '=')
            return true;
    }
    return false;
}

void ls_jobenv_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

static char **fail_oom(char **env, struct ls_error *err)
{
    ls_jobenv_free(env);
    ls_oom(err, "building the job's environment");
    return NULL;
}

char **ls_jobenv_build(char *const *base, const ls_cpuset *cpus, const ls_cpuset *mems,
                       const char *plan_path, size_t vcpus, struct ls_error *err)
{
    size_t nbase = 0;
    while (base && base[nbase])
        nbase++;
    char **env = calloc(nbase + 6, sizeof(*env));
    if (!env)
        return fail_oom(env, err);
    size_t n = 0;
    for (size_t i = 0; i < nbase; i++) {
        if (is_ours(base[i]))
            continue;
        if (!(env[n++] = strdup(base[i])))
            return fail_oom(env, err);
    }
    _cleanup_free_ char *cpu_list = ls_cpuset_format(cpus);
    _cleanup_free_ char *mem_list = ls_cpuset_format(mems);
    char *add[5] = {NULL, NULL, NULL, NULL, NULL};
    if (!cpu_list || !mem_list || asprintf(&add[0], "LLCSLICE_CPUS=%s", cpu_list) < 0)
        add[0] = NULL;
    if (asprintf(&add[1], "LLCSLICE_NCPUS=%zu", ls_cpuset_count(cpus)) < 0)
        add[1] = NULL;
    if (!mem_list || asprintf(&add[2], "LLCSLICE_MEMS=%s", mem_list) < 0)
        add[2] = NULL;
    if (plan_path && asprintf(&add[3], "LLCSLICE_PLAN=%s", plan_path) < 0)
        add[3] = NULL;
    /* The guest's vCPU count; LLCSLICE_NCPUS stays the cpuset size (vCPUs + service CPU). */
    if (vcpus && asprintf(&add[4], "LLCSLICE_VCPUS=%zu", vcpus) < 0)
        add[4] = NULL;
    bool ok = add[0] && add[1] && add[2] && (add[3] || !plan_path) && (add[4] || !vcpus);
    for (size_t i = 0; i < 5; i++)
        if (add[i])
            env[n++] = add[i]; /* owned by env from here, freed with it */
    if (!ok)
        return fail_oom(env, err);
    return env;
}

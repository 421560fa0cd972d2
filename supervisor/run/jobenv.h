/* The job's environment: ours, minus any LLCSLICE_CPUS/NCPUS/MEMS/PLAN/VCPUS inherited from
 * an outer llcslice, plus this reservation's. */
#ifndef LLCSLICE_JOBENV_H
#define LLCSLICE_JOBENV_H

#include <stddef.h>

#include "planner/cpuset.h"
#include "planner/error.h"

/* plan_path NULL: no LLCSLICE_PLAN (not exclusive mode); vcpus 0: no LLCSLICE_VCPUS (no VM
 * topology given). Returns a NULL-terminated array. */
char **ls_jobenv_build(char *const *base, const ls_cpuset *cpus, const ls_cpuset *mems,
                       const char *plan_path, size_t vcpus, struct ls_error *err);
void ls_jobenv_free(char **env);

#endif

/* The job's environment: ours, minus any LLCSLICE_CPUS/NCPUS/MEMS/PLAN inherited from an
 * outer llcslice, plus this reservation's. */
#ifndef LLCSLICE_JOBENV_H
#define LLCSLICE_JOBENV_H

#include "../planner/cpuset.h"
#include "../planner/error.h"

/* plan_path NULL: no LLCSLICE_PLAN (not exclusive mode). Returns a NULL-terminated array. */
char **ls_jobenv_build(char *const *base, const ls_cpuset *cpus, const ls_cpuset *mems,
                       const char *plan_path, struct ls_error *err);
void ls_jobenv_free(char **env);

#endif

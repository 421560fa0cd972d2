/* LLCSLICE_PLAN: in exclusive mode the job gets the pinning plan (vCPU -> host CPU, service
 * CPU) as a JSON file with the keys of `llcslice plan --json`. */
#ifndef LLCSLICE_PLANFILE_H
#define LLCSLICE_PLANFILE_H

#include <stddef.h>

#include "../planner/error.h"
#include "../planner/plan.h"
#include "json.h"

/* The plan as one JSON object: mode, target_cpus, locked_llcs, cpus, mems, warnings, and in
 * exclusive mode assignments [[vcpu, host_cpu], ...] and service_cpu. */
void ls_plan_json(struct ls_json *j, const struct ls_plan *plan);

/* Write it to a fresh file in $TMPDIR (default /tmp), readable by the job; path gets its name. */
int ls_planfile_write(const struct ls_plan *plan, char *path, size_t size, struct ls_error *err);

#endif

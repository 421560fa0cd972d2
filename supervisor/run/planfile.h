/* LLCSLICE_PLAN: in exclusive mode the job gets the pinning plan (vCPU -> host CPU, service
 * CPU) as a JSON file with the keys of `llcslice plan --json` (plan_json.h). */
#ifndef LLCSLICE_PLANFILE_H
#define LLCSLICE_PLANFILE_H

#include <stddef.h>

#include "planner/error.h"
#include "planner/plan.h"

/* Write the plan (plan_json.h's document) to a fresh file in $TMPDIR (default /tmp),
 * readable by the job; path gets its name. */
int ls_planfile_write(const struct ls_plan *plan, char *path, size_t size, struct ls_error *err);

#endif

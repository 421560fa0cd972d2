/* A plan as JSON (the `plan --json` document; `run` writes the same as LLCSLICE_PLAN, and
 * `slots --dry-run --json` embeds it per job). Keys: mode, target_cpus, locked_llcs, cpus,
 * mems, warnings[], and in exclusive mode assignments[] [vcpu, host_cpu] and service_cpu (null
 * when the plan has none, never -1). */
#ifndef LLCSLICE_PLAN_JSON_H
#define LLCSLICE_PLAN_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "planner/plan.h"
#include "json.h"

void ls_plan_write_json(FILE *out, const struct ls_plan *plan, bool pretty);
/* The same keys as members of the object j is inside (for embedding). */
void ls_plan_json_members(struct ls_json *j, const struct ls_plan *plan);

#endif

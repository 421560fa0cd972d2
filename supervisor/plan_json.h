/* A plan as JSON (the `plan --json` document; `run` writes the same as LLCSLICE_PLAN). Keys:
 * mode, target_cpus, locked_llcs, cpus, mems, warnings[], and in exclusive mode
 * assignments[] [vcpu, host_cpu] and service_cpu (null without --perf). */
#ifndef LLCSLICE_PLAN_JSON_H
#define LLCSLICE_PLAN_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "../planner/plan.h"

void ls_plan_write_json(FILE *out, const struct ls_plan *plan, bool pretty);

#endif

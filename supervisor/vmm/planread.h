/* Reading an LLCSLICE_PLAN file back (for `llcslice pin`): the vCPU -> host CPU assignments
 * and the service CPU of an exclusive-mode plan (plan_json.h's keys), parsed with json-c. */
#ifndef LLCSLICE_VMM_PLANREAD_H
#define LLCSLICE_VMM_PLANREAD_H

#include <stddef.h>

#include "planner/error.h"

struct ls_plan_pins {
    unsigned *vcpu_host; /* [nvcpus]: vCPU i's host CPU */
    size_t nvcpus;
    int service_cpu; /* -1 when null */
};

/* Errors: LS_ERR_USAGE when the file is unreadable, not JSON, not an exclusive-mode plan, or
 * its assignments do not cover vCPUs 0..N-1 exactly once. */
int ls_plan_pins_read(const char *path, struct ls_plan_pins *out, struct ls_error *err);
void ls_plan_pins_free(struct ls_plan_pins *p);

#endif

/* The lock protocol's view of a plan: which lockfiles it takes, in which mode and order. Below
 * both the plan (plan.c) and the snapshot (snapshot.c), which count the same steps as held. */
#ifndef LLCSLICE_LOCKSTEPS_H
#define LLCSLICE_LOCKSTEPS_H

#include <stddef.h>

#include "lockfile.h"

struct ls_plan; /* plan.h */

/* Locks a computed plan takes, in acquire order: every LLC ascending, then CPUs ascending. */
struct ls_lock_step {
    enum ls_lock_kind kind;
    unsigned index;
    enum ls_lock_mode mode;
};
/* Fills *steps (caller frees); returns count or -1 on ENOMEM. */
int ls_plan_lock_steps(const struct ls_plan *plan, struct ls_lock_step **steps, size_t *n);

#endif

/* The slot runner's admission: which pending jobs fit beside what is held now. */
#ifndef LLCSLICE_SLOTS_ADMIT_H
#define LLCSLICE_SLOTS_ADMIT_H

#include <stdbool.h>

#include "planner/plan.h"
#include "slots_cmd.h"

/* Admission (slots_admit.c): one view of the host per scheduling round, jobs planned into it
 * in order. Without a view (begin failed) nothing fits: the runner then caps by CPU count. */
struct ls_slots_admit {
    bool ok;
    struct ls_snapshot view; /* holders + every waiter's reservation + jobs admitted so far */
    ls_cpuset running;       /* CPUs of our running runs (not shared mode) */
};
int ls_slots_admit_begin(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         struct ls_error *err);
/* Whether j fits beside what the view holds now; if it does, it is counted as held. */
bool ls_slots_admit_fits(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         const struct ls_slot_job *j);
/* A running run's CPUs count as held until its supervisor is reaped: it releases its locks
 * before it exits (cleanup, exit), and the view must not hand them out while it still lives.
 * false: another running run already has them (this one ended; count it as a waiter). */
bool ls_slots_admit_hold_run(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                             const struct ls_slot_job *j, const ls_cpuset *cpus);
void ls_slots_admit_end(struct ls_slots_admit *a);

#endif

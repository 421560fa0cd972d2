/* Which pending job the slot runner starts: planned against one view of the host (the lock
 * table, the wait queue's reservations and the runner's own runs still acquiring), as
 * --dry-run plans its waves, so the runner keeps about as many supervisors alive as jobs can
 * run now plus a few waiters, not one per pending job. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "planner/acquire.h"
#include "planner/ktstr.h"
#include "slots_admit.h"

int ls_slots_admit_begin(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         struct ls_error *err)
{
    memset(a, 0, sizeof(*a));
    struct ls_acquire_args args = {&o->host->topo, &o->host->allowed, o->ld, NULL, {0}, NULL, NULL,
                                   false};
    struct ls_pass p;
    if (ls_pass_discover(&args, &p, err) < 0)
        return -1;
    /* Every waiter's reservation counts (ticket 0: all are ahead of a job not yet started). */
    a->view = p.snap;
    memset(&p.snap, 0, sizeof(p.snap));
    int rc = ls_waitq_apply(&p.queue, 0, 0, &a->view);
    ls_pass_free(&p);
    if (rc < 0) {
        ls_snapshot_free(&a->view);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory planning the next job");
    }
    a->ok = true;
    return 0;
}

bool ls_slots_admit_fits(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                         const struct ls_slot_job *j)
{
    if (!a->ok)
        return false;
    struct ls_request req;
    ls_slot_job_request(j, ls_cpuset_count(&o->host->allowed), &req);
    req.pid = (unsigned)getpid();
    req.ktstr_slots = ls_ktstr_prefix(o->ld->prefix);
    struct ls_plan plan;
    struct ls_error e = {0};
    if (ls_plan_compute(&o->host->topo, &o->host->allowed, &a->view, &req, &plan, &e) < 0)
        return false;
    int rc = ls_snapshot_hold(&a->view, &plan, &e);
    ls_plan_free(&plan);
    return rc == 0;
}

bool ls_slots_admit_hold_run(struct ls_slots_admit *a, const struct ls_slots_run_opts *o,
                             const struct ls_slot_job *j, const ls_cpuset *cpus)
{
    if (!a->ok)
        return true;
    struct ls_request req;
    ls_slot_job_request(j, ls_cpuset_count(&o->host->allowed), &req);
    if (req.mode == LS_MODE_SHARED) /* shared CPUs are not the run's alone */
        return true;
    /* Another running run holds them now: this one has ended and released them (its exit
     * is not reaped yet). */
    if (ls_cpuset_intersects(&a->running, cpus))
        return false;
    ls_cpuset_or(&a->running, cpus);
    ls_cpuset_or(&a->view.cpu_held, cpus);
    return true;
}

void ls_slots_admit_end(struct ls_slots_admit *a)
{
    ls_cpuset_free(&a->running);
    if (a->ok)
        ls_snapshot_free(&a->view);
    a->ok = false;
}

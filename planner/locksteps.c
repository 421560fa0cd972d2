/* The locks a computed plan takes, in the order every acquirer takes them. */
#include "locksteps.h"

#include <stdlib.h>

#include "plan_types.h"

static int cmp_step(const void *a, const void *b)
{
    const struct ls_lock_step *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind == LS_LOCK_LLC ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int ls_plan_lock_steps(const struct ls_plan *plan, struct ls_lock_step **steps, size_t *n)
{
    size_t ncpu = plan->mode == LS_MODE_DEDICATED ? ls_cpuset_count(&plan->cpus)
                                                  : ls_cpuset_count(&plan->cpu_marks);
    size_t cap = plan->nlocked + ncpu + 2, k = 0;
    struct ls_lock_step *s = malloc(cap * sizeof(*s));
    if (!s)
        return -1;
    enum ls_lock_mode llc_mode =
        plan->mode == LS_MODE_EXCLUSIVE ? LS_LOCK_EXCLUSIVE : LS_LOCK_SHARED;
    for (size_t i = 0; i < plan->nlocked; i++)
        s[k++] = (struct ls_lock_step){LS_LOCK_LLC, plan->locked_llcs[i], llc_mode};
    if (plan->service_llc >= 0)
        s[k++] = (struct ls_lock_step){LS_LOCK_LLC, (unsigned)plan->service_llc, LS_LOCK_SHARED};
    if (plan->mode == LS_MODE_DEDICATED) {
        LS_CPUSET_FOREACH(cpu, &plan->cpus)
        s[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)cpu, LS_LOCK_EXCLUSIVE};
    } else {
        /* Shared mode marks the CPUs it runs on, so every mode sees how busy each CPU is. */
        LS_CPUSET_FOREACH(cpu, &plan->cpu_marks)
        s[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)cpu, LS_LOCK_SHARED};
    }
    if (plan->service_cpu >= 0)
        s[k++] = (struct ls_lock_step){LS_LOCK_CPU, (unsigned)plan->service_cpu, LS_LOCK_EXCLUSIVE};
    qsort(s, k, sizeof(*s), cmp_step);
    *steps = s;
    *n = k;
    return 0;
}

/* The plan value, apart from plan.h's functions (plan.c), so the files below plan.c that fill
 * or read a plan (placement, lock steps) depend on the type only. */
#ifndef LLCSLICE_PLAN_TYPES_H
#define LLCSLICE_PLAN_TYPES_H

#include <stddef.h>

#include "cpuset.h"
#include "request.h"

struct ls_assignment {
    unsigned vcpu, host_cpu;
};

struct ls_plan {
    enum ls_mode mode;
    size_t target_cpus;
    size_t vcpus; /* the job's vCPU count (--perf, or declared): LLCSLICE_VCPUS; 0 = none */
    unsigned *locked_llcs; /* ascending = acquire order */
    size_t nlocked;
    ls_cpuset cpus;
    ls_cpuset mems;
    struct ls_assignment *assignments; /* exclusive mode */
    size_t nassignments;
    struct ls_perf_topo guest; /* exclusive --perf: the guest topology, else all 0 */
    int *guest_host_node;      /* [guest.nodes] host node id of each guest node's LLCs */
    int service_cpu;           /* exclusive mode, else -1 */
    int service_llc;     /* exclusive mode: the service CPU's LLC when it is not one of locked_llcs
                          * (then held LOCK_SH so no exclusive peer takes it), else -1 */
    ls_cpuset cpu_marks; /* shared mode: CPUs marked LOCK_SH (cpus minus others' LOCK_EX ones) */
    ls_cpuset overlap;   /* shared mode: CPUs of cpus other jobs also use (full host) */
    char **warnings;
    size_t nwarnings;
    char **explain; /* which rule chose what, one line each (plan -v) */
    size_t nexplain;
    int *fds; /* held lock fds, released by ls_plan_release */
    size_t nfds;
    /* Files the wait that acquired this plan kept open (other waiters' files, no locks),
     * closed with the plan, after its locks: each close of a file someone holds a flock on
     * waits behind the host's /proc/locks readers, which must not delay the job or a release. */
    int *spare_fds;
    size_t nspare;
};

#endif

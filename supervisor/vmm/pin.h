/* Pinning a running VMM's threads to a plan: each vCPU thread to its host CPU, every other
 * thread (main loop, I/O, RCU, workers) to the service CPU; later threads are caught by
 * rescans. Thread ids from the VMM are in its own pid namespace; /proc/PID/task/TID/status
 * NSpid maps them to ours. The applied pinning goes into the plan file as "applied". */
#ifndef LLCSLICE_VMM_PIN_H
#define LLCSLICE_VMM_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "planner/error.h"
#include "qmp.h"

struct ls_pinned {
    pid_t tid;    /* in our pid namespace */
    long ns_tid;  /* in the VMM's (what it and the job see) */
    unsigned cpu; /* the CPU it is pinned to */
    int vcpu;     /* its vCPU index, -1 for a service thread */
};

struct ls_pin_state {
    pid_t pid;   /* the VMM process, our namespace */
    long ns_pid; /* the same in its own pid namespace */
    int service_cpu;
    struct ls_pinned *t;
    size_t n, cap;
    double pinned_after_ms; /* from the VMM's start (/proc/PID/stat) to all threads pinned */
};

#define LS_PIN_STATE_INIT                                                                          \
    {                                                                                              \
        0, 0, -1, NULL, 0, 0, 0                                                                    \
    }

/* Pin the vCPU threads (vcpus from query-cpus-fast; vcpu_host[i] the plan's CPU for vCPU i,
 * nplanned of them), then every other thread of pid to service_cpu (-1: left alone).
 * Errors: LS_ERR_USAGE when the VMM's vCPUs and the plan disagree; LS_ERR_SYSTEM when a
 * thread cannot be pinned (sched_setaffinity), naming the thread and CPU. */
int ls_pin_apply(struct ls_pin_state *st, pid_t pid, const struct ls_qmp_vcpu *vcpus, size_t nvcpus,
                 const unsigned *vcpu_host, size_t nplanned, int service_cpu, struct ls_error *err);

/* Pin threads started since the last pass to the service CPU. Returns how many were new,
 * -1 once the process has exited (gone or a zombie). */
int ls_pin_rescan(struct ls_pin_state *st);

/* Rewrite the plan file (JSON) with "applied": {vmm, pid, vcpu_threads [[vcpu, tid, cpu]],
 * service_threads [[tid, cpu]], pinned_after_ms}; tids as the VMM sees them. Atomic
 * (temporary file + rename in the same directory). */
int ls_pin_record(const struct ls_pin_state *st, const char *plan_path, struct ls_error *err);

/* The same "applied" object on its own, for `pin --json`. */
void ls_pin_write_json(FILE *out, const struct ls_pin_state *st);

void ls_pin_free(struct ls_pin_state *st);

#endif

/* A minimal QMP client (qemu's machine protocol, docs/interop/qmp-spec.rst): connect to a
 * unix socket, read the greeting, leave capabilities negotiation, ask for the vCPU threads.
 * Messages are parsed with json-c; asynchronous events between replies are skipped. */
#ifndef LLCSLICE_VMM_QMP_H
#define LLCSLICE_VMM_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "planner/error.h"

struct ls_qmp {
    int fd;
    pid_t peer_pid; /* qemu's pid in our pid namespace (SO_PEERCRED) */
    char *buf;      /* bytes read but not yet parsed */
    size_t len, cap;
};

#define LS_QMP_INIT                                                                                \
    {                                                                                              \
        -1, 0, NULL, 0, 0                                                                          \
    }

/* Connect to the unix socket at path, retrying every 20 ms until it accepts, `alive` (may be
 * NULL) says the VMM is gone (error: "exited before its QMP socket answered"), or deadline
 * (CLOCK_MONOTONIC ms) passes. Then read the greeting and send qmp_capabilities, bounded by
 * the same deadline. Errors are LS_ERR_SYSTEM naming the socket. */
int ls_qmp_open(struct ls_qmp *q, const char *path, long long deadline_ms, bool (*alive)(void *ctx),
                void *ctx, struct ls_error *err);

struct ls_qmp_vcpu {
    unsigned cpu_index;
    long thread_id; /* as qemu sees it: in qemu's pid namespace */
};

/* query-cpus-fast: every vCPU's index and thread id (*out malloc'd, sorted by index). */
int ls_qmp_query_vcpus(struct ls_qmp *q, long long deadline_ms, struct ls_qmp_vcpu **out, size_t *n,
                       struct ls_error *err);

/* Parse one query-cpus-fast reply document (for tests): same output as above. */
int ls_qmp_parse_vcpus(const char *json, struct ls_qmp_vcpu **out, size_t *n, struct ls_error *err);

void ls_qmp_close(struct ls_qmp *q);

#endif

/* A run of one slot job, forked by the runner: it takes the reservation and runs the job as
 * `llcslice run` would (slots_child.c), reporting to the runner on a socket. */
#ifndef LLCSLICE_SLOTS_CHILD_H
#define LLCSLICE_SLOTS_CHILD_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "slots_cmd.h"

/* What a forked run needs; the child never returns. */
struct ls_slots_child {
    const struct ls_slots_run_opts *o;
    const struct ls_slot_job *job;
    size_t index;     /* into o->seccomp */
    unsigned run;     /* 1-based, for the log header */
    int log_fd;       /* becomes its stdout and stderr */
    int sock;         /* report socket to the runner */
    pid_t runner;     /* its parent */
    sigset_t mask;    /* the signal mask llcslice was started with */
    const char *file; /* the slot file as given, for the process title */
};
__attribute__((noreturn)) void ls_slots_child_main(const struct ls_slots_child *c);

#endif

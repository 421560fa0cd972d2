/* Narrow a loaded host to what the job's cgroup parent grants. */
#ifndef LLCSLICE_GRANT_H
#define LLCSLICE_GRANT_H

#include "supervisor/cli/cli.h"

/* host->allowed &= the parent's effective CPUs; nodes outside its effective mems count as
 * memoryless for planning. parent NULL = the default parent (our own group). Nothing on a
 * simulated host (--fsroot) or where no cpuset hierarchy says anything. Errors: a bad explicit
 * parent, or a grant with none of the allowed CPUs (LS_ERR_USAGE for an explicit parent,
 * LS_ERR_UNSAT for the default one). */
int ls_host_apply_grant(struct ls_host *host, const char *parent, struct ls_error *err);

#endif

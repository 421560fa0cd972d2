/* What a run cost, as systemd-run --wait reports it: wall time, CPU time, peak memory and
 * OOM kills, read when the job and everything it started have exited. */
#ifndef LLCSLICE_RUNSTATS_H
#define LLCSLICE_RUNSTATS_H

#include <stdint.h>
#include <stdio.h>

#include "confine.h"

struct ls_runstats {
    uint64_t wall_ms;         /* from the spawn to the last process's exit */
    uint64_t user_ms, sys_ms; /* CPU time of the job and every process it started (reaped) */
    uint64_t peak_bytes;      /* 0: unknown */
    const char *peak_source;  /* memory.peak, memory.max_usage_in_bytes, or max RSS */
    long oom_kills;
};

/* Fill st after the job was waited for and before the cgroup is removed: CPU time from
 * getrusage(RUSAGE_CHILDREN) (the shim reaps every descendant), peak memory from the job's
 * cgroup (v2 memory.peak, v1 memory.max_usage_in_bytes of its memory group) or else the
 * largest process's max RSS, OOM kills from memory.events / memory.oom_control. */
void ls_runstats_collect(struct ls_runstats *st, const struct ls_confine *c, uint64_t start_ms);
/* "1m02s wall, 3m10s CPU (2m50s user, 20.0s system), peak memory 1.2 GiB (memory.peak), no
 * OOM kill" */
void ls_runstats_format(const struct ls_runstats *st, char *buf, size_t size);
/* "R wall_ms user_ms sys_ms peak_bytes oom_kills" and back, for the slot runner's socket. */
void ls_runstats_encode(const struct ls_runstats *st, char *buf, size_t size);
int ls_runstats_decode(struct ls_runstats *st, const char *line);

#endif

/* Phase timings of one command, for benchmarks: with LLCSLICE_TRACE_TIMING=1 in the
 * environment, each ls_trace_mark(phase) charges the time since the previous mark to phase
 * (repeats add up, e.g. retries), and ls_trace_report prints one "llcslice-timing: PHASE USEC
 * COUNT" line per phase to stderr (COUNT: how many marks, e.g. passes). Unset, a no-op. */
#ifndef LLCSLICE_TRACE_H
#define LLCSLICE_TRACE_H

void ls_trace_start(void); /* reads LLCSLICE_TRACE_TIMING; the clock starts here */
void ls_trace_mark(const char *phase);
void ls_trace_report(void);

#endif

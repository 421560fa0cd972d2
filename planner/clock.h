/* The monotonic clock and the plain sleep, once for the whole project (timeouts, retry delays,
 * wait tickets, elapsed times): CLOCK_MONOTONIC, never the wall clock, which can jump. */
#ifndef LLCSLICE_CLOCK_H
#define LLCSLICE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC now, in ns. */
uint64_t ls_mono_ns(void);
/* CLOCK_MONOTONIC now, in ms (signed, so deadlines and differences stay plain arithmetic). */
long long ls_mono_ms(void);
/* Sleep ms milliseconds; a signal may end it early (callers re-check what they wait for). */
void ls_sleep_ms(unsigned ms);

#endif

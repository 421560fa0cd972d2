/* Sizes and durations as --check and the slot runner print them (planner/size.h and
 * planner/duration.h parse them). */
#ifndef LLCSLICE_SLOTS_UNITS_H
#define LLCSLICE_SLOTS_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "1h30m", "45s", "250ms", "0s" */
void ls_slots_duration_format(uint64_t ms, char *buf, size_t size);
/* "4G", "512M", "1000" (bytes when not a whole number of KiB) */
void ls_slots_size_format(uint64_t bytes, char *buf, size_t size);

#endif

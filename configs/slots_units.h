/* Sizes ("512M", "4G", bytes) and durations ("90s", "30m", "1h30m") as slot files write them.
 * Configs-local until planner/size.h and planner/duration.h land; same grammar intended. */
#ifndef LLCSLICE_SLOTS_UNITS_H
#define LLCSLICE_SLOTS_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "../planner/error.h"

/* Bytes, or a whole number with K, M, G, T or P (powers of 1024; "KB", "KiB", lower case
 * fine). 0, fractions, negative and overflowing sizes are LS_ERR_USAGE naming the text. */
int ls_slots_size_parse(const char *text, uint64_t *out, struct ls_error *err);

/* Milliseconds from one or more NUMBER+UNIT terms, unit ms, s, m, h or d ("1h30m"); a bare
 * number is seconds. 0 is allowed; callers decide whether it means anything. */
int ls_slots_duration_parse(const char *text, uint64_t *out_ms, struct ls_error *err);

/* "1h30m", "45s", "250ms", "0s" */
void ls_slots_duration_format(uint64_t ms, char *buf, size_t size);
/* "4G", "512M", "1000" (bytes when not a whole number of KiB) */
void ls_slots_size_format(uint64_t bytes, char *buf, size_t size);

#endif

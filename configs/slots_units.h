/* Sizes ("512M", "4G", bytes) as slot files write them, and sizes and durations as --check
 * prints them. The parser is configs-local until planner/size.h (branch run) lands. */
#ifndef LLCSLICE_SLOTS_UNITS_H
#define LLCSLICE_SLOTS_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "../planner/error.h"

/* Bytes, or a whole number with K, M, G, T or P (powers of 1024; "KB", "KiB", lower case
 * fine). 0, fractions, negative and overflowing sizes are LS_ERR_USAGE naming the text. */
int ls_slots_size_parse(const char *text, uint64_t *out, struct ls_error *err);

/* "1h30m", "45s", "250ms", "0s" */
void ls_slots_duration_format(uint64_t ms, char *buf, size_t size);
/* "4G", "512M", "1000" (bytes when not a whole number of KiB) */
void ls_slots_size_format(uint64_t bytes, char *buf, size_t size);

#endif

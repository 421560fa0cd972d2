/* Byte sizes as users write them: "4096", "512K", "2G", "1GiB" (binary multiples). */
#ifndef LLCSLICE_SIZE_H
#define LLCSLICE_SIZE_H

#include <stdint.h>

#include "error.h"

/* Parse a whole number of bytes with an optional K/M/G/T/P suffix (x1024 steps; "KiB"/"KB"
 * spellings and lower case accepted). 0, negatives, fractions, garbage and overflow are usage
 * errors starting "what: " (the flag); what NULL leaves that out (the caller names the value,
 * as a slot file's "FILE:LINE:COL: key 'memory_max':" does). */
int ls_size_parse(const char *text, const char *what, uint64_t *out, struct ls_error *err);

#endif

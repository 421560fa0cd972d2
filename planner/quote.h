/* Untrusted text made safe to show in a message. */
#ifndef LLCSLICE_QUOTE_H
#define LLCSLICE_QUOTE_H

#include <stddef.h>

/* Untrusted text for an error message: quoted, non-printable bytes as \xNN, truncated to
 * fit `size` (>= 3). NULL reads as "". */
void ls_quote(const char *text, char *buf, size_t size);

#endif

/* Durations on the command line (--watch, --wait): "500ms", "10s", "2m", "1h", "1m30s",
 * "1.5s", or a plain number of seconds. */
#ifndef LLCSLICE_DURATION_H
#define LLCSLICE_DURATION_H

#include "error.h"

/* Parse `text` into milliseconds. Empty, negative, garbage, unknown units, sub-millisecond
 * precision and values beyond LLONG_MAX ms are LS_ERR_USAGE errors naming `what`. Zero is
 * accepted; callers that need a positive value check it. */
int ls_duration_parse(const char *text, const char *what, long long *ms_out, struct ls_error *err);

#endif

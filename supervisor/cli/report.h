/* How a command reports errors and warnings (stderr; with --json also stdout). */
#ifndef LLCSLICE_REPORT_H
#define LLCSLICE_REPORT_H

#include <stdbool.h>

#include "planner/error.h"

/* Errors as JSON on stdout too: set by --json (ls_getopt_init, options.h). */
extern bool ls_json_errors;

/* "llcslice: <category>: msg" on stderr; returns the exit code for err. */
int ls_report(const struct ls_error *err);
/* Usage error with a hint to --help; returns 64. */
int ls_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ls_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

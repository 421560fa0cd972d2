/* The one getopt loop every subcommand uses: getopt_long plus the error path they share
 * (missing value, stray "=value", unknown or ambiguous option with "did you mean"), "--opt
 * VALUE" for options whose value is optional, and --json errors. Commands keep their own
 * option tables; this file knows nothing about any option. */
#ifndef LLCSLICE_OPTIONS_H
#define LLCSLICE_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "report.h" /* ls_json_errors */

struct ls_getopt {
    const char *cmd; /* "run": for messages and the --help hint */
    int argc;
    char **argv;
    const char *shortopts; /* getopt_long's, starting "+:" */
    const struct option *longopts;
    int index; /* longopts index of the last long option, -1 for a short one */
    /* The failed word, for ls_getopt_error. */
    int fail;
    const char *word;
};

/* Reset getopt (commands run more than once in-process in tests) and, when longopts has a
 * "json" option and "--json" appears before any "--", turn on JSON errors (ls_json_errors). */
void ls_getopt_init(struct ls_getopt *g, const char *cmd, int argc, char **argv,
                    const char *shortopts, const struct option *longopts);

/* Like getopt_long (optarg and optind as usual), plus:
 * - an optional_argument option given as "--opt WORD" takes WORD when it parses as a duration,
 *   is "forever" or looks like a negative number ("-5s": for the duration's own error) (the only
 * optional values llcslice has are durations: --wait); tables with such options go with shortopts
 * starting "+" (no argv permutation to disturb);
 * - a required value that is "--" or another long option ("--memory-max -- true") is a
 *   missing value, not the value.
 * Every error returns '?'; then `return ls_getopt_error(g);` prints it (exit 64). */
int ls_getopt_next(struct ls_getopt *g);

/* Report the last error of ls_getopt_next as a usage error; returns 64. */
int ls_getopt_error(struct ls_getopt *g);

/* When --json was given (see ls_getopt_init), errors are also a JSON object on stdout. */

/* "; did you mean 'x'?" or "" for word among words[0..n): prefix matches first (an
 * abbreviation), then the closest by edit distance. buf holds the result. */
const char *ls_did_you_mean(const char *word, const char *const *words, size_t n, char *buf,
                            size_t size);

/* a's options then those of b whose names a lacks, NULL-terminated; free() it. NULL: ENOMEM. */
struct option *ls_options_merge(const struct option *a, const struct option *b);

/* Append "--name" (or "-c" when name is NULL; '-' stands for "the command after --") to the
 * comma-separated list in buf, once. */
void ls_ignored_add(char *buf, size_t size, const char *name, int c);

#endif

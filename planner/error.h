/* Error object threaded through every call: errno-style code, category, message. */
#ifndef LLCSLICE_ERROR_H
#define LLCSLICE_ERROR_H

#include <stdbool.h>

enum ls_category {
    LS_ERR_NONE = 0,
    LS_ERR_USAGE,  /* bad flag, bad config: exit 64 */
    LS_ERR_BUSY,   /* resources held by others: exit 75 */
    LS_ERR_UNSAT,  /* this host can never satisfy the request: exit 77 */
    LS_ERR_SYSTEM, /* internal or OS failure: exit 125 */
};

enum {
    LS_EXIT_USAGE = 64,
    LS_EXIT_BUSY = 75,
    LS_EXIT_UNSAT = 77,
    LS_EXIT_SYSTEM = 125,
    LS_EXIT_NOEXEC = 126,
    LS_EXIT_NOTFOUND = 127,
};

struct ls_error {
    enum ls_category category;
    int code; /* errno value, 0 when not an OS error */
    char msg[2048];
};

/* Record an error and return -1 so callers can `return ls_fail(...)`. */
int ls_fail(struct ls_error *err, enum ls_category cat, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An allocation failed: "out of memory <what>" (what says what was being done, printf-style),
 * a system error (ENOMEM). Returns -1. */
int ls_oom(struct ls_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the message already in err with more context ("reading X: <old>"). */
int ls_error_prefix(struct ls_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void ls_error_clear(struct ls_error *err);
bool ls_error_set(const struct ls_error *err);
int ls_exit_code(const struct ls_error *err);
const char *ls_category_name(enum ls_category cat);

#endif

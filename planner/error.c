#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ls_fail(struct ls_error *err, enum ls_category cat, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->category = cat;
    err->code = code;
    return -1;
}

int ls_oom(struct ls_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char what[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory %s", what);
}

int ls_error_prefix(struct ls_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[512];
    char old[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t n = strlen(prefix);
    if (n > sizeof(err->msg) - 3)
        n = sizeof(err->msg) - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof(err->msg) - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return -1;
}

void ls_error_clear(struct ls_error *err)
{
    memset(err, 0, sizeof(*err));
}

bool ls_error_set(const struct ls_error *err)
{
    return err->category != LS_ERR_NONE;
}

int ls_exit_code(const struct ls_error *err)
{
    switch (err->category) {
    case LS_ERR_NONE:
        return 0;
    case LS_ERR_USAGE:
        return LS_EXIT_USAGE;
    case LS_ERR_BUSY:
        return LS_EXIT_BUSY;
    case LS_ERR_UNSAT:
        return LS_EXIT_UNSAT;
    case LS_ERR_SYSTEM:
        break;
    }
    return LS_EXIT_SYSTEM;
}

const char *ls_category_name(enum ls_category cat)
{
    switch (cat) {
    case LS_ERR_NONE:
        return "ok";
    case LS_ERR_USAGE:
        return "usage";
    case LS_ERR_BUSY:
        return "busy";
    case LS_ERR_UNSAT:
        return "unsatisfiable";
    case LS_ERR_SYSTEM:
        break;
    }
    return "system";
}

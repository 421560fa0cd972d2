/* How a command reports: errors and warnings on stderr, and with --json the error as one JSON
 * document on stdout too. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>

#include "json.h"

bool ls_json_errors;

/* With --json, the error is also {"error": {exit_code, category, message}} on stdout, so a
 * script reading stdout always gets one JSON document. */
static void json_error(int code, enum ls_category cat, const char *msg)
{
    if (!ls_json_errors)
        return;
    struct ls_json j;
    ls_json_init(&j, stdout, true);
    ls_json_obj_begin(&j, NULL);
    ls_json_obj_begin(&j, "error");
    ls_json_int(&j, "exit_code", code);
    ls_json_str(&j, "category", ls_category_name(cat));
    ls_json_str(&j, "message", msg);
    ls_json_obj_end(&j);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
    fflush(stdout);
}

int ls_report(const struct ls_error *err)
{
    fprintf(stderr, "llcslice: %s error: %s\n", ls_category_name(err->category), err->msg);
    json_error(ls_exit_code(err), err->category, err->msg);
    return ls_exit_code(err);
}

int ls_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "llcslice: usage error: %s (see 'llcslice %s%s--help')\n", msg, cmd ? cmd : "",
            cmd ? " " : "");
    json_error(LS_EXIT_USAGE, LS_ERR_USAGE, msg);
    return LS_EXIT_USAGE;
}

void ls_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("llcslice: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

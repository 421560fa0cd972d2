#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "options.h"

void ls_host_opts_from_env(struct ls_host_opts *opts)
{
    if (!opts->fsroot) {
        opts->fsroot = getenv("LLCSLICE_FSROOT");
        opts->fsroot_what = "LLCSLICE_FSROOT";
    } else if (!opts->fsroot_what) {
        opts->fsroot_what = "--fsroot";
    }
    if (!opts->allowed) {
        const char *env = getenv("LLCSLICE_ALLOWED_CPUS");
        if (env && *env) {
            opts->allowed = env;
            opts->allowed_what = "LLCSLICE_ALLOWED_CPUS";
        }
    } else if (!opts->allowed_what) {
        opts->allowed_what = "--allowed-cpus";
    }
}

int ls_host_load(struct ls_host *host, const struct ls_host_opts *opts, struct ls_error *err)
{
    memset(host, 0, sizeof(*host));
    if (ls_root_init(&host->root, opts->fsroot, opts->fsroot_what ? opts->fsroot_what : "--fsroot",
                     err) < 0)
        return -1;
    if (ls_topology_discover(&host->root, &host->topo, err) < 0)
        return -1;
    for (size_t i = 0; i < host->topo.nwarnings; i++)
        ls_warn("%s", host->topo.warnings[i]);
    return ls_allowed_cpus(&host->root, &host->topo, opts->allowed, opts->allowed_what,
                           &host->allowed, err);
}

void ls_host_free(struct ls_host *host)
{
    ls_topology_free(&host->topo);
    ls_cpuset_free(&host->allowed);
}

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

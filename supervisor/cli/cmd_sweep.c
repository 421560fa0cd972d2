/* llcslice sweep: remove job groups whose supervisor is gone and old orphans. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "cgroup/systemd.h"
#include "planner/duration.h"
#include "cli.h"
#include "json.h"
#include "options.h"

static const char usage[] =
    "Usage: llcslice sweep [--max-age DURATION] [--json]\n"
    "\n"
    "Remove llcslice cgroups left behind: job groups whose supervisor is gone (killed, or its\n"
    "pid reused) and groups that once refused removal (orphan markers in\n"
    "$LLCSLICE_STATE_DIR/orphans, default /run/llcslice/orphans) once they are older than\n"
    "the maximum age. Processes still in them are killed first. Every run sweeps as well.\n"
    "On systemd hosts it also stops llcslice-*.scope units whose supervisor is gone (of the\n"
    "system manager as root, of your user manager otherwise).\n"
    "\n"
    "Options:\n"
    "  --max-age DURATION  age after which orphan-marked groups go (default 24h;\n"
    "                      e.g. 30m, 2h, 0 for all)\n"
    "  --json              machine-readable: {\"removed\": [...], \"kept\": [...],\n"
    "                      \"failed\": [...]}, each {path, reason}\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0, or 125 when some group could not be removed.\n";

static void json_entries(struct ls_json *j, const char *key, const struct ls_sweep_entry *e,
                         size_t n)
{
    ls_json_arr_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        ls_json_obj_begin(j, NULL);
        ls_json_str(j, "path", e[i].path);
        ls_json_str(j, "reason", e[i].reason);
        ls_json_obj_end(j);
    }
    ls_json_arr_end(j);
}

static void text_entries(FILE *out, const char *verb, const struct ls_sweep_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %s: %s\n", verb, e[i].path, e[i].reason);
}

int ls_cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"max-age", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    unsigned max_age = LS_SWEEP_DEFAULT_MAX_AGE;
    struct ls_error err = {0};
    int c;
    struct ls_getopt g;
    ls_getopt_init(&g, "sweep", argc, argv, "+:h", opts);
    while ((c = ls_getopt_next(&g)) != -1) {
        switch (c) {
        case 'a': {
            long long ms;
            if (ls_duration_parse(optarg, "--max-age", &ms, &err) < 0)
                return ls_usage_error("sweep", "%s", err.msg);
            if (ms / 1000 > (long long)UINT_MAX)
                return ls_usage_error("sweep", "--max-age '%s' is too long", optarg);
            max_age = (unsigned)(ms / 1000);
            break;
        }
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    if (optind < argc)
        return ls_usage_error("sweep", "unexpected argument '%s'", argv[optind]);

    struct ls_sweep_result res;
    if (ls_cgroup_sweep(max_age, &res, &err) < 0)
        return ls_report(&err);
    /* systemd hosts: transient scopes (llcslice-*.scope) whose supervisor is gone. */
    struct ls_error serr = {0};
    if (ls_scope_sweep(&res, &serr) < 0)
        ls_warn("systemd scopes not swept: %s", serr.msg);
    if (json) {
        struct ls_json j;
        ls_json_init(&j, stdout, true);
        ls_json_obj_begin(&j, NULL);
        json_entries(&j, "removed", res.removed, res.nremoved);
        json_entries(&j, "kept", res.kept, res.nkept);
        json_entries(&j, "failed", res.failed, res.nfailed);
        ls_json_obj_end(&j);
        ls_json_finish(&j);
    } else {
        text_entries(stdout, "removed", res.removed, res.nremoved);
        text_entries(stdout, "kept", res.kept, res.nkept);
        for (size_t i = 0; i < res.nfailed; i++)
            ls_warn("could not remove %s: %s", res.failed[i].path, res.failed[i].reason);
        printf("sweep: %zu removed, %zu kept, %zu failed\n", res.nremoved, res.nkept, res.nfailed);
    }
    int rc = res.nfailed ? LS_EXIT_SYSTEM : 0;
    ls_sweep_result_free(&res);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "writing the output failed: %s", strerror(errno));
        return ls_report(&err);
    }
    return rc;
}

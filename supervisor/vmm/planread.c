#include "planread.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *path, const char *why, struct ls_error *err)
{
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "%s is not a performance-mode plan (%s): use the file LLCSLICE_PLAN names in "
                   "a 'llcslice run --perf ...' job, or 'llcslice plan --perf ... --json'",
                   path, why);
}

static bool get_uint(json_object *o, unsigned *out)
{
    if (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) < 0 ||
        json_object_get_int64(o) > 1 << 22)
        return false;
    *out = (unsigned)json_object_get_int64(o);
    return true;
}

int ls_plan_pins_read(const char *path, struct ls_plan_pins *out, struct ls_error *err)
{
    memset(out, 0, sizeof(*out));
    out->service_cpu = -1;
    json_object *root = json_object_from_file(path), *mode, *as, *svc;
    int rc = -1;
    if (!root) {
        const char *why = json_util_get_last_err();
        why = why ? why : "not JSON";
        /* json-c's message ends in a newline: keep the error one line */
        ls_fail(err, LS_ERR_USAGE, errno ? errno : EINVAL, "cannot read the plan file %s: %.*s",
                path, (int)strcspn(why, "\n"), why);
        goto out;
    }
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "mode", &mode) ||
        strcmp(json_object_get_string(mode), "exclusive") ||
        !json_object_object_get_ex(root, "assignments", &as) ||
        !json_object_is_type(as, json_type_array) || json_object_array_length(as) == 0) {
        bad(path, "no exclusive mode with assignments", err);
        goto out;
    }
    size_t n = json_object_array_length(as);
    out->vcpu_host = calloc(n, sizeof(*out->vcpu_host));
    bool *seen = calloc(n, sizeof(*seen));
    if (!out->vcpu_host || !seen) {
        free(seen);
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        goto out;
    }
    out->nvcpus = n;
    for (size_t i = 0; i < n; i++) {
        json_object *pair = json_object_array_get_idx(as, i);
        unsigned v, cpu;
        if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
            !get_uint(json_object_array_get_idx(pair, 0), &v) ||
            !get_uint(json_object_array_get_idx(pair, 1), &cpu) || v >= n || seen[v]) {
            free(seen);
            bad(path, "assignments are not [vcpu, host_cpu] pairs for vCPUs 0..N-1", err);
            goto out;
        }
        seen[v] = true;
        out->vcpu_host[v] = cpu;
    }
    free(seen);
    if (json_object_object_get_ex(root, "service_cpu", &svc) && svc) {
        unsigned s;
        if (!get_uint(svc, &s)) {
            bad(path, "service_cpu is not a CPU number", err);
            goto out;
        }
        out->service_cpu = (int)s;
    }
    rc = 0;
out:
    json_object_put(root);
    if (rc < 0)
        ls_plan_pins_free(out);
    return rc;
}

void ls_plan_pins_free(struct ls_plan_pins *p)
{
    free(p->vcpu_host);
    p->vcpu_host = NULL;
    p->nvcpus = 0;
}

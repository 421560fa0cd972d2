/* The CPUs this process may use (override, simulated host, or affinity) and the host's load. */
#include "topology.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "procstat.h"

static int from_override(const struct ls_topology *topo, const char *text, const char *what,
                         ls_cpuset *out, struct ls_error *err)
{
    size_t len = strlen(text);
    if (ls_cpuset_parse_list(out, text, len, what, err) < 0)
        return -1;
    if (ls_cpuset_empty(out))
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s: the CPU list is empty; give CPUs like \"0-3,8\" or leave it unset",
                       what);
    ls_cpuset extra = LS_CPUSET_INIT;
    if (ls_cpuset_copy(&extra, out) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    ls_cpuset_andnot(&extra, &topo->online);
    if (ls_cpuset_empty(&extra)) {
        ls_cpuset_free(&extra);
        return 0;
    }
    _cleanup_free_ char *bad = ls_cpuset_format(&extra);
    _cleanup_free_ char *online = ls_cpuset_format(&topo->online);
    ls_cpuset_free(&extra);
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "%s \"%s\" names CPUs that are not online on this host: %s (online: %s)", what,
                   text, bad ? bad : "?", online ? online : "?");
}

static int from_affinity(ls_cpuset *out)
{
    for (int ncpus = 1024; ncpus <= (int)LS_MAX_CPUS; ncpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpus);
        if (!set)
            return -1;
        size_t size = CPU_ALLOC_SIZE(ncpus);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            for (int c = 0; c < ncpus; c++)
                if (CPU_ISSET_S(c, size, set) && ls_cpuset_add(out, (unsigned)c) < 0) {
                    CPU_FREE(set);
                    return -1;
                }
            CPU_FREE(set);
            return 0;
        }
        int e = errno;
        CPU_FREE(set);
        if (e != EINVAL)
            return -1;
    }
    return -1;
}

static int from_status(ls_cpuset *out, struct ls_error *err)
{
    struct ls_error perr = {0};
    int r = ls_proc_status_list("/proc/self", "Cpus_allowed_list:", out, &perr);
    if (r > 0)
        return 0;
    if (r < 0 && ls_error_set(&perr)) {
        *err = perr; /* names the list that did not parse */
        return -1;
    }
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno,
                       "cannot find the allowed CPUs: sched_getaffinity failed and "
                       "/proc/self/status is unreadable (%s)",
                       strerror(errno));
    return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                   "cannot find the allowed CPUs: sched_getaffinity failed and "
                   "/proc/self/status has no Cpus_allowed_list");
}

int ls_allowed_cpus(const struct ls_root *root, const struct ls_topology *topo,
                    const char *override, const char *override_what, ls_cpuset *out,
                    struct ls_error *err)
{
    ls_cpuset_clear(out);
    if (override)
        return from_override(topo, override, override_what ? override_what : "--allowed-cpus", out,
                             err);
    if (!ls_root_is_host(root)) {
        if (ls_cpuset_copy(out, &topo->online) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return 0;
    }
    if (from_affinity(out) == 0 && !ls_cpuset_empty(out))
        return 0;
    ls_cpuset_clear(out);
    if (from_status(out, err) < 0)
        return -1;
    if (ls_cpuset_empty(out))
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                       "cannot find the allowed CPUs: sched_getaffinity failed and "
                       "/proc/self/status lists none");
    return 0;
}

long ls_host_running_tasks(const struct ls_root *root)
{
    _cleanup_free_ char *text = NULL;
    if (ls_root_read(root, &text, NULL, "proc/stat") < 0)
        return -1;
    static const char key[] = "procs_running ";
    for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, sizeof(key) - 1))
            continue;
        char *end;
        errno = 0;
        long v = strtol(p + sizeof(key) - 1, &end, 10);
        if (errno || end == p + sizeof(key) - 1 || v < 0)
            return -1;
        return v;
    }
    return -1;
}

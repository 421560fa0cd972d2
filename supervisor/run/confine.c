#include "confine.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "supervisor/cli/cli.h"

static int prepare_fallback(struct ls_confine *c, const struct ls_confine_opts *o,
                            const struct ls_error *why, struct ls_error *err)
{
    if (o->strict)
        return ls_fail(err, why->category, why->code,
                       "no usable cgroup for the job (%s); --strict refuses the "
                       "sched_setaffinity fallback",
                       why->msg);
    _cleanup_free_ char *list = ls_cpuset_format(o->cpus);
    fprintf(stderr,
            "llcslice: WARNING: no usable cgroup for the job (%s). Falling back to "
            "sched_setaffinity: the job is pinned to CPUs %s but may widen its own affinity, "
            "and memory nodes%s are not enforced. Use --strict to make this an error.\n",
            why->msg, list ? list : "?", o->memory_max ? " and --memory-max" : "");
    c->kind = LS_CONFINE_AFFINITY;
    return 0;
}

int ls_cg_manager_effective(enum ls_cg_manager m, enum ls_cg_manager *out, struct ls_error *err)
{
    *out = m;
    const char *env = getenv("LLCSLICE_CGROUP_MANAGER");
    if (m != LS_CGM_AUTO || !env || !*env)
        return 0;
    return ls_cg_manager_parse(env, "LLCSLICE_CGROUP_MANAGER", out, err);
}

/* 1: use systemd (bus open in c->scope), 0: use cgroupfs, -1: error (explicit systemd that
 * cannot work, or a --cgroup-parent given to it). */
static int choose_systemd(struct ls_confine *c, const struct ls_confine_opts *o,
                          struct ls_error *err)
{
    enum ls_cg_manager m;
    if (ls_cg_manager_effective(o->manager, &m, err) < 0)
        return -1;
    if (m == LS_CGM_CGROUPFS)
        return 0;
    if (m == LS_CGM_SYSTEMD && o->cgroup_parent)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--cgroup-parent is for the cgroupfs manager; with systemd, jobs run in "
                       "scopes of a slice: use --slice NAME");
    if (m == LS_CGM_AUTO && o->cgroup_parent)
        return 0; /* a group the user named: create under it (refused if systemd owns it) */
    char why[512];
    if (!ls_systemd_host(why, sizeof(why))) {
        if (m == LS_CGM_AUTO)
            return 0;
        return ls_fail(err, LS_ERR_SYSTEM, EOPNOTSUPP,
                       "--cgroup-manager systemd cannot be used here: %s; use --cgroup-manager "
                       "cgroupfs (or auto)",
                       why);
    }
    /* Inside a delegated unit (Delegate=yes, or an llcslice job's scope: nesting) the subtree
     * is ours, and a job made there stays within the unit's limits; a scope would leave them. */
    if (m == LS_CGM_AUTO && ls_systemd_self_delegated())
        return 0;
    struct ls_error berr = {0};
    if (ls_scope_open(&c->scope, &berr) < 0) {
        if (m == LS_CGM_AUTO)
            return 0;
        return ls_fail(err, LS_ERR_SYSTEM, berr.code, "--cgroup-manager systemd: %s", berr.msg);
    }
    return 1;
}

int ls_confine_prepare(struct ls_confine *c, const struct ls_confine_opts *o, struct ls_error *err)
{
    memset(c, 0, sizeof(*c));
    c->cpus = o->cpus;
    c->opts = *o;
    if (o->simulated_root) {
        _cleanup_free_ char *list = ls_cpuset_format(o->cpus);
        ls_warn("simulated host (--fsroot %s): the reservation of CPUs %s is held for the "
                "job's life, but no cgroup is created and no CPU affinity set (they are not "
                "this machine's CPUs)",
                o->simulated_root, list ? list : "?");
        c->kind = LS_CONFINE_NONE;
        return 0;
    }
    int sd = choose_systemd(c, o, err);
    if (sd < 0)
        return -1;
    if (sd > 0) {
        struct ls_error why = {0};
        char msg[1024];
        if (!ls_scope_has_cpuset(&c->scope, msg, sizeof(msg)) ||
            !ls_scope_reaches_self(&c->scope, msg, sizeof(msg))) {
            ls_scope_close(&c->scope);
            ls_fail(&why, LS_ERR_SYSTEM, EOPNOTSUPP, "%s", msg);
            return prepare_fallback(c, o, &why, err);
        }
        c->kind = LS_CONFINE_SCOPE;
        return 0;
    }
    struct ls_sandbox_opts so = {
        .parent = o->cgroup_parent,
        .cpus = o->cpus,
        .mems = o->mems,
        .memory_max = o->memory_max,
        .budget_explicit = o->budget_explicit,
    };
    struct ls_error why = {0};
    int rc = ls_sandbox_create(&c->sb, &so, &why);
    for (size_t i = 0; i < c->sb.nnotices; i++)
        fprintf(stderr, "llcslice: %s\n", c->sb.notices[i]);
    if (rc < 0) {
        ls_sandbox_free(&c->sb);
        /* A parent the user named must be used or refused, never silently replaced. */
        if (!o->cgroup_parent && ls_sandbox_unavailable(&why))
            return prepare_fallback(c, o, &why, err);
        *err = why;
        return -1;
    }
    for (size_t i = 0; i < c->sb.nwarnings; i++)
        ls_warn("%s", c->sb.warnings[i]);
    c->kind = LS_CONFINE_CGROUP;
    return 0;
}

static int set_affinity(pid_t pid, const ls_cpuset *cpus, struct ls_error *err)
{
    int last = ls_cpuset_last(cpus);
    size_t ncpus = (size_t)(last < 0 ? 0 : last) + 1;
    cpu_set_t *set = CPU_ALLOC(ncpus);
    if (!set)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, set);
    LS_CPUSET_FOREACH(cpu, cpus)
    CPU_SET_S((size_t)cpu, size, set);
    int rc = sched_setaffinity(pid, size, set);
    int e = errno;
    CPU_FREE(set);
    if (rc < 0)
        return ls_fail(err, LS_ERR_SYSTEM, e, "sched_setaffinity: %s", strerror(e));
    return 0;
}

static int enter_scope(struct ls_confine *c, pid_t pid, struct ls_error *err)
{
    struct ls_scope_opts so = {
        .slice = c->opts.slice,
        .job = c->opts.job_name,
        .cpus = c->opts.cpus,
        .mems = c->opts.mems,
        .memory_max = c->opts.memory_max,
        .budget_explicit = c->opts.budget_explicit,
    };
    int rc = ls_scope_start(&c->scope, &so, pid, err);
    for (size_t i = 0; i < c->scope.nwarnings; i++)
        ls_warn("%s", c->scope.warnings[i]);
    if (rc == 0 && c->opts.verbose)
        fprintf(stderr, "llcslice: systemd scope %s, cgroup %s\n", c->scope.unit, c->scope.path);
    return rc;
}

const char *ls_confine_where(const struct ls_confine *c)
{
    switch (c->kind) {
    case LS_CONFINE_CGROUP:
        return c->sb.path;
    case LS_CONFINE_SCOPE:
        return c->scope.path[0] ? c->scope.path : "(a systemd scope, made when the job starts)";
    case LS_CONFINE_AFFINITY:
        return "(sched_setaffinity only)";
    case LS_CONFINE_NONE:
        break;
    }
    return "(simulated host: not confined)";
}

int ls_confine_enter(struct ls_confine *c, pid_t pid, struct ls_error *err)
{
    switch (c->kind) {
    case LS_CONFINE_SCOPE:
        return enter_scope(c, pid, err);
    case LS_CONFINE_CGROUP:
        return ls_sandbox_enter(&c->sb, pid, err);
    case LS_CONFINE_AFFINITY:
        return set_affinity(pid, c->cpus, err);
    case LS_CONFINE_NONE:
        break;
    }
    return 0;
}

long ls_confine_oom_kills(const struct ls_confine *c)
{
    if (c->kind != LS_CONFINE_CGROUP && c->kind != LS_CONFINE_SCOPE)
        return 0;
    char path[8300];
    if (c->kind == LS_CONFINE_SCOPE)
        snprintf(path, sizeof(path), "%s/memory.events", c->scope.path);
    else if (c->sb.memory_path[0]) /* v1: the memory hierarchy's group */
        snprintf(path, sizeof(path), "%s/memory.oom_control", c->sb.memory_path);
    else
        snprintf(path, sizeof(path), "%s/memory.events", c->sb.path);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char line[256];
    long n;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "oom_kill %ld", &n) == 1)
            return n;
    return 0;
}

/* Generous: a loaded host may take seconds to reap what SIGKILL hit. */
#define SCOPE_EMPTY_TIMEOUT_MS 120000

void ls_confine_release(struct ls_confine *c)
{
    struct ls_error err = {0};
    if (c->kind == LS_CONFINE_SCOPE) {
        if (ls_scope_stop(&c->scope, SCOPE_EMPTY_TIMEOUT_MS, &err) < 0)
            ls_warn("%s", err.msg);
        ls_scope_close(&c->scope);
        c->kind = LS_CONFINE_NONE;
        return;
    }
    if (c->kind != LS_CONFINE_CGROUP)
        return;
    /* Someone moved or removed the group (or its parent) under the job: say so, and that a
     * moved group is sweep's to remove. */
    if (c->sb.path[0] && access(c->sb.path, F_OK) < 0 && errno == ENOENT)
        ls_warn("the job's cgroup %s disappeared while the job ran (was it or its parent moved "
                "or removed?); if it was moved, 'llcslice sweep' removes it",
                c->sb.path);
    if (ls_sandbox_destroy(&c->sb, &err) < 0)
        ls_warn("%s", err.msg);
    ls_sandbox_free(&c->sb);
    c->kind = LS_CONFINE_NONE;
}

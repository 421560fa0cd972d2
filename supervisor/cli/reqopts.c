/* Request options shared by `plan` and `run`. */
#include "reqopts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "planner/duration.h"

const char ls_reqopts_help[] =
    "  --cpus N, --cpu-cap N  reserve exactly N CPUs (env LLCSLICE_CPU_CAP; default 30% of\n"
    "                         the allowed CPUs, or the vCPU count for --perf in shared or\n"
    "                         dedicated mode)\n"
    "  --mode MODE            shared (default): LOCK_SH on whole LLCs, shared with other\n"
    "                         shared jobs; dedicated: LOCK_SH on the LLCs and LOCK_EX on each\n"
    "                         CPU; exclusive (default with --perf): LOCK_EX on whole LLCs\n"
    "  --perf SPEC            virtual topology LLCSxCORESxTHREADS[,nodes=N]; in exclusive\n"
    "                         mode each virtual LLC gets a whole host LLC plus one service CPU\n"
    "  --smt any|full-cores   any (default): whole SMT cores first, a core split only when\n"
    "                         the budget ends inside one; full-cores: whole cores only (a\n"
    "                         budget that is no whole number of cores is refused, 77)\n"
    "  --lock-dir DIR         lockfile directory (env LLCSLICE_LOCK_DIR, default /tmp)\n"
    "  --lock-prefix P        lockfile name prefix (env LLCSLICE_LOCK_PREFIX, default\n"
    "                         llcslice; ktstr shares ktstr's locks)\n"
    "  --wait[=DURATION]      keep retrying until the reservation is free (forever, or for\n"
    "                         DURATION such as 30s, 5m); queued fairly behind earlier waiters;\n"
    "                         '--wait 5m' works too (the next word is taken when it is a\n"
    "                         duration or 'forever')\n"
    "  --fsroot DIR           read the topology under DIR instead of / (env LLCSLICE_FSROOT)\n"
    "  --allowed-cpus LIST    treat LIST as this process's allowed CPUs\n"
    "                         (env LLCSLICE_ALLOWED_CPUS)\n";

int ls_reqopts_handle(struct ls_reqopts *o, int opt, const char *arg)
{
    switch (opt) {
    case LS_OPT_CPUS:
    case LS_OPT_CPU_CAP: {
        const char *flag = opt == LS_OPT_CPUS ? "--cpus" : "--cpu-cap";
        if (o->cpus_flag && strcmp(o->cpus_flag, flag))
            o->cpu_cap_flag = flag;
        o->cpus = arg;
        o->cpus_flag = flag;
        return 1;
    }
    case LS_OPT_MODE:
        o->mode = arg;
        return 1;
    case LS_OPT_PERF:
        o->perf = arg;
        return 1;
    case LS_OPT_SMT:
        o->smt = arg;
        return 1;
    case LS_OPT_LOCK_DIR:
        o->lock_dir = arg;
        return 1;
    case LS_OPT_LOCK_PREFIX:
        o->lock_prefix = arg;
        return 1;
    case LS_OPT_WAIT:
        o->wait = true;
        o->wait_text = arg;
        return 1;
    case LS_OPT_FSROOT:
        o->host.fsroot = arg;
        return 1;
    case LS_OPT_ALLOWED:
        o->host.allowed = arg;
        o->host.allowed_what = "--allowed-cpus";
        return 1;
    }
    return 0;
}

int ls_reqopts_finish(struct ls_reqopts *o, struct ls_request *req, struct ls_error *err)
{
    ls_request_init(req);
    if (o->cpu_cap_flag)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--cpus and --cpu-cap are the same option; give only one");
    if (o->smt && ls_smt_parse(o->smt, "--smt", &req->smt, err) < 0)
        return -1;
    if (o->perf) {
        if (ls_perf_parse(o->perf, &req->perf, err) < 0)
            return -1;
        req->has_perf = true;
        req->vcpus = (size_t)req->perf.llcs * req->perf.cores * req->perf.threads;
        req->mode = LS_MODE_EXCLUSIVE;
    }
    if (o->mode && ls_mode_parse(o->mode, "--mode", &req->mode, err) < 0)
        return -1;
    bool pinned = req->mode == LS_MODE_EXCLUSIVE && req->has_perf;
    if (o->cpus) {
        if (pinned)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s cannot be combined with --perf in exclusive mode: the plan takes "
                           "LLCS*CORES*THREADS CPUs plus one service CPU",
                           o->cpus_flag);
        if (ls_budget_parse(o->cpus, o->cpus_flag, &req->cpus, err) < 0)
            return -1;
        req->cpus_explicit = true;
    } else if (!pinned) {
        const char *env = getenv("LLCSLICE_CPU_CAP");
        if (env && *env) {
            if (ls_budget_parse(env, "LLCSLICE_CPU_CAP", &req->cpus, err) < 0)
                return -1;
            req->cpus_explicit = true;
        }
    }
    o->wait_ms = -1;
    /* "forever" as in a slot file's wait: */
    if (o->wait && o->wait_text && strcmp(o->wait_text, "forever") &&
        ls_duration_parse(o->wait_text, "--wait", &o->wait_ms, err) < 0)
        return -1;
    ls_host_opts_from_env(&o->host);
    return 0;
}

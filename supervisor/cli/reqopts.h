/* The request options `plan` and `run` share: --cpus/--cpu-cap, --mode, --perf, --lock-dir,
 * --lock-prefix, --wait[=DURATION], --smt, plus the host options --fsroot and --allowed-cpus.
 * Splice LS_REQOPTS_LONGOPTS into a getopt_long table, pass every option to
 * ls_reqopts_handle, then ls_reqopts_finish builds the request. */
#ifndef LLCSLICE_REQOPTS_H
#define LLCSLICE_REQOPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "planner/plan.h"
#include "cli.h"

enum {
    LS_OPT_CPUS = 0x1000,
    LS_OPT_CPU_CAP,
    LS_OPT_MODE,
    LS_OPT_PERF,
    LS_OPT_LOCK_DIR,
    LS_OPT_LOCK_PREFIX,
    LS_OPT_WAIT,
    LS_OPT_FSROOT,
    LS_OPT_ALLOWED,
    LS_OPT_SMT,
};

#define LS_REQOPTS_LONGOPTS                                                                        \
    {"cpus", required_argument, NULL, LS_OPT_CPUS},                                                \
        {"cpu-cap", required_argument, NULL, LS_OPT_CPU_CAP},                                      \
        {"mode", required_argument, NULL, LS_OPT_MODE},                                            \
        {"perf", required_argument, NULL, LS_OPT_PERF},                                            \
        {"lock-dir", required_argument, NULL, LS_OPT_LOCK_DIR},                                    \
        {"lock-prefix", required_argument, NULL, LS_OPT_LOCK_PREFIX},                              \
        {"wait", optional_argument, NULL, LS_OPT_WAIT},                                            \
        {"fsroot", required_argument, NULL, LS_OPT_FSROOT},                                        \
        {"smt", required_argument, NULL, LS_OPT_SMT},                                              \
    {                                                                                              \
        "allowed-cpus", required_argument, NULL, LS_OPT_ALLOWED                                    \
    }

/* The lock and host options alone (--lock-dir, --lock-prefix, --fsroot, --allowed-cpus), for
 * a command that takes locks but no request (slots): same codes, same ls_reqopts_handle. */
#define LS_LOCKHOST_LONGOPTS                                                                       \
    {"lock-dir", required_argument, NULL, LS_OPT_LOCK_DIR},                                        \
        {"lock-prefix", required_argument, NULL, LS_OPT_LOCK_PREFIX},                              \
        {"fsroot", required_argument, NULL, LS_OPT_FSROOT},                                        \
    {                                                                                              \
        "allowed-cpus", required_argument, NULL, LS_OPT_ALLOWED                                    \
    }

/* Option lines for a command's --help. */
extern const char ls_reqopts_help[];

struct ls_reqopts {
    const char *cpus, *cpus_flag; /* text and which flag gave it */
    const char *cpu_cap_flag;     /* set when both --cpus and --cpu-cap were given */
    const char *mode;
    const char *perf;
    const char *smt;
    const char *lock_dir, *lock_prefix;
    bool wait;
    const char *wait_text; /* NULL: --wait without a value (forever) */
    struct ls_host_opts host;

    /* Filled by ls_reqopts_finish. */
    long long wait_ms; /* -1 forever; meaningful when wait */
};

/* 1: opt was a request option (recorded), 0: not one of ours. */
int ls_reqopts_handle(struct ls_reqopts *o, int opt, const char *arg);

/* Validate and build the request: mode (default exclusive with --perf, else shared), perf
 * topology and its vCPU count, budget from --cpus/--cpu-cap or LLCSLICE_CPU_CAP (ignored for
 * exclusive --perf, where --cpus is an error), --wait duration; host options from the
 * environment. Every bad value is an LS_ERR_USAGE error naming the flag or variable. */
int ls_reqopts_finish(struct ls_reqopts *o, struct ls_request *req, struct ls_error *err);

#endif

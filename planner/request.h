/* What a job asks for: reservation mode, CPU budget, --perf virtual topology, --smt, and the
 * budget resolved against the allowed CPUs (request.c, budget.c). */
#ifndef LLCSLICE_REQUEST_H
#define LLCSLICE_REQUEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "topology.h"

enum ls_mode { LS_MODE_SHARED, LS_MODE_DEDICATED, LS_MODE_EXCLUSIVE };

/* --smt: any = prefer whole cores (split one only when the budget needs it); full-cores =
 * whole cores only (Kubernetes' full-pcpus-only): a budget that is not a whole number of
 * cores is unsatisfiable, too few whole free cores is busy. */
enum ls_smt { LS_SMT_ANY, LS_SMT_FULL_CORES };

struct ls_perf_topo { /* --perf LLCSxCORESxTHREADS[,nodes=N] */
    unsigned llcs, cores, threads, nodes;
};

struct ls_request {
    enum ls_mode mode;
    size_t cpus;        /* explicit budget; 0 = default (30% of allowed, min 1) */
    bool cpus_explicit; /* from --cpus/--cpu-cap or LLCSLICE_CPU_CAP */
    bool has_perf;      /* exclusive mode: virtual topology given */
    struct ls_perf_topo perf;
    size_t vcpus; /* declared vCPU count (perf or YAML), 0 when none */
    enum ls_smt smt;
    unsigned pid;     /* the requester; placement no longer depends on it (deterministic) */
    bool ktstr_slots; /* --lock-prefix ktstr: exclusive --perf takes whole ktstr slots */
    const volatile sig_atomic_t *stop; /* optional: waiting gives up (busy) once *stop != 0 */
};

/* Budget: --cpus/--cpu-cap text > LLCSLICE_CPU_CAP > default. 0, negatives, garbage and
 * non-UTF-8 are usage errors; more than allowed is an error naming both numbers. */
int ls_budget_parse(const char *text, const char *what, size_t *out, struct ls_error *err);
size_t ls_default_budget(size_t allowed);
size_t ls_vm_budget(size_t allowed, size_t vcpus); /* seed's no_perf_cpu_budget */
/* LLCSxCORESxTHREADS[,nodes=N]: every count >= 1, at most 4096 LLCs, 1024 cores per LLC, 16
 * threads per core, 65536 vCPUs, nodes <= llcs. ls_perf_parse names the value "--perf" in
 * errors, ls_perf_parse_as `what`; ls_perf_check applies the same limits to a topology read
 * some other way (a slot file's {llcs, cores, threads, nodes}). */
int ls_perf_parse(const char *text, struct ls_perf_topo *out, struct ls_error *err);
int ls_perf_parse_as(const char *text, const char *what, struct ls_perf_topo *out,
                     struct ls_error *err);
int ls_perf_check(const struct ls_perf_topo *t, const char *what, struct ls_error *err);
/* what names the source in the error ("--mode"). */
int ls_mode_parse(const char *text, const char *what, enum ls_mode *out, struct ls_error *err);
/* "any" / "full-cores"; anything else is a usage error naming `what` (--smt, smt:). */
int ls_smt_parse(const char *text, const char *what, enum ls_smt *out, struct ls_error *err);
const char *ls_smt_name(enum ls_smt smt);
const char *ls_mode_name(enum ls_mode mode);

/* Explicit budget (req->cpus) checked against the allowed count, or the default (30%, or
 * ls_vm_budget when vCPUs are declared); exclusive --perf needs vCPUs + 1 service CPU. */
int ls_request_target(const struct ls_request *req, size_t allowed, size_t *target,
                      struct ls_error *err);
/* A request's budget resolved once per acquire, so its passes, the wait queue entry and the
 * busy message share one answer instead of each recounting allowed ∩ online. */
struct ls_budget {
    size_t allowed; /* allowed CPUs that are online */
    size_t target;  /* ls_request_target of the request; 0 = not resolved */
};
/* Count allowed ∩ online and apply ls_request_target: its errors, or LS_ERR_SYSTEM ENOMEM
 * (then b->target stays 0). */
int ls_budget_resolve(const struct ls_topology *topo, const ls_cpuset *allowed,
                      const struct ls_request *req, struct ls_budget *b, struct ls_error *err);
/* A request with defaults: shared mode, default budget, pid = getpid(). */
void ls_request_init(struct ls_request *req);

#endif

/* DISCOVER -> PLAN -> ACQUIRE: choose CPUs/LLCs for a request and hold their locks. */
#ifndef LLCSLICE_PLAN_H
#define LLCSLICE_PLAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cpuset.h"
#include "error.h"
#include "lockfile.h"
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
    unsigned pid; /* the requester; placement no longer depends on it (deterministic) */
    const volatile sig_atomic_t *stop; /* optional: waiting gives up (busy) once *stop != 0 */
};

/* What every lockfile looks like right now (one /proc/locks pass). */
struct ls_snapshot {
    size_t nllcs;
    unsigned *llc_shared;    /* [nllcs] shared holders per LLC */
    unsigned *llc_exclusive; /* [nllcs] exclusive holders per LLC */
    ls_cpuset cpu_held;      /* CPUs with an exclusive per-CPU lock held */
    /* [ncpus] LOCK_SH holders per CPU lockfile: shared-mode jobs marking the CPUs they run on.
     * NULL (ncpus 0) = nobody marks a CPU. */
    unsigned *cpu_shared;
    size_t ncpus;
};

struct ls_assignment {
    unsigned vcpu, host_cpu;
};

struct ls_plan {
    enum ls_mode mode;
    size_t target_cpus;
    size_t vcpus; /* the job's vCPU count (--perf, or declared): LLCSLICE_VCPUS; 0 = none */
    unsigned *locked_llcs; /* ascending = acquire order */
    size_t nlocked;
    ls_cpuset cpus;
    ls_cpuset mems;
    struct ls_assignment *assignments; /* exclusive mode */
    size_t nassignments;
    struct ls_perf_topo guest; /* exclusive --perf: the guest topology, else all 0 */
    int *guest_host_node;      /* [guest.nodes] host node id of each guest node's LLCs */
    int service_cpu;           /* exclusive mode, else -1 */
    int service_llc;     /* exclusive mode: the service CPU's LLC when it is not one of locked_llcs
                          * (then held LOCK_SH so no exclusive peer takes it), else -1 */
    ls_cpuset cpu_marks; /* shared mode: CPUs marked LOCK_SH (cpus minus others' LOCK_EX ones) */
    ls_cpuset overlap;   /* shared mode: CPUs of cpus other jobs also use (full host) */
    char **warnings;
    size_t nwarnings;
    char **explain; /* which rule chose what, one line each (plan -v) */
    size_t nexplain;
    int *fds; /* held lock fds, released by ls_plan_release */
    size_t nfds;
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

/* PLAN (pure): choose LLCs/CPUs for req given who holds what (snap NULL: nobody). No I/O.
 * Errors: LS_ERR_USAGE budget above allowed, LS_ERR_UNSAT never fits this host, LS_ERR_BUSY
 * fits but not with the current holders. */
int ls_plan_compute(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_snapshot *snap, const struct ls_request *req,
                    struct ls_plan *plan, struct ls_error *err);

/* DISCOVER: snapshot holders of every LLC/CPU lockfile overlapping `allowed`. */
int ls_snapshot_take(const struct ls_topology *topo, const ls_cpuset *allowed,
                     const struct ls_lockdir *ld, const struct ls_locktable *t,
                     struct ls_snapshot *snap, struct ls_error *err);
void ls_snapshot_free(struct ls_snapshot *snap);
/* A snapshot of an idle host (nobody holds anything), and a plan's locks counted as held in
 * one: what fits beside that plan, without taking a lock. */
int ls_snapshot_idle(const struct ls_topology *topo, struct ls_snapshot *snap,
                     struct ls_error *err);
int ls_snapshot_hold(struct ls_snapshot *snap, const struct ls_plan *plan, struct ls_error *err);

/* DISCOVER -> PLAN -> ACQUIRE, all-or-nothing, 3 retries after 10/50/200 ms. Busy after the
 * retries: LS_ERR_BUSY naming every holder. Plans around the reservations of live waiters
 * (waitq.h). Usage/unsatisfiable errors are returned at once, never retried. */
int ls_plan_acquire(const struct ls_topology *topo, const ls_cpuset *allowed,
                    const struct ls_lockdir *ld, const struct ls_request *req, struct ls_plan *plan,
                    struct ls_error *err);

/* Like ls_plan_acquire, but keeps retrying until acquired or timeout_ms passes (-1 =
 * forever), then LS_ERR_BUSY. Between passes it sleeps until a release or a waiter ahead
 * leaving wakes it (inotify on the lock dir, waitq.h), at most ls_wait_safety_poll_ms; where
 * inotify is unavailable it polls with backoff (10, 50, 200, then every 500 ms). Queues fairly
 * (waitq.h): reserves what it waits for so a stream of smaller requests cannot starve it.
 * on_wait (may be NULL) hears who we wait for once, and again whenever that changes. */
extern long long ls_wait_safety_poll_ms; /* default 2000; tests raise it */
int ls_plan_acquire_wait(const struct ls_topology *topo, const ls_cpuset *allowed,
                         const struct ls_lockdir *ld, const struct ls_request *req,
                         long long timeout_ms, void (*on_wait)(const char *who, void *ctx),
                         void *ctx, struct ls_plan *plan, struct ls_error *err);

/* Warnings: cross-node spill (only when no node could hold the budget), CPUs shared with
 * other jobs (shared mode, full host), overcommit (vCPUs > CPUs). Replaces the plan's
 * warnings; ls_plan_compute (and so every acquire) already calls it. */
int ls_plan_add_warnings(const struct ls_topology *topo, const struct ls_request *req,
                         struct ls_plan *plan);

/* Explicit budget (req->cpus) checked against the allowed count, or the default (30%, or
 * ls_vm_budget when vCPUs are declared); exclusive --perf needs vCPUs + 1 service CPU. */
int ls_request_target(const struct ls_request *req, size_t allowed, size_t *target,
                      struct ls_error *err);
/* A request with defaults: shared mode, default budget, pid = getpid(). */
void ls_request_init(struct ls_request *req);

/* Locks a computed plan takes, in acquire order: every LLC ascending, then CPUs ascending. */
struct ls_lock_step {
    enum ls_lock_kind kind;
    unsigned index;
    enum ls_lock_mode mode;
};
/* Fills *steps (caller frees); returns count or -1 on ENOMEM. */
int ls_plan_lock_steps(const struct ls_plan *plan, struct ls_lock_step **steps, size_t *n);
/* Try every step non-blocking, all or nothing: 1 all held (fds in plan), 0 busy (*busy_what
 * says which), -1 error. */
int ls_plan_try_lock(const struct ls_lockdir *ld, struct ls_plan *plan, char *busy_what,
                     size_t busy_size, struct ls_error *err);

/* "LLC 2: pid 123 (make) shared; CPU 5: pid 77 (cc) exclusive" for every lockfile of the
 * topology overlapping `allowed` (fresh /proc/locks read); "" when nobody holds one. */
int ls_describe_holders(const struct ls_topology *topo, const ls_cpuset *allowed,
                        const struct ls_lockdir *ld, char **out, struct ls_error *err);

/* Holders in table t that block `steps` (a shared step, LLC or CPU mark, is blocked by
 * exclusive holders only), same format; "" when none. */
int ls_describe_conflicts(const struct ls_lockdir *ld, const struct ls_locktable *t,
                          const struct ls_lock_step *steps, size_t nsteps, char **out,
                          struct ls_error *err);

/* The guest NUMA node of a vCPU of an exclusive --perf plan: virtual LLC l = vcpu / (cores x
 * threads) belongs to guest node g when l falls in g's share (the first llcs % nodes guest
 * nodes hold one virtual LLC more, as the seed's numa_aware_llc_order). */
unsigned ls_plan_vcpu_guest_node(const struct ls_plan *plan, unsigned vcpu);

void ls_plan_release(struct ls_plan *plan); /* LOCK_UN + close each fd: locks released */
/* Close the fds without unlocking: another holder of the same open files (the lock keeper,
 * supervisor/keeper.h) keeps the locks and releases them itself. */
void ls_plan_forget(struct ls_plan *plan);
void ls_plan_free(struct ls_plan *plan); /* releases and frees */

#endif

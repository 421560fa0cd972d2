/* `run --vmm qemu`: llcslice drives the VM it runs. Before the reservation: the user's qemu
 * arguments are checked (ls_vmm_check). With the plan: the arguments the plan fixes are
 * appended (ls_vmm_prepare). Once qemu runs: QMP in a private socket, vCPU threads pinned to
 * their host CPUs, every other thread to the service CPU, the plan file updated, and a
 * thread rescans for qemu's later threads until the job ends (ls_vmm_attach, ls_vmm_finish). */
#ifndef LLCSLICE_VMM_VMM_H
#define LLCSLICE_VMM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "planner/error.h"
#include "planner/plan.h"
#include "planner/topology.h"
#include "layout.h"
#include "pin.h"
#include "qemu_args.h"

/* How long qemu gets to answer on QMP by default. */
#define LS_VMM_DEFAULT_TIMEOUT_MS 60000

struct ls_vmm {
    /* set by the caller */
    const struct ls_perf_topo *perf;
    const struct ls_topology *topo;
    long long timeout_ms;
    bool verbose;
    /* state */
    struct ls_qemu_scan scan;
    struct ls_vm_layout layout;
    char dir[4096], sock[4200];
    char **argv;      /* the job's command with our arguments appended */
    size_t nborrowed; /* argv[0..nborrowed) are the caller's strings, the rest ours */
    char plan_path[4096];
    struct ls_pin_state pin;
    pthread_t rescan;
    bool rescanning;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool failed; /* attach failed and qemu was killed: the run ends 125 */
};

/* Is `name` a VMM we drive? "qemu" is; anything else is a usage error listing what is. */
int ls_vmm_parse(const char *name, struct ls_error *err);

/* Before anything is reserved: the request must be --perf in exclusive mode, the root the
 * real host, and cmd's arguments free of what --vmm qemu sets (usage errors). */
int ls_vmm_check(struct ls_vmm *v, const struct ls_request *req, bool simulated, char *const *cmd,
                 struct ls_error *err);

/* With the plan: the job's argv (cmd plus our arguments, in v->argv; cmd's strings are
 * borrowed until ls_vmm_finish) and a private directory for the QMP socket. */
int ls_vmm_prepare(struct ls_vmm *v, const struct ls_plan *plan, char *const *cmd,
                   const char *plan_path, struct ls_error *err);

/* After the job started in the shim `shim`: connect, pin, record, start rescanning. On
 * failure the error is reported on stderr, qemu is killed (unless it already exited) and
 * v->failed is set. Pending SIGINT/SIGTERM/SIGHUP stop the wait early (they reach qemu). */
void ls_vmm_attach(struct ls_vmm *v, pid_t shim);

/* After the job ended: stop rescanning, remove the socket directory, free. */
void ls_vmm_finish(struct ls_vmm *v);

#endif

#include "vmm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/clock.h"

int ls_vmm_parse(const char *name, struct ls_error *err)
{
    if (!strcmp(name, "qemu"))
        return 0;
    return ls_fail(err, LS_ERR_USAGE, EINVAL, "--vmm %s: unknown VMM (known: qemu)", name);
}

int ls_vmm_check(struct ls_vmm *v, const struct ls_request *req, bool simulated, char *const *cmd,
                 struct ls_error *err)
{
    if (!req->has_perf || req->mode != LS_MODE_EXCLUSIVE)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--vmm qemu pins a VM to a performance-mode plan: give --perf "
                       "LLCSxCORESxTHREADS[,nodes=N] (and no --mode other than exclusive)");
    if (simulated)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--vmm qemu pins threads to this machine's CPUs, but --fsroot/"
                       "LLCSLICE_FSROOT simulates another host");
    return ls_qemu_args_scan(cmd + 1, &req->perf, &v->scan, err);
}

int ls_vmm_prepare(struct ls_vmm *v, const struct ls_plan *plan, char *const *cmd,
                   const char *plan_path, struct ls_error *err)
{
    if (ls_vm_layout_build(&v->layout, v->perf, plan, v->topo, err) < 0)
        return -1;
    snprintf(v->plan_path, sizeof(v->plan_path), "%s", plan_path ? plan_path : "");
    const char *tmp = getenv("TMPDIR");
    snprintf(v->dir, sizeof(v->dir), "%s/llcslice-qmp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(v->dir)) {
        int e = errno;
        v->dir[0] = '\0';
        return ls_fail(err, LS_ERR_SYSTEM, e,
                       "cannot create a directory for qemu's QMP socket under %s: %s (set "
                       "TMPDIR to a writable directory)",
                       tmp && *tmp ? tmp : "/tmp", strerror(e));
    }
    snprintf(v->sock, sizeof(v->sock), "%s/qmp.sock", v->dir);
    if (strlen(v->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG,
                       "the QMP socket path %s is longer than a unix socket allows (107 bytes): "
                       "set TMPDIR to a shorter directory",
                       v->sock);
    char **extra = ls_qemu_args_build(&v->layout, v->scan.mem_mib, v->scan.mem_given, v->sock, err);
    if (!extra)
        return -1;
    size_t nc = 0, ne = 0;
    while (cmd[nc])
        nc++;
    while (extra[ne])
        ne++;
    /* The user's arguments are borrowed (they outlive the job); ours are owned. */
    v->argv = calloc(nc + ne + 1, sizeof(*v->argv));
    if (!v->argv) {
        ls_strv_free(extra);
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    }
    memcpy(v->argv, cmd, nc * sizeof(*v->argv));
    memcpy(v->argv + nc, extra, ne * sizeof(*v->argv));
    free(extra);
    v->nborrowed = nc;
    if (v->verbose) {
        fputs("llcslice: qemu arguments added:", stderr);
        for (size_t i = nc; v->argv[i]; i++)
            fprintf(stderr, " %s", v->argv[i]);
        fputc('\n', stderr);
    }
    return 0;
}

struct alive_ctx {
    pid_t shim;
    bool interrupted;
};

/* qemu is alive while the shim is (it exits only once the job is gone); a pending stop
 * signal ends the wait too (ls_job_wait forwards it). Neither reaps anything. */
static bool vmm_alive(void *p)
{
    struct alive_ctx *a = p;
    sigset_t pending;
    if (sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
         sigismember(&pending, SIGHUP))) {
        a->interrupted = true;
        return false;
    }
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)a->shim, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return false;
    return si.si_pid == 0;
}

/* Kill qemu: the peer of the QMP socket when known, else the shim's children (the job). */
static void kill_qemu(pid_t qemu, pid_t shim)
{
    if (qemu > 0) {
        kill(qemu, SIGKILL);
        return;
    }
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)shim, (int)shim);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    int pid, n = 0;
    while (f && fscanf(f, "%d", &pid) == 1) {
        kill(pid, SIGKILL);
        n++;
    }
    if (!n)
        kill(shim, SIGTERM); /* forwarded to the job */
}

static void *rescan_main(void *p)
{
    struct ls_vmm *v = p;
    long long start = ls_mono_ms();
    bool warned = false;
    pthread_mutex_lock(&v->mu);
    while (!v->stop) {
        /* Often while qemu is still starting its workers, rarely once it settled. */
        long long age = ls_mono_ms() - start;
        long interval = age < 5000 ? 100 : age < 60000 ? 500 : 5000;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += interval * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&v->cv, &v->mu, &ts);
        if (v->stop)
            break;
        int added = ls_pin_rescan(&v->pin);
        if (added < 0)
            break; /* qemu is gone */
        struct ls_error err = {0};
        if (added > 0 && v->plan_path[0] && ls_pin_record(&v->pin, v->plan_path, &err) < 0 &&
            !warned) {
            fprintf(stderr, "llcslice: warning: %s\n", err.msg);
            warned = true;
        }
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

void ls_vmm_attach(struct ls_vmm *v, pid_t shim)
{
    struct ls_error err = {0};
    struct alive_ctx a = {shim, false};
    struct ls_qmp q;
    struct ls_qmp_vcpu *vcpus = NULL;
    size_t n = 0;
    long long deadline = ls_mono_ms() + v->timeout_ms;
    if (ls_qmp_open(&q, v->sock, deadline, vmm_alive, &a, &err) < 0) {
        if (a.interrupted)
            return; /* the signal goes to qemu; nothing to pin */
        bool exited = err.code == ESRCH;
        fprintf(stderr, "llcslice: error: %s%s\n", err.msg,
                exited ? "; its exit status follows"
                       : "; qemu killed (raise the bound with --vmm-timeout)");
        if (!exited) {
            kill_qemu(0, shim);
            v->failed = true;
        }
        return;
    }
    pid_t qemu = q.peer_pid;
    if (ls_qmp_query_vcpus(&q, deadline, &vcpus, &n, &err) < 0 ||
        ls_pin_apply(&v->pin, qemu, vcpus, n, v->layout.vcpu_host, v->layout.nvcpus,
                     v->layout.service_cpu, &err) < 0 ||
        (v->plan_path[0] && ls_pin_record(&v->pin, v->plan_path, &err) < 0)) {
        /* qemu that ended on its own meanwhile keeps its exit status */
        bool gone = !vmm_alive(&a) && !a.interrupted;
        fprintf(stderr, "llcslice: error: pinning qemu (pid %d): %s; %s\n", (int)qemu, err.msg,
                gone ? "qemu exited, its exit status follows" : "qemu killed");
        if (!gone) {
            kill_qemu(qemu, shim);
            v->failed = true;
        }
        free(vcpus);
        ls_qmp_close(&q);
        return;
    }
    free(vcpus);
    ls_qmp_close(&q); /* not needed for the VM's life: pinning needs no more of it */
    if (v->verbose) {
        size_t service = 0;
        for (size_t i = 0; i < v->pin.n; i++)
            if (v->pin.t[i].vcpu >= 0)
                fprintf(stderr, "llcslice: qemu vCPU %d (thread %d) -> CPU %u\n", v->pin.t[i].vcpu,
                        (int)v->pin.t[i].tid, v->pin.t[i].cpu);
            else
                service++;
        fprintf(stderr,
                "llcslice: qemu (pid %d): %zu other thread(s) -> service CPU %d; all pinned "
                "%.0f ms after qemu started\n",
                (int)qemu, service, v->layout.service_cpu, v->pin.pinned_after_ms);
    }
    pthread_mutex_init(&v->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&v->cv, &ca);
    pthread_condattr_destroy(&ca);
    v->stop = false;
    /* The thread must not take the forwarded signals: it inherits our (blocking) mask. */
    v->rescanning = pthread_create(&v->rescan, NULL, rescan_main, v) == 0;
    if (!v->rescanning) {
        pthread_cond_destroy(&v->cv);
        pthread_mutex_destroy(&v->mu);
    }
}

void ls_vmm_finish(struct ls_vmm *v)
{
    if (v->rescanning) {
        pthread_mutex_lock(&v->mu);
        v->stop = true;
        pthread_cond_signal(&v->cv);
        pthread_mutex_unlock(&v->mu);
        pthread_join(v->rescan, NULL);
        pthread_cond_destroy(&v->cv);
        pthread_mutex_destroy(&v->mu);
        v->rescanning = false;
    }
    if (v->sock[0])
        unlink(v->sock);
    if (v->dir[0])
        rmdir(v->dir);
    v->sock[0] = v->dir[0] = '\0';
    if (v->argv) {
        for (char **p = v->argv + v->nborrowed; *p; p++)
            free(*p);
        free(v->argv);
        v->argv = NULL;
    }
    ls_pin_free(&v->pin);
    ls_vm_layout_free(&v->layout);
}

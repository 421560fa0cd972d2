#include "pin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/procstat.h"

/* Thread tid of pid: its id in the innermost pid namespace (last NSpid field); tid itself
 * when the kernel has no NSpid (before 4.1) or the thread is gone. */
static long ns_tid_of(pid_t pid, pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return tid;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "NSpid:", 6))
            continue;
        char *p = line + 6, *end;
        long last = tid;
        for (;;) {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            last = v;
            p = end;
        }
        return last;
    }
    return tid;
}

static int set_cpu(pid_t tid, unsigned cpu)
{
    cpu_set_t *set = CPU_ALLOC(cpu + 1);
    if (!set)
        return -1;
    size_t size = CPU_ALLOC_SIZE(cpu + 1);
    CPU_ZERO_S(size, set);
    CPU_SET_S(cpu, size, set);
    int rc = sched_setaffinity(tid, size, set);
    int e = errno;
    CPU_FREE(set);
    errno = e;
    return rc;
}

static bool known(const struct ls_pin_state *st, pid_t tid)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->t[i].tid == tid)
            return true;
    return false;
}

static int remember(struct ls_pin_state *st, struct ls_pinned p)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 32;
        struct ls_pinned *t = realloc(st->t, cap * sizeof(*t));
        if (!t)
            return -1;
        st->t = t;
        st->cap = cap;
    }
    st->t[st->n++] = p;
    return 0;
}

/* The process's threads as (our tid, its ns tid); -1 when it is gone. */
static int list_threads(pid_t pid, pid_t **tids, long **ns, size_t *n)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    _cleanup_closedir_ DIR *d = opendir(path);
    *tids = NULL;
    *ns = NULL;
    *n = 0;
    if (!d)
        return -1;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            pid_t *t = realloc(*tids, cap * sizeof(*t));
            if (t)
                *tids = t;
            long *s = realloc(*ns, cap * sizeof(*s));
            if (s)
                *ns = s;
            if (!t || !s)
                return -1;
        }
        pid_t tid = (pid_t)atoi(e->d_name);
        (*tids)[*n] = tid;
        (*ns)[(*n)++] = ns_tid_of(pid, tid);
    }
    return 0;
}

/* ms since the process started (its /proc/PID/stat starttime against CLOCK_BOOTTIME). */
static double age_ms(pid_t pid)
{
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
    struct ls_proc_stat st;
    if (ls_proc_stat_read(dir, &st) != 1)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    long hz = sysconf(_SC_CLK_TCK);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6 -
           (double)st.start * 1e3 / (hz > 0 ? hz : 100);
}

int ls_pin_apply(struct ls_pin_state *st, pid_t pid, const struct ls_qmp_vcpu *vcpus, size_t nvcpus,
                 const unsigned *vcpu_host, size_t nplanned, int service_cpu, struct ls_error *err)
{
    st->pid = pid;
    st->ns_pid = ns_tid_of(pid, pid);
    st->service_cpu = service_cpu;
    if (nvcpus != nplanned)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "qemu (pid %d) has %zu vCPU(s) but the plan places %zu: start it with "
                       "the plan's -smp (llcslice plan --perf ... --format qemu)",
                       (int)pid, nvcpus, nplanned);
    _cleanup_free_ pid_t *tids = NULL;
    _cleanup_free_ long *ns = NULL;
    size_t n;
    if (list_threads(pid, &tids, &ns, &n) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno ? errno : ESRCH,
                       "cannot list the threads of qemu (pid %d): did it exit?", (int)pid);
    for (size_t v = 0; v < nvcpus; v++) {
        if (vcpus[v].cpu_index >= nplanned)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "qemu reports vCPU index %u, the plan places vCPUs 0-%zu",
                           vcpus[v].cpu_index, nplanned - 1);
        size_t k = 0;
        while (k < n && ns[k] != vcpus[v].thread_id)
            k++;
        if (k == n)
            return ls_fail(err, LS_ERR_SYSTEM, ESRCH,
                           "vCPU %u's thread %ld is not a thread of qemu (pid %d)",
                           vcpus[v].cpu_index, vcpus[v].thread_id, (int)pid);
        unsigned cpu = vcpu_host[vcpus[v].cpu_index];
        if (set_cpu(tids[k], cpu) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, errno,
                           "pinning vCPU %u (thread %d of qemu pid %d) to CPU %u: %s",
                           vcpus[v].cpu_index, (int)tids[k], (int)pid, cpu, strerror(errno));
        if (remember(st, (struct ls_pinned){tids[k], ns[k], cpu, (int)vcpus[v].cpu_index}) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    }
    if (service_cpu >= 0)
        for (size_t k = 0; k < n; k++) {
            if (known(st, tids[k]))
                continue;
            if (set_cpu(tids[k], (unsigned)service_cpu) < 0) {
                if (errno == ESRCH)
                    continue; /* a thread that just ended */
                return ls_fail(err, LS_ERR_SYSTEM, errno,
                               "pinning thread %d of qemu (pid %d) to the service CPU %d: %s",
                               (int)tids[k], (int)pid, service_cpu, strerror(errno));
            }
            if (remember(st, (struct ls_pinned){tids[k], ns[k], (unsigned)service_cpu, -1}) < 0)
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        }
    st->pinned_after_ms = age_ms(pid);
    return 0;
}

/* Exited: gone, or a zombie its parent has not reaped yet (that parent may be waiting for us,
 * as a shell running `qemu & llcslice pin --follow; wait` is). */
static bool exited(pid_t pid)
{
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
    struct ls_proc_stat st;
    return ls_proc_stat_read(dir, &st) != 1 || st.state == 'Z' || st.state == 'X';
}

int ls_pin_rescan(struct ls_pin_state *st)
{
    if (exited(st->pid))
        return -1;
    _cleanup_free_ pid_t *tids = NULL;
    _cleanup_free_ long *ns = NULL;
    size_t n;
    if (list_threads(st->pid, &tids, &ns, &n) < 0 || n == 0)
        return -1;
    int added = 0;
    for (size_t k = 0; k < n && st->service_cpu >= 0; k++) {
        if (known(st, tids[k]))
            continue;
        if (set_cpu(tids[k], (unsigned)st->service_cpu) < 0)
            continue; /* ended meanwhile */
        if (remember(st, (struct ls_pinned){tids[k], ns[k], (unsigned)st->service_cpu, -1}) < 0)
            break;
        added++;
    }
    return added;
}

static json_object *applied_json(const struct ls_pin_state *st)
{
    json_object *a = json_object_new_object(), *vt = json_object_new_array(),
                *sv = json_object_new_array();
    json_object_object_add(a, "vmm", json_object_new_string("qemu"));
    json_object_object_add(a, "pid", json_object_new_int64(st->ns_pid));
    for (size_t i = 0; i < st->n; i++) {
        json_object *row = json_object_new_array();
        if (st->t[i].vcpu >= 0)
            json_object_array_add(row, json_object_new_int(st->t[i].vcpu));
        json_object_array_add(row, json_object_new_int64(st->t[i].ns_tid));
        json_object_array_add(row, json_object_new_int64(st->t[i].cpu));
        json_object_array_add(st->t[i].vcpu >= 0 ? vt : sv, row);
    }
    json_object_object_add(a, "vcpu_threads", vt);
    json_object_object_add(a, "service_threads", sv);
    if (st->service_cpu >= 0)
        json_object_object_add(a, "service_cpu", json_object_new_int(st->service_cpu));
    char ms[32];
    double after = st->pinned_after_ms < 0 ? 0 : st->pinned_after_ms;
    snprintf(ms, sizeof(ms), "%.1f", after);
    json_object_object_add(a, "pinned_after_ms", json_object_new_double_s(after, ms));
    return a;
}

int ls_pin_record(const struct ls_pin_state *st, const char *plan_path, struct ls_error *err)
{
    json_object *plan = json_object_from_file(plan_path);
    if (!plan || !json_object_is_type(plan, json_type_object)) {
        json_object_put(plan);
        const char *why = json_util_get_last_err();
        why = why ? why : "not a JSON object";
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "cannot read the plan file %s: %.*s", plan_path,
                       (int)strcspn(why, "\n"), why);
    }
    json_object_object_add(plan, "applied", applied_json(st));
    size_t len = strlen(plan_path);
    _cleanup_free_ char *tmp = malloc(len + 16);
    int rc = -1;
    if (!tmp) {
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, len + 16, "%s.tmpXXXXXX", plan_path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ls_fail(err, LS_ERR_SYSTEM, errno, "cannot write beside the plan file %s: %s", plan_path,
                strerror(errno));
        goto out;
    }
    fchmod(fd, 0644);
    const char *text =
        json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
    size_t tl = strlen(text);
    bool ok = write(fd, text, tl) == (ssize_t)tl && write(fd, "\n", 1) == 1;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, plan_path) < 0) {
        int e = errno ? errno : EIO;
        unlink(tmp);
        ls_fail(err, LS_ERR_SYSTEM, e, "cannot update the plan file %s: %s", plan_path,
                strerror(e));
        goto out;
    }
    rc = 0;
out:
    json_object_put(plan);
    return rc;
}

void ls_pin_write_json(FILE *out, const struct ls_pin_state *st)
{
    json_object *a = applied_json(st);
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
    json_object_put(a);
}

void ls_pin_free(struct ls_pin_state *st)
{
    free(st->t);
    *st = (struct ls_pin_state)LS_PIN_STATE_INIT;
}

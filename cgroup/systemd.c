/* The systemd cgroup manager (see systemd.h). The protocol is crun's and runc's: subscribe to
 * JobRemoved before StartTransientUnit, then process the bus until the returned job is removed
 * and check its result ("done"). AllowedCPUs=/AllowedMemoryNodes= travel as byte arrays, bit i
 * of byte j being CPU 8*j+i (systemd's cpu_set_to_dbus). */
#include "systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sdbus.h"
#include "planner/cleanup.h"
#include "planner/strv.h"
#include "planner/clock.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define CG_ROOT "/sys/fs/cgroup"
/* Bus calls and jobs are slow on a loaded host (seen: seconds under TCG); never hang forever. */
#define CALL_TIMEOUT_US (120ull * 1000 * 1000)
#define JOB_TIMEOUT_US (300ull * 1000 * 1000)

int ls_cg_manager_parse(const char *text, const char *what, enum ls_cg_manager *out,
                        struct ls_error *err)
{
    if (!strcmp(text, "auto"))
        *out = LS_CGM_AUTO;
    else if (!strcmp(text, "systemd"))
        *out = LS_CGM_SYSTEMD;
    else if (!strcmp(text, "cgroupfs"))
        *out = LS_CGM_CGROUPFS;
    else
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s: unknown cgroup manager '%s' (auto, systemd or cgroupfs)", what, text);
    return 0;
}

const char *ls_cg_manager_name(enum ls_cg_manager m)
{
    return m == LS_CGM_SYSTEMD ? "systemd" : m == LS_CGM_CGROUPFS ? "cgroupfs" : "auto";
}

bool ls_systemd_host(char *why, size_t size)
{
    struct stat st;
    if (lstat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, size, "systemd is not the init system (no /run/systemd/system)");
        return false;
    }
    struct statfs fs;
    if (statfs(CG_ROOT, &fs) < 0 || (unsigned long)fs.f_type != CGROUP2_SUPER_MAGIC) {
        snprintf(why, size,
                 "%s is not a pure cgroup v2 mount (a hybrid or v1 host: systemd's AllowedCPUs= "
                 "needs cgroup v2)",
                 CG_ROOT);
        return false;
    }
    return true;
}

void ls_systemd_job_name(const char *job, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = job ? job : ""; *p && o + 1 < size && o < 64; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '-';
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
    if (!o)
        snprintf(out, size, "job");
}

/* Cleanup helpers of our own: sd-bus.h's call the linked library, which we do not link. */
static void msg_unrefp(sd_bus_message **m)
{
    if (*m)
        sd_bus_message_unref(*m);
}
static void slot_unrefp(sd_bus_slot **s)
{
    if (*s)
        sd_bus_slot_unref(*s);
}
static void error_freep(sd_bus_error *e)
{
    if (ls_sdbus)
        sd_bus_error_free(e);
}
#define _cleanup_msg_ __attribute__((cleanup(msg_unrefp)))

static int bus_fail(struct ls_error *err, int r, const sd_bus_error *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bus_fail(struct ls_error *err, int r, const sd_bus_error *e, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int code = e && sd_bus_error_is_set(e) ? sd_bus_error_get_errno(e) : -r;
    if (code <= 0)
        code = EIO;
    return ls_fail(err, LS_ERR_SYSTEM, code, "%s: %s", what,
                   e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(code));
}

int ls_scope_open(struct ls_scope *s, struct ls_error *err)
{
    memset(s, 0, sizeof(*s));
    s->user = geteuid() != 0;
    char why[512];
    if (!ls_sdbus_load(why, sizeof(why)))
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT, "cannot use systemd's bus: %s", why);
    sd_bus *bus = NULL;
    int r = s->user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot reach systemd on the %s bus: %s%s",
                       s->user ? "user" : "system", strerror(-r),
                       s->user ? " (is there a user manager for this user, with "
                                 "XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS set? 'loginctl "
                                 "enable-linger USER' starts one)"
                               : "");
    s->bus = (struct sd_bus *)bus;
    sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_US);
    sd_bus_error e = SD_BUS_ERROR_NULL;
    _cleanup_free_ char *cg = NULL;
    r = sd_bus_get_property_string(bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &cg);
    if (r < 0) {
        bus_fail(err, r, &e, "systemd does not answer on the %s bus (ControlGroup)",
                 s->user ? "user" : "system");
        sd_bus_error_free(&e);
        ls_scope_close(s);
        return -1;
    }
    snprintf(s->manager_cg, sizeof(s->manager_cg), "%s", *cg ? cg : "/");
    return 0;
}

static int cgroup_of(pid_t pid, char *out, size_t size);

bool ls_scope_has_cpuset(const struct ls_scope *s, char *why, size_t size)
{
    _cleanup_free_ char *ctl = NULL;
    int r = ls_cg_readf(&ctl, CG_ROOT "%s/cgroup.controllers",
                        strcmp(s->manager_cg, "/") ? s->manager_cg : "");
    if (r == 0 && ls_cg_has_word(ctl, "cpuset"))
        return true;
    if (r == 0)
        ctl[strcspn(ctl, "\n")] = '\0';
    if (s->user)
        snprintf(why, size,
                 "your user manager (%s) has no cpuset controller delegated to it (its "
                 "cgroup.controllers: %s), so systemd cannot give the job's scope "
                 "AllowedCPUs=; fix: as root, 'mkdir -p /etc/systemd/system/user@.service.d' and "
                 "write a drop-in there with '[Service]' and 'Delegate=cpu cpuset io memory "
                 "pids', then 'systemctl daemon-reload' and log in again",
                 s->manager_cg, r == 0 ? ctl : strerror(-r));
    else
        snprintf(why, size, "the cgroup v2 root offers no cpuset controller (%s)",
                 r == 0 ? ctl : strerror(-r));
    return false;
}

bool ls_scope_reaches_self(const struct ls_scope *s, char *why, size_t size)
{
    char own[4096];
    if (!s->user || cgroup_of(getpid(), own, sizeof(own)) < 0)
        return true; /* the system manager may move any process; unknown: let systemd say */
    size_t n = strlen(s->manager_cg);
    if (!strncmp(own, s->manager_cg, n) && (own[n] == '/' || own[n] == '\0'))
        return true;
    snprintf(why, size,
             "llcslice runs in %s, outside your user manager's cgroup tree (%s), so the user "
             "manager may not move the job into a scope (the kernel lets it move only processes "
             "of its own tree); start llcslice through it: 'systemd-run --user --pipe --wait "
             "llcslice run ...'",
             own, s->manager_cg);
    return false;
}

/* Bits of a cpuset as systemd's D-Bus byte array; *len 0 for an empty set. */
static uint8_t *cpuset_bytes(const ls_cpuset *set, size_t *len)
{
    int last = ls_cpuset_last(set);
    *len = last < 0 ? 0 : (size_t)last / 8 + 1;
    uint8_t *b = calloc(*len ? *len : 1, 1);
    if (!b)
        return NULL;
    LS_CPUSET_FOREACH(cpu, set)
    b[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
    return b;
}

struct job_wait {
    const char *path; /* the job to wait for, NULL until StartTransientUnit answered */
    bool done;
    char result[64];
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    (void)ret_error;
    struct job_wait *w = userdata;
    uint32_t id;
    const char *path, *unit, *result;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
        return 0;
    if (w->path && !strcmp(w->path, path)) {
        w->done = true;
        snprintf(w->result, sizeof(w->result), "%s", result);
    }
    return 0;
}

static int wait_job(sd_bus *bus, struct job_wait *w, const char *unit, struct ls_error *err)
{
    uint64_t end = ls_mono_ns() / 1000u + JOB_TIMEOUT_US;
    while (!w->done) {
        int r = sd_bus_process(bus, NULL);
        if (r < 0)
            return bus_fail(err, r, NULL, "waiting for systemd to start %s", unit);
        if (r > 0)
            continue;
        uint64_t t = ls_mono_ns() / 1000u;
        if (t >= end)
            return ls_fail(err, LS_ERR_SYSTEM, ETIMEDOUT,
                           "systemd did not finish starting %s within %llu s", unit,
                           (unsigned long long)(JOB_TIMEOUT_US / 1000000u));
        r = sd_bus_wait(bus, end - t);
        if (r < 0)
            return bus_fail(err, r, NULL, "waiting for systemd to start %s", unit);
    }
    if (strcmp(w->result, "done"))
        return ls_fail(err, LS_ERR_SYSTEM, EIO,
                       "systemd could not start %s: its job ended '%s' (see 'journalctl -u %s')",
                       unit, w->result, unit);
    return 0;
}

/* The cgroup v2 path of pid ("0::/..." in /proc/PID/cgroup), relative to the root. */
static int cgroup_of(pid_t pid, char *out, size_t size)
{
    char file[64];
    snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
    _cleanup_fclose_ FILE *f = fopen(file, "re");
    if (!f)
        return -errno;
    char line[4200];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "0::", 3))
            continue;
        line[strcspn(line, "\n")] = '\0';
        return snprintf(out, size, "%s", line + 3) < (int)size ? 0 : -ENAMETOOLONG;
    }
    return -ENOENT;
}

static int append_props(sd_bus_message *m, const struct ls_scope_opts *o, const char *desc,
                        pid_t pid, const uint8_t *cpus, size_t ncpus, const uint8_t *mems,
                        size_t nmems)
{
    int r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s",
                                  o->slice ? o->slice : LS_SYSTEMD_SLICE_DEFAULT, "Delegate", "b",
                                  1, "CollectMode", "s", "inactive-or-failed", "PIDs", "au", 1,
                                  (uint32_t)pid);
    /* No Conflicts=shutdown.target ordering games: a job is a process, not a service. */
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)", "DefaultDependencies", "b", 0);
    const char *names[2] = {"AllowedCPUs", "AllowedMemoryNodes"};
    const uint8_t *bytes[2] = {cpus, mems};
    size_t lens[2] = {ncpus, nmems};
    for (int i = 0; i < 2 && r >= 0; i++) {
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
            r = sd_bus_message_append(m, "s", names[i]);
        if (r >= 0)
            r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
            r = sd_bus_message_append_array(m, 'y', bytes[i], lens[i]);
        if (r >= 0)
            r = sd_bus_message_close_container(m);
        if (r >= 0)
            r = sd_bus_message_close_container(m);
    }
    if (r >= 0 && o->memory_max)
        r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", o->memory_max);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    if (r >= 0)
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
    return r;
}

static int check_effective(struct ls_scope *s, const char *file, const char *what,
                           const ls_cpuset *want, bool explicit_budget, struct ls_error *err)
{
    _cleanup_free_ char *g = NULL, *w = NULL;
    char path[8300];
    int r = ls_cg_effective_cmp(s->path, file, want, &g, &w, path, sizeof(path), err);
    if (r < 0 && err->category == LS_ERR_SYSTEM)
        ls_error_prefix(err, "systemd did not enable cpuset for the scope %s", s->unit);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (explicit_budget)
        return ls_fail(err, LS_ERR_UNSAT, ERANGE,
                       "systemd gives the job's scope %s %s %s, not the planned %s (%s): its "
                       "slice does not grant them all; pick another --slice or budget",
                       s->unit, what, g ? g : "?", w ? w : "?", path);
    ls_strv_appendf(&s->warnings, &s->nwarnings,
                    "systemd gives the job's scope %s %s instead of the planned %s (%s)", what,
                    g ? g : "?", w ? w : "?", path);
    return 0;
}

int ls_scope_start(struct ls_scope *s, const struct ls_scope_opts *o, pid_t pid,
                   struct ls_error *err)
{
    sd_bus *bus = (sd_bus *)s->bus;
    if (!bus)
        return ls_fail(err, LS_ERR_SYSTEM, ENOTCONN, "systemd scope: not connected");
    char job[80], id[128];
    ls_systemd_job_name(o->job, job, sizeof(job));
    int r = ls_cg_job_name(id, sizeof(id));
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "naming the job's scope: %s", strerror(-r));
    snprintf(s->unit, sizeof(s->unit), LS_CG_PREFIX "%s-%s.scope", job, id + strlen(LS_CG_PREFIX));
    _cleanup_free_ char *cl = ls_cpuset_format(o->cpus);
    _cleanup_free_ char *ml = ls_cpuset_format(o->mems);
    char desc[512];
    snprintf(desc, sizeof(desc), "llcslice job %s (CPUs %s, memory nodes %s)",
             o->job ? o->job : job, cl ? cl : "?", ml ? ml : "?");
    size_t ncpus, nmems;
    _cleanup_free_ uint8_t *cpus = cpuset_bytes(o->cpus, &ncpus);
    _cleanup_free_ uint8_t *mems = cpuset_bytes(o->mems, &nmems);
    if (!cpus || !mems)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");

    struct job_wait w = {0};
    __attribute__((cleanup(slot_unrefp))) sd_bus_slot *slot = NULL;
    _cleanup_msg_ sd_bus_message *m = NULL;
    _cleanup_msg_ sd_bus_message *reply = NULL;
    __attribute__((cleanup(error_freep))) sd_bus_error e = SD_BUS_ERROR_NULL;
    /* Subscribe first: the job may be removed before the call's reply is read. */
    r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed,
                            &w);
    if (r < 0)
        return bus_fail(err, r, NULL, "subscribing to systemd's JobRemoved");
    r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
    if (r >= 0)
        r = sd_bus_message_append(m, "ss", s->unit, "fail");
    if (r >= 0)
        r = append_props(m, o, desc, pid, cpus, ncpus, mems, nmems);
    if (r < 0)
        return bus_fail(err, r, NULL, "building the StartTransientUnit call for %s", s->unit);
    r = sd_bus_call(bus, m, CALL_TIMEOUT_US, &e, &reply);
    if (r < 0) {
        bus_fail(err, r, &e, "systemd refused the scope %s (StartTransientUnit)", s->unit);
        s->unit[0] = '\0';
        return -1;
    }
    const char *jobpath;
    r = sd_bus_message_read(reply, "o", &jobpath);
    if (r < 0)
        return bus_fail(err, r, NULL, "reading systemd's answer for %s", s->unit);
    w.path = jobpath;
    if (wait_job(bus, &w, s->unit, err) < 0)
        return -1;

    char rel[4096];
    r = cgroup_of(pid, rel, sizeof(rel));
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading /proc/%d/cgroup: %s", (int)pid,
                       strerror(-r));
    const char *base = strrchr(rel, '/');
    if (!base || strcmp(base + 1, s->unit))
        return ls_fail(err, LS_ERR_SYSTEM, EIO,
                       "systemd started %s but the job's process is in cgroup %s, not in it",
                       s->unit, rel);
    snprintf(s->path, sizeof(s->path), CG_ROOT "%s", rel);
    if (check_effective(s, "cpuset.cpus.effective", "CPUs", o->cpus, o->budget_explicit, err) < 0 ||
        check_effective(s, "cpuset.mems.effective", "memory nodes", o->mems, o->budget_explicit,
                        err) < 0)
        return -1;
    return 0;
}

/* 1 populated, 0 empty or gone, -errno when unreadable. */
static int populated(const char *dir)
{
    _cleanup_free_ char *ev = NULL;
    int r = ls_cg_readf(&ev, "%s/cgroup.events", dir);
    if (r == -ENOENT || r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    const char *p = strstr(ev, "populated ");
    return p && p[10] == '1' ? 1 : 0;
}

int ls_scope_stop(struct ls_scope *s, long timeout_ms, struct ls_error *err)
{
    if (!s->unit[0] || !s->path[0])
        return 0;
    int r = populated(s->path);
    if (r > 0 && s->bus) {
        /* Leftovers of a finished job: SIGKILL, as the cgroupfs manager does. */
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_call_method((sd_bus *)s->bus, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", &e, NULL,
                           "ssi", s->unit, "all", (int32_t)SIGKILL);
        sd_bus_error_free(&e);
    }
    for (long waited = 0; r > 0; waited += 10) {
        if (waited >= timeout_ms)
            return ls_fail(err, LS_ERR_SYSTEM, EBUSY,
                           "the job's scope %s still holds processes after %ld ms ('systemctl "
                           "stop %s' ends them)",
                           s->unit, timeout_ms, s->unit);
        ls_sleep_ms(10);
        r = populated(s->path);
    }
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s/cgroup.events: %s", s->path,
                       strerror(-r));
    s->unit[0] = '\0';
    return 0;
}

void ls_scope_close(struct ls_scope *s)
{
    if (s->bus)
        sd_bus_flush_close_unref((sd_bus *)s->bus);
    s->bus = NULL;
    for (size_t i = 0; i < s->nwarnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    s->warnings = NULL;
    s->nwarnings = 0;
}

/* The supervisor part of "llcslice-<job>-<pid>-<start>[-ns<ino>]-<hex>.scope": the shortest
 * tail that parses as a job group name (a job name may itself contain dashes and digits). */
static bool scope_owner(const char *unit, struct ls_cg_owner *o)
{
    size_t plen = strlen(LS_CG_PREFIX), len = strlen(unit);
    if (strncmp(unit, LS_CG_PREFIX, plen) || len < 6 || strcmp(unit + len - 6, ".scope"))
        return false;
    char name[512];
    for (size_t i = len - 6; i > plen; i--) {
        if (unit[i - 1] != '-')
            continue;
        snprintf(name, sizeof(name), LS_CG_PREFIX "%.*s", (int)(len - 6 - i), unit + i);
        if (ls_cg_parse_name(name, o))
            return true;
    }
    return false;
}

static void sweep_add(struct ls_sweep_entry **arr, size_t *n, const char *path, const char *reason)
{
    struct ls_sweep_entry *na = realloc(*arr, (*n + 1) * sizeof(**arr));
    if (!na)
        return;
    *arr = na;
    char *p = strdup(path), *r = strdup(reason);
    if (!p || !r) {
        free(p);
        free(r);
        return;
    }
    (*arr)[(*n)++] = (struct ls_sweep_entry){p, r};
}

int ls_scope_sweep(struct ls_sweep_result *res, struct ls_error *err)
{
    char why[512];
    if (!ls_systemd_host(why, sizeof(why)))
        return 0;
    struct ls_scope s;
    struct ls_error oerr = {0};
    if (ls_scope_open(&s, &oerr) < 0)
        return 0; /* no manager to ask: nothing of ours can be there */
    sd_bus *bus = (sd_bus *)s.bus;
    _cleanup_msg_ sd_bus_message *reply = NULL;
    _cleanup_msg_ sd_bus_message *m = NULL;
    __attribute__((cleanup(error_freep))) sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                           "ListUnitsByPatterns");
    if (r >= 0)
        r = sd_bus_message_append(m, "as", 0);
    if (r >= 0)
        r = sd_bus_message_append(m, "as", 1, LS_CG_PREFIX "*.scope");
    if (r >= 0)
        r = sd_bus_call(bus, m, CALL_TIMEOUT_US, &e, &reply);
    if (r >= 0)
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
    if (r < 0) {
        bus_fail(err, r, &e, "listing llcslice scopes");
        ls_scope_close(&s);
        return -1;
    }
    int stopped = 0;
    const char *name, *desc, *load, *active, *sub, *following, *jtype, *jpath;
    const char *upath;
    uint32_t jid;
    while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, &desc, &load, &active, &sub,
                                    &following, &upath, &jid, &jtype, &jpath)) > 0) {
        struct ls_cg_owner o;
        if (!scope_owner(name, &o))
            continue;
        enum ls_owner_state st = ls_cg_owner_state(&o);
        if (st != LS_OWNER_DEAD) {
            sweep_add(&res->kept, &res->nkept, name,
                      st == LS_OWNER_ALIVE ? "its supervisor is running"
                                           : "cannot tell whether its supervisor runs");
            continue;
        }
        sd_bus_error se = SD_BUS_ERROR_NULL;
        int sr = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &se, NULL, "ss",
                                    name, "replace");
        if (sr < 0) {
            char msg[600];
            snprintf(msg, sizeof(msg), "StopUnit: %s", se.message ? se.message : strerror(-sr));
            sweep_add(&res->failed, &res->nfailed, name, msg);
        } else {
            sweep_add(&res->removed, &res->nremoved, name, "its supervisor is gone: stopped");
            stopped++;
        }
        sd_bus_error_free(&se);
    }
    ls_scope_close(&s);
    return stopped;
}

void ls_scope_of_pid(pid_t pid, char *out, size_t size)
{
    char rel[4096];
    out[0] = '\0';
    if (cgroup_of(pid, rel, sizeof(rel)) < 0)
        return;
    struct ls_cg_owner o;
    /* The job's cgroup may be a child the job made inside its (delegated) scope. */
    for (char *p = rel; (p = strstr(p, "/" LS_CG_PREFIX)); p++) {
        size_t n = strcspn(p + 1, "/");
        char unit[256];
        if (n >= sizeof(unit))
            continue;
        snprintf(unit, sizeof(unit), "%.*s", (int)n, p + 1);
        if (scope_owner(unit, &o)) {
            snprintf(out, size, "%s", unit);
            return;
        }
    }
}

/* Does systemd own this component of a cgroup path (a unit's cgroup)? */
static const char *unit_suffix(const char *name, size_t len)
{
    static const char *const sfx[] = {".service", ".scope", ".slice"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(sfx[i]);
        if (len > n && !strncmp(name + len - n, sfx[i], n))
            return sfx[i];
    }
    return NULL;
}

/* The deepest unit cgroup at or above rel (name, length, suffix); false when there is none. */
static bool deepest_unit(const char *rel, const char **unit, size_t *ulen, const char **sfx)
{
    *unit = NULL;
    for (const char *p = rel; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        const char *s = n ? unit_suffix(p, n) : NULL;
        if (s) {
            *unit = p;
            *ulen = n;
            *sfx = s;
        }
        p += n;
    }
    return *unit != NULL;
}

static bool has_delegate_xattr(const char *dir)
{
    char v[8];
    return getxattr(dir, "trusted.delegate", v, sizeof(v)) > 0 ||
           getxattr(dir, "user.delegate", v, sizeof(v)) > 0;
}

enum ls_delegation ls_systemd_delegation(const char *mount, const char *rel)
{
    const char *unit, *sfx;
    size_t ulen;
    if (!deepest_unit(rel, &unit, &ulen, &sfx))
        return LS_DELEG_NONE;
    char dir[8192];
    snprintf(dir, sizeof(dir), "%s/%.*s", mount, (int)(unit + ulen - rel), rel);
    return strcmp(sfx, ".slice") && has_delegate_xattr(dir) ? LS_DELEG_DELEGATED : LS_DELEG_OWNED;
}

int ls_systemd_check_delegated(const char *mount, const char *parent_rel, struct ls_error *err)
{
    /* The deepest unit cgroup at or above the parent decides: inside a delegated unit the
     * subtree is ours, anywhere else in a systemd-managed tree it is systemd's. */
    if (ls_systemd_delegation(mount, parent_rel) != LS_DELEG_OWNED)
        return 0;
    const char *unit, *sfx;
    size_t ulen;
    deepest_unit(parent_rel, &unit, &ulen, &sfx);
    char dir[8192];
    snprintf(dir, sizeof(dir), "%s/%.*s", mount, (int)(unit + ulen - parent_rel), parent_rel);
    /* Unprivileged, this was never writable: keep the errno that makes run fall back. */
    int code = geteuid() ? EACCES : EREMOTE;
    if (strcmp(sfx, ".slice"))
        return ls_fail(err, LS_ERR_SYSTEM, code,
                       "the cgroup %s belongs to the systemd unit %.*s, which was not given "
                       "Delegate=: systemd owns it, and would undo a cpuset llcslice set up "
                       "there on its next daemon-reload (the job would run unconfined), so "
                       "llcslice creates no group and moves no process in it. Fix: add "
                       "'Delegate=yes' to %.*s ('systemctl edit %.*s'), or run with "
                       "--cgroup-manager systemd (a transient scope per job)",
                       dir, (int)ulen, unit, (int)ulen, unit, (int)ulen, unit);
    return ls_fail(err, LS_ERR_SYSTEM, code,
                   "the cgroup %s is the systemd slice %.*s: systemd owns it (slices are never "
                   "delegated), and would undo a cpuset llcslice set up there on its next "
                   "daemon-reload. Fix: run with --cgroup-manager systemd --slice %.*s, or from "
                   "a unit with 'Delegate=yes'",
                   dir, (int)ulen, unit, (int)ulen, unit);
}

bool ls_systemd_self_delegated(void)
{
    char own[4096];
    return cgroup_of(getpid(), own, sizeof(own)) == 0 &&
           ls_systemd_delegation(CG_ROOT, own) == LS_DELEG_DELEGATED;
}

void ls_scope_of_holder(pid_t pid, char *out, size_t size)
{
    ls_scope_of_pid(pid, out, size);
    if (*out)
        return;
    /* The supervisor holds the locks; its child, the job's init shim, is in the scope. */
    _cleanup_free_ char *kids = NULL;
    if (ls_cg_readf(&kids, "/proc/%d/task/%d/children", (int)pid, (int)pid) < 0)
        return;
    char *save = NULL;
    for (char *t = strtok_r(kids, " \n", &save); t && !*out; t = strtok_r(NULL, " \n", &save))
        ls_scope_of_pid((pid_t)atoi(t), out, size);
}

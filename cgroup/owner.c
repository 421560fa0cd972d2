/* Group names carry their owner: "llcslice-<pid>-<starttime>[-ns<pidns inode>]-<hex>", so a later
 * sweep can tell a dead (or reused) supervisor pid from a live one without any other record. The
 * pid is the one the supervisor has in its own pid namespace; a supervisor outside the initial pid
 * namespace (llcslice run inside an llcslice job) names that namespace, and a sweep elsewhere
 * looks the owner up by namespace and NSpid instead of reading a stranger's /proc/<pid>. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"
#include "planner/procstat.h"
#include "planner/clock.h"

/* Field 22 of <procdir>/stat: 1 with *start, 0 when the process is gone or a zombie (an exited
 * owner), -errno when /proc cannot tell (EMFILE, ENOMEM, ...): then nobody may call it gone. */
static int start_at(const char *procdir, unsigned long long *start)
{
    struct ls_proc_stat st;
    int r = ls_proc_stat_read(procdir, &st);
    if (r <= 0)
        return r;
    if (st.state == 'Z' || st.state == 'X')
        return 0;
    if (st.start == 0)
        return -EIO;
    *start = st.start;
    return 1;
}

static unsigned long long start_of(const char *procdir)
{
    unsigned long long v = 0;
    return start_at(procdir, &v) == 1 ? v : 0;
}

unsigned long long ls_cg_proc_start(pid_t pid)
{
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
    return start_of(dir);
}

uint64_t ls_cg_pidns_of(const char *procdir)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "%.40s/ns/pid", procdir);
    return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Does /proc show processes as this pid namespace numbers them? (Not when the job's /proc is
 * the host's, as in a pid namespace without a mount namespace of its own.) */
static bool proc_is_ours(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strtol(buf, NULL, 10) == (long)getpid();
}

/* The slot job this process runs ("" for run): the group name carries it so `locks`-era
 * tools and a cgroup listing tell jobs apart. One process runs one job, hence a global. */
static char job_label[LS_CG_LABEL_MAX + 1];

void ls_cg_set_label(const char *label)
{
    size_t n = 0;
    for (; label && label[n] && n < LS_CG_LABEL_MAX; n++) {
        char c = label[n];
        job_label[n] = isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' ? c : '_';
    }
    job_label[n] = '\0';
}

int ls_cg_job_name(char *buf, size_t size)
{
    uint32_t rnd;
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
        rnd = (uint32_t)(ls_mono_ns() % 1000000000u) ^ (uint32_t)getpid() << 16;
    }
    char ns[40] = "";
    uint64_t pidns = ls_cg_pidns_of("/proc/self");
    if (pidns && pidns != LS_PIDNS_INIT)
        snprintf(ns, sizeof(ns), "ns%" PRIu64 "-", pidns);
    /* A name without our real start time would look orphaned to every sweep. */
    unsigned long long start = 0;
    int r = start_at("/proc/self", &start);
    if (r <= 0)
        return r < 0 ? r : -ESRCH;
    int n = snprintf(buf, size, LS_CG_PREFIX "%s%s%d-%llu-%s%08" PRIx32, job_label,
                     job_label[0] ? "-" : "", (int)getpid(), start, ns, rnd);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool digits(const char **p, unsigned long long *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno)
        return false;
    *p = end;
    return true;
}

/* The fields are found from the right: a label (a slot job's name) may hold '-' and digits,
 * the fixed part "<pid>-<start>-[ns<inode>-]<hex>" cannot be mistaken for it. */
bool ls_cg_parse_name(const char *name, struct ls_cg_owner *o)
{
    if (strncmp(name, LS_CG_PREFIX, strlen(LS_CG_PREFIX)) != 0)
        return false;
    const char *body = name + strlen(LS_CG_PREFIX);
    const char *end = body + strlen(body);
    const char *seg[4];
    size_t len[4], nseg = 0;
    /* the last four '-'-separated fields at most: hex, [ns], start, pid */
    for (const char *e = end; nseg < 4 && e > body;) {
        const char *d = e;
        while (d > body && d[-1] != '-')
            d--;
        seg[nseg] = d;
        len[nseg++] = (size_t)(e - d);
        e = d > body ? d - 1 : d;
        if (d == body)
            break;
    }
    if (nseg < 3)
        return false;
    size_t hex = strspn(seg[0], "0123456789abcdef");
    if (hex < 8 || hex != len[0])
        return false;
    size_t k = 1;
    o->pidns = LS_PIDNS_INIT;
    if (len[1] >= 2 && !strncmp(seg[1], "ns", 2)) {
        const char *p = seg[1] + 2;
        unsigned long long v;
        if (!digits(&p, &v) || v == 0 || p != seg[1] + len[1] || nseg < 4)
            return false;
        o->pidns = v;
        k = 2;
    }
    const char *p = seg[k];
    if (!digits(&p, &o->start) || p != seg[k] + len[k])
        return false;
    p = seg[k + 1];
    unsigned long long v;
    if (!digits(&p, &v) || v == 0 || v > INT32_MAX || p != seg[k + 1] + len[k + 1])
        return false;
    o->pid = (pid_t)v;
    /* what is left of the pid is the label: "" or "<label>-" */
    if (seg[k + 1] != body) {
        for (const char *c = body; c < seg[k + 1] - 1; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
                return false;
        if (seg[k + 1] - 1 == body) /* "llcslice--12-..." */
            return false;
    }
    return true;
}

bool ls_cg_owner_alive(pid_t pid, unsigned long long start)
{
    char dir[32];
    snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
    unsigned long long now = 0;
    int r = start_at(dir, &now);
    return r < 0 || (r == 1 && now == start); /* cannot tell: keep its groups */
}

/* The last number of the "NSpid:" line: the pid in the process's own namespace; -1 when the
 * process is gone or has none, -2 when /proc cannot tell. */
static long nspid_last(const char *procdir)
{
    _cleanup_free_ char *status = NULL;
    int r = ls_cg_readf(&status, "%s/status", procdir);
    if (r < 0)
        return r == -ENOENT || r == -ESRCH ? -1 : -2;
    char *line = strstr(status, "\nNSpid:");
    if (!line)
        return -1;
    line += 7;
    long last = -1;
    for (char *p = line; *p && *p != '\n';) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            break;
        last = strtol(p, &p, 10);
    }
    return last;
}

enum ls_owner_state ls_cg_owner_state(const struct ls_cg_owner *o)
{
    if (o->pidns == ls_cg_pidns_of("/proc/self") && proc_is_ours())
        return ls_cg_owner_alive(o->pid, o->start) ? LS_OWNER_ALIVE : LS_OWNER_DEAD;
    /* Another namespace: find the process that is o->pid there. If any process of that
     * namespace is visible, all of them are (it is ours or nested in ours). */
    _cleanup_closedir_ DIR *d = opendir("/proc");
    bool seen = false, blind = !d;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char dir[300];
        snprintf(dir, sizeof(dir), "/proc/%s", e->d_name);
        if (ls_cg_pidns_of(dir) != o->pidns)
            continue;
        seen = true;
        long nspid = nspid_last(dir);
        blind |= nspid == -2;
        if (nspid == (long)o->pid) {
            unsigned long long now = 0;
            int r = start_at(dir, &now);
            if (r < 0)
                return LS_OWNER_UNKNOWN;
            return r == 1 && now == o->start ? LS_OWNER_ALIVE : LS_OWNER_DEAD;
        }
    }
    /* Not found is only proof of death when every candidate could be read. */
    return seen && !blind ? LS_OWNER_DEAD : LS_OWNER_UNKNOWN;
}

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

/* field 22 of <procdir>/stat; 0 when gone or a zombie (an exited owner). */
static unsigned long long start_of(const char *procdir)
{
    _cleanup_free_ char *stat = NULL;
    if (ls_cg_readf(&stat, "%s/stat", procdir) < 0)
        return 0;
    /* comm may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(stat, ')');
    if (!p)
        return 0;
    p++;
    if (p[0] != ' ' || p[1] == 'Z' || p[1] == 'X')
        return 0;
    /* p is at the space before field 3 (state); step to the one before field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + 1, &end, 10);
    if (errno || end == p + 1)
        return 0;
    return v;
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

int ls_cg_job_name(char *buf, size_t size)
{
    uint32_t rnd;
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rnd = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 16;
    }
    char ns[40] = "";
    uint64_t pidns = ls_cg_pidns_of("/proc/self");
    if (pidns && pidns != LS_PIDNS_INIT)
        snprintf(ns, sizeof(ns), "ns%" PRIu64 "-", pidns);
    int n = snprintf(buf, size, LS_CG_PREFIX "%d-%llu-%s%08" PRIx32, (int)getpid(),
                     start_of("/proc/self"), ns, rnd);
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

bool ls_cg_parse_name(const char *name, struct ls_cg_owner *o)
{
    if (strncmp(name, LS_CG_PREFIX, strlen(LS_CG_PREFIX)) != 0)
        return false;
    const char *p = name + strlen(LS_CG_PREFIX);
    unsigned long long v;
    if (!digits(&p, &v) || v == 0 || v > INT32_MAX || *p++ != '-')
        return false;
    o->pid = (pid_t)v;
    if (!digits(&p, &o->start) || *p++ != '-')
        return false;
    o->pidns = LS_PIDNS_INIT;
    if (p[0] == 'n' && p[1] == 's') {
        p += 2;
        if (!digits(&p, &v) || v == 0 || *p++ != '-')
            return false;
        o->pidns = v;
    }
    size_t n = strspn(p, "0123456789abcdef");
    return n >= 8 && p[n] == '\0';
}

bool ls_cg_owner_alive(pid_t pid, unsigned long long start)
{
    unsigned long long now = ls_cg_proc_start(pid);
    return now != 0 && now == start;
}

/* The last number of the "NSpid:" line: the pid in the process's own namespace. */
static long nspid_last(const char *procdir)
{
    _cleanup_free_ char *status = NULL;
    if (ls_cg_readf(&status, "%s/status", procdir) < 0)
        return -1;
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
    bool seen = false;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char dir[300];
        snprintf(dir, sizeof(dir), "/proc/%s", e->d_name);
        if (ls_cg_pidns_of(dir) != o->pidns)
            continue;
        seen = true;
        if (nspid_last(dir) == (long)o->pid) {
            unsigned long long now = start_of(dir);
            return now != 0 && now == o->start ? LS_OWNER_ALIVE : LS_OWNER_DEAD;
        }
    }
    return seen ? LS_OWNER_DEAD : LS_OWNER_UNKNOWN;
}

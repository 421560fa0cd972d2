/* Group names carry their owner: "llcslice-<pid>-<starttime>-<hex>", so a later sweep can tell
 * a dead (or reused) supervisor pid from a live one without any other record. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

unsigned long long ls_cg_proc_start(pid_t pid)
{
    _cleanup_free_ char *stat = NULL;
    if (ls_cg_readf(&stat, "/proc/%d/stat", (int)pid) < 0)
        return 0;
    /* comm may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(stat, ')');
    if (!p)
        return 0;
    p++;
    /* A zombie owner has exited: its groups are orphans already. */
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

static int name_with(char *buf, size_t size, const char *tail)
{
    pid_t pid = getpid();
    int n = snprintf(buf, size, LS_CG_PREFIX "%d-%llu-%s", (int)pid, ls_cg_proc_start(pid), tail);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ls_cg_job_name(char *buf, size_t size)
{
    uint32_t rnd;
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rnd = (uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 16;
    }
    char hex[16];
    snprintf(hex, sizeof(hex), "%08" PRIx32, rnd);
    return name_with(buf, size, hex);
}

int ls_cg_leaf_name(char *buf, size_t size)
{
    return name_with(buf, size, LS_CG_LEAF_SUFFIX);
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

bool ls_cg_parse_name(const char *name, pid_t *pid, unsigned long long *start, bool *leaf)
{
    if (strncmp(name, LS_CG_PREFIX, strlen(LS_CG_PREFIX)) != 0)
        return false;
    const char *p = name + strlen(LS_CG_PREFIX);
    unsigned long long v;
    if (!digits(&p, &v) || v == 0 || v > INT32_MAX || *p++ != '-')
        return false;
    *pid = (pid_t)v;
    if (!digits(&p, start) || *p++ != '-')
        return false;
    if (strcmp(p, LS_CG_LEAF_SUFFIX) == 0) {
        *leaf = true;
        return true;
    }
    *leaf = false;
    size_t n = strspn(p, "0123456789abcdef");
    return n >= 8 && p[n] == '\0';
}

bool ls_cg_owner_alive(pid_t pid, unsigned long long start)
{
    unsigned long long now = ls_cg_proc_start(pid);
    return now != 0 && now == start;
}

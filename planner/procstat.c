#include "procstat.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ls_proc_stat_parse(const char *text, struct ls_proc_stat *st)
{
    const char *p = strrchr(text, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -EIO;
    st->state = p[2];
    p += 2; /* at field 3 */
    char *end;
    errno = 0;
    long ppid = strtol(p + 1, &end, 10);
    if (errno || end == p + 1)
        return -EIO;
    st->ppid = (pid_t)ppid;
    /* step from field 3 to the space before field 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -EIO;
    }
    errno = 0;
    unsigned long long v = strtoull(p + 1, &end, 10);
    if (errno || end == p + 1)
        return -EIO;
    st->start = v;
    return 0;
}

int ls_proc_stat_read(const char *procdir, struct ls_proc_stat *st)
{
    char path[128], buf[2048]; /* 52 fields of at most 20 digits, comm of 16 */
    int n = snprintf(path, sizeof(path), "%s/stat", procdir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    ssize_t len = read(fd, buf, sizeof(buf) - 1);
    int e = errno;
    close(fd);
    if (len < 0)
        return e == ESRCH ? 0 : -e;
    if (len == 0)
        return 0;
    buf[len] = '\0';
    int r = ls_proc_stat_parse(buf, st);
    return r < 0 ? r : 1;
}

int ls_proc_comm_read(pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t c = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (c < 0)
        return -e;
    buf[c] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return c > 0;
}

int ls_proc_status_list(const char *procdir, const char *key, ls_cpuset *out, struct ls_error *err)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/status", procdir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    _cleanup_free_ char *line = NULL;
    size_t cap = 0, kl = strlen(key);
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0)
        if (!strncmp(line, key, kl)) {
            char what[192];
            snprintf(what, sizeof(what), "%s %.*s", path, (int)(kl - 1), key);
            return ls_cpuset_parse_list(out, line + kl, (size_t)n - kl, what, err) < 0 ? -1 : 1;
        }
    return 0;
}

const char *ls_proc_self_status_field(const char *key, char *buf, size_t size)
{
    if (size < 2)
        return NULL;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    size_t kl = strlen(key);
    for (char *p = buf; (p = strstr(p, key)); p += kl)
        if (p == buf || p[-1] == '\n') {
            p[kl + strcspn(p + kl, "\n")] = '\0';
            return p + kl;
        }
    return NULL;
}

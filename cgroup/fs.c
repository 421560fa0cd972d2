/* Small cgroupfs file helpers: whole-file reads and writes with the kernel's errno kept. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"
#include "planner/sysfs.h"

int ls_cg_join(char *buf, size_t size, const char *a, const char *b)
{
    int n;
    if (!b || !*b) {
        n = snprintf(buf, size, "%s", a);
    } else if (!*a) {
        n = snprintf(buf, size, "%s", b);
    } else {
        /* one slash between them, whatever either brings */
        size_t al = strlen(a);
        while (al > 0 && a[al - 1] == '/')
            al--;
        while (*b == '/')
            b++;
        n = snprintf(buf, size, "%.*s/%s", (int)al, a, b);
    }
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ls_cg_read(const char *path, char **out)
{
    static const struct ls_root host = {""};
    size_t len;
    return ls_root_read(&host, out, &len, "%s", path[0] == '/' ? path + 1 : path);
}

int ls_cg_effective_cmp(const char *dir, const char *file, const ls_cpuset *want, char **got_text,
                        char **want_text, char *path, size_t path_size, struct ls_error *err)
{
    *got_text = *want_text = NULL;
    snprintf(path, path_size, "%s/%s", dir, file);
    _cleanup_free_ char *text = NULL;
    int r = ls_cg_read(path, &text);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "reading %s: %s", path, strerror(-r));
    ls_cpuset got = LS_CPUSET_INIT;
    if (ls_cpuset_parse_list(&got, text, strlen(text), path, err) < 0)
        return -1;
    bool same = ls_cpuset_equal(&got, want);
    if (!same) {
        *got_text = ls_cpuset_format(&got);
        *want_text = ls_cpuset_format(want);
    }
    ls_cpuset_free(&got);
    return same;
}

int ls_cg_readf(char **out, const char *fmt, ...)
{
    char path[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return ls_cg_read(path, out);
}

/* One write(2) per call: cgroupfs takes one value (or one pid) per write. */
int ls_cg_write(const char *path, const char *text)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    if (w < 0)
        return -errno;
    return (size_t)w == len ? 0 : -EIO;
}

int ls_cg_writef(const char *text, const char *fmt, ...)
{
    char path[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return ls_cg_write(path, text);
}

bool ls_cg_has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t')
            p++;
        size_t l = strcspn(p, " ,\n\t");
        if (l == wl && strncmp(p, word, wl) == 0)
            return true;
        p += l;
    }
    return false;
}

int ls_cg_read_pids(const char *path, pid_t **pids, size_t *n)
{
    *pids = NULL;
    *n = 0;
    _cleanup_free_ char *text = NULL;
    int r = ls_cg_read(path, &text);
    if (r == -ENOENT || r == -ENODEV)
        return 0; /* the group went away: nothing left in it */
    if (r < 0)
        return r;
    size_t cap = 0;
    for (char *p = text; *p;) {
        while (*p && !isdigit((unsigned char)*p))
            p++;
        if (!*p)
            break;
        char *end;
        long v = strtol(p, &end, 10);
        p = end;
        if (v <= 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            pid_t *np = realloc(*pids, cap * sizeof(pid_t));
            if (!np) {
                free(*pids);
                *pids = NULL;
                *n = 0;
                return -ENOMEM;
            }
            *pids = np;
        }
        (*pids)[(*n)++] = (pid_t)v;
    }
    return 0;
}

bool ls_cg_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

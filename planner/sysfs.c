#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int ls_root_init(struct ls_root *root, const char *dir, struct ls_error *err)
{
    return ls_root_init_from(root, dir, "--fsroot", err);
}

int ls_root_init_from(struct ls_root *root, const char *dir, const char *what, struct ls_error *err)
{
    root->path[0] = '\0';
    if (!dir || !*dir || strcmp(dir, "/") == 0)
        return 0;
    struct stat st;
    if (stat(dir, &st) < 0)
        return ls_fail(err, LS_ERR_USAGE, errno,
                       "%s %s: %s; give the root of a dumped sysfs tree (DIR/sys/devices/...)",
                       what, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ls_fail(err, LS_ERR_USAGE, ENOTDIR,
                       "%s %s: not a directory; give the root of a dumped sysfs tree "
                       "(DIR/sys/devices/...)",
                       what, dir);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n >= sizeof(root->path))
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "%s: path too long", what);
    memcpy(root->path, dir, n);
    root->path[n] = '\0';
    return 0;
}

bool ls_root_is_host(const struct ls_root *root)
{
    return root->path[0] == '\0';
}

static int vpath(const struct ls_root *root, char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = snprintf(buf, size, "%s/", root->path);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    if (m < 0 || (size_t)(n + m) >= size)
        return -ENAMETOOLONG;
    return 0;
}

int ls_root_path(const struct ls_root *root, char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vpath(root, buf, size, fmt, ap);
    va_end(ap);
    return r;
}

/* Whole file into a malloc'ed buffer. short_eof: a read(2) returning less than asked is the
 * end (true of sysfs attributes, produced whole by the first read, and of regular files),
 * which saves the extra read that would return 0. */
static int read_fd(int fd, size_t cap, bool short_eof, char **out, size_t *len)
{
    size_t used = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (used + 1 >= cap) {
            if (cap >= LS_SYSFS_MAX_FILE)
                return -EFBIG;
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                return -ENOMEM;
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + used, cap - used - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        used += (size_t)r;
        if (short_eof && used + 1 < cap)
            break;
    }
    buf[used] = '\0';
    *out = LS_STEAL(buf);
    if (len)
        *len = used;
    return 0;
}

static int read_path(const char *path, char **out, size_t *len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return read_fd(fd, 4096, false, out, len);
}

int ls_read_at(int dirfd, const char *rel, char **out, size_t *len)
{
    _cleanup_close_ int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return read_fd(fd, 256, true, out, len);
}

static int vread(const struct ls_root *root, char *path, size_t psize, char **out, size_t *len,
                 const char *fmt, va_list ap)
{
    int r = vpath(root, path, psize, fmt, ap);
    if (r < 0)
        return r;
    return read_path(path, out, len);
}

int ls_root_read(const struct ls_root *root, char **out, size_t *len, const char *fmt, ...)
{
    char path[4352];
    va_list ap;
    va_start(ap, fmt);
    int r = vread(root, path, sizeof(path), out, len, fmt, ap);
    va_end(ap);
    return r;
}

bool ls_root_exists(const struct ls_root *root, const char *fmt, ...)
{
    char path[4352];
    va_list ap;
    va_start(ap, fmt);
    int r = vpath(root, path, sizeof(path), fmt, ap);
    va_end(ap);
    return r == 0 && access(path, F_OK) == 0;
}

typedef int (*parse_fn)(ls_cpuset *, const char *, size_t, const char *, struct ls_error *);

static int vread_set(const struct ls_root *root, ls_cpuset *out, struct ls_error *err,
                     parse_fn parse, const char *fmt, va_list ap)
{
    char path[4352];
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = vread(root, path, sizeof(path), &text, &len, fmt, ap);
    if (r == -ENOENT)
        return 1;
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot read %s: %s", path, strerror(-r));
    return parse(out, text, len, path, err);
}

int ls_root_read_cpulist(const struct ls_root *root, ls_cpuset *out, struct ls_error *err,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vread_set(root, out, err, ls_cpuset_parse_list, fmt, ap);
    va_end(ap);
    return r;
}

int ls_root_read_cpumask(const struct ls_root *root, ls_cpuset *out, struct ls_error *err,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vread_set(root, out, err, ls_cpuset_parse_mask, fmt, ap);
    va_end(ap);
    return r;
}

#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "sort.h"

int ls_root_init(struct ls_root *root, const char *dir, const char *what, struct ls_error *err)
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

/* "<root>/<rel>" from a printf-style relative path. */
static int root_path(const struct ls_root *root, char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int root_path(const struct ls_root *root, char *buf, size_t size, const char *fmt, ...)
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

void ls_sysfs_root(struct ls_sysfs *d, const struct ls_root *root)
{
    d->root = root;
    d->fd = -1;
    d->owned = false;
    d->sub[0] = '\0';
    d->rel[0] = '\0';
}

/* a "/" b into buf, without the slash when either is empty. Not snprintf: discovery joins
 * paths a few times per CPU, and snprintf's setup was most of its instructions. 0 or
 * -ENAMETOOLONG. */
static int path_join(char *buf, size_t size, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), slash = na && nb;
    if (na + slash + nb >= size)
        return -ENAMETOOLONG;
    memmove(buf, a, na);
    if (slash)
        buf[na] = '/';
    memcpy(buf + na + slash, b, nb + 1);
    return 0;
}

/* "<d->rel>/<rel>" (root-relative) into buf. */
static int join(const struct ls_sysfs *d, const char *rel, char *buf, size_t size)
{
    return path_join(buf, size, d->rel, rel);
}

const char *ls_sysfs_path(const struct ls_sysfs *d, const char *rel, char *buf, size_t size)
{
    char joined[4352];
    if (join(d, rel, joined, sizeof(joined)) < 0 || root_path(d->root, buf, size, "%s", joined) < 0)
        snprintf(buf, size, "%s/%s", d->rel, rel);
    return buf;
}

/* Where rel below d is, for the *at calls: *dirfd and the path from it (the held fd and the
 * path below it, else AT_FDCWD and the full path). 0 or -ENAMETOOLONG. */
static int locate(const struct ls_sysfs *d, const char *rel, int *dirfd, char *buf, size_t size)
{
    if (d->fd >= 0) {
        *dirfd = d->fd;
        return path_join(buf, size, d->sub, d->sub[0] || rel[0] ? rel : ".");
    }
    *dirfd = AT_FDCWD;
    char joined[4352];
    if (join(d, rel, joined, sizeof(joined)) < 0)
        return -ENAMETOOLONG;
    return root_path(d->root, buf, size, "%s", joined);
}

/* openat below d; -1 with errno set. */
static int open_below(const struct ls_sysfs *d, const char *rel, int flags)
{
    char path[4352];
    int dirfd;
    if (locate(d, rel, &dirfd, path, sizeof(path)) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return openat(dirfd, path, flags);
}

int ls_sysfs_open(struct ls_sysfs *d, const struct ls_sysfs *parent, const char *rel)
{
    ls_sysfs_root(d, parent->root);
    if (join(parent, rel, d->rel, sizeof(d->rel)) < 0)
        return -ENAMETOOLONG;
    d->fd = open_below(parent, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    d->owned = d->fd >= 0;
    return 0;
}

int ls_sysfs_view(struct ls_sysfs *d, const struct ls_sysfs *parent, const char *rel)
{
    ls_sysfs_root(d, parent->root);
    if (join(parent, rel, d->rel, sizeof(d->rel)) < 0)
        return -ENAMETOOLONG;
    if (parent->fd >= 0) {
        if (path_join(d->sub, sizeof(d->sub), parent->sub, rel) < 0)
            return -ENAMETOOLONG;
        d->fd = parent->fd;
    }
    return 0;
}

void ls_sysfs_close(struct ls_sysfs *d)
{
    if (d->fd >= 0 && d->owned)
        close(d->fd);
    d->fd = -1;
    d->owned = false;
}

int ls_sysfs_stat(const struct ls_sysfs *d, const char *rel, struct stat *st, int flags)
{
    char path[4352];
    int dirfd;
    if (locate(d, rel, &dirfd, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    return fstatat(dirfd, path, st, flags) < 0 ? -errno : 0;
}

int ls_sysfs_read(const struct ls_sysfs *d, const char *rel, char **out, size_t *len,
                  struct ls_error *err)
{
    /* Sysfs attributes and dumped regular files: a short read is the end (ls_read_at). */
    char below[4352];
    int dirfd;
    int r = locate(d, rel, &dirfd, below, sizeof(below));
    if (r == 0)
        r = ls_read_at(dirfd, below, out, len);
    if (r == -ENOENT || r == -ENOTDIR)
        return 1;
    if (r < 0) {
        char path[4352];
        return ls_fail(err, LS_ERR_SYSTEM, -r, "cannot read %s: %s",
                       ls_sysfs_path(d, rel, path, sizeof(path)), strerror(-r));
    }
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

int ls_sysfs_read_long(const struct ls_sysfs *d, const char *rel, long *out, struct ls_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = ls_sysfs_read(d, rel, &text, &len, err);
    if (r != 0)
        return r;
    while (len && is_blank(text[len - 1]))
        len--;
    text[len] = '\0';
    char *t = text, *end;
    while (*t && is_blank(*t))
        t++;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (!*t || *end || errno)
        return 1;
    *out = v;
    return 0;
}

long ls_sysfs_read_id(const struct ls_sysfs *d, const char *rel)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (ls_sysfs_read(d, rel, &text, &len, NULL) != 0)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    return errno || end == text || v < 0 ? -1 : v;
}

int ls_sysfs_read_cpuset(const struct ls_sysfs *d, const char *list_rel, const char *mask_rel,
                         ls_cpuset *out, const char **used, struct ls_error *err)
{
    const char *rels[2] = {list_rel, mask_rel};
    for (int i = 0; i < 2; i++) {
        if (!rels[i])
            continue;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = ls_sysfs_read(d, rels[i], &text, &len, err);
        if (r < 0)
            return -1;
        if (r == 1)
            continue;
        int (*parse)(ls_cpuset *, const char *, size_t, const char *, struct ls_error *) =
            i == 0 ? ls_cpuset_parse_list : ls_cpuset_parse_mask;
        /* The full path is only needed for the message: build it when parsing fails. */
        if (parse(out, text, len, rels[i], NULL) < 0) {
            char path[4352];
            parse(out, text, len, ls_sysfs_path(d, rels[i], path, sizeof(path)), err);
            if (err) /* a corrupt host file, not the user's input */
                err->category = LS_ERR_SYSTEM;
            return -1;
        }
        if (used)
            *used = rels[i];
        return 0;
    }
    return 1;
}

/* Append the numeric suffix of name ("cpu12" / "index3") to ids when it has prefix. */
static int add_numbered(const char *name, const char *prefix, size_t plen, int **ids, size_t *n,
                        size_t *cap)
{
    const char *num = name + plen;
    if (strncmp(name, prefix, plen) || !isdigit((unsigned char)*num))
        return 0;
    char *end;
    errno = 0;
    unsigned long v = strtoul(num, &end, 10);
    if (*end || errno || v >= LS_MAX_CPUS)
        return 0;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        int *nids = realloc(*ids, ncap * sizeof(int));
        if (!nids)
            return -ENOMEM;
        *ids = nids;
        *cap = ncap;
    }
    (*ids)[(*n)++] = (int)v;
    return 0;
}

int ls_sysfs_list_numbered(const struct ls_sysfs *d, const char *rel, const char *prefix, int **ids,
                           size_t *n, struct ls_error *err)
{
    *ids = NULL;
    *n = 0;
    /* getdents64 into a stack buffer: a cache dir is listed once per CPU kind, and opendir's
     * fstat and heap buffer show there. */
    _cleanup_close_ int fd = open_below(d, rel, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        int e = errno;
        char path[4352];
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot list %s: %s",
                       ls_sysfs_path(d, rel, path, sizeof(path)), strerror(e));
    }
    size_t plen = strlen(prefix), cap = 0;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        ssize_t got = getdents64(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) /* an error ends the listing, as it ends readdir() */
            break;
        for (ssize_t off = 0; off < got;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            off += e->d_reclen;
            if (add_numbered(e->d_name, prefix, plen, ids, n, &cap) < 0) {
                free(*ids);
                *ids = NULL;
                *n = 0;
                return ls_oom(err, "while reading the topology");
            }
        }
    }
    ls_sort_ints(*ids, *n);
    return 0;
}

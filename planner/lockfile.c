/* Lockfiles themselves: names, safe creation, non-blocking flock, and who holds one. */
#include "lockfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "procstat.h"
#include "sort.h"

const char *ls_lock_kind_name(enum ls_lock_kind kind)
{
    return kind == LS_LOCK_CPU ? "cpu" : "llc";
}

const char *ls_lock_mode_name(enum ls_lock_mode mode)
{
    return mode == LS_LOCK_EXCLUSIVE ? "exclusive" : "shared";
}

int ls_lock_path(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n, char *buf,
                 size_t size)
{
    int r =
        snprintf(buf, size, "%s/%s-%s-%u.lock", ld->dir, ld->prefix, ls_lock_kind_name(kind), n);
    if (r < 0 || (size_t)r >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static const char *file_type_name(mode_t m)
{
    if (S_ISLNK(m))
        return "a symlink";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device node";
    return "not a regular file";
}

static int not_regular(const char *path, mode_t m, struct ls_error *err)
{
    if (S_ISLNK(m))
        return ls_fail(err, LS_ERR_SYSTEM, ELOOP,
                       "lockfile %s is a symlink; refusing to follow it (remove it: llcslice "
                       "creates its lockfiles as regular files)",
                       path);
    return ls_fail(err, LS_ERR_SYSTEM, EINVAL,
                   "lockfile %s is %s, not a regular file; refusing to use it (remove it)", path,
                   file_type_name(m));
}

static int cannot_open(const char *path, int e, struct ls_error *err)
{
    if (e == EMFILE || e == ENFILE)
        return ls_fail(err, LS_ERR_SYSTEM, e,
                       "cannot open lockfile %s: %s; a reservation keeps one lockfile open per "
                       "LLC and per reserved CPU: raise the open-file limit (ulimit -n)",
                       path, strerror(e));
    struct stat st;
    if ((e == EACCES || e == EPERM) && lstat(path, &st) == 0)
        return ls_fail(err, LS_ERR_SYSTEM, e,
                       "cannot open lockfile %s (mode %04o, owner uid %u) as uid %u: %s; ask its "
                       "owner to 'chmod 0666' it or remove it, or use another --lock-dir",
                       path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                       (unsigned)geteuid(), strerror(e));
    return ls_fail(err, LS_ERR_SYSTEM, e, "cannot open lockfile %s: %s", path, strerror(e));
}

int ls_lock_open(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                 struct ls_error *err)
{
    char path[PATH_MAX];
    if (ls_lock_path(ld, kind, n, path, sizeof(path)) < 0)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "lockfile path in %s is too long", ld->dir);
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open. Never O_TRUNC. */
    const int base = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    _cleanup_close_ int fd = -1;
    bool created = false;
    /* Retry only if the file vanishes between "exists" and "open" (someone removed it). */
    for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
        /* O_EXCL tells us whether we created it (then fix the mode the umask narrowed),
         * and opening an existing file without O_CREAT passes fs.protected_regular. */
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | base, 0666);
        if (fd >= 0) {
            created = true;
            break;
        }
        if (errno != EEXIST) {
            int e = errno;
            if (e == EACCES || e == EROFS)
                return ls_fail(err, LS_ERR_SYSTEM, e,
                               "cannot create lockfile %s: %s; the lock dir must be writable "
                               "(or the lockfile created beforehand with mode 0666)",
                               path, strerror(e));
            if (e == EMFILE || e == ENFILE)
                return ls_fail(err, LS_ERR_SYSTEM, e,
                               "cannot create lockfile %s: %s; a reservation keeps one lockfile "
                               "open per LLC and per reserved CPU: raise the open-file limit "
                               "(ulimit -n)",
                               path, strerror(e));
            return ls_fail(err, LS_ERR_SYSTEM, e, "cannot create lockfile %s: %s", path,
                           strerror(e));
        }
        struct stat st;
        if (lstat(path, &st) < 0) {
            if (errno == ENOENT)
                continue;
            return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot stat lockfile %s: %s", path,
                           strerror(errno));
        }
        /* Checked before opening so a device node is never opened at all. */
        if (!S_ISREG(st.st_mode))
            return not_regular(path, st.st_mode, err);
        fd = open(path, O_RDWR | base);
        /* flock works on a read-only fd too: a lockfile we may only read still locks. */
        if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
            fd = open(path, O_RDONLY | base);
        if (fd < 0) {
            int e = errno;
            if (e == ENOENT)
                continue;
            if (e == ELOOP)
                return not_regular(path, S_IFLNK, err);
            return cannot_open(path, e, err);
        }
    }
    if (fd < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOENT,
                       "lockfile %s keeps disappearing while being opened; is something "
                       "deleting files in %s?",
                       path, ld->dir);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot stat lockfile %s: %s", path,
                       strerror(errno));
    if (!S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, err);
    /* Lockfiles are never linked twice: this is some other file planted under its name. */
    if (st.st_nlink > 1)
        return ls_fail(err, LS_ERR_SYSTEM, EMLINK,
                       "lockfile %s has %lu hard links, so it is another file planted under the "
                       "lockfile's name; refusing to use it (remove it)",
                       path, (unsigned long)st.st_nlink);
    /* Every user must be able to open it later, whatever our umask was. */
    if (created && fchmod(fd, 0666) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot chmod 0666 lockfile %s: %s", path,
                       strerror(errno));
    return LS_STEAL_FD(fd);
}

int ls_lock_try(int fd, enum ls_lock_mode mode, struct ls_error *err)
{
    int op = (mode == LS_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH) | LOCK_NB;
    for (;;) {
        if (flock(fd, op) == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            return 0;
        int e = errno;
        char link[64], target[PATH_MAX] = "?";
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t r = readlink(link, target, sizeof(target) - 1);
        if (r > 0)
            target[r] = '\0';
        return ls_fail(err, LS_ERR_SYSTEM, e, "flock(%s) on lockfile %s failed: %s",
                       mode == LS_LOCK_EXCLUSIVE ? "LOCK_EX" : "LOCK_SH", target, strerror(e));
    }
}

void ls_lock_release(int fd)
{
    if (fd < 0)
        return;
    while (flock(fd, LOCK_UN) < 0 && errno == EINTR)
        ;
    close(fd);
}

int ls_lock_probe(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                  enum ls_lock_mode *mode)
{
    char path[PATH_MAX];
    if (ls_lock_path(ld, kind, n, path, sizeof(path)) < 0)
        return 0;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0; /* absent (nobody holds it) or not ours to judge */
    int r;
    while ((r = flock(fd, LOCK_SH | LOCK_NB)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        if (errno != EWOULDBLOCK)
            return 0;
        *mode = LS_LOCK_EXCLUSIVE;
        return 1;
    }
    while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
        ;
    int e = errno;
    flock(fd, LOCK_UN);
    if (r < 0 && e == EWOULDBLOCK) {
        *mode = LS_LOCK_SHARED;
        return 1;
    }
    return 0;
}

bool ls_pidns_nested(void)
{
    /* In the host's pid namespace pid 2 is always kthreadd; a child namespace shows no
     * kernel threads. NSpid alone does not tell when /proc is the namespace's own (as in an
     * llcslice job: it lists levels from there down), nor can NS_GET_PARENT look past it. */
    char comm[32];
    if (ls_proc_comm_read(2, comm, sizeof(comm)) <= 0 || strncmp(comm, "kthreadd", 8) != 0)
        return true;
    char buf[4096];
    const char *p = ls_proc_self_status_field("NSpid:", buf, sizeof(buf));
    if (!p)
        return false;
    size_t fields = 0;
    bool in = false;
    for (; *p; p++) {
        bool digit = *p >= '0' && *p <= '9';
        if (digit && !in)
            fields++;
        in = digit;
    }
    return fields > 1;
}

int ls_lock_acquire(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                    enum ls_lock_mode mode, int *fd_out, struct ls_error *err)
{
    _cleanup_close_ int fd = ls_lock_open(ld, kind, n, err);
    if (fd < 0)
        return -1;
    int r = ls_lock_try(fd, mode, err);
    if (r == 1)
        *fd_out = LS_STEAL_FD(fd);
    return r;
}

int ls_lock_inode(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                  unsigned long long *inode, struct ls_error *err)
{
    char path[PATH_MAX];
    if (ls_lock_path(ld, kind, n, path, sizeof(path)) < 0)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "lockfile path in %s is too long", ld->dir);
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot stat lockfile %s: %s", path,
                       strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, err);
    *inode = (unsigned long long)st.st_ino;
    return 1;
}

/* "{prefix}-{kind}-N.lock" with N canonical decimal (no sign, no leading zero) -> N. */
static bool match_name(const char *name, const char *stem, size_t stem_len, unsigned *out)
{
    if (strncmp(name, stem, stem_len) != 0)
        return false;
    const char *p = name + stem_len;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    unsigned long long v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > UINT_MAX)
            return false;
    }
    if (strcmp(p, ".lock") != 0)
        return false;
    *out = (unsigned)v;
    return true;
}

bool ls_lock_name(const struct ls_lockdir *ld, const char *name, enum ls_lock_kind *kind,
                  unsigned *index)
{
    size_t plen = strlen(ld->prefix);
    if (strncmp(name, ld->prefix, plen) != 0 || name[plen] != '-')
        return false;
    const char *rest = name + plen + 1;
    for (int k = LS_LOCK_LLC; k <= LS_LOCK_CPU; k++) {
        const char *kn = ls_lock_kind_name((enum ls_lock_kind)k);
        size_t kl = strlen(kn);
        if (strncmp(rest, kn, kl) == 0 && rest[kl] == '-' &&
            match_name(rest, rest, kl + 1, index)) { /* stem already compared */
            *kind = (enum ls_lock_kind)k;
            return true;
        }
    }
    return false;
}

int ls_lockdir_scan(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned **out, size_t *n,
                    struct ls_error *err)
{
    *out = NULL;
    *n = 0;
    char stem[LS_LOCK_PREFIX_MAX + 16];
    int stem_len = snprintf(stem, sizeof(stem), "%s-%s-", ld->prefix, ls_lock_kind_name(kind));
    if (stem_len < 0 || (size_t)stem_len >= sizeof(stem))
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "lock prefix too long");
    _cleanup_closedir_ DIR *d = opendir(ld->dir);
    if (!d)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot list lock dir %s: %s", ld->dir,
                       strerror(errno));
    _cleanup_free_ unsigned *idx = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        unsigned v;
        if (!match_name(de->d_name, stem, (size_t)stem_len, &v))
            continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            unsigned *ni = realloc(idx, nc * sizeof(*ni));
            if (!ni)
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory listing %s", ld->dir);
            idx = ni;
            cap = nc;
        }
        idx[cnt++] = v;
    }
    if (errno)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot list lock dir %s: %s", ld->dir,
                       strerror(errno));
    if (cnt)
        qsort(idx, cnt, sizeof(*idx), ls_cmp_unsigned);
    *out = LS_STEAL(idx);
    *n = cnt;
    return 0;
}

void ls_pid_cmdline(pid_t pid, char *buf, size_t size)
{
    if (!size)
        return;
    snprintf(buf, size, "?");
    if (pid <= 0 || size < 8)
        return;
    char path[64], raw[512];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r;
    do
        r = read(fd, raw, sizeof(raw));
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return;
    size_t len = (size_t)r;
    while (len > 0 && raw[len - 1] == '\0')
        len--;
    if (len == 0) {
        /* Kernel thread or zombie: no argv, but comm is still there. */
        char comm[64];
        if (ls_proc_comm_read(pid, comm, sizeof(comm)) <= 0)
            return;
        snprintf(buf, size, "[%s]", comm);
        return;
    }
    bool more = (size_t)r == sizeof(raw);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 1 >= size) {
            more = true;
            break;
        }
        unsigned char c = (unsigned char)raw[i];
        buf[o++] = c == '\0' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[o] = '\0';
    if (more) {
        size_t keep = o + 4 <= size ? o : size - 4;
        memcpy(buf + keep, "...", 4);
    }
}

/* Whether process pid has a descriptor open on the file (dev, ino): the lock's holder, or a
 * process that inherited it. 1 yes, 0 no (a reused pid), -1 cannot tell (no permission to
 * look at its descriptors, or it is gone). */
static int holds_file(pid_t pid, dev_t dev, ino_t ino)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return -1;
    int dfd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, 0) == 0 && st.st_dev == dev && st.st_ino == ino)
            return 1;
    }
    return 0;
}

int ls_lock_holders(const struct ls_lockdir *ld, const struct ls_locktable *t,
                    unsigned long long inode, bool names, struct ls_holder **out, size_t *n,
                    struct ls_error *err)
{
    *out = NULL;
    *n = 0;
    const struct ls_lock_entry *e;
    size_t cnt = ls_locktable_find(t, ld->dev_major, ld->dev_minor, inode, &e);
    if (!cnt)
        return 0;
    struct ls_holder *h = calloc(cnt, sizeof(*h));
    if (!h)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory listing lock holders");
    for (size_t i = 0; i < cnt; i++) {
        h[i].pid = e[i].pid;
        h[i].mode = e[i].mode;
    }
    *out = h;
    *n = cnt;
    if (!names)
        return 0;
    struct stat ds; /* stat's device of files in the dir (mountinfo's may differ: btrfs) */
    dev_t dev = stat(ld->dir, &ds) == 0 ? ds.st_dev : makedev(ld->dev_major, ld->dev_minor);
    for (size_t i = 0; i < cnt; i++) {
        ls_pid_cmdline(e[i].pid, h[i].cmdline, sizeof(h[i].cmdline));
        /* /proc/locks names the pid that took the lock, looked up now: once that process is
         * gone (the lock lives on in a keeper or an inherited descriptor) the pid may belong
         * to someone unrelated. Name a process only if it has the lockfile open. */
        if (e[i].pid > 0 && holds_file(e[i].pid, dev, (ino_t)inode) == 0)
            snprintf(h[i].cmdline, sizeof(h[i].cmdline), "?");
    }
    return 0;
}

void ls_format_holders(const struct ls_holder *h, size_t n, char *buf, size_t size)
{
    if (!size)
        return;
    if (n == 0) {
        snprintf(buf, size, "no holders");
        return;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        /* One process holding one lock through two descriptors (a keeper's copy while it
         * starts) is named once. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = h[j].pid == h[i].pid && h[j].mode == h[i].mode;
        if (seen)
            continue;
        char one[256];
        int len = snprintf(one, sizeof(one), "%spid %d (%s) %s", o ? ", " : "", (int)h[i].pid,
                           h[i].cmdline, ls_lock_mode_name(h[i].mode));
        if (len < 0)
            break;
        /* Keep room for the "and N more" tail when something does not fit. */
        char tail[48];
        snprintf(tail, sizeof(tail), ", and %zu more", n - i);
        if (o + (size_t)len + (i + 1 < n ? strlen(tail) : 0) >= size) {
            if (o + strlen(tail) < size)
                snprintf(buf + o, size - o, "%s", o ? tail : tail + 2);
            return;
        }
        memcpy(buf + o, one, (size_t)len + 1);
        o += (size_t)len;
    }
}

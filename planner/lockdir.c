/* The lock directory: where it is, that it can hold lockfiles, and that flock there means
 * something (a local filesystem), plus the device /proc/locks will name its files by. */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "sysfs.h"

int ls_lock_prefix_check(const char *prefix, const char *what, struct ls_error *err)
{
    size_t n = strlen(prefix);
    if (n == 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s is empty; give a name such as llcslice",
                       what);
    if (n > LS_LOCK_PREFIX_MAX)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG,
                       "%s is %zu characters long; at most %d are allowed", what, n,
                       LS_LOCK_PREFIX_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (c == '/')
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s '%s' contains '/'; it names files inside the lock dir (use "
                           "--lock-dir to choose the directory)",
                           what, prefix);
        if (c < 0x21 || c > 0x7e)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s contains a space, control or non-ASCII character (byte 0x%02x at "
                           "offset %zu); use letters, digits, '-', '_' or '.'",
                           what, c, i);
    }
    return 0;
}

/* Refuse filesystems where flock does not exclude other hosts or is emulated. */
static int check_local(const char *dir, const struct ls_lockdir_source *src,
                       unsigned long long f_type, const char *fstype, struct ls_error *err)
{
    const char *fs = ls_fs_flock_unsafe(f_type, fstype);
    if (!fs)
        return 0;
    return ls_fail(err, LS_ERR_USAGE, EREMOTE,
                   "lock dir %s (%s) is on %s (fstype %s): flock on %s is not coordinated "
                   "across hosts or is unreliable; point %s at a local filesystem such as /tmp "
                   "or /run",
                   dir, src->dir_what, fs, fstype && *fstype ? fstype : "unknown", fs, src->knob);
}

/* Only root and the caller may decide where lockfiles go or remove them: everyone else could
 * delete a held lockfile (or retarget a link between runs) and have one CPU handed out twice.
 * Walk `dir` as realpath(3) does, refusing a symlink owned by anyone else, then check every
 * directory from / down to the result: owned by root or the caller, and not writable by
 * everyone unless sticky. */
struct trust_kind {
    const char *noun; /* "lock dir" */
    const char *risk; /* what another user could do there */
    const char *fix;  /* where to go instead */
};

static const struct trust_kind lock_kind = {
    "lock dir", "remove or replace the lockfiles and have CPUs handed out twice",
    "/tmp, /run/lock or a root-owned mode-1777 directory"};

static int untrusted(const struct trust_kind *k, const char *dir, const char *what, const char *why,
                     struct ls_error *err)
{
    return ls_fail(err, LS_ERR_USAGE, EPERM,
                   "%s %s (%s): %s, so another user could %s; use a directory that only root "
                   "and you control, such as %s",
                   k->noun, dir, what, why, k->risk, k->fix);
}

static bool trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

static int check_links(const struct trust_kind *k, const char *dir, const char *what,
                       struct ls_error *err)
{
    char cur[PATH_MAX] = "", rest[2 * PATH_MAX], why[PATH_MAX + 128];
    if (dir[0] != '/' && !getcwd(cur, sizeof(cur)))
        return ls_fail(err, LS_ERR_SYSTEM, errno,
                       "%s %s (%s): cannot get the current directory: %s", k->noun, dir, what,
                       strerror(errno));
    snprintf(rest, sizeof(rest), "%s", dir);
    if (!strcmp(cur, "/"))
        cur[0] = '\0';
    for (int links = 0; rest[0];) {
        char *p = rest;
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        char name[NAME_MAX + 1];
        if (n > NAME_MAX)
            return 0; /* stat() already said what is wrong with it */
        memcpy(name, p, n);
        name[n] = '\0';
        memmove(rest, p + n, strlen(p + n) + 1);
        if (n == 0 || !strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            continue;
        }
        size_t len = strlen(cur);
        if (len + 1 + n >= sizeof(cur))
            return 0;
        snprintf(cur + len, sizeof(cur) - len, "/%s", name);
        struct stat st;
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
            continue; /* the caller's stat() and realpath() report real errors */
        if (!trusted_owner(st.st_uid)) {
            snprintf(why, sizeof(why), "%s is a symlink owned by uid %u (not root, not you)", cur,
                     (unsigned)st.st_uid);
            return untrusted(k, dir, what, why, err);
        }
        char target[PATH_MAX];
        ssize_t tl = readlink(cur, target, sizeof(target) - 1);
        if (tl < 0 || ++links > 40)
            return 0;
        target[tl] = '\0';
        cur[len] = '\0'; /* back to the link's directory */
        if (target[0] == '/')
            cur[0] = '\0';
        char joined[sizeof(rest)];
        if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", target, rest) >= sizeof(joined))
            return 0;
        memcpy(rest, joined, sizeof(rest));
    }
    return 0;
}

static int check_trusted(const struct trust_kind *k, const char *dir, const char *real,
                         const char *what, struct ls_error *err)
{
    if (check_links(k, dir, what, err) < 0)
        return -1;
    char path[PATH_MAX], why[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s", real);
    for (;;) {
        struct stat st;
        const char *shown = path[0] ? path : "/";
        if (stat(shown, &st) < 0)
            return ls_fail(err, LS_ERR_SYSTEM, errno, "%s %s (%s): cannot stat %s: %s", k->noun,
                           dir, what, shown, strerror(errno));
        if (!trusted_owner(st.st_uid)) {
            snprintf(why, sizeof(why), "%s is owned by uid %u (not root, not you)", shown,
                     (unsigned)st.st_uid);
            return untrusted(k, dir, what, why, err);
        }
        if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
            snprintf(why, sizeof(why),
                     "%s is writable by every user (mode %04o) without the sticky bit (chmod +t "
                     "it)",
                     shown, (unsigned)(st.st_mode & 07777));
            return untrusted(k, dir, what, why, err);
        }
        char *slash = strrchr(path, '/');
        if (!path[0] || !slash)
            return 0;
        *slash = '\0';
    }
}

/* Stat and canonicalize the lock dir: *real is its realpath (caller frees), *st its stat. */
static int resolve_dir(const struct ls_lockdir_source *src, struct stat *st, char **real,
                       struct ls_error *err)
{
    const char *dir = src->dir, *what = src->dir_what;
    if (stat(dir, st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "lock dir %s (%s) does not exist; create it or point %s at an "
                           "existing local directory",
                           dir, what, src->knob);
        return ls_fail(err, e == EACCES ? LS_ERR_USAGE : LS_ERR_SYSTEM, e,
                       "lock dir %s (%s) cannot be accessed: %s", dir, what, strerror(e));
    }
    if (!S_ISDIR(st->st_mode))
        return ls_fail(err, LS_ERR_USAGE, ENOTDIR,
                       "lock dir %s (%s) is not a directory; point %s at a directory", dir, what,
                       src->knob);
    *real = realpath(dir, NULL);
    if (!*real)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "lock dir %s (%s): cannot resolve it: %s", dir,
                       what, strerror(errno));
    /* Room for "/{prefix}-llc-{4294967295}.lock". */
    size_t n = strlen(*real);
    if (n + 1 + LS_LOCK_PREFIX_MAX + 32 > sizeof(((struct ls_lockdir *)0)->dir) ||
        n >= PATH_MAX - LS_LOCK_PREFIX_MAX - 32)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "lock dir %s (%s): path too long", dir,
                       what);
    return 0;
}

/* The device /proc/locks names real's files by (the superblock's, from mountinfo; stat's
 * without /proc or a matching line) and its fstype ("" when unknown). */
static void dir_device(const char *real, const struct stat *st, unsigned *major, unsigned *minor,
                       char *fstype, size_t size)
{
    struct ls_root host = {.path = ""};
    _cleanup_free_ char *mountinfo = NULL;
    if (ls_root_read(&host, &mountinfo, NULL, "proc/self/mountinfo") < 0 ||
        ls_mountinfo_device(mountinfo, real, major, minor, fstype, size) < 0) {
        *major = major(st->st_dev);
        *minor = minor(st->st_dev);
        fstype[0] = '\0';
    }
}

/* Lockfiles can be created in real by this user. */
static int check_writable(const struct ls_lockdir_source *src, const char *real,
                          struct ls_error *err)
{
    if (faccessat(AT_FDCWD, real, W_OK | X_OK, AT_EACCESS) == 0)
        return 0;
    int e = errno;
    if (e == EROFS)
        return ls_fail(err, LS_ERR_USAGE, e,
                       "lock dir %s (%s) is on a read-only filesystem, so lockfiles cannot "
                       "be created there; point %s at a writable local directory such as /tmp "
                       "or /run",
                       real, src->dir_what, src->knob);
    if (e == EACCES || e == EPERM)
        return ls_fail(err, LS_ERR_USAGE, e,
                       "lock dir %s (%s) is not writable by uid %u, so lockfiles cannot be "
                       "created there; make it writable (chmod 1777 for a shared dir) or "
                       "point %s elsewhere",
                       real, src->dir_what, (unsigned)geteuid(), src->knob);
    return ls_fail(err, LS_ERR_SYSTEM, e, "lock dir %s (%s): %s", real, src->dir_what, strerror(e));
}

int ls_lockdir_check(struct ls_lockdir *ld, const struct ls_lockdir_source *src, unsigned flags,
                     struct ls_error *err)
{
    memset(ld, 0, sizeof(*ld));
    if (!*src->dir)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s is empty; name a directory such as /tmp",
                       src->dir_what);
    if (ls_lock_prefix_check(src->prefix, src->prefix_what, err) < 0)
        return -1;

    struct stat st;
    _cleanup_free_ char *real = NULL;
    if (resolve_dir(src, &st, &real, err) < 0)
        return -1;

    struct statfs sfs;
    unsigned long long f_type = 0;
    if (statfs(real, &sfs) == 0)
        f_type = (unsigned long long)(unsigned long)sfs.f_type;
    char fstype[256] = "";
    unsigned major = 0, minor = 0;
    dir_device(real, &st, &major, &minor, fstype, sizeof(fstype));
    if (check_local(real, src, f_type, fstype, err) < 0)
        return -1;
    /* Observers (locks, plan) only read: any directory may be looked at. */
    if (!(flags & LS_LOCKDIR_OBSERVE) &&
        (check_trusted(&lock_kind, src->dir, real, src->dir_what, err) < 0 ||
         check_writable(src, real, err) < 0))
        return -1;

    snprintf(ld->dir, sizeof(ld->dir), "%s", real);
    snprintf(ld->prefix, sizeof(ld->prefix), "%s", src->prefix);
    ld->dev_major = major;
    ld->dev_minor = minor;
    ld->confirm_free = (flags & LS_LOCKDIR_OBSERVE) || ls_pidns_nested();
    return 0;
}

int ls_dir_check_trusted(const char *dir, const char *what, const char *noun, const char *risk,
                         struct ls_error *err)
{
    const struct trust_kind k = {noun, risk,
                                 "a directory of your own or a root-owned mode-1777 "
                                 "directory"};
    _cleanup_free_ char *real = realpath(dir, NULL);
    if (!real)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "%s %s (%s): cannot resolve it: %s", noun, dir,
                       what, strerror(errno));
    return check_trusted(&k, dir, real, what, err);
}

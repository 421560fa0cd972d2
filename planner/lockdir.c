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

#define REMEDY "point --lock-dir / LLCSLICE_LOCK_DIR at a local filesystem such as /tmp or /run"

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
static int check_local(const char *dir, const char *what, unsigned long long f_type,
                       const char *fstype, struct ls_error *err)
{
    const char *fs = ls_fs_flock_unsafe(f_type, fstype);
    if (!fs)
        return 0;
    return ls_fail(err, LS_ERR_USAGE, EREMOTE,
                   "lock dir %s (%s) is on %s (fstype %s): flock on %s is not coordinated "
                   "across hosts or is unreliable; " REMEDY,
                   dir, what, fs, fstype && *fstype ? fstype : "unknown", fs);
}

int ls_lockdir_open_flags(struct ls_lockdir *ld, const char *dir, const char *prefix,
                          unsigned flags, struct ls_error *err)
{
    memset(ld, 0, sizeof(*ld));
    const char *dir_what = "--lock-dir", *prefix_what = "--lock-prefix";
    if (!dir) {
        dir = getenv("LLCSLICE_LOCK_DIR");
        dir_what = "LLCSLICE_LOCK_DIR";
        if (!dir || !*dir) {
            dir = "/tmp";
            dir_what = "the default lock dir";
        }
    }
    if (!prefix) {
        prefix = getenv("LLCSLICE_LOCK_PREFIX");
        prefix_what = "LLCSLICE_LOCK_PREFIX";
        if (!prefix || !*prefix) {
            prefix = "llcslice";
            prefix_what = "the default lock prefix";
        }
    }
    if (!*dir)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s is empty; name a directory such as /tmp",
                       dir_what);
    if (ls_lock_prefix_check(prefix, prefix_what, err) < 0)
        return -1;

    struct stat st;
    if (stat(dir, &st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "lock dir %s (%s) does not exist; create it or point --lock-dir / "
                           "LLCSLICE_LOCK_DIR at an existing local directory",
                           dir, dir_what);
        return ls_fail(err, e == EACCES ? LS_ERR_USAGE : LS_ERR_SYSTEM, e,
                       "lock dir %s (%s) cannot be accessed: %s", dir, dir_what, strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return ls_fail(err, LS_ERR_USAGE, ENOTDIR,
                       "lock dir %s (%s) is not a directory; point --lock-dir / "
                       "LLCSLICE_LOCK_DIR at a directory",
                       dir, dir_what);

    _cleanup_free_ char *real = realpath(dir, NULL);
    if (!real)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "lock dir %s (%s): cannot resolve it: %s", dir,
                       dir_what, strerror(errno));
    /* Room for "/{prefix}-llc-{4294967295}.lock". */
    if (strlen(real) + 1 + LS_LOCK_PREFIX_MAX + 32 > sizeof(ld->dir) ||
        strlen(real) >= PATH_MAX - LS_LOCK_PREFIX_MAX - 32)
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "lock dir %s (%s): path too long", dir,
                       dir_what);

    struct statfs sfs;
    unsigned long long f_type = 0;
    if (statfs(real, &sfs) == 0)
        f_type = (unsigned long long)(unsigned long)sfs.f_type;

    /* Device as /proc/locks names it: the superblock's, from mountinfo. */
    char fstype[256] = "";
    unsigned major = 0, minor = 0;
    struct ls_root host = {.path = ""};
    _cleanup_free_ char *mountinfo = NULL;
    if (ls_root_read(&host, &mountinfo, NULL, "proc/self/mountinfo") < 0 ||
        ls_mountinfo_device(mountinfo, real, &major, &minor, fstype, sizeof(fstype)) < 0) {
        /* No /proc (or no matching line): stat's device is right for most filesystems. */
        major = major(st.st_dev);
        minor = minor(st.st_dev);
        fstype[0] = '\0';
    }
    if (check_local(real, dir_what, f_type, fstype, err) < 0)
        return -1;

    if (!(flags & LS_LOCKDIR_OBSERVE) && faccessat(AT_FDCWD, real, W_OK | X_OK, AT_EACCESS) < 0) {
        int e = errno;
        if (e == EROFS)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "lock dir %s (%s) is on a read-only filesystem, so lockfiles cannot "
                           "be created there; point --lock-dir / LLCSLICE_LOCK_DIR at a "
                           "writable local directory such as /tmp or /run",
                           real, dir_what);
        if (e == EACCES || e == EPERM)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "lock dir %s (%s) is not writable by uid %u, so lockfiles cannot be "
                           "created there; make it writable (chmod 1777 for a shared dir) or "
                           "point --lock-dir / LLCSLICE_LOCK_DIR elsewhere",
                           real, dir_what, (unsigned)geteuid());
        return ls_fail(err, LS_ERR_SYSTEM, e, "lock dir %s (%s): %s", real, dir_what, strerror(e));
    }

    snprintf(ld->dir, sizeof(ld->dir), "%s", real);
    snprintf(ld->prefix, sizeof(ld->prefix), "%s", prefix);
    ld->dev_major = major;
    ld->dev_minor = minor;
    return 0;
}

int ls_lockdir_open(struct ls_lockdir *ld, const char *dir, const char *prefix,
                    struct ls_error *err)
{
    return ls_lockdir_open_flags(ld, dir, prefix, 0, err);
}

/* The flock(2) lockfile protocol: {dir}/{prefix}-llc-N.lock and {prefix}-cpu-C.lock, and
 * who holds them, from one /proc/locks read matched by major:minor:inode. */
#ifndef LLCSLICE_LOCKFILE_H
#define LLCSLICE_LOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum ls_lock_kind { LS_LOCK_LLC, LS_LOCK_CPU };
enum ls_lock_mode { LS_LOCK_SHARED, LS_LOCK_EXCLUSIVE };

struct ls_lockdir {
    char dir[4096];
    char prefix[128];
    unsigned dev_major, dev_minor; /* the dir's filesystem, as /proc/locks names it */
};

/* Resolve --lock-dir/LLCSLICE_LOCK_DIR (default /tmp) and --lock-prefix/LLCSLICE_LOCK_PREFIX
 * (default llcslice); check the dir exists, is a directory, writable, on a local filesystem
 * (NFS/CIFS/SMB/Ceph/AFS/FUSE refused with the remedy); find its device via mountinfo. */
int ls_lockdir_open(struct ls_lockdir *ld, const char *dir, const char *prefix,
                    struct ls_error *err);

int ls_lock_path(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n, char *buf,
                 size_t size);

/* Create (0666 regardless of umask, O_CLOEXEC|O_NOFOLLOW, never truncating or following a
 * symlink) and open a lockfile. Returns fd or -1 with err. */
int ls_lock_open(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                 struct ls_error *err);

/* Non-blocking flock on an open lockfile fd: 1 acquired, 0 busy, -1 error. */
int ls_lock_try(int fd, enum ls_lock_mode mode, struct ls_error *err);

struct ls_holder {
    pid_t pid;
    enum ls_lock_mode mode;
    char cmdline[160]; /* from /proc/PID/cmdline, NULs as spaces, "?" when gone */
};

/* One pass over /proc/locks: FLOCK entries keyed by device+inode for fast lookup. */
struct ls_lock_entry {
    unsigned major, minor;
    unsigned long long inode;
    pid_t pid;
    enum ls_lock_mode mode;
};

struct ls_locktable {
    struct ls_lock_entry *entries; /* sorted by (major, minor, inode) */
    size_t n;
};

/* Parse /proc/locks text (or read `path`, "/proc/locks" when NULL). Unknown lines skipped. */
int ls_locktable_parse(struct ls_locktable *t, const char *text, size_t len, struct ls_error *err);
int ls_locktable_read(struct ls_locktable *t, const char *path, struct ls_error *err);
void ls_locktable_free(struct ls_locktable *t);
/* Entries for one file: returns count and points *first at them (consecutive). */
size_t ls_locktable_find(const struct ls_locktable *t, unsigned major, unsigned minor,
                         unsigned long long inode, const struct ls_lock_entry **first);

/* Holders of one lockfile (by its inode on ld's device), cmdlines filled in. Caller frees. */
int ls_lock_holders(const struct ls_lockdir *ld, const struct ls_locktable *t,
                    unsigned long long inode, struct ls_holder **out, size_t *n,
                    struct ls_error *err);

/* "pid 123 (make -j8) shared, pid 456 (...) exclusive" */
void ls_format_holders(const struct ls_holder *h, size_t n, char *buf, size_t size);

/* Mountinfo: major:minor of the mount holding `path` (longest mount-point prefix). */
int ls_mountinfo_device(const char *mountinfo_text, const char *path, unsigned *major,
                        unsigned *minor, char *fstype, size_t fstype_size);

#endif

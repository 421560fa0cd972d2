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
    /* Probe (ls_lock_probe) every lockfile /proc/locks shows free before calling it free:
     * set for observers (plan, locks), whose answer nothing else corrects, and inside a pid
     * namespace other than the host's, whose /proc/locks omits locks held outside it. */
    bool confirm_free;
};

/* A lock dir and prefix as the caller chose them, with the words messages name them by:
 * dir_what and prefix_what say where each came from ("--lock-dir", "the default lock dir"),
 * knob what the user sets to choose another dir ("--lock-dir / LLCSLICE_LOCK_DIR"). The
 * command line resolves them (supervisor/lockopts.h). */
struct ls_lockdir_source {
    const char *dir, *dir_what;
    const char *prefix, *prefix_what;
    const char *knob;
};

/* Check src: the prefix (ls_lock_prefix_check); the dir exists, is a directory, writable, on a
 * local filesystem (NFS/CIFS/SMB/Ceph/AFS/FUSE refused with the remedy), and only root and
 * the caller control it (no symlink on the way owned by another user, every directory from /
 * down owned by root or the caller and not world-writable unless sticky; docs/SECURITY.md);
 * find its device via mountinfo. LS_LOCKDIR_OBSERVE (only reading holders, as llcslice locks
 * does) skips the write and ownership checks. LS_ERR_USAGE for each refusal. */
enum { LS_LOCKDIR_OBSERVE = 1u << 0 };
int ls_lockdir_check(struct ls_lockdir *ld, const struct ls_lockdir_source *src, unsigned flags,
                     struct ls_error *err);

/* Prefix rule: non-empty, at most LS_LOCK_PREFIX_MAX printable ASCII chars, no '/'. */
#define LS_LOCK_PREFIX_MAX 100
int ls_lock_prefix_check(const char *prefix, const char *what, struct ls_error *err);
/* The lock dir's ownership rules for any directory llcslice writes into (e.g. slot logs):
 * every symlink on the way and every directory from / down is owned by root or the caller,
 * and none is writable by everyone without the sticky bit. noun names the directory ("log
 * dir"), risk says what an untrusted owner could do. LS_ERR_USAGE (EPERM) when not. */
int ls_dir_check_trusted(const char *dir, const char *what, const char *noun, const char *risk,
                         struct ls_error *err);

/* The family name ("NFS", "CIFS/SMB", "Ceph", "AFS", "FUSE", ...) of a network or userspace
 * filesystem on which flock is not coordinated or not reliable, from statfs f_type (0 =
 * unknown) and/or the mountinfo fstype (NULL or "" = unknown); NULL for a local one. */
const char *ls_fs_flock_unsafe(unsigned long long f_type, const char *fstype);

const char *ls_lock_kind_name(enum ls_lock_kind kind); /* "llc" / "cpu" */
const char *ls_lock_mode_name(enum ls_lock_mode mode); /* "shared" / "exclusive" */

/* "{dir}/{prefix}-llc-{n}.lock" / "{dir}/{prefix}-cpu-{n}.lock"; -1 (ENAMETOOLONG) if it
 * does not fit. */
int ls_lock_path(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n, char *buf,
                 size_t size);

/* Create (0666 regardless of umask, O_CLOEXEC|O_NOFOLLOW, never truncating or following a
 * symlink) and open a lockfile; a symlink, FIFO, device, directory or a file with several
 * hard links in its place is refused. Returns fd or -1 with err. */
int ls_lock_open(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                 struct ls_error *err);

/* Non-blocking flock on an open lockfile fd: 1 acquired, 0 busy, -1 error. */
int ls_lock_try(int fd, enum ls_lock_mode mode, struct ls_error *err);

/* Release a held lock: flock(LOCK_UN), then close(). The unlock comes first because the
 * kernel reports a close (inotify IN_CLOSE, which ktstr's queue waits on) before it drops the
 * flock of the last descriptor, so a waiter woken by the close could find the lock still held.
 * LOCK_UN acts on the open file description: every dup of fd loses the lock too. */
void ls_lock_release(int fd);

/* Whether a lockfile is held, by trying it: LOCK_SH|LOCK_NB (fails: an exclusive holder),
 * then LOCK_EX|LOCK_NB (fails: shared holders), each dropped at once. Sees every holder,
 * whatever /proc/locks shows this process. 1 held (*mode says how), 0 free or absent. A
 * probe holds the lock for a moment: a racing non-blocking acquirer may see it busy once and
 * retries, as it does for any holder. */
int ls_lock_probe(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                  enum ls_lock_mode *mode);

/* Whether this process runs in a pid namespace other than the host's: /proc/2 is not
 * kthreadd (a child namespace's own /proc shows no kernel threads), or /proc/self/status
 * NSpid has more than one entry (the host's /proc). */
bool ls_pidns_nested(void);

/* ls_lock_open + ls_lock_try: 1 with *fd_out holding the lock, 0 busy (nothing left open),
 * -1 error. */
int ls_lock_acquire(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                    enum ls_lock_mode mode, int *fd_out, struct ls_error *err);

/* Inode of an existing lockfile without creating it: 1 found, 0 absent (nobody can hold
 * it), -1 error (e.g. a symlink or other non-regular file in its place). */
int ls_lock_inode(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned n,
                  unsigned long long *inode, struct ls_error *err);

/* Whether a directory entry name is one of ld's lockfiles: kind and index N. */
bool ls_lock_name(const struct ls_lockdir *ld, const char *name, enum ls_lock_kind *kind,
                  unsigned *index);

/* Indices of every existing {prefix}-{kind}-N.lock in the dir, ascending. Caller frees. */
int ls_lockdir_scan(const struct ls_lockdir *ld, enum ls_lock_kind kind, unsigned **out, size_t *n,
                    struct ls_error *err);

struct ls_holder {
    pid_t pid;
    enum ls_lock_mode mode;
    char cmdline[160]; /* from /proc/PID/cmdline, NULs as spaces, "?" when gone, when the
                        * process with that pid holds no descriptor of the lockfile (a
                        * reused pid), or when the holder is unknown (pid 0) */
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
/* One read of /proc/locks, without reading again until two agree: when the file is longer
 * than a page (*torn set), a lock taken or dropped meanwhile can be missed or seen twice. For
 * callers that take every lock they plan with a non-blocking flock, which a missed holder
 * fails. Half the reads (each stalls every flock on the host) of ls_locktable_read. */
int ls_locktable_read_once(struct ls_locktable *t, bool *torn, struct ls_error *err);
void ls_locktable_free(struct ls_locktable *t);
/* Entries for one file: returns count and points *first at them (consecutive). */
size_t ls_locktable_find(const struct ls_locktable *t, unsigned major, unsigned minor,
                         unsigned long long inode, const struct ls_lock_entry **first);

/* Whether any entry is on the filesystem major:minor (e.g. the lock dir's): when none is,
 * nobody holds a lockfile there and per-file lookups can be skipped. */
bool ls_locktable_has_device(const struct ls_locktable *t, unsigned major, unsigned minor);

/* Holders of one lockfile (by its inode on ld's device). With names, cmdlines are filled in
 * (a read of /proc/PID/cmdline and /proc/PID/fd each); without, they are "". Caller frees. */
int ls_lock_holders(const struct ls_lockdir *ld, const struct ls_locktable *t,
                    unsigned long long inode, bool names, struct ls_holder **out, size_t *n,
                    struct ls_error *err);

/* "pid 123 (make -j8) shared, pid 456 (...) exclusive"; "no holders" when n == 0. */
void ls_format_holders(const struct ls_holder *h, size_t n, char *buf, size_t size);

/* /proc/PID/cmdline as one line: NULs as spaces, control chars as '?', truncated with
 * "..." to fit; "[comm]" for a process without one; "?" when the process is gone. */
void ls_pid_cmdline(pid_t pid, char *buf, size_t size);

/* Mountinfo: major:minor of the mount holding `path` (an absolute path without symlinks;
 * longest mount-point prefix, the topmost of mounts stacked on one point) and its fstype
 * (may be NULL). Octal escapes (\040 for space) are decoded. 0, or -1 with errno ENOENT
 * when no mount matches. */
int ls_mountinfo_device(const char *mountinfo_text, const char *path, unsigned *major,
                        unsigned *minor, char *fstype, size_t fstype_size);

#endif

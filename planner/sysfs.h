/* Every topology file read goes through here, relative to a filesystem root (default "/"),
 * so dumped sysfs trees (fixtures, simulated hosts) are read exactly like the live one. */
#ifndef LLCSLICE_SYSFS_H
#define LLCSLICE_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/stat.h>

#include "cpuset.h"
#include "error.h"

#define LS_SYSFS_MAX_FILE (4u << 20) /* a topology file larger than this is garbage */

struct ls_root {
    char path[4096]; /* no trailing slash; "" means the real root */
};

/* Set root from --fsroot / LLCSLICE_FSROOT (NULL or "/" = real host). Checks it is a
 * directory; errors name where dir came from (what: "--fsroot", "LLCSLICE_FSROOT"). */
int ls_root_init(struct ls_root *root, const char *dir, const char *what, struct ls_error *err);
bool ls_root_is_host(const struct ls_root *root);

/* Read a whole file. Returns 0, or -errno (ENOENT when missing) without touching err, so the
 * caller decides whether absence is an error. *out is NUL-terminated; caller frees. */
int ls_root_read(const struct ls_root *root, char **out, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read a whole sysfs attribute relative to an open directory (openat; AT_FDCWD for a full
 * path), as ls_root_read: for loops reading many small files below one directory. A short
 * read(2) is taken as the end of the file (sysfs produces an attribute whole on the first
 * read; regular-file dumps only return short at EOF), so not for /proc files. */
int ls_read_at(int dirfd, const char *rel, char **out, size_t *len);

/* A directory below the root held open (util-linux path.c's context): reads below it walk
 * only the path after it, which is what keeps discovery fast on hosts with thousands of CPUs
 * (bench/FINDINGS.md). fd -1 (the directory could not be opened, or the root itself) reads
 * through full paths instead, so a missing directory reads as missing files. */
struct ls_sysfs {
    const struct ls_root *root;
    int fd;        /* O_PATH directory, or -1 */
    bool owned;    /* fd is closed by ls_sysfs_close (not borrowed by ls_sysfs_view) */
    char sub[128]; /* path from fd to this directory; "" when fd is it */
    char rel[256]; /* root-relative, no leading slash; "" for the root itself */
};

/* The root itself as a context (no fd held). */
void ls_sysfs_root(struct ls_sysfs *d, const struct ls_root *root);
/* Hold rel (below parent) open. Returns 0 (fd -1 when it cannot be opened) or -ENAMETOOLONG. */
int ls_sysfs_open(struct ls_sysfs *d, const struct ls_sysfs *parent, const char *rel);
/* rel below parent as a context without opening it: reads go through parent's fd (no
 * syscall to set up, for a directory read a few times). Returns 0 or -ENAMETOOLONG. */
int ls_sysfs_view(struct ls_sysfs *d, const struct ls_sysfs *parent, const char *rel);
void ls_sysfs_close(struct ls_sysfs *d);
#define _cleanup_sysfs_ __attribute__((cleanup(ls_sysfs_close)))

/* "<root>/<d->rel>/<rel>" into buf, for messages (truncated when too long). */
const char *ls_sysfs_path(const struct ls_sysfs *d, const char *rel, char *buf, size_t size);

/* A file below d: 0 ok (*out NUL-terminated, caller frees), 1 missing (ENOENT/ENOTDIR), -1
 * error naming the file ("cannot read PATH: ..."). Sysfs and regular-file reads (ls_read_at). */
int ls_sysfs_read(const struct ls_sysfs *d, const char *rel, char **out, size_t *len,
                  struct ls_error *err);
/* A decimal integer file (blanks trimmed): 0 ok, 1 missing or malformed, -1 error. */
int ls_sysfs_read_long(const struct ls_sysfs *d, const char *rel, long *out, struct ls_error *err);
/* A non-negative decimal id at the start of a file ("12\n"; what follows the digits is not
 * looked at, as ktstr reads ids): the id, or -1 when it is missing, unreadable or no id. */
long ls_sysfs_read_id(const struct ls_sysfs *d, const char *rel);
/* A cpu-list file list_rel, else its hex-mask sibling mask_rel (NULL: none). 0 ok with *used
 * (when not NULL) set to the rel that was read, 1 neither exists, -1 error (a malformed file
 * is a system error naming its full path). */
int ls_sysfs_read_cpuset(const struct ls_sysfs *d, const char *list_rel, const char *mask_rel,
                         ls_cpuset *out, const char **used, struct ls_error *err);
/* The numeric suffixes (< LS_MAX_CPUS) of the names with prefix ("cpu12", "index3") in
 * directory rel below d ("" for d itself), ascending; *ids malloc'ed (caller frees). 0 ok, 1
 * the directory is absent, -1 error ("cannot list PATH: ..."). */
int ls_sysfs_list_numbered(const struct ls_sysfs *d, const char *rel, const char *prefix, int **ids,
                           size_t *n, struct ls_error *err);
/* fstatat below d (flags: AT_SYMLINK_NOFOLLOW or 0). 0 or -errno. */
int ls_sysfs_stat(const struct ls_sysfs *d, const char *rel, struct stat *st, int flags);

#endif

/* Every topology file read goes through here, relative to a filesystem root (default "/"),
 * so dumped sysfs trees (fixtures, simulated hosts) are read exactly like the live one. */
#ifndef LLCSLICE_SYSFS_H
#define LLCSLICE_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#include "cpuset.h"
#include "error.h"

#define LS_SYSFS_MAX_FILE (4u << 20) /* a topology file larger than this is garbage */

struct ls_root {
    char path[4096]; /* no trailing slash; "" means the real root */
};

/* Set root from --fsroot / LLCSLICE_FSROOT (NULL or "/" = real host). Checks it is a directory. */
int ls_root_init(struct ls_root *root, const char *dir, struct ls_error *err);
/* The same, naming where dir came from ("--fsroot", "LLCSLICE_FSROOT") in errors. */
int ls_root_init_from(struct ls_root *root, const char *dir, const char *what,
                      struct ls_error *err);
bool ls_root_is_host(const struct ls_root *root);

/* Build "<root>/<rel>" from a printf-style relative path ("sys/devices/system/cpu/online"). */
int ls_root_path(const struct ls_root *root, char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read a whole file. Returns 0, or -errno (ENOENT when missing) without touching err, so the
 * caller decides whether absence is an error. *out is NUL-terminated; caller frees. */
int ls_root_read(const struct ls_root *root, char **out, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read a whole sysfs attribute relative to an open directory (openat; AT_FDCWD for a full
 * path), as ls_root_read: for loops reading many small files below one directory. A short
 * read(2) is taken as the end of the file (sysfs produces an attribute whole on the first
 * read; regular-file dumps only return short at EOF), so not for /proc files. */
int ls_read_at(int dirfd, const char *rel, char **out, size_t *len);

bool ls_root_exists(const struct ls_root *root, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read and parse a cpu-list / hex-mask file. Missing file: returns 1 (err untouched). */
int ls_root_read_cpulist(const struct ls_root *root, ls_cpuset *out, struct ls_error *err,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int ls_root_read_cpumask(const struct ls_root *root, ls_cpuset *out, struct ls_error *err,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

/* Job log files in a directory other users may reach: opened without following a link and
 * without blocking (a planted FIFO must not hang the runner), and only as regular files. */
#ifndef LLCSLICE_LOGFILE_H
#define LLCSLICE_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "planner/error.h"

/* open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644), then fstat: anything but a
 * regular file is refused. The returned fd is blocking again. -1 with err (LS_ERR_USAGE for a
 * symlink, FIFO or other non-file; LS_ERR_SYSTEM otherwise), naming the path. */
int ls_log_open(const char *path, int flags, struct ls_error *err);

/* The log dir: created (with parents, mode 0755) when missing, a writable directory, and
 * owned as a lock dir must be (ls_dir_check_trusted). what names the flag or key. */
int ls_log_dir_prepare(const char *dir, const char *what, struct ls_error *err);

/* Why a run failed, in one line, from its log: the last error llcslice wrote there (a line
 * "llcslice: ..." that is not a warning or progress, without that prefix), else the job's own
 * last line of output ("last output: ..."). Reads at most the last 16 KiB. false: none. */
bool ls_log_last_error(const char *path, char *buf, size_t size);

#endif

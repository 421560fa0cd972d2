/* One reader of /proc/PID/stat: state, parent and start time, for the owner checks of cgroup
 * names, the shim's descendant scan and the VMM driver; and one of /proc/PID/comm. */
#ifndef LLCSLICE_PROCSTAT_H
#define LLCSLICE_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>

#include "cpuset.h"
#include "error.h"

struct ls_proc_stat {
    char state;               /* field 3: R, S, D, Z (zombie), X (dead), ... */
    pid_t ppid;               /* field 4 */
    unsigned long long start; /* field 22: clock ticks after boot */
};

/* Parse the text of a stat file (proc(5)); comm may hold spaces and parentheses, so fields
 * restart after the last ')'. 0, or -EIO when it does not parse. */
int ls_proc_stat_parse(const char *text, struct ls_proc_stat *st);

/* Read and parse <procdir>/stat (procdir like "/proc/42" or "/proc/self"): 1 with *st, 0 when
 * the process is gone (ENOENT/ESRCH), -errno when /proc cannot tell (EMFILE, ENOMEM, -EIO). */
int ls_proc_stat_read(const char *procdir, struct ls_proc_stat *st);

/* /proc/PID/comm into buf (NUL-terminated, without its newline; truncated to size - 1):
 * 1, 0 when it reads empty, -errno when it cannot be read (the process is gone: ENOENT). */
int ls_proc_comm_read(pid_t pid, char *buf, size_t size);

/* The rest of the line after `key` ("FDSize:", "NSpid:") in /proc/self/status, which is read
 * into buf (size bytes; the file fits 4 KiB): a pointer into buf, or NULL when the file cannot
 * be read or has no such line. Plain system calls only, so a forked child may call it. */
const char *ls_proc_self_status_field(const char *key, char *buf, size_t size);

/* The list after `key` ("Cpus_allowed_list:", "Mems_allowed_list:") in <procdir>/status into
 * out: 1, 0 when the file has no such line, -1 with errno when it cannot be read, or with err
 * (named after the file) when the list does not parse. */
int ls_proc_status_list(const char *procdir, const char *key, ls_cpuset *out, struct ls_error *err);

#endif

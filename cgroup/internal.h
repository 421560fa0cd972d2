/* Shared by the files in cgroup/ only: hierarchy lookup, small cgroupfs file helpers, group
 * naming and ownership, libcgroup wrappers. Tests include it to drive the parsers directly. */
#ifndef LLCSLICE_CGROUP_INTERNAL_H
#define LLCSLICE_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cgroup.h"

#define LS_CG_PREFIX "llcslice-"
/* cgroup v2: the leaf beside the job groups that holds the parent's own processes */
#define LS_CG_PROCS_LEAF "llcslice-procs"
/* inode of the initial pid namespace (the kernel's PROC_PID_INIT_INO) */
#define LS_PIDNS_INIT 0xEFFFFFFCu

/* One mounted hierarchy and where the calling process sits in it. */
struct ls_cg_hier {
    enum ls_cg_version version;
    char mount[4096]; /* mount point, no trailing slash */
    char own[4096];   /* caller's group relative to mount: "" is the mount's root */
    bool own_visible; /* false when the caller's group lies outside this mount */
    bool noprefix;    /* v1 mounted with -o noprefix: "cpus" instead of "cpuset.cpus" */
};

/* Find the hierarchy carrying `controller`, parsing the given mountinfo and /proc/PID/cgroup
 * files (tests pass fakes). v2 counts only if controller is in <mount>/cgroup.controllers.
 * Returns 1 found, 0 not mounted, -1 on a read/parse error. */
int ls_cg_find_hier(const char *mountinfo, const char *proc_cgroup, const char *controller,
                    enum ls_cg_version want, struct ls_cg_hier *out, struct ls_error *err);
/* The detection rule: v2 with cpuset, else v1 with cpuset, else none. */
enum ls_cg_version ls_cg_detect_at(const char *mountinfo, const char *proc_cgroup,
                                   struct ls_cg_hier *out, struct ls_error *err);
/* Same for the live process, and the memory hierarchy (v1: may differ from cpuset's). */
enum ls_cg_version ls_cg_detect(struct ls_cg_hier *out, struct ls_error *err);
int ls_cg_find_memory(enum ls_cg_version v, struct ls_cg_hier *out, struct ls_error *err);

/* Strip a trailing "/llcslice-procs" from h->own: job groups belong beside that leaf (where a
 * supervisor moved our processes), never inside it. */
void ls_cg_own_skip_leaf(struct ls_cg_hier *h);

/* Resolve --cgroup-parent (or the caller's own group when NULL) to a path relative to the mount
 * of an existing, writable group. Explicit-parent problems are LS_ERR_USAGE. */
int ls_cg_resolve_parent(const struct ls_cg_hier *h, const char *parent, char *rel, size_t size,
                         struct ls_error *err);

/* ---- files (fs.c). Functions returning int give 0 or -errno. ---- */
/* "a/b" with exactly one slash between ("a/" + "/b" too); an empty a or b is left out. */
int ls_cg_join(char *buf, size_t size, const char *a, const char *b);
int ls_cg_read(const char *path, char **out);
int ls_cg_readf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ls_cg_write(const char *path, const char *text);
int ls_cg_writef(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ls_cg_has_word(const char *list, const char *word); /* space/comma/newline separated */
/* pids listed in a cgroup.procs / tasks file; *n = 0 for an empty or vanished group. */
int ls_cg_read_pids(const char *path, pid_t **pids, size_t *n);
bool ls_cg_is_dir(const char *path);
/* Compare the cpuset list in <dir>/<file> (an .effective file read back after configuring a
 * group) with want: 1 equal, 0 not (*got_text, *want_text then the two lists, to free), -1
 * with err (a read error names path, which is filled in either way; path_size >= 256). */
int ls_cg_effective_cmp(const char *dir, const char *file, const ls_cpuset *want, char **got_text,
                        char **want_text, char *path, size_t path_size, struct ls_error *err);

/* ---- owners (owner.c) ---- */
/* starttime (field 22 of /proc/PID/stat, clock ticks since boot); 0 if the process is gone. */
unsigned long long ls_cg_proc_start(pid_t pid);
/* inode of <procdir>/ns/pid ("/proc/self", "/proc/123"); 0 when unreadable. */
uint64_t ls_cg_pidns_of(const char *procdir);
/* "llcslice-[<label>-]<pid>-<start>-<8 hex>" for a job group (label: ls_cg_set_label, a slot
 * job's name); outside the initial pid namespace "llcslice-[<label>-]<pid>-<start>-ns<pidns
 * inode>-<8 hex>" (pid as that namespace numbers it). */
int ls_cg_job_name(char *buf, size_t size);
struct ls_cg_owner {
    pid_t pid;                /* in its own pid namespace */
    unsigned long long start; /* its starttime */
    uint64_t pidns;           /* LS_PIDNS_INIT when the name has no ns part */
};
/* Parse a group basename made by ls_cg_job_name. false for any other name. */
bool ls_cg_parse_name(const char *name, struct ls_cg_owner *o);
/* true when /proc/<pid> is alive and still the process that started at `start`, or when /proc
 * cannot tell (EMFILE, ENOMEM): a sweep must never take a live job's group. */
bool ls_cg_owner_alive(pid_t pid, unsigned long long start);
/* Is a group's owner alive? In this pid namespace by /proc/<pid>; in another one by finding the
 * process with that namespace and NSpid; UNKNOWN when that namespace is not visible from here
 * or /proc cannot be read (out of fds or memory): never DEAD without proof. */
enum ls_owner_state { LS_OWNER_ALIVE, LS_OWNER_DEAD, LS_OWNER_UNKNOWN };
enum ls_owner_state ls_cg_owner_state(const struct ls_cg_owner *o);

/* ---- libcgroup (libcg.c) ---- */
struct ls_cg_value {
    const char *name; /* control file */
    const char *value;
};
/* Create <mount>/<rel> and write values in order; libcgroup when it drives this mount,
 * mkdir + writes otherwise. A failed write removes the new group again. */
int ls_cg_create(const struct ls_cg_hier *h, const char *rel, const char *const *controllers,
                 size_t ncontrollers, const struct ls_cg_value *values, size_t nvalues,
                 struct ls_error *err);
/* " (why)" for a refused move of a process into path (code: errno), or "". */
const char *ls_cg_attach_hint(const struct ls_cg_hier *h, const char *path, int code);
/* Move a whole process into <mount>/<rel>. */
int ls_cg_attach(const struct ls_cg_hier *h, const char *rel, const char *controller, pid_t pid,
                 struct ls_error *err);
/* rmdir the (empty) group, libcgroup first; returns 0 or -errno (EBUSY while tasks linger). */
int ls_cg_rmdir(const struct ls_cg_hier *h, const char *rel, const char *controller);
/* true when libcgroup is initialised and mounts `controller` at h->mount. */
bool ls_cg_lib_usable(const struct ls_cg_hier *h, const char *controller);
/* libcgroup code -> message ("<cgroup_strerror>"), and the errno behind it (EIO if none). */
const char *ls_cg_lib_strerror(int rc);
int ls_cg_lib_errno(int rc);

/* ---- v2 rules (v2.c) ---- */
/* Make <parent_rel> able to hand `controllers` to a new child: move every process it holds into
 * <parent>/llcslice-procs (until none is left), then enable the controllers from the root down.
 * *moved: how many processes this call moved (the caller tells the user). */
int ls_cg_v2_prepare(const struct ls_cg_hier *h, const char *parent_rel, bool explicit_parent,
                     const char *const *controllers, size_t n, size_t *moved, struct ls_error *err);

/* ---- teardown (destroy.c) ---- */
/* Kill every process in the group and its descendants, move stragglers to the parent, remove
 * the groups bottom-up (EBUSY retried 5x10 ms). 0, or -errno of the last failure. */
int ls_cg_kill_and_remove(const struct ls_cg_hier *h, const char *rel, const char *controller,
                          char *why, size_t why_size);

/* ---- orphan markers (orphan.c) ---- */
/* $LLCSLICE_STATE_DIR/orphans, default /run/llcslice/orphans. */
int ls_cg_orphan_dir(char *buf, size_t size);
int ls_cg_orphan_mark(const char *group_path, time_t created, struct ls_error *err);
/* Marker of a group path: 1 with *created filled, 0 when none. */
int ls_cg_orphan_lookup(const char *group_path, time_t *created);
void ls_cg_orphan_unmark(const char *group_path);
/* Every marker in the state dir, whatever its file name (markers are plain "path P" and
 * "created T" lines, so admins can write one). Caller frees the array. */
struct ls_cg_orphan {
    char path[4096];
    char file[4200];
    time_t created;
};
int ls_cg_orphan_list(struct ls_cg_orphan **out, size_t *n);

#endif

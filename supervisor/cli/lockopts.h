/* The lock dir and prefix options: --lock-dir beats LLCSLICE_LOCK_DIR beats /tmp, and
 * --lock-prefix beats LLCSLICE_LOCK_PREFIX beats llcslice; the planner checks what this
 * chose (ls_lockdir_check), naming the source in its messages. */
#ifndef LLCSLICE_LOCKOPTS_H
#define LLCSLICE_LOCKOPTS_H

#include "planner/lockfile.h"

/* Fill src from the flags (NULL: not given) or the environment (empty counts as unset), else
 * the defaults. A value the caller passes counts as the flag's, whatever gave it (a slot file's
 * lock_dir: too). */
void ls_lockdir_resolve(const char *dir, const char *prefix, struct ls_lockdir_source *src);

/* ls_lockdir_resolve then ls_lockdir_check. */
int ls_lockdir_open_flags(struct ls_lockdir *ld, const char *dir, const char *prefix,
                          unsigned flags, struct ls_error *err);
int ls_lockdir_open(struct ls_lockdir *ld, const char *dir, const char *prefix,
                    struct ls_error *err);

#endif

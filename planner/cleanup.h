/* __attribute__((cleanup)) helpers so fds and allocations cannot leak on error paths. */
#ifndef LLCSLICE_CLEANUP_H
#define LLCSLICE_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void ls_freep(void *p)
{
    free(*(void **)p);
}
static inline void ls_closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
static inline void ls_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void ls_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define _cleanup_free_ __attribute__((cleanup(ls_freep)))
#define _cleanup_close_ __attribute__((cleanup(ls_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(ls_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(ls_closedirp)))

/* Typed cleanup for the planner's own objects: the attribute passes the variable's address to
 * the type's own free function, declared beside the type (cpuset.h, plan.h, snapshot.h,
 * waitq.h, lockfile.h), so this header needs none of them. The variable must start in a state
 * that function accepts: zeroed, or LS_CPUSET_INIT. */
#define _cleanup_cpuset_ __attribute__((cleanup(ls_cpuset_free)))
#define _cleanup_plan_ __attribute__((cleanup(ls_plan_free)))
#define _cleanup_snapshot_ __attribute__((cleanup(ls_snapshot_free)))
#define _cleanup_waitq_ __attribute__((cleanup(ls_waitq_free)))
#define _cleanup_locktable_ __attribute__((cleanup(ls_locktable_free)))

/* Hand ownership out of a cleanup variable. */
#define LS_STEAL(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tmp = (p);                                                                  \
        (p) = NULL;                                                                                \
        _tmp;                                                                                      \
    })
#define LS_STEAL_FD(fd)                                                                            \
    ({                                                                                             \
        int _tmp = (fd);                                                                           \
        (fd) = -1;                                                                                 \
        _tmp;                                                                                      \
    })

#endif

/* Seccomp profiles for the job. Built and compiled to BPF in the supervisor, so an unknown
 * profile or syscall name is a usage error before anything is reserved; installed in the
 * job's process just before exec with nothing but prctl/seccomp calls. */
#ifndef LLCSLICE_SECCOMP_H
#define LLCSLICE_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "planner/error.h"

struct sock_filter;

struct ls_seccomp {
    struct sock_filter *insns; /* NULL: no filter */
    unsigned short len;
    bool set_nnp; /* no_new_privs is needed: we lack CAP_SYS_ADMIN */
};

#define LS_SECCOMP_INIT                                                                            \
    {                                                                                              \
        NULL, 0, false                                                                             \
    }

/* profile: NULL or "none" (no filter unless deny_csv names some), "build" (EPERM for the
 * syscalls ls_seccomp_build_syscalls lists), "log" (the same syscalls allowed but logged).
 * deny_csv: "name,name" denied with EPERM on top of the profile. */
int ls_seccomp_build(struct ls_seccomp *sc, const char *profile, const char *deny_csv,
                     struct ls_error *err);
/* The syscalls the build/log profiles cover, NULL-terminated (for --help and tests). */
const char *const *ls_seccomp_build_syscalls(void);
/* Install in the calling process; async-signal-safe. 0, or -errno. No filter: no-op. */
int ls_seccomp_apply(const struct ls_seccomp *sc);
void ls_seccomp_free(struct ls_seccomp *sc);

#endif

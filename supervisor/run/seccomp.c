#include "seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "planner/cleanup.h"

/* Host-altering syscalls a build or test run never needs. perf_event_open, ptrace, unshare
 * and keyctl stay allowed: profilers, debuggers and rootless containers use them on behalf
 * of the job only. */
static const char *const build_syscalls[] = {
    /* kernel modules */
    "init_module", "finit_module", "delete_module", "create_module",
    /* replacing or stopping the kernel */
    "kexec_load", "kexec_file_load", "reboot",
    /* swap */
    "swapon", "swapoff",
    /* the mount table */
    "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    /* the clock */
    "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex",
    /* host identity, accounting, quotas, sysctl */
    "sethostname", "setdomainname", "acct", "quotactl", "quotactl_fd", "_sysctl",
    /* raw I/O ports, kernel BPF programs */
    "iopl", "ioperm", "bpf", NULL};

const char *const *ls_seccomp_build_syscalls(void)
{
    return build_syscalls;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

static bool have_cap_sys_admin(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) < 0)
        return false;
    return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, const char *what,
                    struct ls_error *err)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "%s: unknown syscall name '%s'", what, name);
    int rc = seccomp_rule_add(ctx, action, nr, 0);
    if (rc < 0 && rc != -EEXIST) /* a name given twice */
        return ls_fail(err, LS_ERR_SYSTEM, -rc, "seccomp: adding a rule for %s: %s", name,
                       strerror(-rc));
    return 0;
}

/* A 32-bit or x32 binary in the job must meet the same rules, not a bad-arch kill. */
static void add_compat_arches(scmp_filter_ctx ctx)
{
    uint32_t native = seccomp_arch_native();
    if (native == SCMP_ARCH_X86_64) {
        seccomp_arch_add(ctx, SCMP_ARCH_X86);
        seccomp_arch_add(ctx, SCMP_ARCH_X32);
    } else if (native == SCMP_ARCH_AARCH64) {
        seccomp_arch_add(ctx, SCMP_ARCH_ARM);
    }
}

static int export_bpf(scmp_filter_ctx ctx, struct ls_seccomp *sc, struct ls_error *err)
{
    _cleanup_close_ int fd = memfd_create("llcslice-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "seccomp: memfd_create: %s", strerror(errno));
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -rc, "seccomp: compiling the filter: %s", strerror(-rc));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "seccomp: fstat: %s", strerror(errno));
    size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
    if (n == 0 || n > BPF_MAXINSNS || (size_t)st.st_size % sizeof(struct sock_filter))
        return ls_fail(err, LS_ERR_SYSTEM, EINVAL, "seccomp: compiled filter has a bad size (%lld)",
                       (long long)st.st_size);
    _cleanup_free_ struct sock_filter *insns = malloc((size_t)st.st_size);
    if (!insns)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size)
        return ls_fail(err, LS_ERR_SYSTEM, EIO, "seccomp: reading back the compiled filter");
    sc->insns = LS_STEAL(insns);
    sc->len = (unsigned short)n;
    return 0;
}

static int add_deny_list(scmp_filter_ctx ctx, const char *csv, struct ls_error *err)
{
    _cleanup_free_ char *copy = strdup(csv);
    if (!copy)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    char *p = copy;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*p)
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "--seccomp-deny: empty syscall name in '%s' (use name,name)", csv);
        if (add_rule(ctx, SCMP_ACT_ERRNO(EPERM), p, "--seccomp-deny", err) < 0)
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int ls_seccomp_build(struct ls_seccomp *sc, const char *profile, const char *deny_csv,
                     struct ls_error *err)
{
    *sc = (struct ls_seccomp)LS_SECCOMP_INIT;
    uint32_t profile_action;
    bool use_profile = true;
    if (!profile || !strcmp(profile, "none")) {
        use_profile = false;
        profile_action = SCMP_ACT_ALLOW;
    } else if (!strcmp(profile, "build")) {
        profile_action = SCMP_ACT_ERRNO(EPERM);
    } else if (!strcmp(profile, "log")) {
        profile_action = SCMP_ACT_LOG;
    } else {
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "--seccomp: unknown profile '%s' (profiles: build, log, none)", profile);
    }
    if (!use_profile && !deny_csv)
        return 0;

    __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "seccomp: cannot initialise a filter");
    add_compat_arches(ctx);
    /* Explicit denies first: libseccomp refuses a second rule for the same syscall, and an
     * explicit --seccomp-deny beats the log profile's action. */
    if (deny_csv && add_deny_list(ctx, deny_csv, err) < 0)
        return -1;
    if (use_profile) {
        for (const char *const *name = build_syscalls; *name; name++) {
            int nr = seccomp_syscall_resolve_name(*name);
            if (nr == __NR_SCMP_ERROR)
                continue; /* not a syscall on this architecture */
            int rc = seccomp_rule_add(ctx, profile_action, nr, 0);
            if (rc < 0 && rc != -EEXIST)
                return ls_fail(err, LS_ERR_SYSTEM, -rc, "seccomp: adding a rule for %s: %s", *name,
                               strerror(-rc));
        }
    }
    if (export_bpf(ctx, sc, err) < 0)
        return -1;
    sc->set_nnp = !have_cap_sys_admin();
    return 0;
}

int ls_seccomp_apply(const struct ls_seccomp *sc)
{
    if (!sc || !sc->insns)
        return 0;
    struct sock_fprog prog = {.len = sc->len, .filter = sc->insns};
    if (sc->set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return 0;
    /* CAP_SYS_ADMIN can be filtered away by an LSM: no_new_privs always suffices. */
    if (errno != EACCES || sc->set_nnp)
        return -errno;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : -errno;
}

void ls_seccomp_free(struct ls_seccomp *sc)
{
    free(sc->insns);
    *sc = (struct ls_seccomp)LS_SECCOMP_INIT;
}

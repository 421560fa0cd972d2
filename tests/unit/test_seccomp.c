/* Seccomp profiles: building, rejected names, and the filter's effect in a real forked child. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/run/seccomp.h"

/* Run fn in a forked child, optionally under sc; return fn's result (an errno, 0 for success). */
static int in_child(const struct ls_seccomp *sc, int (*fn)(void))
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        int result = sc ? ls_seccomp_apply(sc) : 0;
        if (result == 0)
            result = fn();
        else
            result = 1000 - result; /* apply failed: distinguishable from any errno */
        if (write(pipefd[1], &result, sizeof(result)) != sizeof(result))
            _exit(2);
        _exit(0);
    }
    close(pipefd[1]);
    int result = -1;
    assert_int_equal(read(pipefd[0], &result, sizeof(result)), sizeof(result));
    close(pipefd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return result;
}

static int errno_of(long rc)
{
    return rc < 0 ? errno : 0;
}

static int do_swapoff(void)
{
    return errno_of(syscall(SYS_swapoff, "/nonexistent/llcslice-test"));
}
static int do_sethostname(void)
{
    char name[256] = {0};
    gethostname(name, sizeof(name) - 1);
    return errno_of(syscall(SYS_sethostname, name, strlen(name))); /* same name: harmless */
}
static int do_acct(void)
{
    return errno_of(syscall(SYS_acct, "/nonexistent/llcslice-test"));
}
static int do_umount(void)
{
    return errno_of(syscall(SYS_umount2, "/nonexistent/llcslice-test", 0));
}
static int do_getcwd(void)
{
    char buf[4096];
    return errno_of(syscall(SYS_getcwd, buf, sizeof(buf)));
}
static int do_write(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return errno;
    int rc = errno_of(write(fds[1], "ok", 2) == 2 ? 0 : -1);
    close(fds[0]);
    close(fds[1]);
    return rc;
}

static void test_none_is_no_filter(void **state)
{
    (void)state;
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(ls_seccomp_build(&sc, NULL, NULL, &err), 0);
    assert_null(sc.insns);
    assert_int_equal(ls_seccomp_build(&sc, "none", NULL, &err), 0);
    assert_null(sc.insns);
    assert_int_equal(ls_seccomp_apply(&sc), 0);
    ls_seccomp_free(&sc);
}

static void test_profiles_build(void **state)
{
    (void)state;
    const char *profiles[] = {"build", "log"};
    for (size_t i = 0; i < 2; i++) {
        struct ls_seccomp sc;
        struct ls_error err = {0};
        assert_int_equal(ls_seccomp_build(&sc, profiles[i], NULL, &err), 0);
        assert_non_null(sc.insns);
        assert_true(sc.len > 10);
        ls_seccomp_free(&sc);
    }
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(ls_seccomp_build(&sc, NULL, "getcwd, uname", &err), 0);
    assert_non_null(sc.insns);
    ls_seccomp_free(&sc);
    /* a name given twice, and one the profile already denies */
    assert_int_equal(ls_seccomp_build(&sc, "build", "getcwd,getcwd,swapoff", &err), 0);
    ls_seccomp_free(&sc);
}

static void expect_usage(const char *profile, const char *deny, const char *needle)
{
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(ls_seccomp_build(&sc, profile, deny, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' does not mention '%s'", err.msg, needle);
    assert_null(sc.insns);
}

static void test_unknown_names(void **state)
{
    (void)state;
    expect_usage("strict", NULL, "unknown profile 'strict'");
    expect_usage("", NULL, "unknown profile");
    expect_usage("Build", NULL, "unknown profile");
    expect_usage(NULL, "getcwd,not_a_syscall", "unknown syscall name 'not_a_syscall'");
    expect_usage("build", "swapof", "unknown syscall name 'swapof'");
    expect_usage(NULL, "", "empty syscall name");
    expect_usage(NULL, "getcwd,", "empty syscall name");
    expect_usage(NULL, ",getcwd", "empty syscall name");
}

static void test_list_covers_spec(void **state)
{
    (void)state;
    const char *must[] = {"init_module", "delete_module", "kexec_load",   "reboot",
                          "swapon",      "swapoff",       "mount",        "umount2",
                          "pivot_root",  "acct",          "settimeofday", "clock_settime",
                          "adjtimex",    "sethostname",   "setdomainname"};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        bool found = false;
        for (const char *const *n = ls_seccomp_build_syscalls(); *n; n++)
            found |= !strcmp(*n, must[i]);
        if (!found)
            fail_msg("build profile misses %s", must[i]);
    }
}

/* The build profile makes host-altering calls fail with EPERM and leaves the rest alone. The
 * control run without a filter shows the call would otherwise fail differently (as root). */
static void test_build_denies_eperm(void **state)
{
    (void)state;
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(ls_seccomp_build(&sc, "build", NULL, &err), 0);
    int (*calls[])(void) = {do_swapoff, do_sethostname, do_acct, do_umount};
    const char *names[] = {"swapoff", "sethostname", "acct", "umount2"};
    for (size_t i = 0; i < 4; i++) {
        int filtered = in_child(&sc, calls[i]);
        if (filtered != EPERM)
            fail_msg("%s under the build profile: errno %d, expected EPERM", names[i], filtered);
        if (geteuid() == 0 && i != 1) {
            int control = in_child(NULL, calls[i]);
            if (control == EPERM)
                fail_msg("%s without a filter also gives EPERM: the test proves nothing", names[i]);
        }
    }
    assert_int_equal(in_child(&sc, do_write), 0);
    assert_int_equal(in_child(&sc, do_getcwd), 0);
    ls_seccomp_free(&sc);
}

static void test_deny_list_eperm(void **state)
{
    (void)state;
    struct ls_seccomp sc;
    struct ls_error err = {0};
    assert_int_equal(in_child(NULL, do_getcwd), 0);
    assert_int_equal(ls_seccomp_build(&sc, NULL, "getcwd", &err), 0);
    assert_int_equal(in_child(&sc, do_getcwd), EPERM);
    assert_int_equal(in_child(&sc, do_write), 0);
    ls_seccomp_free(&sc);
    /* the log profile allows (and logs) the profile's calls but not explicit denies */
    assert_int_equal(ls_seccomp_build(&sc, "log", "getcwd", &err), 0);
    assert_int_equal(in_child(&sc, do_getcwd), EPERM);
    if (geteuid() == 0)
        assert_int_not_equal(in_child(&sc, do_swapoff), EPERM);
    ls_seccomp_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_is_no_filter),  cmocka_unit_test(test_profiles_build),
        cmocka_unit_test(test_unknown_names),      cmocka_unit_test(test_list_covers_spec),
        cmocka_unit_test(test_build_denies_eperm), cmocka_unit_test(test_deny_list_eperm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

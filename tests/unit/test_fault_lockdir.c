/* Who may decide where lockfiles go: a lock dir reached through a symlink owned by another
 * user, a lock dir (or an ancestor) owned by another user, or one every user may write without
 * the sticky bit is refused before any lockfile is touched; root's and your own links are
 * followed; observers (locks, plan) may look anywhere. Real links, chowns and setuid children. */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/lockfile.h"
#include "supervisor/cli/lockopts.h"

#define NOBODY 65534
#define OTHER 4242 /* a uid nobody on the machine has: "another user" */

struct fx {
    char dir[128];
};

static int setup(void **state)
{
    if (geteuid() != 0) /* chown and setuid need root */
        return 0;
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/llcslice-faultdir-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    chmod(f->dir, 01777);
    *state = f;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f) {
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
    }
    return 0;
}

static struct fx *fx(void **state)
{
    if (geteuid() != 0)
        skip();
    return *state;
}

static void path_in(char *buf, size_t size, const struct fx *f, const char *name)
{
    snprintf(buf, size, "%s/%s", f->dir, name);
}

static void mkdir_owned(const char *path, mode_t mode, uid_t uid)
{
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(chown(path, uid, uid), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void symlink_owned(const char *target, const char *path, uid_t uid)
{
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(lchown(path, uid, uid), 0);
}

static void expect_ok(const char *dir, const char *want_real)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, dir, "t", &err) < 0)
        fail_msg("ls_lockdir_open(%s) refused: %s", dir, err.msg);
    if (want_real)
        assert_string_equal(ld.dir, want_real);
}

/* Refused as a usage error naming the dir and the culprit; an observer still gets in. */
static void expect_refused(const char *dir, const char *culprit, const char *why)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    assert_int_equal(ls_lockdir_open(&ld, dir, "t", &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    if (!strstr(err.msg, dir) || !strstr(err.msg, culprit) || !strstr(err.msg, why) ||
        !strstr(err.msg, "handed out twice"))
        fail_msg("refusal of %s: \"%s\" lacks '%s' / '%s'", dir, err.msg, culprit, why);
    struct ls_error oerr = {0};
    if (ls_lockdir_open_flags(&ld, dir, "t", LS_LOCKDIR_OBSERVE, &oerr) < 0)
        fail_msg("observer refused %s: %s", dir, oerr.msg);
}

static void test_own_and_root_links_followed(void **state)
{
    struct fx *f = fx(state);
    char real[PATH_MAX], d[PATH_MAX], link[PATH_MAX], rel[PATH_MAX];
    path_in(d, sizeof(d), f, "locks");
    mkdir_owned(d, 01777, 0);
    assert_non_null(realpath(d, real));
    path_in(link, sizeof(link), f, "via-root");
    symlink_owned(d, link, 0);
    expect_ok(link, real);
    /* Relative target and a chain of trusted links, with "..". */
    path_in(rel, sizeof(rel), f, "rel");
    symlink_owned("via-root/../locks", rel, 0);
    expect_ok(rel, real);
    /* Debian's /var/lock -> /run/lock is a root-owned link. */
    struct stat st;
    if (lstat("/var/lock", &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 0)
        expect_ok("/var/lock", NULL);
}

static void test_foreign_link_refused(void **state)
{
    struct fx *f = fx(state);
    char d[PATH_MAX], link[PATH_MAX], outer[PATH_MAX], below[PATH_MAX + 8];
    path_in(d, sizeof(d), f, "locks");
    mkdir_owned(d, 01777, 0);
    /* The lock dir replaced by another user's symlink to a perfectly good directory. */
    path_in(link, sizeof(link), f, "team-locks");
    symlink_owned(d, link, OTHER);
    expect_refused(link, link, "symlink owned by uid 4242");
    /* Hidden behind a trusted link, or as an intermediate component. */
    path_in(outer, sizeof(outer), f, "outer");
    symlink_owned("team-locks", outer, 0);
    expect_refused(outer, link, "symlink owned by uid 4242");
    path_in(d, sizeof(d), f, "locks/sub");
    mkdir_owned(d, 0755, 0);
    snprintf(below, sizeof(below), "%s/sub", link);
    expect_refused(below, link, "symlink owned by uid 4242");
}

static void test_foreign_dir_refused(void **state)
{
    struct fx *f = fx(state);
    char d[PATH_MAX], sub[PATH_MAX + 16];
    /* Owned by another user, even root-like modes. */
    path_in(d, sizeof(d), f, "theirs");
    mkdir_owned(d, 01777, OTHER);
    expect_refused(d, d, "owned by uid 4242");
    /* Our own directory inside theirs: they can rename it away. */
    snprintf(sub, sizeof(sub), "%s/ours", d);
    mkdir_owned(sub, 0755, 0);
    expect_refused(sub, d, "owned by uid 4242");
    /* World-writable without the sticky bit: anyone may unlink anyone's lockfile. */
    path_in(d, sizeof(d), f, "open");
    mkdir_owned(d, 0777, 0);
    expect_refused(d, d, "without the sticky bit");
    snprintf(sub, sizeof(sub), "%s/inside", d);
    mkdir_owned(sub, 0755, 0);
    expect_refused(sub, d, "mode 0777");
    /* Group-writable is the team's business; sticky world-writable is /tmp's rule. */
    path_in(d, sizeof(d), f, "team");
    mkdir_owned(d, 0775, 0);
    expect_ok(d, NULL);
    expect_ok("/tmp", NULL);
}

/* As nobody: its own directory and root's are fine, a third user's is not. */
static int nobody_checks(const char *dir)
{
    char own[PATH_MAX], other[PATH_MAX], link[PATH_MAX];
    snprintf(own, sizeof(own), "%s/nobody-own", dir);
    snprintf(other, sizeof(other), "%s/other-own", dir);
    snprintf(link, sizeof(link), "%s/nobody-link", dir);
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, own, "t", &err) < 0)
        return 1;
    if (ls_lockdir_open(&ld, dir, "t", &err) < 0) /* root's 1777 dir */
        return 2;
    if (ls_lockdir_open(&ld, link, "t", &err) < 0) /* its own link */
        return 3;
    if (ls_lockdir_open(&ld, other, "t", &err) == 0 || !strstr(err.msg, "uid 4242"))
        return 4;
    return 0;
}

static void test_as_nobody(void **state)
{
    struct fx *f = fx(state);
    char d[PATH_MAX];
    path_in(d, sizeof(d), f, "nobody-own");
    mkdir_owned(d, 0755, NOBODY);
    path_in(d, sizeof(d), f, "other-own");
    mkdir_owned(d, 01777, OTHER);
    char link[PATH_MAX];
    path_in(link, sizeof(link), f, "nobody-link");
    path_in(d, sizeof(d), f, "nobody-own");
    symlink_owned(d, link, NOBODY);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(99);
        _exit(nobody_checks(f->dir));
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_and_root_links_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_link_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_as_nobody, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

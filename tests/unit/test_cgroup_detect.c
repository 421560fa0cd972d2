/* Hierarchy detection from fake mountinfo + /proc/PID/cgroup files (v2-only, hybrid, none and
 * the awkward cases), group names, --cgroup-parent resolution against a fake mount, markers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/internal.h"

static char tmp[256];

static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + strlen(tmp) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void mk(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    put("x", "");
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/llcslice-cgdetect-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* A mountinfo whose cgroup mounts live under the temp dir. */
static void mountinfo(const char *lines)
{
    char text[8192], *o = text;
    /* "@" in the template stands for the temp dir */
    for (const char *p = lines; *p; p++) {
        if (*p == '@') {
            o += sprintf(o, "%s", tmp);
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    put("mountinfo", text);
}

static enum ls_cg_version detect(struct ls_cg_hier *h)
{
    char mi[512], cg[512];
    snprintf(mi, sizeof(mi), "%s/mountinfo", tmp);
    snprintf(cg, sizeof(cg), "%s/cgroup", tmp);
    struct ls_error err = {0};
    enum ls_cg_version v = ls_cg_detect_at(mi, cg, h, &err);
    if (ls_error_set(&err))
        fail_msg("unexpected error: %s", err.msg);
    return v;
}

static void test_v2_only(void **state)
{
    (void)state;
    mountinfo("22 1 0:21 / /proc rw - proc proc rw\n"
              "30 22 0:26 / @/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    put("unified/cgroup.controllers", "cpuset cpu io memory pids\n");
    put("cgroup", "0::/user.slice/session-3.scope\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_V2);
    char want[512];
    snprintf(want, sizeof(want), "%s/unified", tmp);
    assert_string_equal(h.mount, want);
    assert_string_equal(h.own, "user.slice/session-3.scope");
    assert_true(h.own_visible);
}

static void test_v2_without_cpuset_is_none(void **state)
{
    (void)state;
    mountinfo("30 22 0:26 / @/unified rw - cgroup2 cgroup2 rw\n");
    put("unified/cgroup.controllers", "cpu io memory pids hugetlb\n");
    put("cgroup", "0::/\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_NONE);
}

/* This build host: cpuset on v1, a v2 mount with only hugetlb. */
static void test_hybrid(void **state)
{
    (void)state;
    mountinfo("31 23 0:28 / @/fs rw,relatime - tmpfs tmpfs rw,mode=755\n"
              "32 31 0:29 / @/fs/cpu rw,relatime - cgroup cgroup rw,cpu\n"
              "34 31 0:31 / @/fs/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
              "35 31 0:32 / @/fs/memory rw,relatime - cgroup cgroup rw,memory\n"
              "41 31 0:38 / @/fs/unified rw,relatime - cgroup2 cgroup2 rw\n");
    put("fs/unified/cgroup.controllers", "hugetlb\n");
    put("cgroup", "9:name=systemd:/\n4:memory:/process_api/ed3e\n3:cpuset:/jobs\n0::/\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_V1);
    char want[512];
    snprintf(want, sizeof(want), "%s/fs/cpuset", tmp);
    assert_string_equal(h.mount, want);
    assert_string_equal(h.own, "jobs");
    assert_false(h.noprefix);

    char mi[512], cg[512];
    snprintf(mi, sizeof(mi), "%s/mountinfo", tmp);
    snprintf(cg, sizeof(cg), "%s/cgroup", tmp);
    struct ls_error err = {0};
    assert_int_equal(ls_cg_find_hier(mi, cg, "memory", LS_CG_V1, &h, &err), 1);
    assert_string_equal(h.own, "process_api/ed3e");
    assert_int_equal(ls_cg_find_hier(mi, cg, "blkio", LS_CG_V1, &h, &err), 0);
}

/* v2 with cpuset beats a v1 cpuset mount; a co-mounted "cpu,cpuset" hierarchy counts. */
static void test_v2_preferred_and_comount(void **state)
{
    (void)state;
    mountinfo("34 31 0:31 / @/v1 rw - cgroup cgroup rw,cpu,cpuset,noprefix\n"
              "41 31 0:38 / @/v2 rw - cgroup2 cgroup2 rw\n");
    put("v2/cgroup.controllers", "cpuset memory\n");
    put("cgroup", "2:cpu,cpuset:/a/b\n0::/\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_V2);
    assert_string_equal(h.own, "");
    put("v2/cgroup.controllers", "memory\n");
    assert_int_equal(detect(&h), LS_CG_V1);
    assert_string_equal(h.own, "a/b");
    assert_true(h.noprefix);
}

static void test_none(void **state)
{
    (void)state;
    mountinfo("22 1 0:21 / /proc rw - proc proc rw\n"
              "23 1 0:22 / @/sys rw - sysfs sysfs rw\n");
    put("cgroup", "");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_NONE);
    /* a "cpuset" in the mount options (not the super options) means nothing */
    mountinfo("34 31 0:31 / @/x rw,cpuset - tmpfs tmpfs rw\n");
    assert_int_equal(detect(&h), LS_CG_NONE);
}

/* A mount of a subtree (container bind mount): own path is relative to its root; a group
 * outside it is not visible; a later mount over the same point hides the earlier one. */
static void test_subtree_mount_and_shadowing(void **state)
{
    (void)state;
    mountinfo("41 31 0:38 /kubepods/pod1 @/c rw - cgroup2 cgroup2 rw\n");
    put("c/cgroup.controllers", "cpuset memory\n");
    put("cgroup", "0::/kubepods/pod1/ctr\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_V2);
    assert_true(h.own_visible);
    assert_string_equal(h.own, "ctr");

    put("cgroup", "0::/system.slice/other\n");
    assert_int_equal(detect(&h), LS_CG_V2);
    assert_false(h.own_visible);

    mountinfo("41 31 0:38 / @/c rw - cgroup2 cgroup2 rw\n"
              "42 31 0:39 / @/c rw - tmpfs tmpfs rw\n");
    assert_int_equal(detect(&h), LS_CG_NONE);
    mountinfo("41 31 0:38 / @/c/sub rw - cgroup cgroup rw,cpuset\n"
              "42 31 0:39 / @/c rw - tmpfs tmpfs rw\n");
    assert_int_equal(detect(&h), LS_CG_NONE);
}

/* Escaped mount points (\040 = space) and optional fields before the "-". */
static void test_escapes_and_optional_fields(void **state)
{
    (void)state;
    mk("my dir");
    mountinfo("41 31 0:38 / @/my\\040dir rw shared:5 master:2 - cgroup cgroup rw,cpuset\n"
              "garbage line\n");
    put("cgroup", "5:cpuset:/\n");
    struct ls_cg_hier h;
    assert_int_equal(detect(&h), LS_CG_V1);
    char want[512];
    snprintf(want, sizeof(want), "%s/my dir", tmp);
    assert_string_equal(h.mount, want);
    assert_string_equal(h.own, "");
}

static void test_missing_files(void **state)
{
    (void)state;
    struct ls_cg_hier h;
    struct ls_error err = {0};
    assert_int_equal(ls_cg_find_hier("/nonexistent/mountinfo", "/proc/self/cgroup", "cpuset",
                                     LS_CG_V1, &h, &err),
                     -1);
    assert_non_null(strstr(err.msg, "/nonexistent/mountinfo"));
}

static void test_names(void **state)
{
    (void)state;
    char name[128];
    struct ls_cg_owner o;
    assert_int_equal(ls_cg_job_name(name, sizeof(name)), 0);
    assert_true(ls_cg_parse_name(name, &o));
    assert_int_equal(o.pid, getpid());
    assert_int_equal(o.start, ls_cg_proc_start(getpid()));
    assert_true(o.start > 0);
    /* the ns part is there exactly when this process is outside the initial pid namespace */
    assert_int_equal(o.pidns, ls_cg_pidns_of("/proc/self"));
    assert_int_equal(strstr(name, "-ns") != NULL, o.pidns != LS_PIDNS_INIT);
    assert_true(ls_cg_owner_alive(o.pid, o.start));
    assert_false(ls_cg_owner_alive(o.pid, o.start + 1)); /* pid reused by a later process */
    assert_int_equal(ls_cg_owner_state(&o), LS_OWNER_ALIVE);
    o.start++;
    assert_int_equal(ls_cg_owner_state(&o), LS_OWNER_DEAD);

    static const char *bad[] = {"llcslice-",
                                "llcslice-12",
                                "llcslice-12-34",
                                "llcslice-12-34-",
                                "llcslice-12-34-abc",
                                "llcslice-x-34-0123abcd",
                                "llcslice-0-34-0123abcd",
                                "llcslice-12-34-0123ABCD",
                                "llcslice-12-34-0123abcd/x",
                                "llcslice-12-34-sup",
                                "llcslice-12-34-ns-0123abcd",
                                "llcslice-12-34-ns0-0123abcd",
                                "llcslice-12-34-ns5",
                                "llcslice-12-34-nsx-0123abcd",
                                "llcslice-procs",
                                "other-12-34-0123abcd",
                                "llcslice-probe",
                                "llcslice-99999999999-1-0123abcd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ls_cg_parse_name(bad[i], &o))
            fail_msg("'%s' parsed as a group name", bad[i]);
    assert_true(ls_cg_parse_name("llcslice-12-34-0123abcd", &o));
    assert_int_equal(o.pid, 12);
    assert_int_equal(o.start, 34);
    assert_int_equal(o.pidns, LS_PIDNS_INIT);
    assert_true(ls_cg_parse_name("llcslice-2-34-ns4026532001-0123abcd", &o));
    assert_int_equal(o.pid, 2);
    assert_int_equal(o.start, 34);
    assert_int_equal(o.pidns, 4026532001ull);
    /* a slot job's name in front, digits and dashes included, with and without ns */
    assert_true(ls_cg_parse_name("llcslice-build-5-12-34-0123abcd", &o));
    assert_int_equal(o.pid, 12);
    assert_int_equal(o.start, 34);
    assert_true(ls_cg_parse_name("llcslice-ns5-12-34-ns77-0123abcd", &o));
    assert_int_equal(o.pid, 12);
    assert_int_equal(o.pidns, 77);
    static const char *const bad_label[] = {
        "llcslice--12-34-0123abcd", "llcslice-a b-12-34-0123abcd", "llcslice-a/b-12-34-0123abcd"};
    for (size_t i = 0; i < sizeof(bad_label) / sizeof(bad_label[0]); i++)
        if (ls_cg_parse_name(bad_label[i], &o))
            fail_msg("'%s' parsed as a group name", bad_label[i]);
    /* what ls_cg_job_name makes with a label parses back to this process */
    ls_cg_set_label("kernel build/1");
    assert_int_equal(ls_cg_job_name(name, sizeof(name)), 0);
    ls_cg_set_label(NULL);
    assert_true(!strncmp(name, "llcslice-kernel_build_1-", 24));
    assert_true(ls_cg_parse_name(name, &o));
    assert_int_equal(o.pid, getpid());
}

/* An owner in another pid namespace (a supervisor inside an llcslice job) is looked up there:
 * its pid there is not the host's /proc/<pid>. Needs CAP_SYS_ADMIN for the namespace. */
static void test_owner_other_pidns(void **state)
{
    (void)state;
    pid_t child = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (child < 0)
        skip(); /* no privilege for a pid namespace */
    if (child == 0) {
        for (;;)
            pause();
    }
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d", (int)child);
    struct ls_cg_owner o = {.pid = 1, .pidns = ls_cg_pidns_of(dir)};
    for (int i = 0; i < 60000 && (o.start = ls_cg_proc_start(child)) == 0; i++) /* 5 min bound */
        usleep(5000);
    assert_true(o.start > 0);
    assert_true(o.pidns != 0 && o.pidns != ls_cg_pidns_of("/proc/self"));
    enum ls_owner_state alive = ls_cg_owner_state(&o);
    o.pid = 2; /* nobody in that namespace */
    enum ls_owner_state nobody = ls_cg_owner_state(&o);
    o.pid = 1;
    o.start++;
    enum ls_owner_state reused = ls_cg_owner_state(&o);
    o.start--;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* the namespace is gone with its last process: nothing tells it from an invisible one */
    enum ls_owner_state gone = ls_cg_owner_state(&o);
    o.pidns = 1;
    enum ls_owner_state unknown = ls_cg_owner_state(&o);
    assert_int_equal(alive, LS_OWNER_ALIVE);
    assert_int_equal(nobody, LS_OWNER_DEAD);
    assert_int_equal(reused, LS_OWNER_DEAD);
    assert_int_equal(gone, LS_OWNER_UNKNOWN);
    assert_int_equal(unknown, LS_OWNER_UNKNOWN);
    /* our own pid in our namespace, named as if it lived in that (gone) one: not ours */
    struct ls_cg_owner me = {.pid = getpid(), .start = ls_cg_proc_start(getpid()), .pidns = 1};
    assert_int_equal(ls_cg_owner_state(&me), LS_OWNER_UNKNOWN);
}

static void test_join_and_leaf(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(ls_cg_join(buf, sizeof(buf), "/sys/fs/cgroup/cpuset/", "/llcslice-1"), 0);
    assert_string_equal(buf, "/sys/fs/cgroup/cpuset/llcslice-1");
    assert_int_equal(ls_cg_join(buf, sizeof(buf), "/sys/fs/cgroup", "a/b"), 0);
    assert_string_equal(buf, "/sys/fs/cgroup/a/b");
    assert_int_equal(ls_cg_join(buf, sizeof(buf), "", "/x"), 0);
    assert_string_equal(buf, "/x");
    assert_int_equal(ls_cg_join(buf, sizeof(buf), "/", "x"), 0);
    assert_string_equal(buf, "/x");
    assert_int_equal(ls_cg_join(buf, sizeof(buf), "a", ""), 0);
    assert_string_equal(buf, "a");
    assert_int_equal(ls_cg_join(buf, 4, "abc", "d"), -ENAMETOOLONG);

    struct ls_cg_hier h = {.version = LS_CG_V2};
    snprintf(h.own, sizeof(h.own), "ci/runner/" LS_CG_PROCS_LEAF);
    ls_cg_own_skip_leaf(&h);
    assert_string_equal(h.own, "ci/runner");
    snprintf(h.own, sizeof(h.own), LS_CG_PROCS_LEAF);
    ls_cg_own_skip_leaf(&h);
    assert_string_equal(h.own, "");
    snprintf(h.own, sizeof(h.own), "ci/llcslice-procs2");
    ls_cg_own_skip_leaf(&h);
    assert_string_equal(h.own, "ci/llcslice-procs2");
}

/* A dead child (reaped, or a zombie) is not an owner. */
static void test_owner_dead(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    unsigned long long start = ls_cg_proc_start(child);
    /* it may already be a zombie: start reads 0 then, which is "dead" as well */
    for (int i = 0; i < 60000 && ls_cg_proc_start(child) != 0; i++) /* 5 min bound */
        usleep(5000);
    assert_false(ls_cg_owner_alive(child, start ? start : 1));
    waitpid(child, NULL, 0);
    assert_int_equal(ls_cg_proc_start(child), 0);
}

static void fake_hier(struct ls_cg_hier *h)
{
    memset(h, 0, sizeof(*h));
    h->version = LS_CG_V2;
    snprintf(h->mount, sizeof(h->mount), "%s/mnt", tmp);
    snprintf(h->own, sizeof(h->own), "me/scope");
    h->own_visible = true;
    mk("mnt/me/scope");
    mk("mnt/jobs/a");
}

static void expect_parent(const char *parent, const char *rel)
{
    struct ls_cg_hier h;
    fake_hier(&h);
    char out[4096];
    struct ls_error err = {0};
    if (ls_cg_resolve_parent(&h, parent, out, sizeof(out), &err) < 0)
        fail_msg("--cgroup-parent %s: %s", parent ? parent : "(own)", err.msg);
    assert_string_equal(out, rel);
}

static void expect_parent_error(const char *parent, enum ls_category cat, int code,
                                const char *needle)
{
    struct ls_cg_hier h;
    fake_hier(&h);
    char out[4096];
    struct ls_error err = {0};
    assert_int_equal(ls_cg_resolve_parent(&h, parent, out, sizeof(out), &err), -1);
    assert_int_equal(err.category, cat);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, needle))
        fail_msg("error for %s was \"%s\", expected \"%s\"", parent, err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
}

static void test_parent(void **state)
{
    (void)state;
    char abs[1024];
    expect_parent(NULL, "me/scope");
    expect_parent("jobs", "jobs");
    expect_parent("jobs/a/", "jobs/a");
    expect_parent("./jobs//a", "jobs/a");
    expect_parent("/jobs/a", "jobs/a"); /* hierarchy-absolute spelling */
    snprintf(abs, sizeof(abs), "%s/mnt/jobs", tmp);
    expect_parent(abs, "jobs");
    snprintf(abs, sizeof(abs), "%s/mnt", tmp);
    expect_parent(abs, "");

    expect_parent_error("", LS_ERR_USAGE, EINVAL, "empty");
    expect_parent_error("jobs/../me", LS_ERR_USAGE, EINVAL, "'..'");
    expect_parent_error("..", LS_ERR_USAGE, EINVAL, "'..'");
    snprintf(abs, sizeof(abs), "%s/mnt/../mnt/jobs", tmp);
    expect_parent_error(abs, LS_ERR_USAGE, EINVAL, "'..'");
    expect_parent_error("/tmp", LS_ERR_USAGE, EINVAL, "outside the cgroup hierarchy");
    expect_parent_error("/tmp/llcslice-no-such-dir", LS_ERR_USAGE, EINVAL, "outside");
    expect_parent_error("/jobs/missing", LS_ERR_USAGE, ENOENT, "no such cgroup");
    expect_parent_error("jobs/missing", LS_ERR_USAGE, ENOENT, "no such cgroup");
    put("mnt/jobs/file", "");
    expect_parent_error("jobs/file", LS_ERR_USAGE, ENOENT, "no such cgroup");
    /* A symlink into the mount is the same directory. */
    char link[1024];
    snprintf(link, sizeof(link), "%s/link", tmp);
    snprintf(abs, sizeof(abs), "%s/mnt", tmp);
    assert_int_equal(symlink(abs, link), 0);
    snprintf(abs, sizeof(abs), "%s/link/jobs/a", tmp);
    expect_parent(abs, "jobs/a");

    struct ls_cg_hier h;
    fake_hier(&h);
    h.own_visible = false;
    char out[4096];
    struct ls_error err = {0};
    assert_int_equal(ls_cg_resolve_parent(&h, NULL, out, sizeof(out), &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_non_null(strstr(err.msg, "--cgroup-parent"));
}

/* Unwritable: checked as an unprivileged user (root writes anywhere). */
static void test_parent_unwritable(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    struct ls_cg_hier h;
    fake_hier(&h);
    chmod(tmp, 0755);
    pid_t child = fork();
    if (child == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        prctl(PR_SET_DUMPABLE, 1); /* keep /proc/self readable after dropping root */
        char out[4096];
        struct ls_error err = {0};
        if (ls_cg_resolve_parent(&h, "jobs", out, sizeof(out), &err) != -1)
            _exit(4);
        if (err.category != LS_ERR_USAGE || err.code != EACCES || !strstr(err.msg, "jobs")) {
            fprintf(stderr, "unprivileged resolve: %s (code %d)\n", err.msg, err.code);
            _exit(5);
        }
        /* own group unwritable: a system error callers may fall back on */
        if (ls_cg_resolve_parent(&h, NULL, out, sizeof(out), &err) != -1 ||
            err.category != LS_ERR_SYSTEM || err.code != EACCES)
            _exit(6);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_markers(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/state", tmp);
    setenv("LLCSLICE_STATE_DIR", dir, 1);
    const char *g1 = "/sys/fs/cgroup/cpuset/llcslice-1-2-0123abcd";
    const char *g2 = "/sys/fs/cgroup/memory/llcslice-1-2-0123abcd";
    time_t created;
    assert_int_equal(ls_cg_orphan_lookup(g1, &created), 0);
    struct ls_error err = {0};
    assert_int_equal(ls_cg_orphan_mark(g1, 1000, &err), 0);
    assert_int_equal(ls_cg_orphan_mark(g2, 2000, &err), 0);
    assert_int_equal(ls_cg_orphan_lookup(g1, &created), 1);
    assert_int_equal(created, 1000);
    assert_int_equal(ls_cg_orphan_lookup(g2, &created), 1);
    assert_int_equal(created, 2000);
    /* one written by hand, under any name */
    char hand[600];
    snprintf(hand, sizeof(hand), "state/orphans/by-hand");
    put(hand, "path /x/llcslice-3-4-0123abcd\ncreated 3000\n");
    put("state/orphans/junk", "nothing useful\n");
    struct ls_cg_orphan *m;
    size_t n;
    assert_int_equal(ls_cg_orphan_list(&m, &n), 0);
    assert_int_equal(n, 3);
    bool seen1 = false, seen2 = false, seen3 = false;
    for (size_t i = 0; i < n; i++) {
        seen1 = seen1 || (strcmp(m[i].path, g1) == 0 && m[i].created == 1000);
        seen2 = seen2 || (strcmp(m[i].path, g2) == 0 && m[i].created == 2000);
        seen3 = seen3 || (strcmp(m[i].path, "/x/llcslice-3-4-0123abcd") == 0 &&
                          m[i].created == 3000 && strstr(m[i].file, "/by-hand"));
    }
    free(m);
    assert_true(seen1 && seen2 && seen3);
    ls_cg_orphan_unmark(g1);
    assert_int_equal(ls_cg_orphan_lookup(g1, &created), 0);
    assert_int_equal(ls_cg_orphan_lookup(g2, &created), 1);

    /* an unwritable state dir is reported, not ignored */
    setenv("LLCSLICE_STATE_DIR", "/proc/llcslice-nope", 1);
    assert_int_equal(ls_cg_orphan_mark(g1, 1, &err), -1);
    assert_non_null(strstr(err.msg, "/proc/llcslice-nope"));
    unsetenv("LLCSLICE_STATE_DIR");
    char def[256];
    ls_cg_orphan_dir(def, sizeof(def));
    assert_string_equal(def, "/run/llcslice/orphans");
}

/* A group that will not go (here: a fake cgroup dir holding a file, and a "process" that never
 * leaves its cgroup.procs): destroy kills, moves the straggler to the parent, gives up on
 * rmdir and leaves an orphan marker naming the group and its creation time. */
static void test_destroy_leaves_marker(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/state", tmp);
    setenv("LLCSLICE_STATE_DIR", dir, 1);
    put("fake/cgroup.procs", "");
    put("fake/llcslice-1-2-0123abcd/cgroup.procs", "999999999\n"); /* beyond any pid_max */
    struct ls_sandbox sb = {.version = LS_CG_V1, .created = 12345};
    snprintf(sb.path, sizeof(sb.path), "%s/fake/llcslice-1-2-0123abcd", tmp);
    sb.mount_len = strlen(tmp) + strlen("/fake");
    struct ls_error err = {0};
    assert_int_equal(ls_sandbox_destroy(&sb, &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_non_null(strstr(err.msg, "left behind"));
    assert_non_null(strstr(err.msg, "llcslice sweep"));
    assert_null(strchr(err.msg, '\n'));
    char path[512];
    snprintf(path, sizeof(path), "%s/fake/llcslice-1-2-0123abcd", tmp);
    time_t created;
    assert_int_equal(ls_cg_orphan_lookup(path, &created), 1);
    assert_int_equal(created, 12345);
    /* the straggler was handed to the parent group */
    char *procs = NULL;
    char pp[512];
    snprintf(pp, sizeof(pp), "%s/fake/cgroup.procs", tmp);
    assert_int_equal(ls_cg_read(pp, &procs), 0);
    assert_string_equal(procs, "999999999");
    free(procs);
    unsetenv("LLCSLICE_STATE_DIR");
}

static void test_words(void **state)
{
    (void)state;
    assert_true(ls_cg_has_word("rw,cpu,cpuset", "cpuset"));
    assert_true(ls_cg_has_word("cpuset cpu io\n", "cpu"));
    assert_false(ls_cg_has_word("rw,cpuacct", "cpu"));
    assert_false(ls_cg_has_word("", "cpu"));
    put("procs", "12\n345\n\n7\n");
    char path[512];
    snprintf(path, sizeof(path), "%s/procs", tmp);
    pid_t *pids;
    size_t n;
    assert_int_equal(ls_cg_read_pids(path, &pids, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(pids[1], 345);
    free(pids);
    snprintf(path, sizeof(path), "%s/gone/cgroup.procs", tmp);
    assert_int_equal(ls_cg_read_pids(path, &pids, &n), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_without_cpuset_is_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hybrid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_preferred_and_comount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subtree_mount_and_shadowing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escapes_and_optional_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_other_pidns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_and_leaf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_leaves_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_words, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

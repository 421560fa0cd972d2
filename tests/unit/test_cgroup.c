/* The sandbox on this host's real cpuset hierarchy (v1 here, v2 in the VM suite): create, enter
 * from a forked child and check from inside it, destroy with leftovers, sweep of orphans and of
 * groups whose owner died, --cgroup-parent errors, narrowing, memory limit. Every group a test
 * makes is tracked and removed in the group teardown even when an assertion fails. Skipped
 * without root or without a cpuset hierarchy. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/internal.h"
#include "planner/cleanup.h"

static enum ls_cg_version version;
static char mount_path[4096];
static char state_dir[256];
static char tracked[32][8192];
static size_t ntracked;
static ls_cpuset one_cpu, node0, two_cpus;
static char one_cpu_text[32];

static void track(const char *path)
{
    if (path && *path && ntracked < sizeof(tracked) / sizeof(tracked[0]))
        snprintf(tracked[ntracked++], sizeof(tracked[0]), "%s", path);
}

static void track_sb(const struct ls_sandbox *sb)
{
    track(sb->path);
    track(sb->memory_path);
}

/* Kill and remove a group by path, whatever the test left in it. */
static void remove_path(const char *path)
{
    if (!ls_cg_is_dir(path))
        return;
    struct ls_cg_hier h = {.version = version};
    char mnt[8192];
    snprintf(mnt, sizeof(mnt), "%s", path);
    char *slash = strrchr(mnt, '/');
    *slash = '\0';
    snprintf(h.mount, sizeof(h.mount), "%.4000s", mnt);
    char why[512];
    if (ls_cg_kill_and_remove(&h, slash + 1, "cpuset", why, sizeof(why)) < 0)
        fprintf(stderr, "test cleanup: %s\n", why);
}

static void cleanup_tracked(void)
{
    /* newest first: nested groups before their parents */
    while (ntracked > 0)
        remove_path(tracked[--ntracked]);
}

/* A hung test must not leave groups behind: clean up and fail. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_cgroup: timed out, cleaning up\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
    }
    cleanup_tracked();
    _exit(1);
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGALRM, on_alarm);
    alarm(120);
    version = ls_cgroup_detect(mount_path, sizeof(mount_path));
    snprintf(state_dir, sizeof(state_dir), "/tmp/llcslice-cgtest-XXXXXX");
    if (!mkdtemp(state_dir))
        return -1;
    setenv("LLCSLICE_STATE_DIR", state_dir, 1);
    /* cpus "0" / mems "0", or the first CPU this process may use */
    cpu_set_t aff;
    int first = 0;
    if (sched_getaffinity(0, sizeof(aff), &aff) == 0)
        while (first < CPU_SETSIZE && !CPU_ISSET(first, &aff))
            first++;
    ls_cpuset_add(&one_cpu, (unsigned)first);
    snprintf(one_cpu_text, sizeof(one_cpu_text), "%d", first);
    ls_cpuset_add(&node0, 0);
    for (int c = 0; c < CPU_SETSIZE && ls_cpuset_count(&two_cpus) < 2; c++)
        if (CPU_ISSET(c, &aff))
            ls_cpuset_add(&two_cpus, (unsigned)c);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cleanup_tracked();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
    ls_cpuset_free(&one_cpu);
    ls_cpuset_free(&node0);
    ls_cpuset_free(&two_cpus);
    return system(cmd) == 0 ? 0 : -1;
}

static void need_cgroups(void)
{
    if (version == LS_CG_NONE || geteuid() != 0) {
        fprintf(stderr, "no cpuset cgroup hierarchy or not root: skipped\n");
        skip();
    }
}

static void create_ok(struct ls_sandbox *sb, struct ls_sandbox_opts *opts)
{
    struct ls_error err = {0};
    int r = ls_sandbox_create(sb, opts, &err);
    track_sb(sb);
    if (r < 0)
        fail_msg("ls_sandbox_create: %s", err.msg);
}

static void destroy_ok(struct ls_sandbox *sb)
{
    char path[8192], mpath[8192];
    snprintf(path, sizeof(path), "%s", sb->path);
    snprintf(mpath, sizeof(mpath), "%s", sb->memory_path);
    struct ls_error err = {0};
    if (ls_sandbox_destroy(sb, &err) < 0)
        fail_msg("ls_sandbox_destroy: %s", err.msg);
    assert_false(ls_cg_is_dir(path));
    if (*mpath)
        assert_false(ls_cg_is_dir(mpath));
    ls_sandbox_free(sb);
}

/* ---- a child that waits until it has been moved, then checks itself ---- */

struct kid {
    pid_t pid;
    int go;     /* write end: "you are in" */
    int report; /* read end: what the child saw */
};

static void read_line(const char *file, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(file, "r");
    if (!f)
        return;
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, strlen(key)) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, size, "%s", line + strlen(key));
            break;
        }
    }
    fclose(f);
}

/* /proc/self/cgroup path for the hierarchy carrying `controller` ("" = v2 line). */
static void own_cgroup(const char *controller, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[8192];
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        bool hit = *controller ? ls_cg_has_word(c1 + 1, controller)
                               : (strncmp(line, "0:", 2) == 0 && c1[1] == '\0');
        if (hit) {
            snprintf(out, size, "%s", c2 + 1);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* mode 0: report and exit; 1: also fork a grandchild that stays, report its pid, exit;
 * 2: report and then sleep until killed. */
static struct kid spawn(int mode)
{
    int go[2], rep[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(rep), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        close(rep[0]);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        char cpus[256], mems[256], cg[8192], mem[8192], buf[20000];
        read_line("/proc/self/status", "Cpus_allowed_list:\t", cpus, sizeof(cpus));
        read_line("/proc/self/status", "Mems_allowed_list:\t", mems, sizeof(mems));
        own_cgroup(version == LS_CG_V2 ? "" : "cpuset", cg, sizeof(cg));
        own_cgroup(version == LS_CG_V2 ? "" : "memory", mem, sizeof(mem));
        pid_t grand = 0;
        if (mode == 1) {
            grand = fork();
            if (grand == 0) {
                close(rep[1]); /* the parent's read must see EOF once the child is done */
                for (;;)
                    pause();
            }
        }
        int n = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%s\n%d\n", cpus, mems, cg, mem, (int)grand);
        if (write(rep[1], buf, (size_t)n) != n)
            _exit(3);
        close(rep[1]);
        if (mode == 2)
            for (;;)
                pause();
        _exit(0);
    }
    close(go[0]);
    close(rep[1]);
    return (struct kid){pid, go[1], rep[0]};
}

struct seen {
    char cpus[256], mems[256], cg[8192], mem[8192];
    pid_t grand;
};

static void let_go(struct kid *k, struct seen *s)
{
    assert_int_equal(write(k->go, "x", 1), 1);
    close(k->go);
    static char buf[20000];
    size_t got = 0;
    for (ssize_t r; (r = read(k->report, buf + got, sizeof(buf) - 1 - got)) > 0;)
        got += (size_t)r;
    buf[got] = '\0';
    close(k->report);
    char *save = NULL, *f[5] = {0};
    f[0] = strtok_r(buf, "\n", &save);
    for (int i = 1; i < 5 && f[i - 1]; i++)
        f[i] = strtok_r(NULL, "\n", &save);
    assert_non_null(f[4]);
    snprintf(s->cpus, sizeof(s->cpus), "%s", f[0]);
    snprintf(s->mems, sizeof(s->mems), "%s", f[1]);
    snprintf(s->cg, sizeof(s->cg), "%s", f[2]);
    snprintf(s->mem, sizeof(s->mem), "%s", f[3]);
    s->grand = (pid_t)atoi(f[4]);
}

static int reap(pid_t pid)
{
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void enter_ok(const struct ls_sandbox *sb, pid_t pid)
{
    struct ls_error err = {0};
    if (ls_sandbox_enter(sb, pid, &err) < 0) {
        kill(pid, SIGKILL);
        fail_msg("ls_sandbox_enter: %s", err.msg);
    }
}

/* The group as /proc/self/cgroup names it: "/" + path below the mount. */
static void expect_in(const char *seen, const char *rel)
{
    char want[8192];
    snprintf(want, sizeof(want), "/%s", rel);
    assert_string_equal(seen, want);
}

static void test_enter_and_check_from_inside(void **state)
{
    (void)state;
    need_cgroups();
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0, .budget_explicit = true};
    create_ok(&sb, &opts);
    assert_int_equal(sb.version, version);
    assert_int_equal(sb.mount_len, strlen(mount_path));
    assert_int_equal(strncmp(sb.path, mount_path, sb.mount_len), 0);
    assert_int_equal(sb.nwarnings, 0);
    struct ls_cg_owner o;
    const char *rel = ls_sandbox_rel(&sb);
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    assert_true(ls_cg_parse_name(base, &o));
    assert_int_equal(o.pid, getpid());
    assert_int_equal(ls_cg_owner_state(&o), LS_OWNER_ALIVE);

    struct kid k = spawn(0);
    /* v2: what clone3 CLONE_INTO_CGROUP callers check (run falls back to this move if not) */
    bool many = ls_cpuset_count(&two_cpus) > 1;
    if (version == LS_CG_V2 && many)
        assert_false(ls_sandbox_applied(&sb, k.pid)); /* still on all our CPUs */
    enter_ok(&sb, k.pid);
    if (version == LS_CG_V2)
        assert_true(ls_sandbox_applied(&sb, k.pid));
    struct seen s;
    let_go(&k, &s);
    assert_int_equal(reap(k.pid), 0);
    assert_string_equal(s.cpus, one_cpu_text);
    assert_string_equal(s.mems, "0");
    expect_in(s.cg, ls_sandbox_rel(&sb));
    destroy_ok(&sb);
    /* a second destroy has nothing left to do */
    struct ls_error err = {0};
    assert_int_equal(ls_sandbox_destroy(&sb, &err), 0);
}

/* The child leaves a grandchild running: destroy kills it and still removes the group. */
static void test_destroy_kills_leftovers(void **state)
{
    (void)state;
    need_cgroups();
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0};
    create_ok(&sb, &opts);
    struct kid k = spawn(1);
    enter_ok(&sb, k.pid);
    struct seen s;
    let_go(&k, &s);
    assert_int_equal(reap(k.pid), 0);
    assert_true(s.grand > 0);
    assert_true(ls_cg_proc_start(s.grand) > 0); /* still running, in the group */
    destroy_ok(&sb);
    /* killed: gone, or a zombie until init reaps it */
    for (int i = 0; i < 30000 && ls_cg_proc_start(s.grand) != 0; i++) /* 5 min bound */
        usleep(10000);
    assert_int_equal(ls_cg_proc_start(s.grand), 0);
}

static bool listed(const struct ls_sweep_entry *e, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].path, path) == 0)
            return true;
    return false;
}

static void test_sweep_orphans_by_age(void **state)
{
    (void)state;
    need_cgroups();
    struct ls_sandbox old, young;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0};
    create_ok(&old, &opts);
    create_ok(&young, &opts);
    struct kid k = spawn(2); /* left running in the old orphan: sweep kills it */
    enter_ok(&old, k.pid);
    struct seen s;
    let_go(&k, &s);

    struct ls_error err = {0};
    assert_int_equal(ls_cg_orphan_mark(old.path, time(NULL) - 2 * 86400, &err), 0);
    assert_int_equal(ls_cg_orphan_mark(young.path, time(NULL), &err), 0);

    struct ls_sweep_result res;
    int n = ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, &res, &err);
    assert_true(n >= 1);
    assert_true(listed(res.removed, res.nremoved, old.path));
    assert_true(listed(res.kept, res.nkept, young.path));
    assert_false(listed(res.removed, res.nremoved, young.path));
    ls_sweep_result_free(&res);
    assert_false(ls_cg_is_dir(old.path));
    assert_true(ls_cg_is_dir(young.path));
    int st = reap(k.pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    time_t created;
    assert_int_equal(ls_cg_orphan_lookup(old.path, &created), 0);
    assert_int_equal(ls_cg_orphan_lookup(young.path, &created), 1);

    /* max age 0: every marked orphan goes */
    n = ls_cgroup_sweep(0, &res, &err);
    assert_true(n >= 1);
    assert_true(listed(res.removed, res.nremoved, young.path));
    ls_sweep_result_free(&res);
    assert_false(ls_cg_is_dir(young.path));
    assert_int_equal(ls_cg_orphan_lookup(young.path, &created), 0);
    ls_sandbox_free(&old);
    ls_sandbox_free(&young);
}

/* A supervisor SIGKILLed mid-job: its group (and the job) go at the next sweep, while the
 * groups of live owners stay. */
static void test_sweep_dead_owner(void **state)
{
    (void)state;
    need_cgroups();
    int rep[2];
    assert_int_equal(pipe(rep), 0);
    pid_t sup = fork();
    assert_true(sup >= 0);
    if (sup == 0) {
        close(rep[0]);
        struct ls_sandbox sb;
        struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0};
        struct ls_error err = {0};
        if (ls_sandbox_create(&sb, &opts, &err) < 0) {
            dprintf(rep[1], "error %s\n", err.msg);
            _exit(1);
        }
        pid_t job = fork();
        if (job == 0) {
            for (;;)
                pause();
        }
        if (ls_sandbox_enter(&sb, job, &err) < 0) {
            kill(job, SIGKILL);
            dprintf(rep[1], "error %s\n", err.msg);
            _exit(1);
        }
        dprintf(rep[1], "%s\n%d\n", sb.path, (int)job);
        close(rep[1]);
        pause(); /* until SIGKILLed below */
        _exit(0);
    }
    close(rep[1]);
    char buf[9000] = "";
    size_t got = 0;
    for (ssize_t r; got < sizeof(buf) - 1 && (r = read(rep[0], buf + got, 1)) > 0;) {
        got += (size_t)r;
        if (got && buf[got - 1] == '\n' && strchr(buf, '\n') != buf + got - 1)
            break; /* two lines */
    }
    close(rep[0]);
    buf[got] = '\0';
    if (strncmp(buf, "error ", 6) == 0) {
        kill(sup, SIGKILL);
        reap(sup);
        fail_msg("child supervisor: %s", buf + 6);
    }
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    *nl = '\0';
    const char *path = buf;
    pid_t job = (pid_t)atoi(nl + 1);
    track(path);
    assert_true(ls_cg_is_dir(path));

    /* a live owner keeps its group */
    struct ls_sweep_result res;
    struct ls_error err = {0};
    ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, &res, &err);
    assert_false(listed(res.removed, res.nremoved, path));
    ls_sweep_result_free(&res);
    assert_true(ls_cg_is_dir(path));

    kill(sup, SIGKILL);
    reap(sup);
    ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, &res, &err);
    /* every llcslice run on the host sweeps too: one may have been quicker than us */
    assert_true(listed(res.removed, res.nremoved, path) || !ls_cg_is_dir(path));
    assert_false(listed(res.failed, res.nfailed, path));
    ls_sweep_result_free(&res);
    assert_false(ls_cg_is_dir(path));
    for (int i = 0; i < 30000 && ls_cg_proc_start(job) != 0; i++) /* 5 min bound */
        usleep(10000);
    assert_int_equal(ls_cg_proc_start(job), 0);
}

static void expect_create_error(const char *parent, enum ls_category cat, int code,
                                const char *needle)
{
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0, .parent = parent};
    struct ls_error err = {0};
    int r = ls_sandbox_create(&sb, &opts, &err);
    track_sb(&sb);
    if (r == 0)
        fail_msg("--cgroup-parent %s was accepted", parent);
    assert_int_equal(err.category, cat);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, needle))
        fail_msg("error for %s: \"%s\", expected \"%s\"", parent, err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
    assert_false(ls_sandbox_unavailable(&err));
}

static void test_parent_errors(void **state)
{
    (void)state;
    need_cgroups();
    expect_create_error("../x", LS_ERR_USAGE, EINVAL, "'..'");
    expect_create_error("a/../../b", LS_ERR_USAGE, EINVAL, "'..'");
    expect_create_error("/tmp", LS_ERR_USAGE, EINVAL, "outside the cgroup hierarchy");
    expect_create_error("/proc/self", LS_ERR_USAGE, EINVAL, "outside the cgroup hierarchy");
    char missing[128];
    snprintf(missing, sizeof(missing), "llcslice-missing-%d", (int)getpid());
    expect_create_error(missing, LS_ERR_USAGE, ENOENT, "no such cgroup");
}

/* An explicit parent (itself a job group with one CPU): nesting works, narrowing of the
 * planned CPUs is an error under an explicit budget and a warning otherwise, and an
 * unprivileged caller gets a usage error for an unwritable parent. */
static void test_explicit_parent(void **state)
{
    (void)state;
    need_cgroups();
    struct ls_sandbox parent;
    struct ls_sandbox_opts popts = {.cpus = &one_cpu, .mems = &node0};
    create_ok(&parent, &popts);

    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {
        .cpus = &one_cpu, .mems = &node0, .parent = ls_sandbox_rel(&parent)};
    create_ok(&sb, &opts);
    assert_int_equal(
        strncmp(ls_sandbox_rel(&sb), ls_sandbox_rel(&parent), strlen(ls_sandbox_rel(&parent))), 0);
    assert_int_equal(ls_sandbox_rel(&sb)[strlen(ls_sandbox_rel(&parent))], '/');
    struct kid k = spawn(0);
    enter_ok(&sb, k.pid);
    struct seen s;
    let_go(&k, &s);
    assert_int_equal(reap(k.pid), 0);
    expect_in(s.cg, ls_sandbox_rel(&sb));
    assert_string_equal(s.cpus, one_cpu_text);
    destroy_ok(&sb);

    /* the same parent as an absolute directory */
    opts.parent = parent.path;
    create_ok(&sb, &opts);
    assert_int_equal(
        strncmp(ls_sandbox_rel(&sb), ls_sandbox_rel(&parent), strlen(ls_sandbox_rel(&parent))), 0);
    destroy_ok(&sb);

    if (ls_cpuset_count(&two_cpus) == 2) {
        ls_cpuset both = LS_CPUSET_INIT;
        ls_cpuset_copy(&both, &two_cpus);
        ls_cpuset_or(&both, &one_cpu);
        opts = (struct ls_sandbox_opts){.cpus = &both,
                                        .mems = &node0,
                                        .parent = ls_sandbox_rel(&parent),
                                        .budget_explicit = true};
        struct ls_error err = {0};
        assert_int_equal(ls_sandbox_create(&sb, &opts, &err), -1);
        track_sb(&sb);
        assert_int_equal(err.category, LS_ERR_UNSAT);
        assert_non_null(strstr(err.msg, "not the planned"));
        opts.budget_explicit = false;
        create_ok(&sb, &opts);
        assert_int_equal(sb.nwarnings, 1);
        assert_non_null(strstr(sb.warnings[0], "instead of the planned"));
        destroy_ok(&sb);
        ls_cpuset_free(&both);
    }

    pid_t child = fork();
    if (child == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        prctl(PR_SET_DUMPABLE, 1); /* keep /proc/self readable after dropping root */
        struct ls_sandbox usb;
        struct ls_sandbox_opts uopts = {
            .cpus = &one_cpu, .mems = &node0, .parent = ls_sandbox_rel(&parent)};
        struct ls_error err = {0};
        if (ls_sandbox_create(&usb, &uopts, &err) == 0)
            _exit(4);
        if (err.category != LS_ERR_USAGE || err.code != EACCES) {
            fprintf(stderr, "unprivileged create: %s (code %d)\n", err.msg, err.code);
            _exit(5);
        }
        /* without --cgroup-parent: no usable cgroup, which callers may fall back on */
        uopts.parent = NULL;
        if (ls_sandbox_create(&usb, &uopts, &err) == 0)
            _exit(6);
        if (!ls_sandbox_unavailable(&err)) {
            fprintf(stderr, "unprivileged create in own cgroup: %s (category %d, code %d)\n",
                    err.msg, (int)err.category, err.code);
            _exit(7);
        }
        _exit(0);
    }
    int st = reap(child);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    destroy_ok(&parent);
}

static void test_memory_max(void **state)
{
    (void)state;
    need_cgroups();
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0, .memory_max = 64ull << 20};
    struct ls_error err = {0};
    if (ls_sandbox_create(&sb, &opts, &err) < 0) {
        track_sb(&sb);
        if (err.category == LS_ERR_UNSAT && strstr(err.msg, "no memory cgroup"))
            skip();
        fail_msg("ls_sandbox_create: %s", err.msg);
    }
    track_sb(&sb);
    _cleanup_free_ char *limit = NULL;
    if (version == LS_CG_V1) {
        assert_true(sb.memory_path[0] != '\0');
        assert_int_equal(ls_cg_readf(&limit, "%s/memory.limit_in_bytes", sb.memory_path), 0);
    } else {
        assert_int_equal(ls_cg_readf(&limit, "%s/memory.max", sb.path), 0);
    }
    assert_int_equal(strtoull(limit, NULL, 10), 64ull << 20);

    struct kid k = spawn(0);
    enter_ok(&sb, k.pid);
    struct seen s;
    let_go(&k, &s);
    assert_int_equal(reap(k.pid), 0);
    expect_in(s.cg, ls_sandbox_rel(&sb));
    if (version == LS_CG_V1)
        expect_in(s.mem, ls_sandbox_memory_rel(&sb));
    destroy_ok(&sb);
}

/* A fresh group directly under the v2 mount, for a test that needs a parent of its own. */
static void fresh_group(const char *what, char *out, size_t size)
{
    snprintf(out, size, "%s/llcslice-cgtest-%s-%d", mount_path, what, (int)getpid());
    assert_int_equal(mkdir(out, 0755), 0);
}

static void move_to(const char *dir, pid_t pid)
{
    char num[32];
    snprintf(num, sizeof(num), "%d", (int)pid);
    assert_int_equal(ls_cg_writef(num, "%s/cgroup.procs", dir), 0);
}

static pid_t sleeper(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        for (;;)
            pause();
    return p;
}

/* In a forked worker, where cmocka's asserts cannot report: exit with the failing line. */
#define WANT(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                             \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

/* The worker of test_v2_procs_leaf: a supervisor in `pdir` beside a neighbour. */
static void procs_leaf_worker(const char *pdir, pid_t neighbour)
{
    char rel[8192], leafcg[8300], want[8400];
    snprintf(rel, sizeof(rel), "%s", pdir + strlen(mount_path) + 1);
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0, .memory_max = 64ull << 20};
    struct ls_error err = {0};
    if (ls_sandbox_create(&sb, &opts, &err) < 0) {
        fprintf(stderr, "ls_sandbox_create: %s\n", err.msg);
        _exit(1);
    }
    _cleanup_free_ char *procs = NULL, *sc = NULL, *type = NULL, *ncg = NULL;
    WANT(ls_cg_readf(&procs, "%s/cgroup.procs", pdir) == 0 && strcmp(procs, "") == 0);
    WANT(ls_cg_readf(&sc, "%s/cgroup.subtree_control", pdir) == 0);
    WANT(ls_cg_has_word(sc, "cpuset") && ls_cg_has_word(sc, "memory"));
    WANT(ls_cg_readf(&type, "%s/cgroup.type", pdir) == 0 && strcmp(type, "domain\n") == 0);
    /* we and the neighbour live in the leaf now; the notice says so */
    snprintf(leafcg, sizeof(leafcg), "/%s/" LS_CG_PROCS_LEAF, rel);
    own_cgroup("", want, sizeof(want));
    WANT(strcmp(want, leafcg) == 0);
    WANT(ls_cg_readf(&ncg, "/proc/%d/cgroup", (int)neighbour) == 0 && strstr(ncg, leafcg));
    WANT(sb.moved == 2);
    WANT(sb.nnotices == 1);
    static char notice[20000];
    snprintf(notice, sizeof(notice),
             "moved 2 processes of %s into %s/llcslice-procs so controllers can be enabled for "
             "job groups (cgroup v2 no-internal-processes rule)",
             pdir, pdir);
    WANT(strcmp(sb.notices[0], notice) == 0);
    /* the job group sits beside the leaf, and takes a process */
    snprintf(want, sizeof(want), "%s/", rel);
    WANT(strncmp(ls_sandbox_rel(&sb), want, strlen(want)) == 0 &&
         !strchr(ls_sandbox_rel(&sb) + strlen(want), '/'));
    WANT(ls_sandbox_enter(&sb, neighbour, &err) == 0);
    /* a second supervisor there moves nothing */
    struct ls_sandbox sb2;
    WANT(ls_sandbox_create(&sb2, &opts, &err) == 0);
    WANT(sb2.moved == 0 && sb2.nnotices == 0);
    WANT(ls_sandbox_destroy(&sb2, &err) == 0);
    WANT(ls_sandbox_destroy(&sb, &err) == 0); /* kills the neighbour we moved in */
    ls_sandbox_free(&sb);
    ls_sandbox_free(&sb2);
    /* a sweep keeps the leaf while we live in it */
    WANT(ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, NULL, &err) >= 0);
    snprintf(want, sizeof(want), "%s/" LS_CG_PROCS_LEAF, pdir);
    WANT(ls_cg_is_dir(want));
    _exit(0);
}

/* cgroup v2 from a non-root group that also holds other processes (a CI runner's daemon and job
 * shell): all of them move into <parent>/llcslice-procs, with a notice, and the job group sits
 * beside the leaf with cpuset and memory handed down; an empty leaf goes at the next sweep. */
static void test_v2_procs_leaf(void **state)
{
    (void)state;
    need_cgroups();
    if (version != LS_CG_V2)
        skip();
    char pdir[8192], leafdir[8400];
    fresh_group("leaf", pdir, sizeof(pdir));
    track(pdir);
    snprintf(leafdir, sizeof(leafdir), "%s/" LS_CG_PROCS_LEAF, pdir);
    pid_t neighbour = sleeper();
    move_to(pdir, neighbour);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t worker = fork();
    assert_true(worker >= 0);
    if (worker == 0) {
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        procs_leaf_worker(pdir, neighbour);
    }
    close(go[0]);
    move_to(pdir, worker);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    int st = reap(worker);
    kill(neighbour, SIGKILL);
    reap(neighbour);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(ls_cg_is_dir(leafdir));
    struct ls_sweep_result res;
    struct ls_error err = {0};
    assert_true(ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, &res, &err) >= 0);
    bool listed = false;
    for (size_t i = 0; i < res.nremoved; i++)
        listed = listed || strcmp(res.removed[i].path, leafdir) == 0;
    ls_sweep_result_free(&res);
    assert_false(ls_cg_is_dir(leafdir));
    assert_true(listed);
}

/* Several supervisors emptying the same parent at once, with neighbours in it: all succeed. */
/* Until the v2 group's cgroup.events says "populated 0" (bounded: 2 min). */
static void wait_unpopulated(const char *dir)
{
    for (int i = 0; i < 12000; i++) {
        _cleanup_free_ char *events = NULL;
        if (ls_cg_readf(&events, "%s/cgroup.events", dir) < 0 || strstr(events, "populated 0"))
            return;
        usleep(10000);
    }
    fail_msg("%s still populated after 2 min", dir);
}

static void test_v2_concurrent_creates(void **state)
{
    (void)state;
    need_cgroups();
    if (version != LS_CG_V2)
        skip();
    char pdir[8192];
    fresh_group("race", pdir, sizeof(pdir));
    track(pdir);
    enum { RACERS = 4 };
    pid_t racers[RACERS], sleepers[RACERS];
    char num[32];
    for (int i = 0; i < RACERS; i++) {
        sleepers[i] = sleeper();
        move_to(pdir, sleepers[i]);
    }
    int go[2], ready[2]; /* after the sleepers: they must not hold the write ends */
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = fork();
        if (racers[i] == 0) {
            close(go[1]);
            close(ready[0]);
            snprintf(num, sizeof(num), "%d", (int)getpid());
            if (ls_cg_writef(num, "%s/cgroup.procs", pdir) < 0) {
                fprintf(stderr, "racer %d: cannot join %s: %s\n", i, pdir, strerror(errno));
                _exit(2);
            }
            if (write(ready[1], "r", 1) != 1)
                _exit(6);
            close(ready[1]);
            char c;
            if (read(go[0], &c, 1) != 0)
                _exit(3);
            struct ls_sandbox sb;
            struct ls_sandbox_opts opts = {.cpus = &one_cpu, .mems = &node0};
            struct ls_error err = {0};
            if (ls_sandbox_create(&sb, &opts, &err) < 0) {
                fprintf(stderr, "racer %d: %s\n", i, err.msg);
                _exit(4);
            }
            int rc = 0;
            if (ls_sandbox_destroy(&sb, &err) < 0) {
                fprintf(stderr, "racer %d: destroy: %s\n", i, err.msg);
                rc = 5;
            }
            ls_sandbox_free(&sb);
            _exit(rc);
        }
    }
    close(go[0]);
    close(ready[1]);
    /* Every racer in the parent first: once one has handed cpuset down, joining it is refused
     * (no processes in a group with controllers enabled for its children). */
    char c;
    int joined = 0;
    while (joined < RACERS && read(ready[0], &c, 1) == 1)
        joined++;
    close(ready[0]);
    close(go[1]); /* all start at once */
    int bad = 0;
    for (int i = 0; i < RACERS; i++) {
        int st = reap(racers[i]);
        bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    _cleanup_free_ char *procs = NULL, *lprocs = NULL;
    assert_int_equal(ls_cg_readf(&procs, "%s/cgroup.procs", pdir), 0);
    assert_int_equal(ls_cg_readf(&lprocs, "%s/" LS_CG_PROCS_LEAF "/cgroup.procs", pdir), 0);
    for (int i = 0; i < RACERS; i++) {
        kill(sleepers[i], SIGKILL);
        reap(sleepers[i]);
    }
    /* the empty leaf goes at the next sweep, and then the test's parent; the kernel may
     * report the group populated a moment after its last process was reaped */
    char leafdir[8400];
    snprintf(leafdir, sizeof(leafdir), "%s/" LS_CG_PROCS_LEAF, pdir);
    wait_unpopulated(leafdir);
    struct ls_error err = {0};
    ls_cgroup_sweep(LS_SWEEP_DEFAULT_MAX_AGE, NULL, &err);
    bool leaf_left = ls_cg_is_dir(leafdir);
    assert_int_equal(joined, RACERS);
    assert_int_equal(bad, 0);
    assert_string_equal(procs, "");
    assert_int_equal(strlen(lprocs) > 0, true);
    assert_false(leaf_left);
}

static void test_unavailable_predicate(void **state)
{
    (void)state;
    struct ls_error err = {0};
    ls_fail(&err, LS_ERR_SYSTEM, EACCES, "x");
    assert_true(ls_sandbox_unavailable(&err));
    ls_fail(&err, LS_ERR_USAGE, EACCES, "x");
    assert_false(ls_sandbox_unavailable(&err));
    ls_fail(&err, LS_ERR_SYSTEM, EIO, "x");
    assert_false(ls_sandbox_unavailable(&err));
    struct ls_sandbox sb;
    struct ls_sandbox_opts opts = {.cpus = &one_cpu};
    assert_int_equal(ls_sandbox_create(&sb, &opts, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
}

/* The v1 self-move: the tasks files of the cpuset and memory groups, and the error for each
 * refused write naming its own group (with the empty-cpuset hint). */
static void test_enter_files_and_errors(void **state)
{
    (void)state;
    struct ls_sandbox sb;
    memset(&sb, 0, sizeof(sb));
    sb.version = LS_CG_V1;
    snprintf(sb.path, sizeof(sb.path), "/sys/fs/cgroup/cpuset/nonexistent-llcslice-test");
    sb.mount_len = strlen("/sys/fs/cgroup/cpuset");
    snprintf(sb.memory_path, sizeof(sb.memory_path), "/sys/fs/cgroup/memory/nonexistent-test");
    sb.memory_mount_len = strlen("/sys/fs/cgroup/memory");
    int fds[2] = {-1, -1};
    size_t n = 7;
    ls_sandbox_enter_files(&sb, fds, &n); /* no such groups: none, move by pid instead */
    assert_int_equal(n, 0);
    struct ls_error err = {0};
    assert_int_equal(ls_sandbox_enter_failed(&sb, 0, ENOSPC, &err), -1);
    assert_non_null(strstr(err.msg, "cgroup /sys/fs/cgroup/cpuset/nonexistent-llcslice-test: "));
    assert_non_null(strstr(err.msg, "cpuset.cpus or cpuset.mems is empty"));
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_int_equal(ls_sandbox_enter_failed(&sb, 1, ENODEV, &err), -1);
    assert_non_null(strstr(err.msg, "cgroup /sys/fs/cgroup/memory/nonexistent-test: "));
    assert_int_equal(ls_sandbox_enter_failed(&sb, SIZE_MAX, ECHILD, &err), -1);
    assert_non_null(strstr(err.msg, "cgroup /sys/fs/cgroup/cpuset/nonexistent-llcslice-test: the "
                                    "job's process ended first"));
    sb.version = LS_CG_V2; /* v2 creates the job in its group instead */
    ls_sandbox_enter_files(&sb, fds, &n);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enter_and_check_from_inside),
        cmocka_unit_test(test_destroy_kills_leftovers),
        cmocka_unit_test(test_sweep_orphans_by_age),
        cmocka_unit_test(test_sweep_dead_owner),
        cmocka_unit_test(test_parent_errors),
        cmocka_unit_test(test_explicit_parent),
        cmocka_unit_test(test_memory_max),
        cmocka_unit_test(test_v2_procs_leaf),
        cmocka_unit_test(test_v2_concurrent_creates),
        cmocka_unit_test(test_unavailable_predicate),
        cmocka_unit_test(test_enter_files_and_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

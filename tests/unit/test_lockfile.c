/* The lockfile protocol with real flock()s held by real processes: this program re-executes
 * itself as "--hold ..." to take a lock and keep it until killed, so /proc/locks names a
 * separate pid with a distinctive cmdline. Every lock dir is a fresh mkdtemp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "planner/lockfile.h"
#include "supervisor/cli/lockopts.h"

#define NOBODY 65534

static char self_exe[PATH_MAX];

/* ---- the --hold / --idle child programs ------------------------------------------------- */

static void say(int fd, char c)
{
    ssize_t r;
    do
        r = write(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    close(fd);
}

/* --hold DIR PREFIX llc|cpu N shared|exclusive PIPEFD: report Y (held), N (busy), E. */
static int hold_main(char **argv)
{
    int pfd = atoi(argv[7]);
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, argv[2], argv[3], &err) < 0) {
        fprintf(stderr, "holder: %s\n", err.msg);
        say(pfd, 'E');
        return 2;
    }
    enum ls_lock_kind kind = strcmp(argv[4], "cpu") == 0 ? LS_LOCK_CPU : LS_LOCK_LLC;
    enum ls_lock_mode mode = strcmp(argv[6], "exclusive") == 0 ? LS_LOCK_EXCLUSIVE : LS_LOCK_SHARED;
    int fd = -1;
    int r = ls_lock_acquire(&ld, kind, (unsigned)atoi(argv[5]), mode, &fd, &err);
    if (r < 0)
        fprintf(stderr, "holder: %s\n", err.msg);
    say(pfd, r == 1 ? 'Y' : r == 0 ? 'N' : 'E');
    if (r != 1)
        return r == 0 ? 1 : 2;
    for (;;)
        pause();
}

/* --idle PIPEFD ARGS...: just exist (for cmdline tests). */
static int idle_main(char **argv)
{
    say(atoi(argv[2]), 'Y');
    for (;;)
        pause();
    return 0;
}

/* ---- parent-side helpers --------------------------------------------------------------- */

static pid_t kids[64];
static size_t nkids;

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    for (size_t i = 0; i < nkids; i++)
        if (kids[i] == pid)
            kids[i] = kids[--nkids];
}

static void reap_all(void)
{
    while (nkids)
        reap(kids[nkids - 1]);
}

/* Run self_exe with args (NULL-terminated, after argv[0]); wait for its one-byte report. */
static pid_t spawn(char *report, char *const *args)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    char fdbuf[16];
    snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
    char *argv[16];
    size_t n = 0;
    argv[n++] = "test_lockfile";
    for (; args[n - 1] && n < 15; n++)
        argv[n] = strcmp(args[n - 1], "PIPEFD") == 0 ? fdbuf : args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fcntl(p[1], F_SETFD, 0);
        execv(self_exe, argv);
        _exit(127);
    }
    close(p[1]);
    kids[nkids++] = pid;
    char c = 0;
    ssize_t r;
    do
        r = read(p[0], &c, 1);
    while (r < 0 && errno == EINTR);
    close(p[0]);
    if (r != 1)
        fail_msg("child %d died before reporting", (int)pid);
    *report = c;
    return pid;
}

/* A process holding (kind, n) in mode; returns its pid, or 0 if the lock was busy. */
static pid_t spawn_holder(const char *dir, const char *kind, unsigned n, const char *mode)
{
    char nbuf[16];
    snprintf(nbuf, sizeof(nbuf), "%u", n);
    char *args[] = {"--hold", (char *)dir,  "llcslice", (char *)kind,
                    nbuf,     (char *)mode, "PIPEFD",   NULL};
    char c;
    pid_t pid = spawn(&c, args);
    if (c == 'E')
        fail_msg("holder for %s %u could not lock (see its stderr)", kind, n);
    if (c == 'N') {
        reap(pid);
        return 0;
    }
    assert_int_equal(c, 'Y');
    return pid;
}

/* Fork, become nobody, run fn(dir); its return value is the exit status. */
static int as_nobody(int (*fn)(const char *), const char *dir)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(99);
        _exit(fn(dir));
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void need_root(void)
{
    if (geteuid() != 0)
        skip();
}

/* ---- fixtures: a fresh lock dir per test ----------------------------------------------- */

struct fx {
    char dir[256];
    char mnt[512]; /* mounted by the test, unmounted in teardown */
};

static int make_dir(void **state, const char *tmpl)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", tmpl);
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    chmod(f->dir, 01777); /* reachable by the nobody children */
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return make_dir(state, "/tmp/llcslice-locktest-XXXXXX");
}

static int setup_tmpfs(void **state)
{
    struct statfs s;
    if (statfs("/dev/shm", &s) < 0 || s.f_type != 0x01021994)
        return make_dir(state, "/tmp/llcslice-locktest-XXXXXX");
    return make_dir(state, "/dev/shm/llcslice-locktest-XXXXXX");
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
    reap_all();
    if (f->mnt[0])
        umount2(f->mnt, MNT_DETACH);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void open_dir(struct ls_lockdir *ld, const char *dir, const char *prefix)
{
    struct ls_error err = {0};
    if (ls_lockdir_open(ld, dir, prefix, &err) < 0)
        fail_msg("ls_lockdir_open(%s): %s", dir ? dir : "(default)", err.msg);
}

static void expect_dir_error(const char *dir, const char *prefix, unsigned flags,
                             enum ls_category cat, const char *needle1, const char *needle2)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    assert_int_equal(ls_lockdir_open_flags(&ld, dir, prefix, flags, &err), -1);
    if (err.category != cat || !strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
        fail_msg("lock dir %s: got [%s] \"%s\", want [%s] mentioning \"%s\" and \"%s\"", dir,
                 ls_category_name(err.category), err.msg, ls_category_name(cat), needle1,
                 needle2 ? needle2 : "");
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void lockfile(const struct ls_lockdir *ld, enum ls_lock_kind k, unsigned n, char *buf)
{
    assert_int_equal(ls_lock_path(ld, k, n, buf, PATH_MAX), 0);
}

/* ---- lock dir -------------------------------------------------------------------------- */

static void test_dir_resolution(void **state)
{
    struct fx *f = *state;
    char real[PATH_MAX];
    assert_non_null(realpath(f->dir, real));
    struct ls_lockdir ld;

    setenv("LLCSLICE_LOCK_DIR", f->dir, 1);
    setenv("LLCSLICE_LOCK_PREFIX", "envpfx", 1);
    open_dir(&ld, NULL, NULL);
    assert_string_equal(ld.dir, real);
    assert_string_equal(ld.prefix, "envpfx");

    /* Flags beat the environment; the dir is canonical (no trailing slash, no "..") */
    char other[PATH_MAX];
    snprintf(other, sizeof(other), "%s/sub", f->dir);
    assert_int_equal(mkdir(other, 0777), 0);
    char messy[PATH_MAX + 16];
    snprintf(messy, sizeof(messy), "%s/sub/../sub/", f->dir);
    open_dir(&ld, messy, "argpfx");
    assert_non_null(strstr(ld.dir, "/sub"));
    assert_int_equal(strlen(ld.dir), strlen(real) + 4);
    assert_string_equal(ld.prefix, "argpfx");

    /* Empty environment values count as unset; defaults are /tmp and llcslice. */
    setenv("LLCSLICE_LOCK_DIR", "", 1);
    setenv("LLCSLICE_LOCK_PREFIX", "", 1);
    char tmp[PATH_MAX];
    assert_non_null(realpath("/tmp", tmp));
    struct ls_error err = {0};
    if (ls_lockdir_open_flags(&ld, NULL, NULL, LS_LOCKDIR_OBSERVE, &err) == 0) {
        assert_string_equal(ld.dir, tmp);
        assert_string_equal(ld.prefix, "llcslice");
    }
    unsetenv("LLCSLICE_LOCK_DIR");
    unsetenv("LLCSLICE_LOCK_PREFIX");

    /* An explicit empty flag is an error, not the default. */
    expect_dir_error("", NULL, 0, LS_ERR_USAGE, "--lock-dir is empty", NULL);
    /* The environment is named when it is the source. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof(missing), "%s/nope", f->dir);
    setenv("LLCSLICE_LOCK_DIR", missing, 1);
    expect_dir_error(NULL, NULL, 0, LS_ERR_USAGE, "LLCSLICE_LOCK_DIR", missing);
    unsetenv("LLCSLICE_LOCK_DIR");
}

static void test_dir_missing_or_file(void **state)
{
    struct fx *f = *state;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/nope", f->dir);
    expect_dir_error(path, NULL, 0, LS_ERR_USAGE, path, "does not exist");
    expect_dir_error(path, NULL, LS_LOCKDIR_OBSERVE, LS_ERR_USAGE, path, "does not exist");

    snprintf(path, sizeof(path), "%s/file", f->dir);
    write_file(path, "x", 0644);
    expect_dir_error(path, NULL, 0, LS_ERR_USAGE, path, "not a directory");
    char below[PATH_MAX + 48];
    snprintf(below, sizeof(below), "%s/sub", path);
    expect_dir_error(below, NULL, 0, LS_ERR_USAGE, below, "does not exist");

    /* A symlink to a directory is followed (the dir, unlike a lockfile, may be a link). */
    char link[PATH_MAX + 32];
    snprintf(link, sizeof(link), "%s/link", f->dir);
    assert_int_equal(symlink(f->dir, link), 0);
    struct ls_lockdir ld;
    open_dir(&ld, link, NULL);
    char real[PATH_MAX];
    assert_non_null(realpath(f->dir, real));
    assert_string_equal(ld.dir, real);
}

static void test_dir_readonly(void **state)
{
    struct fx *f = *state;
    need_root();
    snprintf(f->mnt, sizeof(f->mnt), "%s/ro", f->dir);
    assert_int_equal(mkdir(f->mnt, 0777), 0);
    if (mount("llcslice-ro", f->mnt, "tmpfs", MS_RDONLY, "size=64k,mode=1777") < 0) {
        f->mnt[0] = '\0';
        skip();
    }
    expect_dir_error(f->mnt, NULL, 0, LS_ERR_USAGE, f->mnt, "read-only filesystem");
    expect_dir_error(f->mnt, NULL, 0, LS_ERR_USAGE, "--lock-dir / LLCSLICE_LOCK_DIR", NULL);
    /* Observing holders needs no write access. */
    struct ls_lockdir ld;
    struct ls_error err = {0};
    assert_int_equal(ls_lockdir_open_flags(&ld, f->mnt, NULL, LS_LOCKDIR_OBSERVE, &err), 0);
    unsigned *idx;
    size_t n;
    assert_int_equal(ls_lockdir_scan(&ld, LS_LOCK_LLC, &idx, &n, &err), 0);
    assert_int_equal(n, 0);
    free(idx);
}

static int open_not_writable(const char *dir)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, dir, NULL, &err) == 0)
        return 1;
    if (err.category != LS_ERR_USAGE || !strstr(err.msg, "not writable by uid 65534") ||
        !strstr(err.msg, dir))
        return 2;
    if (ls_lockdir_open_flags(&ld, dir, NULL, LS_LOCKDIR_OBSERVE, &err) < 0)
        return 3;
    return 0;
}

static void test_dir_not_writable(void **state)
{
    struct fx *f = *state;
    need_root();
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/root-only", f->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(as_nobody(open_not_writable, dir), 0);
}

static void expect_prefix_error(const char *prefix, const char *needle)
{
    struct ls_error err = {0};
    assert_int_equal(ls_lock_prefix_check(prefix, "--lock-prefix", &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    if (!strstr(err.msg, needle) || !strstr(err.msg, "--lock-prefix"))
        fail_msg("prefix error \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_prefix(void **state)
{
    struct fx *f = *state;
    struct ls_error err = {0};
    char p100[LS_LOCK_PREFIX_MAX + 2];
    memset(p100, 'a', LS_LOCK_PREFIX_MAX);
    p100[LS_LOCK_PREFIX_MAX] = '\0';
    assert_int_equal(ls_lock_prefix_check(p100, "x", &err), 0);
    assert_int_equal(ls_lock_prefix_check("ktstr", "x", &err), 0);
    assert_int_equal(ls_lock_prefix_check("my.team_ci-1", "x", &err), 0);
    expect_prefix_error("", "empty");
    expect_prefix_error("a/b", "'/'");
    expect_prefix_error("/", "'/'");
    expect_prefix_error("with space", "byte 0x20 at offset 4");
    expect_prefix_error("tab\t", "0x09");
    expect_prefix_error("nl\n", "0x0a");
    expect_prefix_error("\x01", "0x01");
    expect_prefix_error("del\x7f", "0x7f");
    expect_prefix_error("caf\xc3\xa9", "non-ASCII");
    p100[LS_LOCK_PREFIX_MAX] = 'a';
    p100[LS_LOCK_PREFIX_MAX + 1] = '\0';
    expect_prefix_error(p100, "101 characters");

    /* Through ls_lockdir_open, naming the source. */
    expect_dir_error(f->dir, "a/b", 0, LS_ERR_USAGE, "--lock-prefix", NULL);
    setenv("LLCSLICE_LOCK_PREFIX", "bad/env", 1);
    expect_dir_error(f->dir, NULL, 0, LS_ERR_USAGE, "LLCSLICE_LOCK_PREFIX", NULL);
    unsetenv("LLCSLICE_LOCK_PREFIX");
}

static void test_fs_classifier(void **state)
{
    (void)state;
    static const struct {
        unsigned long long magic;
        const char *fstype, *want;
    } cases[] = {
        {0x6969, NULL, "NFS"},
        {0, "nfs", "NFS"},
        {0, "nfs4", "NFS"},
        {0xFF534D42, NULL, "CIFS/SMB"},
        {0xFE534D42, NULL, "CIFS/SMB"},
        {0x517B, NULL, "CIFS/SMB"},
        {0, "cifs", "CIFS/SMB"},
        {0, "smb3", "CIFS/SMB"},
        {0x00C36400, NULL, "Ceph"},
        {0, "ceph", "Ceph"},
        {0x5346414F, NULL, "AFS"},
        {0x6B414653, NULL, "AFS"},
        {0, "afs", "AFS"},
        {0x65735546, NULL, "FUSE"},
        {0, "fuse", "FUSE"},
        {0, "fuseblk", "FUSE"},
        {0, "fuse.sshfs", "FUSE"},
        {0, "fuse.glusterfs", "FUSE"},
        {0, "virtiofs", "FUSE"},
        {0x01021997, NULL, "9p"},
        {0, "9p", "9p"},
        {0x0BD00BD0, "lustre", "Lustre"},
        /* Local filesystems pass, including lookalikes. */
        {0xEF53, "ext4", NULL},
        {0x01021994, "tmpfs", NULL},
        {0x9123683E, "btrfs", NULL},
        {0x58465342, "xfs", NULL},
        {0x794C7630, "overlay", NULL},
        {0, "fusectl", NULL},
        {0, "nfsd", NULL},
        {0, "", NULL},
        {0, NULL, NULL},
        /* Either signal is enough. */
        {0xEF53, "fuse.sshfs", "FUSE"},
        {0x6969, "ext4", "NFS"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ls_fs_flock_unsafe(cases[i].magic, cases[i].fstype);
        if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want) != 0))
            fail_msg("0x%llx/%s -> %s, want %s", cases[i].magic,
                     cases[i].fstype ? cases[i].fstype : "(null)", got ? got : "local",
                     cases[i].want ? cases[i].want : "local");
    }
}

/* ---- lockfiles ------------------------------------------------------------------------- */

static void test_names_ktstr(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, "ktstr");
    char real[PATH_MAX], want[PATH_MAX + 64], got[PATH_MAX];
    assert_non_null(realpath(f->dir, real));
    lockfile(&ld, LS_LOCK_LLC, 3, got);
    snprintf(want, sizeof(want), "%s/ktstr-llc-3.lock", real);
    assert_string_equal(got, want);
    lockfile(&ld, LS_LOCK_CPU, 17, got);
    snprintf(want, sizeof(want), "%s/ktstr-cpu-17.lock", real);
    assert_string_equal(got, want);

    struct ls_error err = {0};
    int a = ls_lock_open(&ld, LS_LOCK_LLC, 3, &err);
    int b = ls_lock_open(&ld, LS_LOCK_CPU, 17, &err);
    assert_true(a >= 0 && b >= 0);
    close(a);
    close(b);
    /* Exactly those two names appear. */
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int seen = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (strcmp(de->d_name, "ktstr-llc-3.lock") && strcmp(de->d_name, "ktstr-cpu-17.lock"))
            fail_msg("unexpected file %s", de->d_name);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, 2);

    char small[16];
    errno = 0;
    assert_int_equal(ls_lock_path(&ld, LS_LOCK_LLC, 3, small, sizeof(small)), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_string_equal(ls_lock_kind_name(LS_LOCK_CPU), "cpu");
    assert_string_equal(ls_lock_mode_name(LS_LOCK_EXCLUSIVE), "exclusive");
    assert_string_equal(ls_lock_mode_name(LS_LOCK_SHARED), "shared");
}

static void test_umask_0666(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    mode_t old = umask(077);
    struct ls_error err = {0};
    int fd = ls_lock_open(&ld, LS_LOCK_LLC, 0, &err);
    umask(old);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0666);
    assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    close(fd);

    /* Someone else's existing file keeps its mode: we only fix files we created. */
    char path[PATH_MAX];
    lockfile(&ld, LS_LOCK_CPU, 1, path);
    write_file(path, "", 0640);
    fd = ls_lock_open(&ld, LS_LOCK_CPU, 1, &err);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    close(fd);
}

static void test_no_truncate(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    char path[PATH_MAX];
    lockfile(&ld, LS_LOCK_LLC, 2, path);
    write_file(path, "someone's notes\n", 0666);
    struct ls_error err = {0};
    int fd = ls_lock_open(&ld, LS_LOCK_LLC, 2, &err);
    assert_true(fd >= 0);
    assert_int_equal(ls_lock_try(fd, LS_LOCK_EXCLUSIVE, &err), 1);
    close(fd);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 16);
}

static void test_symlink_refused(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    char victim[PATH_MAX + 16], path[PATH_MAX];
    snprintf(victim, sizeof(victim), "%s/victim", f->dir);
    write_file(victim, "precious data\n", 0600);
    lockfile(&ld, LS_LOCK_LLC, 0, path);
    assert_int_equal(symlink(victim, path), 0);

    struct ls_error err = {0};
    assert_int_equal(ls_lock_open(&ld, LS_LOCK_LLC, 0, &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "is a symlink; refusing"));
    int fd = -1;
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_LLC, 0, LS_LOCK_SHARED, &fd, &err), -1);
    assert_int_equal(fd, -1);
    unsigned long long ino;
    assert_int_equal(ls_lock_inode(&ld, LS_LOCK_LLC, 0, &ino, &err), -1);
    assert_non_null(strstr(err.msg, "symlink"));

    /* The victim is untouched: same size, same mode, same content. */
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 14);
    assert_int_equal(st.st_mode & 07777, 0600);
    char buf[32] = "";
    FILE *in = fopen(victim, "r");
    assert_non_null(in);
    assert_non_null(fgets(buf, sizeof(buf), in));
    fclose(in);
    assert_string_equal(buf, "precious data\n");

    /* A dangling symlink is not followed into creating its target. */
    char target[PATH_MAX + 32];
    snprintf(target, sizeof(target), "%s/would-be-created", f->dir);
    lockfile(&ld, LS_LOCK_CPU, 5, path);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(ls_lock_open(&ld, LS_LOCK_CPU, 5, &err), -1);
    assert_non_null(strstr(err.msg, "symlink"));
    assert_int_equal(access(target, F_OK), -1);
}

static void test_nonregular_refused(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    char path[PATH_MAX];
    struct ls_error err = {0};

    /* A FIFO would block a read-only open; it must be refused without hanging. */
    lockfile(&ld, LS_LOCK_LLC, 1, path);
    assert_int_equal(mkfifo(path, 0666), 0);
    assert_int_equal(ls_lock_open(&ld, LS_LOCK_LLC, 1, &err), -1);
    assert_non_null(strstr(err.msg, "a FIFO"));
    assert_non_null(strstr(err.msg, path));

    lockfile(&ld, LS_LOCK_LLC, 2, path);
    assert_int_equal(mkdir(path, 0777), 0);
    assert_int_equal(ls_lock_open(&ld, LS_LOCK_LLC, 2, &err), -1);
    assert_non_null(strstr(err.msg, "a directory"));
    unsigned long long ino;
    assert_int_equal(ls_lock_inode(&ld, LS_LOCK_LLC, 2, &ino, &err), -1);
    assert_int_equal(ls_lock_inode(&ld, LS_LOCK_LLC, 9, &ino, &err), 0); /* absent */
}

/* As nobody: a root-owned 0644 lockfile opens read-only and still locks; 0600 fails
 * clearly; creating in a root-only dir fails clearly. */
static int nobody_opens(const char *dir)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open_flags(&ld, dir, NULL, LS_LOCKDIR_OBSERVE, &err) < 0)
        return 10;
    int fd = ls_lock_open(&ld, LS_LOCK_LLC, 0, &err);
    if (fd < 0)
        return 11;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
        return 12;
    if (ls_lock_try(fd, LS_LOCK_EXCLUSIVE, &err) != 1)
        return 13;
    close(fd);
    if (ls_lock_open(&ld, LS_LOCK_LLC, 1, &err) >= 0)
        return 14;
    if (err.code != EACCES || !strstr(err.msg, "mode 0600") || !strstr(err.msg, "owner uid 0") ||
        !strstr(err.msg, "chmod 0666"))
        return 15;
    if (ls_lock_open(&ld, LS_LOCK_LLC, 2, &err) >= 0)
        return 16;
    if (!strstr(err.msg, "cannot create lockfile") || !strstr(err.msg, "writable"))
        return 17;
    return 0;
}

static void test_readonly_fallback(void **state)
{
    struct fx *f = *state;
    need_root();
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/root-only", f->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    struct ls_lockdir ld;
    open_dir(&ld, dir, NULL);
    char path[PATH_MAX];
    lockfile(&ld, LS_LOCK_LLC, 0, path);
    write_file(path, "", 0644);
    lockfile(&ld, LS_LOCK_LLC, 1, path);
    write_file(path, "", 0600);
    assert_int_equal(as_nobody(nobody_opens, dir), 0);
}

/* Root-created files in a shared sticky dir open fine for others (fs.protected_regular
 * refuses O_CREAT opens of others' files there, so an existing file is opened without it). */
static int nobody_sticky(const char *dir)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, dir, NULL, &err) < 0)
        return 10;
    int fd = -1;
    if (ls_lock_acquire(&ld, LS_LOCK_CPU, 4, LS_LOCK_SHARED, &fd, &err) != 1)
        return 11;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR)
        return 12;
    close(fd);
    return 0;
}

static void test_sticky_shared_dir(void **state)
{
    struct fx *f = *state;
    need_root();
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    struct ls_error err = {0};
    int fd = ls_lock_open(&ld, LS_LOCK_CPU, 4, &err);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(as_nobody(nobody_sticky, f->dir), 0);
}

/* ---- flock across processes and holder discovery --------------------------------------- */

static void holders_of(const struct ls_lockdir *ld, enum ls_lock_kind k, unsigned n,
                       struct ls_holder **h, size_t *cnt)
{
    struct ls_error err = {0};
    unsigned long long ino = 0;
    struct ls_locktable t;
    assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
    int r = ls_lock_inode(ld, k, n, &ino, &err);
    assert_true(r >= 0);
    if (r == 0) {
        *h = NULL;
        *cnt = 0;
    } else {
        assert_int_equal(ls_lock_holders(ld, &t, ino, true, h, cnt, &err), 0);
    }
    ls_locktable_free(&t);
}

static const struct ls_holder *holder_by_pid(const struct ls_holder *h, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (h[i].pid == pid)
            return &h[i];
    return NULL;
}

static void cross_process(const char *dir)
{
    struct ls_lockdir ld;
    open_dir(&ld, dir, NULL);
    struct ls_error err = {0};

    /* shared + shared coexist; exclusive is excluded by them. */
    pid_t a = spawn_holder(ld.dir, "llc", 0, "shared");
    pid_t b = spawn_holder(ld.dir, "llc", 0, "shared");
    assert_true(a > 0 && b > 0);
    assert_int_equal(spawn_holder(ld.dir, "llc", 0, "exclusive"), 0);

    struct ls_holder *h;
    size_t n;
    holders_of(&ld, LS_LOCK_LLC, 0, &h, &n);
    assert_int_equal(n, 2);
    const struct ls_holder *ha = holder_by_pid(h, n, a), *hb = holder_by_pid(h, n, b);
    assert_non_null(ha);
    assert_non_null(hb);
    assert_int_equal(ha->mode, LS_LOCK_SHARED);
    assert_int_equal(hb->mode, LS_LOCK_SHARED);
    /* argv joined with spaces: "test_lockfile --hold DIR llcslice llc 0 shared FD" */
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "test_lockfile --hold %s llcslice llc 0 shared ", ld.dir);
    if (strncmp(ha->cmdline, want, strlen(want)) != 0 &&
        strlen(ha->cmdline) < sizeof(ha->cmdline) - 1)
        fail_msg("cmdline \"%s\" does not start with \"%s\"", ha->cmdline, want);
    assert_non_null(strstr(ha->cmdline, "test_lockfile --hold"));
    char text[512];
    ls_format_holders(h, n, text, sizeof(text));
    char pa[32];
    snprintf(pa, sizeof(pa), "pid %d (test_lockfile --hold", (int)a);
    assert_non_null(strstr(text, pa));
    assert_non_null(strstr(text, ") shared"));
    free(h);

    /* The parent sees the same: shared joins, exclusive is busy. */
    int fd = -1;
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_LLC, 0, LS_LOCK_EXCLUSIVE, &fd, &err), 0);
    assert_int_equal(fd, -1);
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_LLC, 0, LS_LOCK_SHARED, &fd, &err), 1);
    holders_of(&ld, LS_LOCK_LLC, 0, &h, &n);
    assert_int_equal(n, 3);
    assert_non_null(holder_by_pid(h, n, getpid()));
    free(h);
    close(fd);

    /* exclusive excludes everyone. */
    pid_t c = spawn_holder(ld.dir, "cpu", 3, "exclusive");
    assert_true(c > 0);
    assert_int_equal(spawn_holder(ld.dir, "cpu", 3, "shared"), 0);
    assert_int_equal(spawn_holder(ld.dir, "cpu", 3, "exclusive"), 0);
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_CPU, 3, LS_LOCK_SHARED, &fd, &err), 0);
    holders_of(&ld, LS_LOCK_CPU, 3, &h, &n);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].pid, c);
    assert_int_equal(h[0].mode, LS_LOCK_EXCLUSIVE);
    ls_format_holders(h, n, text, sizeof(text));
    assert_non_null(strstr(text, ") exclusive"));
    free(h);
    /* Other lockfiles are unaffected. */
    holders_of(&ld, LS_LOCK_CPU, 4, &h, &n);
    assert_int_equal(n, 0);

    /* The lock dies with its holder. */
    reap(c);
    holders_of(&ld, LS_LOCK_CPU, 3, &h, &n);
    assert_int_equal(n, 0);
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_CPU, 3, LS_LOCK_EXCLUSIVE, &fd, &err), 1);
    close(fd);
    reap(a);
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_LLC, 0, LS_LOCK_EXCLUSIVE, &fd, &err), 0);
    reap(b);
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_LLC, 0, LS_LOCK_EXCLUSIVE, &fd, &err), 1);
    holders_of(&ld, LS_LOCK_LLC, 0, &h, &n);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].pid, getpid());
    assert_int_equal(h[0].mode, LS_LOCK_EXCLUSIVE);
    free(h);
    close(fd);
}

static void test_cross_process(void **state)
{
    cross_process(((struct fx *)*state)->dir);
}

static void test_cross_process_tmpfs(void **state)
{
    cross_process(((struct fx *)*state)->dir);
}

static void test_lock_try_errors(void **state)
{
    (void)state;
    struct ls_error err = {0};
    assert_int_equal(ls_lock_try(-1, LS_LOCK_SHARED, &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_int_equal(err.code, EBADF);
    assert_non_null(strstr(err.msg, "LOCK_SH"));
}

/* Release unlocks before closing: with a dup of the descriptor still open (as a keeper or
 * job process holds one), close() alone would keep the lock; LOCK_UN drops it for every dup. */
static void test_release_unlocks(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    struct ls_error err = {0};
    int fd = -1;
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_CPU, 3, LS_LOCK_EXCLUSIVE, &fd, &err), 1);
    int copy = dup(fd);
    assert_true(copy >= 0);
    int other = -1;
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_CPU, 3, LS_LOCK_EXCLUSIVE, &other, &err), 0);
    ls_lock_release(fd);
    assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
    assert_int_equal(ls_lock_acquire(&ld, LS_LOCK_CPU, 3, LS_LOCK_EXCLUSIVE, &other, &err), 1);
    ls_lock_release(other);
    close(copy);
    ls_lock_release(-1); /* nothing held: a no-op */
}

static void test_scan(void **state)
{
    struct fx *f = *state;
    struct ls_lockdir ld;
    open_dir(&ld, f->dir, NULL);
    static const char *names[] = {
        "llcslice-llc-10.lock",
        "llcslice-llc-0.lock",
        "llcslice-llc-2.lock",
        "llcslice-llc-01.lock",
        "llcslice-llc-x.lock",
        "llcslice-llc--1.lock",
        "llcslice-llc-.lock",
        "llcslice-llc-3.lck",
        "llcslice-llc-4.lock.bak",
        "llcslice-llc-4294967296.lock",
        "llcslice-llc-4294967295.lock",
        "llcslicex-llc-5.lock",
        "ktstr-llc-6.lock",
        "llcslice-cpu-3.lock",
        "llcslice-cpu-100.lock",
        "llcslice-cpu-20.lock",
        "llcslice-llc-+7.lock",
    };
    char path[PATH_MAX + 64];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
        write_file(path, "", 0666);
    }
    struct ls_error err = {0};
    unsigned *idx;
    size_t n;
    assert_int_equal(ls_lockdir_scan(&ld, LS_LOCK_LLC, &idx, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 2);
    assert_int_equal(idx[2], 10);
    assert_int_equal(idx[3], 4294967295u);
    free(idx);
    assert_int_equal(ls_lockdir_scan(&ld, LS_LOCK_CPU, &idx, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(idx[0], 3);
    assert_int_equal(idx[1], 20);
    assert_int_equal(idx[2], 100);
    free(idx);
    open_dir(&ld, f->dir, "ktstr");
    assert_int_equal(ls_lockdir_scan(&ld, LS_LOCK_LLC, &idx, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], 6);
    free(idx);
    assert_int_equal(ls_lockdir_scan(&ld, LS_LOCK_CPU, &idx, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(idx);
}

static void test_cmdline(void **state)
{
    (void)state;
    char buf[160];
    ls_pid_cmdline(getpid(), buf, sizeof(buf));
    assert_non_null(strstr(buf, "test_lockfile"));
    ls_pid_cmdline(0, buf, sizeof(buf));
    assert_string_equal(buf, "?");
    ls_pid_cmdline(-1, buf, sizeof(buf));
    assert_string_equal(buf, "?");

    /* Gone: a reaped child. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    ls_pid_cmdline(pid, buf, sizeof(buf));
    assert_string_equal(buf, "?");

    /* A zombie has no argv any more: its comm in brackets. */
    pid = fork();
    if (pid == 0)
        _exit(0);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    ls_pid_cmdline(pid, buf, sizeof(buf));
    char comm[64] = "", want[80];
    FILE *cf = fopen("/proc/self/comm", "r");
    assert_non_null(cf);
    assert_non_null(fgets(comm, sizeof(comm), cf));
    fclose(cf);
    comm[strcspn(comm, "\n")] = '\0';
    snprintf(want, sizeof(want), "[%s]", comm); /* test_lockfile, or valgrind's name */
    assert_string_equal(buf, want);
    waitpid(pid, NULL, 0);

    /* Control characters are masked, long command lines cut with "...". */
    char longarg[400];
    memset(longarg, 'z', sizeof(longarg) - 1);
    longarg[sizeof(longarg) - 1] = '\0';
    char *args[] = {"--idle", "PIPEFD", "two\nlines", longarg, NULL};
    char c;
    pid = spawn(&c, args);
    assert_int_equal(c, 'Y');
    ls_pid_cmdline(pid, buf, sizeof(buf));
    assert_int_equal(strlen(buf), sizeof(buf) - 1);
    assert_non_null(strstr(buf, " two?lines zzz"));
    assert_string_equal(buf + strlen(buf) - 3, "...");
    char tiny[12];
    ls_pid_cmdline(pid, tiny, sizeof(tiny));
    assert_string_equal(tiny, "test_loc...");
    char *none = NULL;
    ls_pid_cmdline(pid, none, 0); /* size 0 writes nothing */
    reap(pid);
}

static void test_format_holders(void **state)
{
    (void)state;
    struct ls_holder h[3] = {
        {.pid = 123, .mode = LS_LOCK_SHARED, .cmdline = "make -j8"},
        {.pid = 456, .mode = LS_LOCK_EXCLUSIVE, .cmdline = "llcslice run -- ninja"},
        {.pid = 789, .mode = LS_LOCK_SHARED, .cmdline = "?"},
    };
    char buf[256];
    ls_format_holders(h, 0, buf, sizeof(buf));
    assert_string_equal(buf, "no holders");
    ls_format_holders(h, 2, buf, sizeof(buf));
    assert_string_equal(buf,
                        "pid 123 (make -j8) shared, pid 456 (llcslice run -- ninja) exclusive");
    ls_format_holders(h, 3, buf, 60);
    assert_string_equal(buf, "pid 123 (make -j8) shared, and 2 more");
    ls_format_holders(h, 3, buf, 20);
    assert_string_equal(buf, "and 3 more");
    ls_format_holders(h, 3, buf, 5);
    assert_true(strlen(buf) < 5);
    buf[0] = 'x';
    ls_format_holders(h, 3, buf, 0);
    assert_int_equal(buf[0], 'x');
}

int main(int argc, char **argv)
{
    if (argc >= 8 && strcmp(argv[1], "--hold") == 0)
        return hold_main(argv);
    if (argc >= 3 && strcmp(argv[1], "--idle") == 0)
        return idle_main(argv);
    ssize_t r = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (r <= 0)
        return 1;
    self_exe[r] = '\0';
    signal(SIGPIPE, SIG_IGN);

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_dir_resolution),
        T(test_dir_missing_or_file),
        T(test_dir_readonly),
        T(test_dir_not_writable),
        T(test_prefix),
        T(test_fs_classifier),
        T(test_names_ktstr),
        T(test_umask_0666),
        T(test_no_truncate),
        T(test_symlink_refused),
        T(test_nonregular_refused),
        T(test_readonly_fallback),
        T(test_sticky_shared_dir),
        T(test_cross_process),
        cmocka_unit_test_setup_teardown(test_cross_process_tmpfs, setup_tmpfs, teardown),
        T(test_lock_try_errors),
        T(test_scan),
        T(test_release_unlocks),
        T(test_cmdline),
        T(test_format_holders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* /proc/locks parsing and lookup, mountinfo device lookup: crafted texts (hex majors, POSIX
 * and waiter lines, garbage, 100k lines, escapes, nested and stacked mounts) and the real
 * /proc/locks + mountinfo on tmpfs and on the root filesystem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/lockfile.h"
#include "supervisor/cli/lockopts.h"

static size_t find(const struct ls_locktable *t, unsigned ma, unsigned mi, unsigned long long ino,
                   const struct ls_lock_entry **first)
{
    const struct ls_lock_entry *dummy;
    return ls_locktable_find(t, ma, mi, ino, first ? first : &dummy);
}

static void parse(struct ls_locktable *t, const char *text)
{
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_parse(t, text, strlen(text), &err), 0);
}

static void test_parse_kinds(void **state)
{
    (void)state;
    static const char text[] =
        "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF\n"
        "1: -> FLOCK  ADVISORY  WRITE 1240 fe:00:5678 0 EOF\n" /* waiter: not a holder */
        "2: FLOCK  ADVISORY  READ 200 00:2d:12345 0 EOF\n"
        "3: FLOCK  ADVISORY  READ 201 00:2d:12345 0 EOF\n"
        "3:  -> FLOCK  ADVISORY  WRITE 202 00:2d:12345 0 EOF\n" /* padded waiter (6.x) */
        "4: POSIX  ADVISORY  WRITE 300 00:2d:999 0 EOF\n"
        "5: OFDLCK ADVISORY  READ -1 00:2d:998 0 EOF\n"
        "6: ACCESS ADVISORY  READ 302 00:2d:997 0 EOF\n"
        "7: LEASE  ACTIVE    READ 303 00:2d:996 0 EOF\n"
        "8: DELEG  ACTIVE    READ 304 00:2d:995 0 EOF\n"
        "9: FLOCK  ADVISORY  UNLCK 305 00:2d:994 0 EOF\n"
        "10: FLOCK  ADVISORY  WRITE 0 103:1a2:77 0 EOF\n" /* >2 hex digits; pid outside ns */
        "11: FLOCK  ADVISORY  READ 7 FE:0A:8 0 EOF\n"
        "12: FLOCK  ADVISORY  READ 8 00:2d:18446744073709551615 0 EOF\n"
        "14: FLOCK  ADVISORY  READ 10 10:10:5 0 EOF\n"
        "13: FLOCK  ADVISORY  WRITE 9 00:2d:12345 0 EOF"; /* no final newline */
    struct ls_locktable t;
    parse(&t, text);
    assert_int_equal(t.n, 8);

    /* Sorted by (major, minor, inode). */
    for (size_t i = 1; i < t.n; i++) {
        const struct ls_lock_entry *a = &t.entries[i - 1], *b = &t.entries[i];
        assert_true(a->major < b->major || (a->major == b->major && a->minor < b->minor) ||
                    (a->major == b->major && a->minor == b->minor && a->inode <= b->inode));
    }

    const struct ls_lock_entry *e;
    assert_int_equal(find(&t, 0xfe, 0, 5678, &e), 1);
    assert_int_equal(e->pid, 1234);
    assert_int_equal(e->mode, LS_LOCK_EXCLUSIVE);
    /* "10:10" is 16:16, not 10:10. */
    assert_int_equal(find(&t, 16, 16, 5, NULL), 1);
    assert_int_equal(find(&t, 10, 10, 5, NULL), 0);
    assert_int_equal(find(&t, 0xfe, 0, 5679, NULL), 0);

    assert_int_equal(find(&t, 0, 0x2d, 12345, &e), 3);
    assert_int_equal(e[0].pid, 9);
    assert_int_equal(e[0].mode, LS_LOCK_EXCLUSIVE);
    assert_int_equal(e[1].pid, 200);
    assert_int_equal(e[1].mode, LS_LOCK_SHARED);
    assert_int_equal(e[2].pid, 201);
    assert_int_equal(find(&t, 0, 45, 12345, NULL), 3); /* 0x2d == 45 */
    assert_int_equal(find(&t, 0, 0x2d, 999, NULL), 0); /* POSIX */
    assert_int_equal(find(&t, 0, 0x2d, 998, NULL), 0); /* OFD */
    assert_int_equal(find(&t, 0, 0x2d, 996, NULL), 0); /* lease */
    assert_int_equal(find(&t, 0, 0x2d, 994, NULL), 0); /* UNLCK */

    assert_int_equal(find(&t, 0x103, 0x1a2, 77, &e), 1);
    assert_int_equal(e->pid, 0);
    assert_int_equal(find(&t, 0xfe, 0x0a, 8, &e), 1);
    assert_int_equal(e->pid, 7);
    assert_int_equal(find(&t, 0, 0x2d, 18446744073709551615ull, &e), 1);
    assert_int_equal(e->pid, 8);
    ls_locktable_free(&t);
    assert_null(t.entries);
    assert_int_equal(t.n, 0);
}

static void test_parse_garbage(void **state)
{
    (void)state;
    static const char text[] = "\n"
                               "garbage\n"
                               ":\n"
                               "1:\n"
                               "1: FLOCK\n"
                               "1: FLOCK  ADVISORY\n"
                               "1: FLOCK  ADVISORY  WRITE\n"
                               "1: FLOCK  ADVISORY  WRITE 12\n"
                               "1: FLOCK  ADVISORY  WRITE abc 00:01:2 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 00:01 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 zz:01:2 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 00:01:x2 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 00:01:184467440737095516160 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 123456789:01:2 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 99999999999 00:01:2 0 EOF\n"
                               "1: FLOCK  ADVISORY  WRITE 12 <none>:0 0 EOF\n"
                               "1 FLOCK  ADVISORY  WRITE 12 00:01:2 0 EOF\n"
                               "1:-> FLOCK  ADVISORY  WRITE 12 00:01:2 0 EOF\n"
                               "\xff\xfe binary \x01\x02\n"
                               "1: FLOCK  ADVISORY  WRITE 12 00:01:2 0 EOF\r\n" /* CR kept */
                               "2: FLOCK\tADVISORY\tREAD 13 00:01:2 0 EOF\n";
    struct ls_locktable t;
    parse(&t, text);
    /* Only the last two lines are FLOCK holders. */
    assert_int_equal(t.n, 2);
    const struct ls_lock_entry *e;
    assert_int_equal(find(&t, 0, 1, 2, &e), 2);
    assert_int_equal(e[0].pid, 12);
    assert_int_equal(e[1].pid, 13);
    ls_locktable_free(&t);

    /* Empty text, embedded NUL bytes. */
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_parse(&t, "", 0, &err), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(find(&t, 0, 1, 2, NULL), 0);
    ls_locktable_free(&t);
    static const char nul[] = "1: FLOCK  ADVISORY  WRITE 12 00:01:2 0 EOF\n\0\0\n"
                              "2: FLOCK  ADVISORY  READ 14 00:01:3 0 EOF\n";
    assert_int_equal(ls_locktable_parse(&t, nul, sizeof(nul) - 1, &err), 0);
    assert_int_equal(t.n, 2);
    ls_locktable_free(&t);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k lines: every third a POSIX line, every fifth holder gets a blocked waiter. */
static void test_parse_100k(void **state)
{
    (void)state;
    enum { LINES = 100000 };
    size_t cap = (size_t)LINES * 80, used = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t flock_lines = 0;
    for (unsigned i = 0; i < LINES; i++) {
        unsigned ino = 1000 + (i * 7919u) % 40000; /* scattered, some repeated */
        const char *kind = i % 3 == 0 ? "POSIX " : "FLOCK ";
        const char *type = i % 2 ? "READ " : "WRITE";
        const char *pfx = (i % 5 == 4) ? "-> " : "";
        used += (size_t)snprintf(text + used, cap - used,
                                 "%u: %s%s ADVISORY  %s %u %02x:%02x:%u 0 EOF\n", i + 1, pfx, kind,
                                 type, 100 + i, 0xfe, i % 4, ino);
        if (i % 3 != 0 && i % 5 != 4)
            flock_lines++;
    }
    struct ls_locktable t;
    struct ls_error err = {0};
    double t0 = now_s();
    assert_int_equal(ls_locktable_parse(&t, text, used, &err), 0);
    double t1 = now_s();
    assert_int_equal(t.n, flock_lines);

    /* Look every generated lockfile up and check the counts add up. */
    size_t total = 0;
    for (unsigned minor = 0; minor < 4; minor++)
        for (unsigned ino = 1000; ino < 41000; ino++) {
            const struct ls_lock_entry *e;
            size_t n = find(&t, 0xfe, minor, ino, &e);
            for (size_t k = 0; k < n; k++) {
                assert_int_equal(e[k].inode, ino);
                assert_int_equal(e[k].minor, minor);
            }
            total += n;
        }
    double t2 = now_s();
    assert_int_equal(total, flock_lines);
    print_message("100k lines: parse+sort %.1f ms, 160k lookups %.1f ms (%zu FLOCK holders)\n",
                  (t1 - t0) * 1e3, (t2 - t1) * 1e3, flock_lines);
    /* Times are printed, not asserted (a loaded machine is slow): bench/bench_plan.c measures
     * read+parse. */
    ls_locktable_free(&t);
    free(text);
}

static void test_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/llcslice-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/locks", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* Bigger than one read() so the reader loops. */
    for (int i = 0; i < 5000; i++)
        fprintf(f, "%d: FLOCK  ADVISORY  READ %d 00:2d:%d 0 EOF\n", i + 1, 10 + i, i % 50);
    fclose(f);
    struct ls_locktable t;
    struct ls_error err = {0};
    assert_int_equal(ls_locktable_read(&t, path, &err), 0);
    assert_int_equal(t.n, 5000);
    for (unsigned ino = 0; ino < 50; ino++) /* no line cut where a read() ended */
        assert_int_equal(find(&t, 0, 0x2d, ino, NULL), 100);
    ls_locktable_free(&t);
    /* Read a chunk at a time: a line longer than a chunk is skipped whole, the lines after it
     * are read, and a last line without its newline counts. */
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "1: FLOCK  ADVISORY  WRITE 5 00:2d:1 0 EOF\n2: ");
    for (int i = 0; i < 100000; i++)
        fputc('x', f);
    fprintf(f,
            "\n3: FLOCK  ADVISORY  READ 6 00:2d:2 0 EOF\n4: FLOCK  ADVISORY  READ 7 00:2d:3 0 EOF");
    fclose(f);
    assert_int_equal(ls_locktable_read(&t, path, &err), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(find(&t, 0, 0x2d, 1, NULL), 1);
    assert_int_equal(find(&t, 0, 0x2d, 2, NULL), 1);
    assert_int_equal(find(&t, 0, 0x2d, 3, NULL), 1);
    ls_locktable_free(&t);
    unlink(path);

    assert_int_equal(ls_locktable_read(&t, path, &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_int_equal(err.code, ENOENT);
    assert_non_null(strstr(err.msg, path));
    assert_null(t.entries);
    rmdir(dir);
}

/* The real kernel: lock a file, find ourselves in /proc/locks by the dir's mountinfo
 * device (hex there, decimal in mountinfo). */
static void real_lock_roundtrip(const char *dir)
{
    struct ls_lockdir ld;
    struct ls_error err = {0};
    if (ls_lockdir_open(&ld, dir, "llcslice-test", &err) < 0)
        fail_msg("%s", err.msg);
    struct stat dst;
    assert_int_equal(stat(dir, &dst), 0);
    /* ext4 and tmpfs: stat agrees with mountinfo. */
    assert_int_equal(ld.dev_major, major(dst.st_dev));
    assert_int_equal(ld.dev_minor, minor(dst.st_dev));

    for (int mode = 0; mode < 2; mode++) {
        int fd = ls_lock_open(&ld, LS_LOCK_LLC, 7, &err);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        enum ls_lock_mode m = mode ? LS_LOCK_EXCLUSIVE : LS_LOCK_SHARED;
        assert_int_equal(ls_lock_try(fd, m, &err), 1);
        struct ls_locktable t;
        assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
        const struct ls_lock_entry *e;
        assert_int_equal(find(&t, ld.dev_major, ld.dev_minor, st.st_ino, &e), 1);
        assert_int_equal(e->pid, getpid());
        assert_int_equal(e->mode, m);
        struct ls_holder *h;
        size_t n;
        assert_int_equal(ls_lock_holders(&ld, &t, st.st_ino, true, &h, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].pid, getpid());
        assert_non_null(strstr(h[0].cmdline, "test_locktable"));
        free(h);
        /* Without names: the same holder, no /proc read. */
        assert_int_equal(ls_lock_holders(&ld, &t, st.st_ino, false, &h, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].pid, getpid());
        assert_int_equal(h[0].mode, m);
        assert_string_equal(h[0].cmdline, "");
        free(h);
        ls_locktable_free(&t);
        /* One read shows it too. */
        bool torn = true;
        assert_int_equal(ls_locktable_read_once(&t, &torn, &err), 0);
        assert_int_equal(find(&t, ld.dev_major, ld.dev_minor, st.st_ino, &e), 1);
        assert_int_equal(e->mode, m);
        ls_locktable_free(&t);
        close(fd);
        /* Released with the fd. */
        assert_int_equal(ls_locktable_read(&t, NULL, &err), 0);
        assert_int_equal(find(&t, ld.dev_major, ld.dev_minor, st.st_ino, NULL), 0);
        ls_locktable_free(&t);
    }
    char path[4200];
    ls_lock_path(&ld, LS_LOCK_LLC, 7, path, sizeof(path));
    unlink(path);
}

static void test_real_rootfs(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/llcslice-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    real_lock_roundtrip(dir);
    rmdir(dir);
}

static char tmpfs_dir[64];
static bool tmpfs_mounted;

static int umount_tmpfs(void **state)
{
    (void)state;
    if (tmpfs_mounted)
        umount2(tmpfs_dir, MNT_DETACH);
    if (tmpfs_dir[0])
        rmdir(tmpfs_dir);
    tmpfs_mounted = false;
    tmpfs_dir[0] = '\0';
    return 0;
}

/* Our own tmpfs (minor 0:NN, printed as hex in /proc/locks); /dev/shm when mounting is
 * not allowed. */
static void test_real_tmpfs(void **state)
{
    (void)state;
    /* A space in the mount point: mountinfo escapes it as \040. */
    snprintf(tmpfs_dir, sizeof(tmpfs_dir), "/tmp/llcslice tmpfs-XXXXXX");
    assert_non_null(mkdtemp(tmpfs_dir));
    if (mount("llcslice-test", tmpfs_dir, "tmpfs", 0, "size=1m,mode=1777") == 0) {
        tmpfs_mounted = true;
        real_lock_roundtrip(tmpfs_dir);
        return;
    }
    rmdir(tmpfs_dir);
    struct statfs s;
    if (statfs("/dev/shm", &s) < 0 || s.f_type != 0x01021994)
        skip();
    snprintf(tmpfs_dir, sizeof(tmpfs_dir), "/dev/shm/llcslice-test-XXXXXX");
    assert_non_null(mkdtemp(tmpfs_dir));
    real_lock_roundtrip(tmpfs_dir);
}

static const char mountinfo[] =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "40 27 0:40 / /mnt rw shared:1 - tmpfs tmpfs rw\n"
    "41 40 0:41 / /mnt/a rw shared:2 master:3 - xfs /dev/sdb rw\n"
    "42 40 0:42 / /mnt/ab rw - btrfs /dev/sdc rw,subvol=/x\n"
    "43 40 0:43 / /mnt/with\\040space rw - nfs4 srv:/export rw\n"
    "44 40 0:44 / /mnt/tab\\011and\\134slash rw - fuse.sshfs u@h: rw\n"
    "45 27 0:45 / /stack rw - tmpfs first rw\n"
    "46 45 0:46 / /stack rw - tmpfs second rw\n"
    "47 27 0:47 /sub /bind rw - ext4 /dev/vdb rw\n"
    "garbage line\n"
    "48 27 x:1 / /broken rw - ext4 /dev/x rw\n"
    "49 27 0:49 / /nosep rw ext4 /dev/x rw\n"
    "50 27 259:65536 / /big\\040dev rw - weird\\040type d rw"; /* no final newline */

static void expect_dev(const char *text, const char *path, unsigned ma, unsigned mi,
                       const char *fstype)
{
    unsigned a = 9999, b = 9999;
    char fs[64] = "unset";
    if (ls_mountinfo_device(text, path, &a, &b, fs, sizeof(fs)) != 0)
        fail_msg("no mount found for %s", path);
    if (a != ma || b != mi || strcmp(fs, fstype) != 0)
        fail_msg("%s -> %u:%u %s, want %u:%u %s", path, a, b, fs, ma, mi, fstype);
}

static void test_mountinfo(void **state)
{
    (void)state;
    expect_dev(mountinfo, "/", 254, 0, "ext4");
    expect_dev(mountinfo, "/tmp/x", 254, 0, "ext4");
    expect_dev(mountinfo, "/mnt", 0, 40, "tmpfs");
    expect_dev(mountinfo, "/mnt/x", 0, 40, "tmpfs");
    expect_dev(mountinfo, "/mnt/a", 0, 41, "xfs");
    expect_dev(mountinfo, "/mnt/a/deep/er", 0, 41, "xfs");
    expect_dev(mountinfo, "/mnt/ab/x", 0, 42, "btrfs");
    expect_dev(mountinfo, "/mnt/abc", 0, 40, "tmpfs"); /* not under /mnt/a or /mnt/ab */
    expect_dev(mountinfo, "/mnt/with space/locks", 0, 43, "nfs4");
    expect_dev(mountinfo, "/mnt/with\\040space", 0, 40, "tmpfs"); /* escaped != real name */
    expect_dev(mountinfo, "/mnt/tab\tand\\slash", 0, 44, "fuse.sshfs");
    expect_dev(mountinfo, "/stack/x", 0, 46, "tmpfs"); /* topmost of two on one point */
    expect_dev(mountinfo, "/bind", 0, 47, "ext4");
    expect_dev(mountinfo, "/broken/x", 254, 0, "ext4"); /* malformed line skipped */
    expect_dev(mountinfo, "/nosep", 254, 0, "ext4");
    expect_dev(mountinfo, "/big dev", 259, 65536, "weird type");
    expect_dev(mountinfo, "/procfoo", 254, 0, "ext4");

    /* Stacked in the other order in the file: still the one stacked on top. */
    static const char reversed[] = "46 45 0:46 / /stack rw - tmpfs second rw\n"
                                   "45 27 0:45 / /stack rw - tmpfs first rw\n"
                                   "27 1 254:0 / / rw - ext4 /dev/vda rw\n";
    expect_dev(reversed, "/stack", 0, 46, "tmpfs");

    /* fstype buffer may be NULL; no root entry -> ENOENT. */
    unsigned a, b;
    assert_int_equal(ls_mountinfo_device(mountinfo, "/mnt/a", &a, &b, NULL, 0), 0);
    assert_int_equal(b, 41);
    static const char noroot[] = "40 27 0:40 / /mnt rw - tmpfs tmpfs rw\n";
    errno = 0;
    assert_int_equal(ls_mountinfo_device(noroot, "/other", &a, &b, NULL, 0), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(ls_mountinfo_device("", "/", &a, &b, NULL, 0), -1);
    /* A too-small fstype buffer gives "" rather than a cut name. */
    char fs[3] = "x";
    assert_int_equal(ls_mountinfo_device(mountinfo, "/mnt/a", &a, &b, fs, sizeof(fs)), 0);
    assert_string_equal(fs, "");
}

/* Until the reader has taken everything written to the FIFO fd. */
static void drained(int fd)
{
    int left = 1;
    while (ioctl(fd, FIONREAD, &left) == 0 && left > 0)
        usleep(1000);
}

/* Two reads that each took two read() calls and lost the same lock at the boundary (churn in
 * a POSIX line moved it) parse to the same locks but differ in text: they do not agree, and
 * the reads that follow find the lock. A FIFO per read stands in for /proc/locks, renamed
 * into place before the last one is closed, each served in two read() calls. */
static void test_read_torn_twice(void **state)
{
    (void)state;
    static const char *const first[4] = {
        "1: POSIX  ADVISORY  WRITE 10 00:2d:100 0 EOF\n2: FLOCK  ADVISORY  WRITE 5 00:2d:1 0 EOF\n",
        "1: POSIX  ADVISORY  WRITE 11 00:2d:101 0 EOF\n2: FLOCK  ADVISORY  WRITE 5 00:2d:1 0 EOF\n",
        "1: FLOCK  ADVISORY  WRITE 5 00:2d:1 0 EOF\n2: FLOCK  ADVISORY  WRITE 6 00:2d:2 0 EOF\n",
        "1: FLOCK  ADVISORY  WRITE 5 00:2d:1 0 EOF\n2: FLOCK  ADVISORY  WRITE 6 00:2d:2 0 EOF\n"};
    static const char second[] = "3: FLOCK  ADVISORY  WRITE 7 00:2d:3 0 EOF\n";
    char dir[] = "/tmp/llcslice-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], next[256];
    snprintf(path, sizeof(path), "%s/locks", dir);
    snprintf(next, sizeof(next), "%s/next", dir);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        int prev = -1;
        for (int i = 0; i < 4; i++) {
            /* O_RDWR: a FIFO opens without a reader; the reader sees EOF once it is closed. */
            if (mkfifo(next, 0600) < 0)
                _exit(1);
            int fd = open(next, O_RDWR);
            if (fd < 0 || rename(next, path) < 0)
                _exit(1);
            if (prev >= 0)
                close(prev);
            if (write(fd, first[i], strlen(first[i])) < 0)
                _exit(1);
            drained(fd);
            if (write(fd, second, strlen(second)) < 0)
                _exit(1);
            drained(fd);
            prev = fd;
        }
        close(prev);
        _exit(0);
    }
    while (access(path, F_OK) < 0)
        usleep(1000);
    struct ls_locktable t;
    struct ls_error err = {0};
    int rc = ls_locktable_read(&t, path, &err);
    kill(writer, SIGKILL); /* a reader that stopped early leaves it waiting */
    waitpid(writer, NULL, 0);
    unlink(path);
    unlink(next);
    rmdir(dir);
    assert_int_equal(rc, 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(find(&t, 0, 0x2d, 2, NULL), 1);
    ls_locktable_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_kinds),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_parse_100k),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_torn_twice),
        cmocka_unit_test(test_real_rootfs),
        cmocka_unit_test_teardown(test_real_tmpfs, umount_tmpfs),
        cmocka_unit_test(test_mountinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

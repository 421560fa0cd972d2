/* The YAML slot-file loader against the corpus in tests/data/slots (each bad file's first
 * line is "# expect: <exact message>"), the shipped examples, generated hostile inputs
 * (50 MB file, billion laughs, deep nesting, UTF-16) and the merged data model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "configs/slots.h"
#include "configs/slots_units.h"
#include "configs/suggest.h"
#include "planner/cleanup.h"
#include "planner/size.h"

/* The host every corpus file is checked against: 8 allowed CPUs of 16, 2 LLCs. */
#define HOST_ALLOWED 8
#define HOST_CPUS 16
#define HOST_LLCS 2

static const char *src_dir(void)
{
    const char *src = getenv("LLCSLICE_SRC");
    if (src && *src)
        return src;
    /* Run by hand: this file is SRC/tests/unit/test_slots_load.c. */
    static char dir[4096];
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    char *cut = strstr(dir, "/tests/unit/");
    if (!cut)
        fail_msg("LLCSLICE_SRC is not set (run through ctest)");
    *cut = '\0';
    return dir;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml names in dir; returns count. */
static size_t list_yaml(const char *dir, char ***out)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        assert_non_null(names);
        names[n++] = strdup(e->d_name);
    }
    qsort(names, n, sizeof(*names), cmp_str);
    *out = names;
    return n;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Load then check budgets, as `llcslice slots --check` does. */
static int load_and_check(const char *path, struct ls_error *err)
{
    struct ls_slots s;
    if (ls_slots_load_file(path, &s, err) < 0)
        return -1;
    int rc = ls_slots_check_budgets(&s, HOST_ALLOWED, HOST_CPUS, HOST_LLCS, err);
    ls_slots_free(&s);
    return rc;
}

/* Run in `dir` so messages carry the basename the expect lines use. */
static char *enter(const char *dir)
{
    char *old = getcwd(NULL, 0);
    assert_non_null(old);
    assert_int_equal(chdir(dir), 0);
    return old;
}

static void leave(char *old)
{
    assert_int_equal(chdir(old), 0);
    free(old);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    char dir[4096];
    assert_true(snprintf(dir, sizeof(dir), "%s/tests/data/slots/bad", src_dir()) <
                (int)sizeof(dir));
    char **names;
    size_t n = list_yaml(dir, &names);
    assert_true(n >= 60);
    char *old = enter(dir);
    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        char line[2048] = "";
        FILE *f = fopen(names[i], "r");
        assert_non_null(f);
        if (!fgets(line, sizeof(line), f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "# expect: ", 10)) {
            print_error("%s: first line is not '# expect: MESSAGE'\n", names[i]);
            failures++;
            continue;
        }
        const char *want = line + 10;
        struct ls_error err = {0};
        if (load_and_check(names[i], &err) == 0) {
            print_error("%s: loaded, expected: %s\n", names[i], want);
            failures++;
        } else if (err.category != LS_ERR_USAGE || strcmp(err.msg, want)) {
            print_error("%s:\n  want: %s\n  got:  %s (%s)\n", names[i], want, err.msg,
                        ls_category_name(err.category));
            failures++;
        }
    }
    leave(old);
    free_list(names, n);
    assert_int_equal(failures, 0);
}

static void expect_good_dir(const char *dir, size_t allowed, size_t cpus, size_t llcs,
                            size_t min_files)
{
    char **names;
    size_t n = list_yaml(dir, &names);
    assert_true(n >= min_files);
    char *old = enter(dir);
    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        struct ls_slots s;
        struct ls_error err = {0};
        if (ls_slots_load_file(names[i], &s, &err) < 0 ||
            (ls_slots_check_budgets(&s, allowed, cpus, llcs, &err) < 0 && (ls_slots_free(&s), 1))) {
            print_error("%s: %s\n", names[i], err.msg);
            failures++;
            continue;
        }
        assert_true(s.njobs > 0);
        ls_slots_free(&s);
    }
    leave(old);
    free_list(names, n);
    assert_int_equal(failures, 0);
}

static void test_good_corpus(void **state)
{
    (void)state;
    char dir[4096];
    assert_true(snprintf(dir, sizeof(dir), "%s/tests/data/slots/good", src_dir()) <
                (int)sizeof(dir));
    expect_good_dir(dir, HOST_ALLOWED, HOST_CPUS, HOST_LLCS, 10);
}

/* The shipped examples load and fit a 64-CPU, 8-LLC host (fixture 64amd64-4s2n4ca2co). */
static void test_examples(void **state)
{
    (void)state;
    char dir[4096];
    assert_true(snprintf(dir, sizeof(dir), "%s/configs/examples", src_dir()) < (int)sizeof(dir));
    expect_good_dir(dir, 64, 64, 8, 2);
}

static void load_good(const char *name, struct ls_slots *s)
{
    char dir[4096];
    assert_true(snprintf(dir, sizeof(dir), "%s/tests/data/slots/good", src_dir()) <
                (int)sizeof(dir));
    char *old = enter(dir);
    struct ls_error err = {0};
    if (ls_slots_load_file(name, s, &err) < 0)
        fail_msg("%s", err.msg);
    leave(old);
}

static const struct ls_slot_job *job(const struct ls_slots *s, const char *name)
{
    int i = ls_slots_find_job(s, name);
    if (i < 0)
        fail_msg("no job %s", name);
    return &s->jobs[i];
}

static const char *env_get(const struct ls_slot_job *j, const char *name)
{
    for (size_t i = 0; i < j->nenv; i++)
        if (!strcmp(j->env[i].name, name))
            return j->env[i].value;
    return NULL;
}

static void test_full_model(void **state)
{
    (void)state;
    struct ls_slots s;
    load_good("full.yaml", &s);
    assert_string_equal(s.lock_dir, "/tmp/llcslice-test-locks");
    assert_string_equal(s.lock_prefix, "ktstr");
    assert_string_equal(s.log_dir, "logs");
    assert_int_equal(s.max_jobs, 3);
    assert_int_equal(s.njobs, 4);

    const struct ls_slot_job *d = job(&s, "defconfig");
    assert_int_equal(d->mode, LS_MODE_SHARED); /* top-level mode */
    assert_int_equal(d->budget, LS_SLOT_BUDGET_CPUS);
    assert_int_equal(d->budget_value, 2);
    assert_int_equal(d->budget_pos.line, 22);
    assert_int_equal(d->budget_pos.col, 11);
    assert_int_equal(d->timeout_ms, 5 * 60 * 1000);
    assert_int_equal(d->wait_ms, 10 * 60 * 1000);
    assert_int_equal(d->memory_max, 4ull << 30);
    assert_string_equal(d->seccomp, "build");
    assert_null(d->seccomp_deny);
    assert_int_equal(d->seccomp_pos.line, 12);
    assert_string_equal(d->cwd, "/src/linux");
    assert_false(d->shell);
    assert_int_equal(d->argc, 3);
    assert_string_equal(d->argv[2], "defconfig");
    assert_null(d->argv[3]);

    const struct ls_slot_job *b = job(&s, "build");
    assert_int_equal(b->mode, LS_MODE_DEDICATED);
    assert_int_equal(b->memory_max, 512ull << 20);
    assert_string_equal(b->seccomp, "log");
    assert_string_equal(b->seccomp_deny, "ptrace,kexec_load");
    assert_string_equal(env_get(b, "CC"), "gcc");
    assert_string_equal(env_get(b, "KBUILD_BUILD_USER"), "ci");
    assert_string_equal(env_get(b, "W"), "1");
    assert_true(b->shell);
    assert_string_equal(b->argv[0], "/bin/sh");
    assert_string_equal(b->argv[1], "-c");
    assert_string_equal(b->argv[2], "make -j\"$LLCSLICE_NCPUS\" W=1");
    assert_int_equal(b->timeout_ms, 90 * 60 * 1000);
    assert_int_equal(b->nafter, 1);
    assert_int_equal(b->after[0], 0);

    const struct ls_slot_job *v = job(&s, "boot");
    assert_true(v->has_perf);
    assert_int_equal(v->mode, LS_MODE_EXCLUSIVE);
    assert_int_equal(v->perf.llcs, 2);
    assert_int_equal(v->perf.cores, 3);
    assert_int_equal(v->perf.threads, 1);
    assert_int_equal(v->perf.nodes, 1);
    assert_int_equal(v->vcpus, 6);
    assert_int_equal(v->budget, LS_SLOT_BUDGET_DEFAULT); /* defaults' 25% yields to perf */
    assert_int_equal(v->memory_max, 0);
    assert_null(v->seccomp);
    assert_null(v->seccomp_deny);
    assert_string_equal(v->cwd, "vm");
    assert_int_equal(v->timeout_ms, 0);
    assert_int_equal(v->wait_ms, LS_SLOTS_WAIT_FOREVER);
    assert_int_equal(v->repeat, 3);

    const struct ls_slot_job *m = job(&s, "smoke");
    assert_int_equal(m->vcpus, 4);
    assert_int_equal(m->wait_ms, 0);
    assert_string_equal(m->argv[2], "set -e\n./smoke.sh\n");
    assert_int_equal(m->nafter, 2);
    ls_slots_free(&s);
}

static void test_precedence(void **state)
{
    (void)state;
    struct ls_slots s;
    load_good("precedence.yaml", &s);
    const struct ls_slot_job *vm = job(&s, "vm");
    assert_true(vm->has_perf); /* from defaults, overriding the top-level shared mode */
    assert_int_equal(vm->mode, LS_MODE_EXCLUSIVE);
    assert_int_equal(vm->timeout_ms, 10 * 60 * 1000);
    const struct ls_slot_job *hb = job(&s, "host-build");
    assert_false(hb->has_perf); /* the job's cpus: beats defaults' perf: */
    assert_int_equal(hb->mode, LS_MODE_SHARED);
    assert_int_equal(hb->budget_value, 3);
    assert_int_equal(hb->vcpus, 0);
    const struct ls_slot_job *dv = job(&s, "declared-vm");
    assert_false(dv->has_perf);
    assert_int_equal(dv->vcpus, 6);
    assert_int_equal(dv->budget, LS_SLOT_BUDGET_DEFAULT);
    assert_int_equal(dv->timeout_ms, 0);
    assert_int_equal(dv->nenv, 3);
    assert_string_equal(dv->env[0].name, "A");
    assert_string_equal(dv->env[1].value, "from-job");
    assert_string_equal(dv->env[2].name, "C");
    ls_slots_free(&s);
}

static void test_order(void **state)
{
    (void)state;
    struct ls_slots s;
    load_good("order.yaml", &s);
    static const char *const want[] = {"build", "test-a", "test-b", "report", "lint"};
    assert_int_equal(s.njobs, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(s.jobs[s.order[i]].name, want[i]);
    ls_slots_free(&s);
}

static void test_quoted_numbers(void **state)
{
    (void)state;
    struct ls_slots s;
    load_good("quoted-numbers.yaml", &s);
    assert_int_equal(s.max_jobs, 2);
    const struct ls_slot_job *q = job(&s, "q");
    assert_int_equal(q->budget_value, 3);
    assert_int_equal(q->repeat, 2);
    assert_int_equal(q->memory_max, 1048576);
    assert_int_equal(q->timeout_ms, 90000);
    assert_true(q->shell);
    ls_slots_free(&s);
}

/* A byte order mark right before the first key (no comment line to hide it), and error
 * columns on line 1 count from after it, as an editor shows them. */
static void test_bom_first_key(void **state)
{
    (void)state;
    struct ls_slots s;
    load_good("bom-version.yaml", &s);
    assert_int_equal(s.njobs, 1);
    ls_slots_free(&s);
    static const char bad[] = "\xef\xbb\xbfversion: 7\njobs:\n  - name: a\n    command: true\n";
    struct ls_error err = {0};
    assert_int_equal(ls_slots_load_buffer("b.yaml", bad, sizeof(bad) - 1, &s, &err), -1);
    assert_true(!strncmp(err.msg, "b.yaml:1:10: ", 13));
}

static void test_request(void **state)
{
    (void)state;
    static const char yaml[] = "jobs:\n"
                               "  - {name: pct, cpus: 25%, command: x}\n"
                               "  - {name: tiny, cpus: 1%, command: x}\n"
                               "  - {name: all, cpus: 100%, command: x}\n"
                               "  - {name: dflt, vcpus: 3, command: x}\n"
                               "  - {name: vm, perf: 2x2x2, command: x}\n";
    struct ls_slots s;
    struct ls_error err = {0};
    assert_int_equal(ls_slots_load_buffer("r.yaml", yaml, strlen(yaml), &s, &err), 0);
    struct ls_request req;
    ls_slot_job_request(job(&s, "pct"), 6, &req); /* 1.5 rounds up */
    assert_int_equal(req.cpus, 2);
    assert_true(req.cpus_explicit);
    assert_int_equal(req.mode, LS_MODE_DEDICATED);
    ls_slot_job_request(job(&s, "tiny"), 8, &req);
    assert_int_equal(req.cpus, 1);
    ls_slot_job_request(job(&s, "all"), 7, &req);
    assert_int_equal(req.cpus, 7);
    ls_slot_job_request(job(&s, "dflt"), 8, &req);
    assert_int_equal(req.cpus, 0);
    assert_false(req.cpus_explicit);
    assert_int_equal(req.vcpus, 3);
    ls_slot_job_request(job(&s, "vm"), 8, &req);
    assert_true(req.has_perf);
    assert_int_equal(req.mode, LS_MODE_EXCLUSIVE);
    assert_int_equal(req.vcpus, 8);
    assert_int_equal(req.perf.threads, 2);
    assert_false(req.cpus_explicit);
    /* 8 vCPUs + 1 service CPU: fits 9 host CPUs, not 8. */
    assert_int_equal(ls_slots_check_budgets(&s, 4, 9, 2, &err), 0);
    assert_int_equal(ls_slots_check_budgets(&s, 4, 8, 2, &err), -1);
    assert_string_equal(err.msg, "r.yaml:6:22: key 'perf': job 'vm' needs 9 CPUs (8 vCPUs + 1 "
                                 "service CPU) but the host has 8");
    ls_slots_free(&s);
}

static void test_relative_paths(void **state)
{
    (void)state;
    static const char yaml[] = "lock_dir: locks\nlog_dir: /abs/logs\n"
                               "jobs:\n  - {name: a, cwd: work, command: x}\n"
                               "  - {name: b, cwd: /abs/work, command: x}\n";
    struct ls_slots s;
    struct ls_error err = {0};
    assert_int_equal(ls_slots_load_buffer("conf/sub/x.yaml", yaml, strlen(yaml), &s, &err), 0);
    assert_string_equal(s.dir, "conf/sub");
    assert_string_equal(s.lock_dir, "conf/sub/locks");
    assert_string_equal(s.log_dir, "/abs/logs");
    assert_string_equal(job(&s, "a")->cwd, "conf/sub/work");
    assert_string_equal(job(&s, "b")->cwd, "/abs/work");
    ls_slots_free(&s);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/llcslice-slots-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

/* 50 MB (sparse) is refused by size before a byte is parsed. */
static void test_huge_file(void **state)
{
    (void)state;
    char *d = tmpdir();
    char *old = enter(d);
    int fd = open("big.yaml", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 50 * 1000 * 1000), 0);
    close(fd);
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_file("big.yaml", &s, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_string_equal(err.msg, "big.yaml: file is 50000000 bytes; a slot file may be at most "
                                 "1048576 bytes (1 MiB)");

    /* Exactly the limit is fine: one job, then comments. */
    fd = open("limit.yaml", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    static const char head[] = "jobs: [{name: a, command: x}]\n";
    assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    size_t left = LS_SLOTS_MAX_FILE_BYTES - strlen(head);
    char line[64];
    memset(line, 'x', sizeof(line));
    line[0] = '#';
    line[63] = '\n';
    while (left) {
        size_t n = left < sizeof(line) ? left : sizeof(line);
        if (n < sizeof(line))
            line[n - 1] = '\n';
        assert_int_equal(write(fd, line, n), (ssize_t)n);
        left -= n;
    }
    close(fd);
    assert_int_equal(ls_slots_load_file("limit.yaml", &s, &err), 0);
    ls_slots_free(&s);
    unlink("big.yaml");
    unlink("limit.yaml");
    leave(old);
    rmdir(d);
    free(d);

    /* No size to stat (a character device): reading stops one byte past the limit. */
    assert_int_equal(ls_slots_load_file("/dev/zero", &s, &err), -1);
    assert_string_equal(err.msg, "/dev/zero: file is more than 1048576 bytes; a slot file may "
                                 "be at most 1 MiB");
}

static void test_unreadable(void **state)
{
    (void)state;
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_file("/nonexistent/slots.yaml", &s, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_string_equal(err.msg, "/nonexistent/slots.yaml: cannot open the slot file: No such "
                                 "file or directory");
    assert_int_equal(ls_slots_load_file("/tmp", &s, &err), -1);
    assert_string_equal(err.msg, "/tmp: is a directory, not a slot file");
}

/* Ten lists of ten: each level multiplies by ten. Refused at the alias that passes the bound,
 * with its position, quickly. */
static void test_billion_laughs(void **state)
{
    (void)state;
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    assert_non_null(f);
    fputs("defaults:\n  env: {A: b}\n", f);
    fputs("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", f);
    for (int i = 1; i < 10; i++) {
        fprintf(f, "l%d: &l%d [", i, i);
        for (int k = 0; k < 10; k++)
            fprintf(f, "%s*l%d", k ? ", " : "", i - 1);
        fputs("]\n", f);
    }
    fputs("jobs: [{name: a, command: x}]\n", f);
    fclose(f);
    /* Sizes: l0 11 nodes, l1 111, l2 1111; l1 adds 110 alias nodes, l2 1110, and the 8th
     * alias of l3 (line 6, column 45) brings the total to 110 + 1110 + 8 * 1111 = 10108 > 10000. */
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_buffer("bomb.yaml", doc, len, &s, &err), -1);
    assert_string_equal(err.msg, "bomb.yaml:6:45: key 'l3': aliases expand to more than 10000 "
                                 "nodes (a billion-laughs file?); write the values out instead");
    free(doc);

    /* Many aliases of a scalar stay within the bound and load. */
    f = open_memstream(&doc, &len);
    assert_non_null(f);
    fputs("jobs:\n  - name: a\n    command: [&w echo", f);
    for (int i = 0; i < 5000; i++)
        fputs(", *w", f);
    fputs("]\n", f);
    fclose(f);
    assert_int_equal(ls_slots_load_buffer("many.yaml", doc, len, &s, &err), 0);
    assert_int_equal(s.jobs[0].argc, 5001);
    assert_string_equal(s.jobs[0].argv[5000], "echo");
    ls_slots_free(&s);
    free(doc);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *doc = malloc(2 * depth + 16);
    assert_non_null(doc);
    size_t n = 0;
    n += (size_t)sprintf(doc, "x: ");
    memset(doc + n, '[', depth);
    memset(doc + n + depth, ']', depth);
    n += 2 * depth;
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_buffer("deep.yaml", doc, n, &s, &err), -1);
    assert_string_equal(err.msg, "deep.yaml:1:67: key 'x': YAML nested deeper than 64 levels");
    free(doc);
}

static void test_utf16(void **state)
{
    (void)state;
    static const char le[] = "\xff\xfej\0o\0b\0s\0:\0";
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_buffer("w.yaml", le, sizeof(le) - 1, &s, &err), -1);
    assert_string_equal(err.msg, "w.yaml:1:1: the file is UTF-16; save it as UTF-8");
    static const char be[] = "\xfe\xff\0j\0o";
    assert_int_equal(ls_slots_load_buffer("w.yaml", be, sizeof(be) - 1, &s, &err), -1);
    assert_string_equal(err.msg, "w.yaml:1:1: the file is UTF-16; save it as UTF-8");
}

/* A long after: chain and many jobs: no recursion, no quadratic scans. */
static void test_many_jobs(void **state)
{
    (void)state;
    const int n = 20000;
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    assert_non_null(f);
    fputs("jobs:\n", f);
    for (int i = n - 1; i >= 0; i--) {
        fprintf(f, "  - {name: j%d, command: x", i);
        if (i > 0)
            fprintf(f, ", after: j%d", i - 1);
        fputs("}\n", f);
    }
    fclose(f);
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_buffer("many.yaml", doc, len, &s, &err), 0);
    assert_int_equal(s.njobs, (size_t)n);
    for (int i = 0; i < n; i += 997) {
        char name[16];
        snprintf(name, sizeof(name), "j%d", i);
        assert_string_equal(s.jobs[s.order[i]].name, name);
    }
    ls_slots_free(&s);
    /* Close the chain into a cycle: j0 after the last one. */
    char *p = strstr(doc, "{name: j0, command: x}");
    assert_non_null(p);
    char *fixed = NULL;
    assert_true(asprintf(&fixed, "%.*s{name: j0, command: x, after: j%d}%s", (int)(p - doc), doc,
                         n - 1, p + strlen("{name: j0, command: x}")) > 0);
    assert_int_equal(ls_slots_load_buffer("many.yaml", fixed, strlen(fixed), &s, &err), -1);
    assert_string_equal(err.msg, "many.yaml:20001:35: key 'after': cycle: 'j0' runs after "
                                 "'j19999', which runs after 'j19998', which runs after "
                                 "'j19997', which runs after 'j19996', which runs after "
                                 "'j19995', which runs after 'j19994', ... which runs after "
                                 "'j0' (20000 jobs)");
    free(fixed);
    free(doc);
}

static void test_env_limit(void **state)
{
    (void)state;
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    assert_non_null(f);
    fputs("jobs:\n  - name: a\n    command: x\n    env:\n", f);
    for (unsigned i = 0; i <= LS_SLOTS_MAX_ENV; i++)
        fprintf(f, "      V%u: x\n", i);
    fclose(f);
    struct ls_error err = {0};
    struct ls_slots s;
    assert_int_equal(ls_slots_load_buffer("env.yaml", doc, len, &s, &err), -1);
    assert_string_equal(err.msg, "env.yaml:5:7: key 'env': 4097 variables; at most 4096 are "
                                 "allowed");
    /* Exactly the limit loads. */
    char *last = strstr(doc, "      V4096: x\n");
    assert_non_null(last);
    assert_int_equal(ls_slots_load_buffer("env.yaml", doc, (size_t)(last - doc), &s, &err), 0);
    assert_int_equal(s.jobs[0].nenv, LS_SLOTS_MAX_ENV);
    ls_slots_free(&s);
    free(doc);
}

static void test_units(void **state)
{
    (void)state;
    uint64_t v;
    struct ls_error err = {0};
    static const struct {
        const char *text;
        uint64_t bytes;
    } sizes[] = {{"1", 1},           {"4096", 4096},     {"1K", 1024},           {"1k", 1024},
                 {"2KiB", 2048},     {"3KB", 3072},      {"512M", 512ull << 20}, {"4G", 4ull << 30},
                 {"1T", 1ull << 40}, {"2P", 2ull << 50}, {"15P", 15ull << 50}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(ls_size_parse(sizes[i].text, NULL, &v, &err), 0);
        assert_int_equal(v, sizes[i].bytes);
    }
    static const char *const bad_sizes[] = {
        "",       "G",  "-1", "1.5G", "4X", "4GG", "0", "0K", " 1", "1 G", "99999999999999999999",
        "16384P", "1iB"};
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        if (ls_size_parse(bad_sizes[i], NULL, &v, &err) == 0)
            fail_msg("size '%s' was accepted", bad_sizes[i]);
        assert_int_equal(err.category, LS_ERR_USAGE);
    }
    char buf[64];
    ls_slots_duration_format(5400000, buf, sizeof(buf));
    assert_string_equal(buf, "1h30m");
    ls_slots_duration_format(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    ls_slots_duration_format(1500, buf, sizeof(buf));
    assert_string_equal(buf, "1s500ms");
    ls_slots_size_format(4ull << 30, buf, sizeof(buf));
    assert_string_equal(buf, "4G");
    ls_slots_size_format(1536ull << 20, buf, sizeof(buf));
    assert_string_equal(buf, "1536M");
    ls_slots_size_format(1000, buf, sizeof(buf));
    assert_string_equal(buf, "1000");
}

static void test_suggest(void **state)
{
    (void)state;
    assert_int_equal(ls_edit_distance("jbos", "jobs", 2), 2);
    assert_int_equal(ls_edit_distance("cpu", "cpus", 2), 1);
    assert_int_equal(ls_edit_distance("", "abc", 5), 3);
    assert_int_equal(ls_edit_distance("frobnicate", "jobs", 2), 3);
    static const char *const words[] = {"version", "jobs", "job", "mode"};
    assert_string_equal(ls_suggest("jox", words, 4), "job");
    assert_string_equal(ls_suggest("jbo", words, 4), "jobs"); /* ties: the first listed */
    assert_string_equal(ls_suggest("jobz", words, 4), "jobs");
    assert_null(ls_suggest("xyzzy", words, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_corpus),     cmocka_unit_test(test_good_corpus),
        cmocka_unit_test(test_examples),       cmocka_unit_test(test_full_model),
        cmocka_unit_test(test_precedence),     cmocka_unit_test(test_order),
        cmocka_unit_test(test_quoted_numbers), cmocka_unit_test(test_request),
        cmocka_unit_test(test_relative_paths), cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_unreadable),     cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_deep_nesting),   cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_many_jobs),      cmocka_unit_test(test_env_limit),
        cmocka_unit_test(test_units),          cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_bom_first_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

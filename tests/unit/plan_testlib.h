/* Helpers for the planner tests: hand-built topologies and snapshots, set assertions, and
 * forked peer processes holding real flocks in a mktemp -d lock dir. Header-only (each test
 * program is one translation unit). */
#ifndef LLCSLICE_PLAN_TESTLIB_H
#define LLCSLICE_PLAN_TESTLIB_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/clock.h"
#include "planner/plan.h"
#include "supervisor/cli/lockopts.h"

static inline void assert_set(const ls_cpuset *s, const char *list)
{
    char *f = ls_cpuset_format(s);
    assert_non_null(f);
    if (strcmp(f, list))
        fail_msg("set is \"%s\", expected \"%s\"", f, list);
    free(f);
}

static inline void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

/* "0,2" */
static inline void assert_llcs(const struct ls_plan *p, const char *expect)
{
    char buf[1024] = "";
    size_t o = 0;
    for (size_t i = 0; i < p->nlocked && o < sizeof(buf) - 16; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u", i ? "," : "", p->locked_llcs[i]);
    if (strcmp(buf, expect))
        fail_msg("locked LLCs are [%s], expected [%s]", buf, expect);
}

static inline void topo_make(struct ls_topology *t, const char *const *lists, const int *nodes,
                             size_t n)
{
    struct ls_error err = {0};
    if (ls_topology_from_groups(t, lists, nodes, n, &err) < 0)
        fail_msg("from_groups: %s", err.msg);
}

/* n LLCs of `per` consecutive CPUs, LLC i on node nodes_of(i) = i / llcs_per_node. */
static inline void topo_uniform(struct ls_topology *t, size_t n, unsigned per, size_t llcs_per_node)
{
    char **lists = calloc(n, sizeof(*lists));
    int *nodes = calloc(n, sizeof(*nodes));
    assert_non_null(lists);
    assert_non_null(nodes);
    for (size_t i = 0; i < n; i++) {
        assert_true(asprintf(&lists[i], "%zu-%zu", i * per, i * per + per - 1) > 0);
        nodes[i] = (int)(i / llcs_per_node);
    }
    topo_make(t, (const char *const *)lists, nodes, n);
    for (size_t i = 0; i < n; i++)
        free(lists[i]);
    free(lists);
    free(nodes);
}

static inline void set_distance(struct ls_topology *t, int from, int to, unsigned d)
{
    int a = ls_topology_node_pos(t, from), b = ls_topology_node_pos(t, to);
    assert_true(a >= 0 && b >= 0);
    t->distance[(size_t)a * t->nnodes + (size_t)b] = d;
}

static inline void snap_init(struct ls_snapshot *s, const struct ls_topology *t)
{
    memset(s, 0, sizeof(*s));
    s->nllcs = t->nllcs;
    s->llc_shared = calloc(t->nllcs, sizeof(unsigned));
    s->llc_exclusive = calloc(t->nllcs, sizeof(unsigned));
    assert_non_null(s->llc_shared);
    assert_non_null(s->llc_exclusive);
}

static inline void set_parse(ls_cpuset *s, const char *list)
{
    struct ls_error err = {0};
    if (ls_cpuset_parse_list(s, list, strlen(list), "test", &err) < 0)
        fail_msg("bad list %s: %s", list, err.msg);
}

static inline struct ls_request req_make(enum ls_mode mode, size_t cpus)
{
    struct ls_request r;
    ls_request_init(&r);
    r.mode = mode;
    r.cpus = cpus;
    r.cpus_explicit = cpus > 0;
    return r;
}

/* Compute a plan that must succeed; allowed NULL = every online CPU. */
static inline void plan_ok(const struct ls_topology *t, const char *allowed,
                           const struct ls_snapshot *s, const struct ls_request *r,
                           struct ls_plan *p)
{
    ls_cpuset a = LS_CPUSET_INIT;
    if (allowed)
        set_parse(&a, allowed);
    else
        assert_int_equal(ls_cpuset_copy(&a, &t->online), 0);
    struct ls_error err = {0};
    if (ls_plan_compute(t, &a, s, r, p, &err) < 0)
        fail_msg("plan failed (%s): %s", ls_category_name(err.category), err.msg);
    ls_cpuset_free(&a);
}

/* Compute a plan that must fail with `cat`; returns the message. */
static inline void plan_fails(const struct ls_topology *t, const char *allowed,
                              const struct ls_snapshot *s, const struct ls_request *r,
                              enum ls_category cat, struct ls_error *err)
{
    ls_cpuset a = LS_CPUSET_INIT;
    if (allowed)
        set_parse(&a, allowed);
    else
        assert_int_equal(ls_cpuset_copy(&a, &t->online), 0);
    struct ls_plan p;
    memset(err, 0, sizeof(*err));
    if (ls_plan_compute(t, &a, s, r, &p, err) == 0)
        fail_msg("plan unexpectedly succeeded");
    if (err->category != cat)
        fail_msg("expected a %s error, got %s: %s", ls_category_name(cat),
                 ls_category_name(err->category), err->msg);
    ls_cpuset_free(&a);
}

/* ---- real lock dirs and peer processes ------------------------------------------------- */

static inline void lockdir_make(struct ls_lockdir *ld, char *dirbuf, size_t size)
{
    snprintf(dirbuf, size, "/tmp/llcslice-plan-test-XXXXXX");
    assert_non_null(mkdtemp(dirbuf));
    struct ls_error err = {0};
    if (ls_lockdir_open(ld, dirbuf, "t", &err) < 0)
        fail_msg("lockdir: %s", err.msg);
}

static inline void lockdir_remove(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A lock dir plus a uniform topology with every CPU allowed: the usual acquire fixture. */
struct env {
    char dir[256];
    struct ls_lockdir ld;
    struct ls_topology topo;
    ls_cpuset allowed;
};

static inline int env_setup(void **state, size_t nllcs, unsigned per, size_t llcs_per_node)
{
    struct env *e = calloc(1, sizeof(*e));
    lockdir_make(&e->ld, e->dir, sizeof(e->dir));
    topo_uniform(&e->topo, nllcs, per, llcs_per_node);
    assert_int_equal(ls_cpuset_copy(&e->allowed, &e->topo.online), 0);
    *state = e;
    return 0;
}

static inline int env_teardown(void **state)
{
    struct env *e = *state;
    lockdir_remove(e->dir);
    ls_topology_free(&e->topo);
    ls_cpuset_free(&e->allowed);
    free(e);
    return 0;
}

struct peer {
    pid_t pid;
    int ctl; /* closing it tells the peer to exit */
};

/* Fork a peer that takes `nlocks` locks ("llc:2:sh", "cpu:5:ex"), reports ready, then holds
 * them until told to go (or hold_ms passes when > 0). */
static inline struct peer peer_hold(const struct ls_lockdir *ld, long hold_ms, size_t nlocks, ...)
{
    int ready[2], ctl[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(ctl), 0);
    const char *specs[16];
    va_list ap;
    va_start(ap, nlocks);
    for (size_t i = 0; i < nlocks && i < 16; i++)
        specs[i] = va_arg(ap, const char *);
    va_end(ap);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Drop every inherited fd (other peers' control pipes!) but our two. */
        for (int fd = 3; fd < 1024; fd++)
            if (fd != ready[1] && fd != ctl[0])
                close(fd);
        for (size_t i = 0; i < nlocks; i++) {
            char kind[8], mode[8];
            unsigned idx;
            if (sscanf(specs[i], "%7[a-z]:%u:%7[a-z]", kind, &idx, mode) != 3)
                _exit(2);
            struct ls_error err = {0};
            int fd = -1;
            int r =
                ls_lock_acquire(ld, strcmp(kind, "cpu") ? LS_LOCK_LLC : LS_LOCK_CPU, idx,
                                strcmp(mode, "ex") ? LS_LOCK_SHARED : LS_LOCK_EXCLUSIVE, &fd, &err);
            if (r != 1)
                _exit(3);
        }
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        if (hold_ms > 0) {
            struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        } else {
            char c;
            while (read(ctl[0], &c, 1) < 0)
                ;
        }
        _exit(0);
    }
    close(ready[1]);
    close(ctl[0]);
    char c;
    if (read(ready[0], &c, 1) != 1)
        fail_msg("peer %d could not take its locks", (int)pid);
    close(ready[0]);
    return (struct peer){pid, ctl[1]};
}

static inline void peer_end(struct peer *p)
{
    if (p->ctl >= 0)
        close(p->ctl);
    p->ctl = -1;
    int st;
    if (p->pid > 0)
        waitpid(p->pid, &st, 0);
    p->pid = -1;
}

#endif

/* Typed values of a slot file read from YAML nodes: each parser checks one kind of value and
 * fails with "FILE:LINE:COL: key 'K': what" at the node. Internal to configs/. */
#ifndef LLCSLICE_SLOTS_VALUES_H
#define LLCSLICE_SLOTS_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "planner/error.h"
#include "planner/plan.h"
#include "slots.h"
#include "yaml_tree.h"

struct ls_sl {
    const char *name; /* file name in messages */
    struct ls_error *err;
};

/* Fail at node n (or at line:col when n is NULL) for key (NULL: no key part). */
int ls_sl_fail(const struct ls_sl *c, const struct ls_ynode *n, const char *key, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
int ls_sl_fail_at(const struct ls_sl *c, unsigned line, unsigned col, const char *key,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline struct ls_slots_pos ls_sl_pos(const struct ls_ynode *n)
{
    return (struct ls_slots_pos){n->line, n->col};
}

/* A non-null scalar without NUL bytes; *out points into the node. */
/* "out of memory loading <name>", a system error. Returns -1. */
int ls_sl_oom(const struct ls_sl *c);

int ls_sl_text(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
               const char *expected, const char **out);
/* ls_sl_text, non-empty, copied. */
int ls_sl_string(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char **out);
/* Decimal whole number in [min, max]. */
int ls_sl_uint(const struct ls_sl *c, const char *key, const struct ls_ynode *n, unsigned min,
               unsigned max, unsigned *out);
/* 1-64 of [A-Za-z0-9._-], not starting with '.' or '-': safe in file and cgroup names. */
int ls_sl_name(const struct ls_sl *c, const char *key, const struct ls_ynode *n, const char *what,
               size_t max, char **out);
int ls_sl_budget(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                 enum ls_slot_budget *kind, unsigned *value);
int ls_sl_mode(const struct ls_sl *c, const char *key, const struct ls_ynode *n, enum ls_mode *out);
/* smt: any | full-cores (ls_smt_parse), a near miss named. */
int ls_sl_smt(const struct ls_sl *c, const char *key, const struct ls_ynode *n, enum ls_smt *out);
/* "LLCSxCORESxTHREADS[,nodes=N]" or {llcs, cores, threads, nodes}. */
int ls_sl_perf(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
               struct ls_perf_topo *out);
/* Bytes; `max` = no limit (0). */
int ls_sl_size(const struct ls_sl *c, const char *key, const struct ls_ynode *n, uint64_t *out);
/* Milliseconds; `keyword` (e.g. "forever", "none") yields keyword_value; zero allowed or not. */
int ls_sl_duration(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                   const char *keyword, uint64_t keyword_value, bool allow_zero, uint64_t *out);
/* `none`, `build` or `log`, or {profile: P, deny: [syscall, ...]}. *profile NULL = none,
 * *deny NULL or "name,name" (the form ls_seccomp_build takes). */
int ls_sl_seccomp(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char **profile,
                  char **deny);
/* NAME: value mapping; merges into *env (same name replaced). */
int ls_sl_env(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
              struct ls_slot_env **env, size_t *nenv);
/* list = argv, string = /bin/sh -c TEXT. */
int ls_sl_command(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char ***argv,
                  size_t *argc, bool *shell);

void ls_sl_free_argv(char **argv);
void ls_sl_free_env(struct ls_slot_env *env, size_t n);
int ls_sl_env_set(struct ls_slot_env **env, size_t *nenv, const char *name, const char *value);

#endif

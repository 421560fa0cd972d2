#include "slots_values.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/cleanup.h"
#include "planner/cpuset.h"
#include "planner/duration.h"
#include "planner/size.h"
#include "suggest.h"

static int vfail(const struct ls_sl *c, unsigned line, unsigned col, const char *key,
                 const char *fmt, va_list ap)
{
    char what[1536];
    vsnprintf(what, sizeof(what), fmt, ap);
    if (key)
        return ls_fail(c->err, LS_ERR_USAGE, 0, "%s:%u:%u: key '%s': %s", c->name, line, col, key,
                       what);
    return ls_fail(c->err, LS_ERR_USAGE, 0, "%s:%u:%u: %s", c->name, line, col, what);
}

int ls_sl_fail(const struct ls_sl *c, const struct ls_ynode *n, const char *key, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, n ? n->line : 1, n ? n->col : 1, key, fmt, ap);
    va_end(ap);
    return rc;
}

int ls_sl_fail_at(const struct ls_sl *c, unsigned line, unsigned col, const char *key,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, line, col, key, fmt, ap);
    va_end(ap);
    return rc;
}

int ls_sl_oom(const struct ls_sl *c)
{
    return ls_fail(c->err, LS_ERR_SYSTEM, ENOMEM, "out of memory loading %s", c->name);
}

int ls_sl_text(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
               const char *expected, const char **out)
{
    if (n->kind != LS_Y_SCALAR || ls_ynode_is_null(n))
        return ls_sl_fail(c, n, key, "expected %s, got %s", expected, ls_ynode_kind_name(n));
    if (strlen(n->text) != n->len)
        return ls_sl_fail(c, n, key, "the value contains a NUL character");
    *out = n->text;
    return 0;
}

int ls_sl_string(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char **out)
{
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "a string", &t) < 0)
        return -1;
    if (!*t)
        return ls_sl_fail(c, n, key, "must not be empty");
    if (!(*out = strdup(t)))
        return ls_sl_oom(c);
    return 0;
}

/* Decimal digits only; false on anything else or overflow past `limit`. */
static bool parse_decimal(const char *t, size_t len, unsigned long long limit,
                          unsigned long long *out)
{
    unsigned long long v = 0;
    if (!len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)t[i]))
            return false;
        v = v * 10 + (unsigned)(t[i] - '0');
        if (v > limit)
            v = limit + 1; /* saturate: still "too large", never wraps */
    }
    *out = v;
    return true;
}

int ls_sl_uint(const struct ls_sl *c, const char *key, const struct ls_ynode *n, unsigned min,
               unsigned max, unsigned *out)
{
    const char *t = NULL;
    unsigned long long v;
    if (ls_sl_text(c, key, n, "a whole number", &t) < 0)
        return -1;
    if (!parse_decimal(t, strlen(t), max, &v))
        return ls_sl_fail(c, n, key, "expected a whole number, got '%s'", t);
    if (v < min || v > max)
        return ls_sl_fail(c, n, key, "%s is out of range: use %u to %u", t, min, max);
    *out = (unsigned)v;
    return 0;
}

int ls_sl_name(const struct ls_sl *c, const char *key, const struct ls_ynode *n, const char *what,
               size_t max, char **out)
{
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "a string", &t) < 0)
        return -1;
    size_t len = strlen(t);
    if (!len)
        return ls_sl_fail(c, n, key, "%s must not be empty", what);
    if (len > max)
        return ls_sl_fail(c, n, key, "%s is %zu characters long; the limit is %zu", what, len, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
            return ls_sl_fail(c, n, key, "%s '%s' may hold only letters, digits, '.', '_' and '-'",
                              what, t);
    }
    if (t[0] == '.' || t[0] == '-')
        return ls_sl_fail(c, n, key, "%s '%s' must not start with '%c'", what, t, t[0]);
    if (!(*out = strdup(t)))
        return ls_sl_oom(c);
    return 0;
}

int ls_sl_budget(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                 enum ls_slot_budget *kind, unsigned *value)
{
    const char *t = NULL;
    unsigned long long v;
    if (ls_sl_text(c, key, n, "a CPU count (8) or a percentage of the allowed CPUs (25%)", &t) < 0)
        return -1;
    size_t len = strlen(t);
    bool pct = len && t[len - 1] == '%';
    if (!parse_decimal(t, len - pct, LS_MAX_CPUS, &v))
        return ls_sl_fail(c, n, key,
                          "'%s' is not a CPU count (8) or a percentage of the allowed CPUs "
                          "(25%%)",
                          t);
    if (v == 0)
        return ls_sl_fail(c, n, key, "%s reserves no CPU; use at least %s", t, pct ? "1%" : "1");
    if (pct && v > 100)
        return ls_sl_fail(c, n, key, "%s is more than all (100%%) of the allowed CPUs", t);
    if (!pct && v > LS_MAX_CPUS)
        return ls_sl_fail(c, n, key, "%s is more CPUs than any host has", t);
    *kind = pct ? LS_SLOT_BUDGET_PERCENT : LS_SLOT_BUDGET_CPUS;
    *value = (unsigned)v;
    return 0;
}

int ls_sl_mode(const struct ls_sl *c, const char *key, const struct ls_ynode *n, enum ls_mode *out)
{
    const char *names[] = {ls_mode_name(LS_MODE_SHARED), ls_mode_name(LS_MODE_DEDICATED),
                           ls_mode_name(LS_MODE_EXCLUSIVE)};
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "a mode (shared, dedicated or exclusive)", &t) < 0)
        return -1;
    struct ls_error inner = {0};
    if (ls_mode_parse(t, "mode:", out, &inner) == 0)
        return 0;
    const char *guess = ls_suggest(t, names, 3);
    if (guess)
        return ls_sl_fail(c, n, key, "unknown mode '%s' (did you mean '%s'?)", t, guess);
    return ls_sl_fail(c, n, key, "unknown mode '%s': use shared, dedicated or exclusive", t);
}

int ls_sl_smt(const struct ls_sl *c, const char *key, const struct ls_ynode *n, enum ls_smt *out)
{
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "any or full-cores", &t) < 0)
        return -1;
    struct ls_error inner = {0};
    if (ls_smt_parse(t, key, out, &inner) == 0)
        return 0;
    const char *names[] = {ls_smt_name(LS_SMT_ANY), ls_smt_name(LS_SMT_FULL_CORES)};
    const char *guess = ls_suggest(t, names, 2);
    if (guess)
        return ls_sl_fail(c, n, key, "unknown value '%s' (did you mean '%s'?)", t, guess);
    return ls_sl_fail(c, n, key,
                      "unknown value '%s': use any (prefer whole cores) or full-cores (whole "
                      "cores only)",
                      t);
}

/* The planner's rules and words (ls_perf_parse_as), at the value's position. */
static int perf_error(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                      const struct ls_error *inner)
{
    return ls_sl_fail(c, n, key, "%s", inner->msg);
}

#define PERF_WHAT "the virtual topology"

int ls_sl_perf(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
               struct ls_perf_topo *out)
{
    if (n->kind == LS_Y_SCALAR) {
        const char *t = NULL;
        if (ls_sl_text(c, key, n, "a virtual topology (2x4x1 or {llcs: 2, cores: 4})", &t) < 0)
            return -1;
        struct ls_error inner = {0};
        if (ls_perf_parse_as(t, PERF_WHAT, out, &inner) < 0)
            return perf_error(c, key, n, &inner);
        return 0;
    }
    if (n->kind != LS_Y_MAP)
        return ls_sl_fail(c, n, key,
                          "expected a virtual topology (2x4x1 or {llcs: 2, cores: 4}), got %s",
                          ls_ynode_kind_name(n));
    static const char *const keys[] = {"llcs", "cores", "threads", "nodes"};
    unsigned vals[4] = {0, 0, 1, 1};
    bool seen[4] = {false};
    for (size_t i = 0; i < ls_ymap_pairs(n); i++) {
        const struct ls_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.%s", key, k->text);
        size_t j = 0;
        while (j < 4 && strcmp(k->text, keys[j]))
            j++;
        if (j == 4) {
            const char *guess = ls_suggest(k->text, keys, 4);
            if (guess)
                return ls_sl_fail(c, k, sub, "unknown key (did you mean '%s'?)", guess);
            return ls_sl_fail(c, k, sub, "unknown key (known keys: llcs, cores, threads, nodes)");
        }
        if (ls_sl_uint(c, sub, v, 1, LS_MAX_CPUS, &vals[j]) < 0)
            return -1;
        seen[j] = true;
    }
    for (size_t j = 0; j < 2; j++)
        if (!seen[j])
            return ls_sl_fail(c, n, key, "missing '%s' (llcs and cores are required)", keys[j]);
    struct ls_perf_topo t = {vals[0], vals[1], vals[2], vals[3]};
    struct ls_error inner = {0};
    if (ls_perf_check(&t, PERF_WHAT, &inner) < 0)
        return perf_error(c, key, n, &inner);
    *out = t;
    return 0;
}

int ls_sl_size(const struct ls_sl *c, const char *key, const struct ls_ynode *n, uint64_t *out)
{
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "a size (512M, 4G) or max", &t) < 0)
        return -1;
    if (!strcmp(t, "max")) {
        *out = 0;
        return 0;
    }
    struct ls_error inner = {0};
    if (ls_size_parse(t, NULL, out, &inner) < 0)
        return ls_sl_fail(c, n, key, "%s", inner.msg);
    return 0;
}

int ls_sl_duration(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                   const char *keyword, uint64_t keyword_value, bool allow_zero, uint64_t *out)
{
    const char *t = NULL;
    char expected[96];
    snprintf(expected, sizeof(expected), "a duration (90s, 30m, 1h30m) or %s", keyword);
    if (ls_sl_text(c, key, n, expected, &t) < 0)
        return -1;
    if (!strcmp(t, keyword)) {
        *out = keyword_value;
        return 0;
    }
    struct ls_error inner = {0};
    long long ms;
    if (ls_duration_parse(t, key, &ms, &inner) < 0)
        return ls_sl_fail(c, n, key, "%s", inner.msg);
    *out = (uint64_t)ms;
    if (!allow_zero && *out == 0)
        return ls_sl_fail(c, n, key, "%s is no time at all; write %s for no limit", t, keyword);
    return 0;
}

static int seccomp_profile(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                           char **profile)
{
    static const char *const names[] = {"none", "build", "log"};
    const char *t = NULL;
    if (ls_sl_text(c, key, n, "a seccomp profile (none, build or log)", &t) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(t, names[i])) {
            if (i > 0 && !(*profile = strdup(t)))
                return ls_sl_oom(c);
            return 0;
        }
    const char *guess = ls_suggest(t, names, 3);
    if (guess)
        return ls_sl_fail(c, n, key, "unknown seccomp profile '%s' (did you mean '%s'?)", t, guess);
    return ls_sl_fail(c, n, key, "unknown seccomp profile '%s': use none, build or log", t);
}

/* Syscall names as a comma list; whether the kernel knows them is the runner's check. */
static int seccomp_deny(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
                        char **deny)
{
    if (n->kind != LS_Y_SEQ)
        return ls_sl_fail(c, n, key, "expected a list of syscall names, got %s",
                          ls_ynode_kind_name(n));
    size_t size = 1;
    for (size_t i = 0; i < n->nitems; i++) {
        const char *t = NULL;
        if (ls_sl_text(c, key, n->items[i], "a syscall name", &t) < 0)
            return -1;
        bool ok = *t;
        for (const char *p = t; ok && *p; p++)
            ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
        if (!ok)
            return ls_sl_fail(c, n->items[i], key,
                              "'%s' is not a syscall name (lower case letters, digits and '_')", t);
        size += strlen(t) + 1;
    }
    if (n->nitems == 0)
        return 0;
    char *out = malloc(size), *p = out;
    if (!out)
        return ls_sl_oom(c);
    for (size_t i = 0; i < n->nitems; i++)
        p += sprintf(p, "%s%s", i ? "," : "", n->items[i]->text);
    *deny = out;
    return 0;
}

int ls_sl_seccomp(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char **profile,
                  char **deny)
{
    *profile = *deny = NULL;
    if (n->kind != LS_Y_MAP)
        return seccomp_profile(c, key, n, profile);
    static const char *const keys[] = {"profile", "deny"};
    for (size_t i = 0; i < ls_ymap_pairs(n); i++) {
        const struct ls_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.%.120s", key, k->text);
        int rc;
        if (!strcmp(k->text, "profile")) {
            rc = seccomp_profile(c, sub, v, profile);
        } else if (!strcmp(k->text, "deny")) {
            rc = seccomp_deny(c, sub, v, deny);
        } else {
            const char *guess = ls_suggest(k->text, keys, 2);
            rc = guess ? ls_sl_fail(c, k, sub, "unknown key (did you mean '%s'?)", guess)
                       : ls_sl_fail(c, k, sub, "unknown key (known keys: profile, deny)");
        }
        if (rc < 0) {
            free(*profile);
            free(*deny);
            *profile = *deny = NULL;
            return -1;
        }
    }
    return 0;
}

int ls_sl_env_set(struct ls_slot_env **env, size_t *nenv, const char *name, const char *value)
{
    _cleanup_free_ char *v = strdup(value);
    if (!v)
        return -1;
    for (size_t i = 0; i < *nenv; i++)
        if (!strcmp((*env)[i].name, name)) {
            free((*env)[i].value);
            (*env)[i].value = LS_STEAL(v);
            return 0;
        }
    _cleanup_free_ char *k = strdup(name);
    struct ls_slot_env *grown = k ? reallocarray(*env, *nenv + 1, sizeof(**env)) : NULL;
    if (!grown)
        return -1;
    *env = grown;
    grown[*nenv].name = LS_STEAL(k);
    grown[*nenv].value = LS_STEAL(v);
    (*nenv)++;
    return 0;
}

int ls_sl_env(const struct ls_sl *c, const char *key, const struct ls_ynode *n,
              struct ls_slot_env **env, size_t *nenv)
{
    if (ls_ynode_is_null(n))
        return 0;
    if (n->kind != LS_Y_MAP)
        return ls_sl_fail(c, n, key, "expected a mapping of NAME: value, got %s",
                          ls_ynode_kind_name(n));
    if (ls_ymap_pairs(n) > LS_SLOTS_MAX_ENV)
        return ls_sl_fail(c, n, key, "%zu variables; at most %u are allowed", ls_ymap_pairs(n),
                          LS_SLOTS_MAX_ENV);
    for (size_t i = 0; i < ls_ymap_pairs(n); i++) {
        const struct ls_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.%.120s", key, k->text);
        const char *name = k->text, *value = NULL;
        bool ok = *name && !isdigit((unsigned char)*name) && strlen(name) == k->len;
        for (const char *p = name; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || *p == '_';
        if (!ok)
            return ls_sl_fail(c, k, sub,
                              "'%s' is not a variable name (letters, digits and '_', not "
                              "starting with a digit)",
                              name);
        if (!strncmp(name, "LLCSLICE_", 9))
            return ls_sl_fail(c, k, sub,
                              "LLCSLICE_* variables are set by llcslice for the job; pick "
                              "another name");
        if (ls_sl_text(c, sub, v, "a string value (write \"\" for an empty one)", &value) < 0)
            return -1;
        if (ls_sl_env_set(env, nenv, name, value) < 0)
            return ls_sl_oom(c);
    }
    return 0;
}

void ls_sl_free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

void ls_sl_free_env(struct ls_slot_env *env, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(env[i].name);
        free(env[i].value);
    }
    free(env);
}

static bool blank(const char *t)
{
    for (; *t; t++)
        if (!isspace((unsigned char)*t))
            return false;
    return true;
}

int ls_sl_command(const struct ls_sl *c, const char *key, const struct ls_ynode *n, char ***argv,
                  size_t *argc, bool *shell)
{
    const char *t = NULL;
    if (n->kind == LS_Y_SCALAR) {
        if (ls_sl_text(c, key, n, "a command (a list of arguments or a shell string)", &t) < 0)
            return -1;
        if (blank(t))
            return ls_sl_fail(c, n, key, "the command is empty");
        char **v = calloc(4, sizeof(*v));
        if (!v)
            return ls_sl_oom(c);
        v[0] = strdup("/bin/sh");
        v[1] = strdup("-c");
        v[2] = strdup(t);
        if (!v[0] || !v[1] || !v[2]) {
            ls_sl_free_argv(v);
            return ls_sl_oom(c);
        }
        *argv = v;
        *argc = 3;
        *shell = true;
        return 0;
    }
    if (n->kind != LS_Y_SEQ)
        return ls_sl_fail(c, n, key,
                          "expected a command (a list of arguments or a shell string), got %s",
                          ls_ynode_kind_name(n));
    if (n->nitems == 0)
        return ls_sl_fail(c, n, key, "the command is empty");
    char **v = calloc(n->nitems + 1, sizeof(*v));
    if (!v)
        return ls_sl_oom(c);
    for (size_t i = 0; i < n->nitems; i++) {
        if (ls_sl_text(c, key, n->items[i], "an argument string", &t) < 0) {
            ls_sl_free_argv(v);
            return -1;
        }
        if (i == 0 && blank(t)) {
            ls_sl_free_argv(v);
            return ls_sl_fail(c, n->items[i], key, "the program name (first item) is empty");
        }
        if (!(v[i] = strdup(t))) {
            ls_sl_free_argv(v);
            return ls_sl_oom(c);
        }
    }
    *argv = v;
    *argc = n->nitems;
    *shell = false;
    return 0;
}

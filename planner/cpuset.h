/* Growable CPU (or NUMA node) id set, with the kernel's list and hex-mask text forms. */
#ifndef LLCSLICE_CPUSET_H
#define LLCSLICE_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LS_MAX_CPUS 1048576u /* ids at or above this are rejected as garbage */

typedef struct ls_cpuset {
    uint64_t *words;
    size_t nwords;
} ls_cpuset;

#define LS_CPUSET_INIT                                                                             \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

void ls_cpuset_free(ls_cpuset *s);
void ls_cpuset_clear(ls_cpuset *s);
int ls_cpuset_add(ls_cpuset *s, unsigned id); /* -1 with errno=ENOMEM/ERANGE */
void ls_cpuset_del(ls_cpuset *s, unsigned id);
bool ls_cpuset_has(const ls_cpuset *s, unsigned id);
size_t ls_cpuset_count(const ls_cpuset *s);
bool ls_cpuset_empty(const ls_cpuset *s);
/* Smallest member > prev (start with prev = -1); -1 when none. */
int ls_cpuset_next(const ls_cpuset *s, int prev);
int ls_cpuset_first(const ls_cpuset *s);
int ls_cpuset_last(const ls_cpuset *s);
int ls_cpuset_copy(ls_cpuset *dst, const ls_cpuset *src);
int ls_cpuset_or(ls_cpuset *dst, const ls_cpuset *src);
void ls_cpuset_and(ls_cpuset *dst, const ls_cpuset *src);
void ls_cpuset_andnot(ls_cpuset *dst, const ls_cpuset *src);
bool ls_cpuset_equal(const ls_cpuset *a, const ls_cpuset *b);
bool ls_cpuset_intersects(const ls_cpuset *a, const ls_cpuset *b);
bool ls_cpuset_subset(const ls_cpuset *sub, const ls_cpuset *super);
size_t ls_cpuset_and_count(const ls_cpuset *a, const ls_cpuset *b);

#define LS_CPUSET_FOREACH(cpu, set)                                                                \
    for (int cpu = ls_cpuset_first(set); cpu >= 0; cpu = ls_cpuset_next(set, cpu))

/* "0-3,8": spaces, tabs, newlines and trailing NULs around the list are fine, an
 * empty text is the empty set. `what` names the source (a path or flag) in errors. */
int ls_cpuset_parse_list(ls_cpuset *out, const char *text, size_t len, const char *what,
                         struct ls_error *err);
/* "ff,00000001": comma-separated 32-bit hex words, most significant first. */
int ls_cpuset_parse_mask(ls_cpuset *out, const char *text, size_t len, const char *what,
                         struct ls_error *err);
/* Canonical list form ("" for the empty set); caller frees. NULL on ENOMEM. */
char *ls_cpuset_format(const ls_cpuset *s);

#endif

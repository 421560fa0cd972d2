/* "Did you mean": the closest known word within Levenshtein distance 2. */
#ifndef LLCSLICE_SUGGEST_H
#define LLCSLICE_SUGGEST_H

#include <stddef.h>

#define LS_SUGGEST_MAX_DISTANCE 2

/* Edit distance (insert, delete, substitute), capped: anything above `cap` returns cap + 1. */
size_t ls_edit_distance(const char *a, const char *b, size_t cap);

/* The first of words[0..n) closest to `word` within LS_SUGGEST_MAX_DISTANCE, or NULL. */
const char *ls_suggest(const char *word, const char *const *words, size_t n);

#endif

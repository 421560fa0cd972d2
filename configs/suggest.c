#include "suggest.h"

#include <stdlib.h>
#include <string.h>

size_t ls_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    size_t *row = malloc((lb + 1) * sizeof(*row));
    if (!row)
        return cap + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0]; /* row[i-1][j-1] */
        row[0] = i;
        size_t best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap) { /* every path already costs more */
            free(row);
            return cap + 1;
        }
    }
    size_t d = row[lb];
    free(row);
    return d > cap ? cap + 1 : d;
}

const char *ls_suggest(const char *word, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = LS_SUGGEST_MAX_DISTANCE + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = ls_edit_distance(word, words[i], LS_SUGGEST_MAX_DISTANCE);
        if (d < best_d) {
            best = words[i];
            best_d = d;
        }
    }
    return best;
}

/* The comparators qsort and bsearch need for plain numbers, once. */
#ifndef LLCSLICE_SORT_H
#define LLCSLICE_SORT_H

#include <stddef.h>

/* qsort/bsearch comparators: ascending int / unsigned. */
int ls_cmp_int(const void *a, const void *b);
int ls_cmp_unsigned(const void *a, const void *b);

/* Ascending; insertion sort for the handful of ids a directory listing usually has, qsort
 * above 16. */
void ls_sort_ints(int *v, size_t n);

#endif

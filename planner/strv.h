/* Growable lists of formatted strings (warnings, notices) owned by a struct. */
#ifndef LLCSLICE_STRV_H
#define LLCSLICE_STRV_H

#include <stdarg.h>
#include <stddef.h>

/* Append a formatted string; -1 (list unchanged) when out of memory. */
int ls_strv_vappendf(char ***list, size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int ls_strv_appendf(char ***list, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Free a NULL-terminated list of strings and the list (NULL: nothing). */
void ls_strv_free(char **list);

#endif

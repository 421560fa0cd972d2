#include "strv.h"

#include <stdio.h>
#include <stdlib.h>

int ls_strv_vappendf(char ***list, size_t *n, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return -1;
    char **nl = realloc(*list, (*n + 1) * sizeof(*nl));
    if (!nl) {
        free(msg);
        return -1;
    }
    *list = nl;
    nl[(*n)++] = msg;
    return 0;
}

int ls_strv_appendf(char ***list, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ls_strv_vappendf(list, n, fmt, ap);
    va_end(ap);
    return r;
}

void ls_strv_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

#include "proctitle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static char *area;  /* argv[0] .. the end of the last contiguous environment string */
static size_t room; /* bytes there, the final NUL included */
/* The environment's new home, reachable (for leak checkers) after setenv replaces environ;
 * not static, or the compiler drops a variable nothing reads. */
char **ls_proctitle_environ;

void ls_proctitle_init(int argc, char **argv)
{
    if (argc < 1 || !argv[0])
        return;
    char *end = argv[0];
    for (int i = 0; i < argc; i++)
        if (argv[i] == end)
            end = argv[i] + strlen(argv[i]) + 1;
    /* The environment usually follows argv: it becomes room once copied to the heap (the
     * kernel reads a cmdline whose argv area does not end in NUL on into it). */
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **copy = calloc(n + 1, sizeof(*copy));
    if (copy) {
        size_t i = 0;
        for (; i < n; i++) {
            if (environ[i] == end)
                end = environ[i] + strlen(environ[i]) + 1;
            if (!(copy[i] = strdup(environ[i])))
                break;
        }
        if (i == n)
            environ = ls_proctitle_environ = copy;
        else { /* out of memory: keep the environment where it is, use argv alone */
            for (size_t k = 0; k < i; k++)
                free(copy[k]);
            free(copy);
            end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
        }
    }
    area = argv[0];
    room = (size_t)(end - argv[0]);
}

void ls_proctitle_set(const char *fmt, ...)
{
    if (!area || room < 2)
        return;
    char title[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof(title), fmt, ap);
    va_end(ap);
    size_t len = strlen(title);
    if (len > room - 1)
        len = room - 1;
    memset(area, 0, room);
    memcpy(area, title, len);
    /* comm: the end of the title is the part that tells jobs apart */
    char comm[16];
    const char *colon = strrchr(title, ':');
    const char *job = colon && colon[1] == ' ' ? colon + 2 : title;
    snprintf(comm, sizeof(comm), "ls:%s", job);
    prctl(PR_SET_NAME, comm, 0, 0, 0);
}

/* libFuzzer: the request strings users and slot files hand llcslice (--cpus / LLCSLICE_CPU_CAP,
 * --perf LLCSxCORESxTHREADS[,nodes=N], --mode) never crash their parsers; accepted values are
 * in range and errors are usage errors with a one-line message. The first byte picks the
 * parser, the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"

static void check_err(const struct ls_error *err)
{
    if (err->category != LS_ERR_USAGE || !err->msg[0] || strchr(err->msg, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct ls_error err = {0};
    switch (data[0] % 3) {
    case 0: {
        size_t n = 0;
        if (ls_budget_parse(text, "--cpus", &n, &err) == 0) {
            if (n == 0)
                abort();
        } else {
            check_err(&err);
        }
        break;
    }
    case 1: {
        struct ls_perf_topo p;
        memset(&p, 0, sizeof(p));
        if (ls_perf_parse(text, &p, &err) == 0) {
            if (p.llcs == 0 || p.cores == 0 || p.threads == 0)
                abort();
        } else {
            check_err(&err);
        }
        break;
    }
    default: {
        enum ls_mode m;
        if (ls_mode_parse(text, "--mode", &m, &err) == 0) {
            if (strcmp(ls_mode_name(m), text) != 0)
                abort();
        } else {
            check_err(&err);
        }
        break;
    }
    }
    free(text);
    return 0;
}

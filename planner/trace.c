#include "trace.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define MAX_PHASES 32

static struct {
    bool on;
    double last;
    size_t n;
    const char *name[MAX_PHASES];
    double usec[MAX_PHASES];
    unsigned count[MAX_PHASES];
} tr;

static double now_us(void)
{
    return (double)ls_mono_ns() / 1e3;
}

void ls_trace_start(void)
{
    const char *v = getenv("LLCSLICE_TRACE_TIMING");
    memset(&tr, 0, sizeof(tr));
    tr.on = v && *v && strcmp(v, "0") != 0;
    tr.last = tr.on ? now_us() : 0;
}

void ls_trace_mark(const char *phase)
{
    if (!tr.on)
        return;
    double t = now_us();
    size_t i = 0;
    while (i < tr.n && strcmp(tr.name[i], phase) != 0)
        i++;
    if (i == tr.n && tr.n < MAX_PHASES)
        tr.name[tr.n++] = phase;
    if (i < tr.n) {
        tr.usec[i] += t - tr.last;
        tr.count[i]++;
    }
    tr.last = t;
}

void ls_trace_report(void)
{
    if (!tr.on)
        return;
    for (size_t i = 0; i < tr.n; i++)
        fprintf(stderr, "llcslice-timing: %s %.1f %u\n", tr.name[i], tr.usec[i], tr.count[i]);
}

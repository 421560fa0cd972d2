#include "hostwarn.h"

#include <stdio.h>
#include <stdlib.h>

#define HUGEPAGE_BYTES (2ull << 20)

char *ls_hugepage_warning(uint64_t total_2m, uint64_t free_2m, uint64_t memory_max)
{
    char *msg = NULL;
    uint64_t need = (memory_max + HUGEPAGE_BYTES - 1) / HUGEPAGE_BYTES;
    int rc = 0;
    if (free_2m == 0)
        rc = asprintf(&msg,
                      "exclusive mode: no free 2 MiB hugepages on this host (%llu configured); "
                      "memory of a VM or benchmark in this slice falls back to 4 KiB pages and "
                      "TLB misses add noise. Reserve some: echo N > "
                      "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
                      (unsigned long long)total_2m);
    else if (memory_max && free_2m < need)
        rc = asprintf(&msg,
                      "exclusive mode: only %llu free 2 MiB hugepages, %llu needed to back "
                      "--memory-max; the rest falls back to 4 KiB pages",
                      (unsigned long long)free_2m, (unsigned long long)need);
    return rc < 0 ? NULL : msg;
}

char *ls_load_warning(long running, size_t online, size_t slice)
{
    if (running < 0)
        return NULL;
    long others = running - 1; /* ourselves */
    size_t outside = online > slice ? online - slice : 0;
    if (others <= (long)outside)
        return NULL;
    char *msg = NULL;
    if (asprintf(&msg,
                 "exclusive mode: host load is high: %ld runnable tasks besides llcslice for "
                 "the %zu CPU(s) outside this slice; tasks not confined by llcslice can still run "
                 "on the reserved LLCs and disturb measurements",
                 others, outside) < 0)
        return NULL;
    return msg;
}

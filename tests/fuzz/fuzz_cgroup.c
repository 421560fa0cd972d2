/* libFuzzer: cgroup detection from /proc/self/mountinfo and /proc/self/cgroup text (mount points
 * and group paths other users can shape: FUSE mounts, delegated subtrees) and the parser of job
 * group names found in cgroupfs (anyone with a delegated subtree can create "llcslice-..."
 * directories) never crash; results stay inside their buffers. Input: MOUNTINFO \0 CGROUP \0
 * NAME. The two texts go through files in /dev/shm (the detector takes paths). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"

static char mi_path[64], cg_path[64];

static void put(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

static const uint8_t *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
    const uint8_t *start = *p, *nul = memchr(start, 0, (size_t)(end - start));
    *len = (size_t)((nul ? nul : end) - start);
    *p = nul ? nul + 1 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!mi_path[0]) {
        snprintf(mi_path, sizeof(mi_path), "/dev/shm/llcslice-fuzz-%d-mountinfo", (int)getpid());
        snprintf(cg_path, sizeof(cg_path), "/dev/shm/llcslice-fuzz-%d-cgroup", (int)getpid());
    }
    const uint8_t *p = data, *end = data + size;
    size_t mlen, clen, nlen;
    const uint8_t *mi = part(&p, end, &mlen), *cg = part(&p, end, &clen),
                  *nm = part(&p, end, &nlen);
    put(mi_path, mi, mlen);
    put(cg_path, cg, clen);
    struct ls_cg_hier h;
    struct ls_error err = {0};
    enum ls_cg_version v = ls_cg_detect_at(mi_path, cg_path, &h, &err);
    if (v != LS_CG_NONE &&
        (memchr(h.mount, 0, sizeof(h.mount)) == NULL || memchr(h.own, 0, sizeof(h.own)) == NULL))
        abort();
    if (v != LS_CG_NONE)
        ls_cg_own_skip_leaf(&h);

    char name[256];
    if (nlen >= sizeof(name))
        nlen = sizeof(name) - 1;
    memcpy(name, nm, nlen);
    name[nlen] = '\0';
    struct ls_cg_owner o;
    if (ls_cg_parse_name(name, &o) && (o.pid <= 0 || o.pidns == 0))
        abort();
    unlink(mi_path);
    unlink(cg_path);
    return 0;
}

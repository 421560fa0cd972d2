/* Orphan markers: a group that refused rmdir is recorded in the state directory (cgroupfs holds
 * no regular files), one file per group naming its path and creation time, for sweep. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "planner/cleanup.h"

int ls_cg_orphan_dir(char *buf, size_t size)
{
    const char *state = getenv("LLCSLICE_STATE_DIR");
    if (!state || !*state)
        state = "/run/llcslice";
    int n = snprintf(buf, size, "%s/orphans", state);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* basename + hash of the full path: unique per group, readable in `ls`. */
static int marker_path(const char *group_path, char *buf, size_t size)
{
    char dir[4096];
    if (ls_cg_orphan_dir(dir, sizeof(dir)) < 0)
        return -ENAMETOOLONG;
    uint64_t h = 1469598103934665603ull;
    for (const char *p = group_path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    const char *base = strrchr(group_path, '/');
    base = base ? base + 1 : group_path;
    int n = snprintf(buf, size, "%s/%.100s.%016" PRIx64, dir, base, h);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int ls_cg_orphan_mark(const char *group_path, time_t created, struct ls_error *err)
{
    char dir[4096], path[4200], tmp[4300];
    if (ls_cg_orphan_dir(dir, sizeof(dir)) < 0 || marker_path(group_path, path, sizeof(path)) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "orphan marker path too long");
    int r = mkdir_p(dir);
    if (r < 0)
        return ls_fail(err, LS_ERR_SYSTEM, -r, "creating %s: %s", dir, strerror(-r));
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    _cleanup_fclose_ FILE *f = fopen(tmp, "we");
    if (!f)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "writing %s: %s", tmp, strerror(errno));
    fprintf(f, "path %s\ncreated %lld\nmarked %lld\n", group_path, (long long)created,
            (long long)time(NULL));
    if (fflush(f) != 0 || ferror(f)) {
        int e = errno;
        unlink(tmp);
        return ls_fail(err, LS_ERR_SYSTEM, e, "writing %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return ls_fail(err, LS_ERR_SYSTEM, e, "writing %s: %s", path, strerror(e));
    }
    return 0;
}

int ls_cg_orphan_lookup(const char *group_path, time_t *created)
{
    char path[4200];
    if (marker_path(group_path, path, sizeof(path)) < 0)
        return 0;
    _cleanup_free_ char *text = NULL;
    if (ls_cg_read(path, &text) < 0)
        return 0;
    long long c = -1;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "created ", 8) == 0)
            c = strtoll(line + 8, NULL, 10);
    /* A marker without a readable time counts as old: it is only ever written for orphans. */
    *created = c >= 0 ? (time_t)c : 0;
    return 1;
}

void ls_cg_orphan_unmark(const char *group_path)
{
    char path[4200];
    if (marker_path(group_path, path, sizeof(path)) == 0)
        unlink(path);
}

int ls_cg_orphan_list(struct ls_cg_orphan **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char dir[4096];
    if (ls_cg_orphan_dir(dir, sizeof(dir)) < 0)
        return -ENAMETOOLONG;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp"))
            continue;
        struct ls_cg_orphan o = {0};
        if (snprintf(o.file, sizeof(o.file), "%s/%s", dir, e->d_name) >= (int)sizeof(o.file))
            continue;
        _cleanup_free_ char *text = NULL;
        if (ls_cg_read(o.file, &text) < 0)
            continue;
        long long created = 0; /* a marker without a readable time counts as old */
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "path ", 5) == 0)
                snprintf(o.path, sizeof(o.path), "%s", line + 5);
            else if (strncmp(line, "created ", 8) == 0)
                created = strtoll(line + 8, NULL, 10);
        }
        if (!o.path[0])
            continue;
        o.created = (time_t)(created > 0 ? created : 0);
        struct ls_cg_orphan *no = realloc(*out, (*n + 1) * sizeof(*no));
        if (!no)
            return -ENOMEM;
        *out = no;
        (*out)[(*n)++] = o;
    }
    return 0;
}

#include "planfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ls_plan_json(struct ls_json *j, const struct ls_plan *p)
{
    ls_json_obj_begin(j, NULL);
    ls_json_str(j, "mode", ls_mode_name(p->mode));
    ls_json_uint(j, "target_cpus", p->target_cpus);
    ls_json_arr_begin(j, "locked_llcs");
    for (size_t i = 0; i < p->nlocked; i++)
        ls_json_uint(j, NULL, p->locked_llcs[i]);
    ls_json_arr_end(j);
    ls_json_cpuset(j, "cpus", &p->cpus);
    ls_json_cpuset(j, "mems", &p->mems);
    ls_json_arr_begin(j, "warnings");
    for (size_t i = 0; i < p->nwarnings; i++)
        ls_json_str(j, NULL, p->warnings[i]);
    ls_json_arr_end(j);
    if (p->mode == LS_MODE_EXCLUSIVE) {
        ls_json_arr_begin(j, "assignments");
        for (size_t i = 0; i < p->nassignments; i++) {
            ls_json_arr_begin(j, NULL);
            ls_json_uint(j, NULL, p->assignments[i].vcpu);
            ls_json_uint(j, NULL, p->assignments[i].host_cpu);
            ls_json_arr_end(j);
        }
        ls_json_arr_end(j);
        ls_json_int(j, "service_cpu", p->service_cpu);
    }
    ls_json_obj_end(j);
}

int ls_planfile_write(const struct ls_plan *plan, char *path, size_t size, struct ls_error *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int n = snprintf(path, size, "%s/llcslice-plan-%d-XXXXXX.json", dir, (int)getpid());
    if (n < 0 || (size_t)n >= size)
        return ls_fail(err, LS_ERR_SYSTEM, ENAMETOOLONG, "TMPDIR is too long: %s", dir);
    int fd = mkostemps(path, 5, O_CLOEXEC);
    if (fd < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno,
                       "cannot create the plan file in %s: %s (set TMPDIR to a writable "
                       "directory)",
                       dir, strerror(errno));
    fchmod(fd, 0644); /* the job may drop privileges and still read it */
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(path);
        return ls_fail(err, LS_ERR_SYSTEM, e, "writing %s: %s", path, strerror(e));
    }
    struct ls_json j;
    ls_json_init(&j, f, true);
    ls_plan_json(&j, plan);
    ls_json_finish(&j);
    if (ferror(f) | fclose(f)) {
        unlink(path);
        return ls_fail(err, LS_ERR_SYSTEM, EIO, "writing %s failed (disk full?)", path);
    }
    return 0;
}

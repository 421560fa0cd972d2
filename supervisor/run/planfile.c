#include "planfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/cli/plan_json.h"

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
    errno = 0;
    ls_plan_write_json(f, plan, true);
    int bad = ferror(f), e = bad ? errno : 0; /* a failed flush leaves its errno */
    if (fclose(f) != 0 || bad) {
        e = e ? e : errno ? errno : EIO;
        unlink(path);
        return ls_fail(err, LS_ERR_SYSTEM, e,
                       "writing the plan file %s: %s (set TMPDIR to a writable directory with "
                       "free space)",
                       path, strerror(e));
    }
    return 0;
}

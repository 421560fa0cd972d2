#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../planner/cleanup.h"
#include "../planner/lockfile.h"

int ls_log_open(const char *path, int flags, struct ls_error *err)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "log file %s is a symbolic link; remove it (logs are written only "
                           "to regular files)",
                           path);
        if (e == EISDIR)
            return ls_fail(err, LS_ERR_USAGE, e,
                           "log file %s is a directory, not a regular file; remove it", path);
        if (e == ENXIO) /* O_WRONLY|O_NONBLOCK on a FIFO nobody reads */
            return ls_fail(err, LS_ERR_USAGE, e,
                           "log file %s is a FIFO or device, not a regular file; remove it", path);
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot open the log file %s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot stat the log file %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "log file %s is a %s, not a regular file; remove it", path,
                       S_ISFIFO(st.st_mode)   ? "FIFO"
                       : S_ISDIR(st.st_mode)  ? "directory"
                       : S_ISSOCK(st.st_mode) ? "socket"
                                              : "device");
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return ls_fail(err, LS_ERR_SYSTEM, e, "log file %s: %s", path, strerror(e));
    }
    return fd;
}

int ls_log_dir_prepare(const char *dir, const char *what, struct ls_error *err)
{
    _cleanup_free_ char *p = strdup(dir);
    if (!p)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (char *c = p + 1;; c++) {
        if (*c && *c != '/')
            continue;
        char was = *c;
        *c = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot create the log directory %s: %s", p,
                           strerror(errno));
        if (!(*c = was))
            break;
    }
    struct stat st;
    errno = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno ? errno : ENOTDIR,
                       "log directory %s is not a writable directory", dir);
    return ls_dir_check_trusted(dir, what, "log dir",
                                "replace a job's log with a link or a FIFO, or read and alter "
                                "its output",
                                err);
}

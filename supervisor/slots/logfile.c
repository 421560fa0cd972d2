#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "planner/lockfile.h"

static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode)   ? "FIFO"
           : S_ISDIR(mode)  ? "directory"
           : S_ISSOCK(mode) ? "socket"
                            : "device";
}

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
        if (e == ENXIO) { /* O_WRONLY|O_NONBLOCK on a FIFO nobody reads, or a device */
            struct stat lst;
            return ls_fail(err, LS_ERR_USAGE, e,
                           "log file %s is a %s, not a regular file; remove it", path,
                           lstat(path, &lst) == 0 ? file_kind(lst.st_mode) : "FIFO or device");
        }
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
                       file_kind(st.st_mode));
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
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            /* a path the user named that cannot be a directory: a usage error, like a bad
             * lock dir */
            int e = errno;
            bool usage = e == ENOENT || e == ENOTDIR || e == EACCES || e == EROFS || e == EPERM;
            return ls_fail(err, usage ? LS_ERR_USAGE : LS_ERR_SYSTEM, e,
                           "cannot create the log directory %s: %s; pick another with --log-dir "
                           "or log_dir:",
                           p, strerror(e));
        }
        if (!(*c = was))
            break;
    }
    struct stat st;
    errno = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
        return ls_fail(err, LS_ERR_USAGE, errno ? errno : ENOTDIR,
                       "log directory %s is not a writable directory; pick another with "
                       "--log-dir or log_dir:",
                       dir);
    return ls_dir_check_trusted(dir, what, "log dir",
                                "replace a job's log with a link or a FIFO, or read and alter "
                                "its output",
                                err);
}

bool ls_log_last_error(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    char tail[16384 + 1];
    struct stat st;
    off_t off =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 16384 ? st.st_size - 16384 : 0;
    ssize_t n = S_ISREG(st.st_mode) ? pread(fd, tail, sizeof(tail) - 1, off) : -1;
    close(fd);
    if (n <= 0)
        return false;
    tail[n] = '\0';
    static const char prefix[] = "llcslice: ";
    static const char *const skip[] = {"warning: ", "waiting for: ", "job '"};
    bool found = false;
    char last[256] = ""; /* the job's own last line of output, for a job's own failure */
    for (char *line = tail, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, prefix, sizeof(prefix) - 1)) {
            if (line[strspn(line, " \t\r")])
                snprintf(last, sizeof(last), "%.255s", line);
            continue;
        }
        const char *msg = line + sizeof(prefix) - 1;
        bool progress = false;
        for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
            progress |= !strncmp(msg, skip[i], strlen(skip[i]));
        /* "job 'x': run 2 of 3" is progress; "job 'x': cannot ..." is an error */
        if (progress && !strncmp(msg, "job '", 5) && strstr(msg, ": cannot "))
            progress = false;
        if (progress)
            continue;
        if (!strncmp(msg, "job '", 5) && strstr(msg, "': ")) /* the job is named already */
            msg = strstr(msg, "': ") + 3;
        snprintf(buf, size, "%s", msg);
        found = true;
    }
    if (!found && last[0]) {
        for (char *c = last; *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' ';
        snprintf(buf, size, "last output: %s", last);
        found = true;
    }
    return found;
}

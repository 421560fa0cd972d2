/* The wait queue's files: registering, publishing a reservation, reading live waiters,
 * removing dead ones. See waitq.h for the protocol. */
#include "waitq.h"
#include "locksteps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"

#define WAIT_MAX_FILE (256u << 10)
#define STALE_TMP_SECONDS 60

/* "{prefix}{infix}<20 digits>-<pid>.lock" -> ticket, pid. */
static bool parse_named(const char *name, const char *prefix, const char *infix,
                        unsigned long long *ticket, pid_t *pid)
{
    size_t pl = strlen(prefix), il = strlen(infix);
    if (strncmp(name, prefix, pl) || strncmp(name + pl, infix, il))
        return false;
    const char *p = name + pl + il;
    unsigned long long t = 0, v = 0;
    for (int i = 0; i < 20; i++, p++) {
        if (*p < '0' || *p > '9')
            return false;
        t = t * 10 + (unsigned)(*p - '0');
    }
    if (*p++ != '-' || *p < '1' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((v = v * 10 + (unsigned)(*p - '0')) > 0x7fffffffull)
            return false;
    if (strcmp(p, ".lock"))
        return false;
    *ticket = t;
    *pid = (pid_t)v;
    return true;
}

bool ls_waitq_parse_name(const char *name, const char *prefix, unsigned long long *ticket,
                         pid_t *pid)
{
    return parse_named(name, prefix, "-wait-", ticket, pid);
}

bool ls_waitq_parse_done_name(const char *name, const char *prefix, unsigned long long *ticket,
                              pid_t *pid)
{
    return parse_named(name, prefix, "-waitdone-", ticket, pid);
}

bool ls_waitq_is_tmp_name(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    return !strncmp(name, prefix, pl) && !strncmp(name + pl, "-waittmp-", 9);
}

/* Parse the reservation text; false when it is not (yet) complete. */
static bool parse_content(char *text, struct ls_waiter *w)
{
    unsigned seq = 0, end = 0;
    bool have_head = false, have_end = false;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char mode[16];
        ls_cpuset *set = NULL;
        const char *list = NULL;
        if (sscanf(line, "llcslice-wait 1 seq=%u", &seq) == 1) {
            have_head = true;
        } else if (sscanf(line, "mode=%15s cpus=%zu", mode, &w->target_cpus) == 2) {
            struct ls_error e;
            if (ls_mode_parse(mode, "mode=", &w->mode, &e) < 0)
                return false;
        } else if (!strncmp(line, "llc-ex=", 7)) {
            set = &w->llc_ex, list = line + 7;
        } else if (!strncmp(line, "llc-sh=", 7)) {
            set = &w->llc_sh, list = line + 7;
        } else if (!strncmp(line, "cpu=", 4)) {
            set = &w->cpus, list = line + 4;
        } else if (sscanf(line, "end seq=%u", &end) == 1) {
            have_end = true;
            break;
        }
        if (set) {
            struct ls_error e;
            ls_cpuset_free(set);
            if (ls_cpuset_parse_list(set, list, strlen(list), "wait file", &e) < 0)
                return false;
        }
    }
    if (!have_head || !have_end || seq != end)
        return false;
    w->reserves =
        !ls_cpuset_empty(&w->llc_ex) || !ls_cpuset_empty(&w->llc_sh) || !ls_cpuset_empty(&w->cpus);
    return true;
}

void ls_waiter_free(struct ls_waiter *w)
{
    ls_cpuset_free(&w->llc_ex);
    ls_cpuset_free(&w->llc_sh);
    ls_cpuset_free(&w->cpus);
}

/* Read a live waiter's file; a torn read (rewrite in progress) is retried. false: it never
 * parsed. One pread when the file fits the stack buffer (wait files do): a pass reads every
 * waiter's file, and a stat per file was a third of its system calls at 128 waiters. */
static bool read_waiter(int fd, struct ls_waiter *w)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char buf[4096];
        _cleanup_free_ char *big = NULL;
        char *text = buf;
        ssize_t n = pread(fd, buf, sizeof(buf), 0);
        if (n < 0)
            return false;
        if ((size_t)n == sizeof(buf)) { /* larger than the buffer: by its size */
            struct stat st;
            if (fstat(fd, &st) < 0 || st.st_size < 0 || (size_t)st.st_size > WAIT_MAX_FILE)
                return false;
            size_t cap = (size_t)st.st_size + 1;
            text = big = malloc(cap);
            if (!big)
                return false;
            n = pread(fd, text, cap - 1, 0);
            if (n < 0)
                return false;
        }
        text[n] = '\0';
        ls_waiter_free(w);
        w->reserves = false;
        if (parse_content(text, w))
            return true;
        ls_waiter_free(w);
        w->reserves = false;
        ls_sleep_ms(1);
    }
    return false;
}

bool ls_waiter_read_file(const struct ls_lockdir *ld, const char *name, struct ls_waiter *w)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", ld->dir, name) >= sizeof(path))
        return false;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    return fd >= 0 && read_waiter(fd, w);
}

static int cmp_waiter(const void *a, const void *b)
{
    const struct ls_waiter *x = a, *y = b;
    if (x->ticket != y->ticket)
        return x->ticket < y->ticket ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Whether t shows an exclusive flock on the lock dir's file with inode ino. */
static bool locked_in_table(const struct ls_lockdir *ld, const struct ls_locktable *t,
                            unsigned long long ino)
{
    const struct ls_lock_entry *e;
    size_t n = ls_locktable_find(t, ld->dev_major, ld->dev_minor, ino, &e);
    for (size_t i = 0; i < n; i++)
        if (e[i].mode == LS_LOCK_EXCLUSIVE)
            return true;
    return false;
}

/* The kept fd of the wait file (ticket, pid), marked seen by this read; NULL when none. */
static struct ls_waitq_fd *kept_fd(struct ls_waitq_fds *fds, unsigned long long ticket, pid_t pid)
{
    for (size_t i = 0; fds && i < fds->n; i++)
        if (fds->e[i].ticket == ticket && fds->e[i].pid == pid) {
            fds->e[i].seen = true;
            return &fds->e[i];
        }
    return NULL;
}

/* Keep fd for (ticket, pid); false when full (the caller closes it then). */
static bool keep_fd(struct ls_waitq_fds *fds, unsigned long long ticket, pid_t pid, int fd,
                    const struct stat *st)
{
    if (!fds || fds->n == LS_WAITQ_KEPT_MAX)
        return false;
    if (fds->n == fds->cap) {
        size_t nc = fds->cap ? fds->cap * 2 : 16;
        struct ls_waitq_fd *ne = realloc(fds->e, nc * sizeof(*ne));
        if (!ne)
            return false;
        fds->e = ne;
        fds->cap = nc;
    }
    fds->e[fds->n++] =
        (struct ls_waitq_fd){ticket, pid, fd, (unsigned long long)st->st_ino, st->st_uid, true};
    return true;
}

/* Close the kept fds of files this read did not list (gone, renamed, or found dead). */
static void drop_unseen(struct ls_waitq_fds *fds)
{
    size_t k = 0;
    for (size_t i = 0; fds && i < fds->n; i++) {
        if (fds->e[i].seen)
            fds->e[k++] = fds->e[i];
        else
            close(fds->e[i].fd);
    }
    if (fds)
        fds->n = k;
}

void ls_waitq_fds_close(struct ls_waitq_fds *fds)
{
    for (size_t i = 0; i < fds->n; i++)
        close(fds->e[i].fd);
    free(fds->e);
    *fds = (struct ls_waitq_fds){0};
}

int ls_waitq_read(const struct ls_lockdir *ld, const struct ls_locktable *t, struct ls_waitq *q,
                  struct ls_error *err)
{
    return ls_waitq_read_kept(ld, t, q, NULL, err);
}

int ls_waitq_read_kept(const struct ls_lockdir *ld, const struct ls_locktable *t,
                       struct ls_waitq *q, struct ls_waitq_fds *fds, struct ls_error *err)
{
    memset(q, 0, sizeof(*q));
    for (size_t i = 0; fds && i < fds->n; i++)
        fds->e[i].seen = false;
    _cleanup_closedir_ DIR *d = opendir(ld->dir);
    if (!d)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot list lock dir %s: %s", ld->dir,
                       strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long long ticket = 0;
        pid_t pid = 0;
        bool tmp = ls_waitq_is_tmp_name(de->d_name, ld->prefix);
        bool done = !tmp && ls_waitq_parse_done_name(de->d_name, ld->prefix, &ticket, &pid);
        if (!tmp && !done && !ls_waitq_parse_name(de->d_name, ld->prefix, &ticket, &pid))
            continue;
        struct ls_waitq_fd *kept = tmp || done ? NULL : kept_fd(fds, ticket, pid);
        _cleanup_close_ int fd =
            kept ? -1
                 : openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        int rfd = kept ? kept->fd : fd;
        struct stat st = {0}; /* a kept fd's file was a regular file with kept->ino */
        if (!kept && (rfd < 0 || fstat(rfd, &st) < 0 || !S_ISREG(st.st_mode)))
            continue;
        unsigned long long ino = kept ? kept->ino : (unsigned long long)st.st_ino;
        bool live = !tmp && !done && t && locked_in_table(ld, t, ino);
        if (!live && flock(rfd, LOCK_SH | LOCK_NB) == 0) {
            /* Nobody holds it: its waiter is gone. A fresh tmp file may be one being set up. */
            if (!tmp || time(NULL) - st.st_mtime > STALE_TMP_SECONDS)
                unlinkat(dirfd(d), de->d_name, 0);
            if (kept)
                kept->seen = false; /* closed below, and its lock with it */
            continue;
        }
        if (tmp || done)
            continue;
        if (!kept && keep_fd(fds, ticket, pid, fd, &st))
            fd = -1; /* kept: read through rfd, closed when its file is gone */
        if (q->n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct ls_waiter *nw = realloc(q->w, nc * sizeof(*nw));
            if (!nw) {
                ls_waitq_free(q);
                return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory reading waiters");
            }
            q->w = nw;
            cap = nc;
        }
        struct ls_waiter *w = &q->w[q->n++];
        memset(w, 0, sizeof(*w));
        w->ticket = ticket;
        w->pid = pid;
        w->uid = kept ? kept->uid : st.st_uid;
        w->malformed = !read_waiter(rfd, w); /* written before it is renamed into place */
    }
    drop_unseen(fds);
    if (q->n)
        qsort(q->w, q->n, sizeof(*q->w), cmp_waiter);
    return 0;
}

void ls_waitq_free(struct ls_waitq *q)
{
    for (size_t i = 0; i < q->n; i++)
        ls_waiter_free(&q->w[i]);
    free(q->w);
    q->w = NULL;
    q->n = 0;
}

bool ls_waiter_ahead(const struct ls_waiter *w, unsigned long long ticket, pid_t pid)
{
    if (ticket == 0)
        return true;
    return w->ticket < ticket || (w->ticket == ticket && w->pid < pid);
}

static int apply(const struct ls_waitq *q, unsigned long long ticket, pid_t pid, bool behind_too,
                 struct ls_snapshot *snap)
{
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *w = &q->w[i];
        if (!w->reserves || (w->ticket == ticket && w->pid == pid) ||
            (!behind_too && !ls_waiter_ahead(w, ticket, pid)))
            continue;
        LS_CPUSET_FOREACH(l, &w->llc_ex)
        if ((size_t)l < snap->nllcs)
            snap->llc_exclusive[l]++;
        LS_CPUSET_FOREACH(l, &w->llc_sh)
        if ((size_t)l < snap->nllcs)
            snap->llc_shared[l]++;
        if (ls_cpuset_or(&snap->cpu_held, &w->cpus) < 0)
            return -1;
    }
    return 0;
}

int ls_waitq_apply(const struct ls_waitq *q, unsigned long long ticket, pid_t pid,
                   struct ls_snapshot *snap)
{
    return apply(q, ticket, pid, false, snap);
}

int ls_waitq_apply_others(const struct ls_waitq *q, unsigned long long ticket, pid_t pid,
                          struct ls_snapshot *snap)
{
    return apply(q, ticket, pid, true, snap);
}

char *ls_waitq_describe(const struct ls_waitq *q, unsigned long long ticket, pid_t pid)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    bool first = true;
    size_t told = 0, more = 0;
    for (size_t i = 0; i < q->n; i++) {
        const struct ls_waiter *w = &q->w[i];
        if (!ls_waiter_ahead(w, ticket, pid))
            continue;
        if (told == LS_WAITQ_DESCRIBE_MAX) {
            more++;
            continue;
        }
        told++;
        char cmd[160];
        ls_pid_cmdline(w->pid, cmd, sizeof(cmd));
        fprintf(f, "%swaiter pid %d (%s) %s", first ? "" : "; ", (int)w->pid, cmd,
                w->reserves ? "reserves" : "waits for");
        first = false;
        if (!w->reserves) {
            fprintf(f, " %zu CPU(s) %s", w->target_cpus, ls_mode_name(w->mode));
            continue;
        }
        const char *sep = "";
        const struct {
            const ls_cpuset *set;
            const char *what, *how;
        } parts[] = {{&w->llc_ex, "LLC", " exclusive"},
                     {&w->llc_sh, "LLC", " shared"},
                     {&w->cpus, "CPU", ""}};
        for (size_t k = 0; k < 3; k++) {
            if (ls_cpuset_empty(parts[k].set))
                continue;
            char *list = ls_cpuset_format(parts[k].set);
            fprintf(f, "%s %s %s%s", sep, parts[k].what, list ? list : "?", parts[k].how);
            free(list);
            sep = ",";
        }
    }
    if (more) /* in parentheses: a "waiting for" line is not repeated as the count drops */
        fprintf(f, " (and %zu more waiter%s ahead: `llcslice locks` lists them)", more,
                more == 1 ? "" : "s");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *format_content(const struct ls_wait_ticket *tk, const struct ls_plan *target,
                            unsigned seq)
{
    ls_cpuset sets[3] = {LS_CPUSET_INIT, LS_CPUSET_INIT, LS_CPUSET_INIT};
    char *out = NULL, *lists[3] = {NULL, NULL, NULL};
    if (target) {
        struct ls_lock_step *steps = NULL;
        size_t n = 0;
        if (ls_plan_lock_steps(target, &steps, &n) < 0)
            return NULL;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            /* A shared job's CPU marks reserve nothing: others may share those CPUs. */
            if (steps[i].kind == LS_LOCK_CPU && steps[i].mode == LS_LOCK_SHARED)
                continue;
            int k = steps[i].kind == LS_LOCK_CPU ? 2 : steps[i].mode == LS_LOCK_EXCLUSIVE ? 0 : 1;
            rc = ls_cpuset_add(&sets[k], steps[i].index);
        }
        free(steps);
        if (rc < 0)
            goto out;
    }
    for (int k = 0; k < 3; k++)
        if (!(lists[k] = ls_cpuset_format(&sets[k])))
            goto out;
    if (asprintf(&out,
                 "llcslice-wait 1 seq=%u\nmode=%s cpus=%zu\nllc-ex=%s\nllc-sh=%s\ncpu=%s\n"
                 "end seq=%u\n",
                 seq, ls_mode_name(tk->mode), tk->target_cpus, lists[0], lists[1], lists[2],
                 seq) < 0)
        out = NULL;
out:
    for (int k = 0; k < 3; k++) {
        ls_cpuset_free(&sets[k]);
        free(lists[k]);
    }
    return out;
}

/* Same reservation, ignoring the sequence numbers. */
static bool same_reservation(const char *a, const char *b)
{
    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
    const char *la = strstr(a, "end seq="), *lb = strstr(b, "end seq=");
    return ea && eb && la && lb && la - ea == lb - eb && !memcmp(ea, eb, (size_t)(la - ea));
}

static int write_content(struct ls_wait_ticket *tk, char *content, struct ls_error *err)
{
    size_t len = strlen(content);
    if (pwrite(tk->fd, content, len, 0) != (ssize_t)len || ftruncate(tk->fd, (off_t)len) < 0) {
        int e = errno;
        free(content);
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot write wait file %s: %s", tk->path,
                       strerror(e));
    }
    free(tk->content);
    tk->content = content;
    return 0;
}

int ls_wait_register(const struct ls_lockdir *ld, enum ls_mode mode, size_t target_cpus,
                     struct ls_wait_ticket *tk, struct ls_error *err)
{
    memset(tk, 0, sizeof(*tk));
    tk->fd = -1;
    tk->ticket = ls_mono_ns();
    tk->pid = getpid();
    tk->mode = mode;
    tk->target_cpus = target_cpus;
    char tmp[PATH_MAX];
    int a = snprintf(tmp, sizeof(tmp), "%s/%s-waittmp-%d-%llu.lock", ld->dir, ld->prefix,
                     (int)tk->pid, tk->ticket);
    int b = snprintf(tk->path, sizeof(tk->path), "%s/%s-wait-%020llu-%d.lock", ld->dir, ld->prefix,
                     tk->ticket, (int)tk->pid);
    if (a < 0 || (size_t)a >= sizeof(tmp) || b < 0 || (size_t)b >= sizeof(tk->path))
        return ls_fail(err, LS_ERR_USAGE, ENAMETOOLONG, "wait file path in %s is too long",
                       ld->dir);
    /* Locked before it gets its real name, so no reader ever sees it unlocked and alive. */
    _cleanup_close_ int fd =
        open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    if (fd < 0)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot create wait file %s: %s", tmp,
                       strerror(errno));
    tk->fd = fd;
    char *content = NULL;
    int e = 0;
    /* Blocking: a reader probing tmp files may hold LOCK_SH on it for a moment. */
    int fr;
    while ((fr = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
        ;
    if (fr < 0 || fchmod(fd, 0644) < 0)
        e = errno;
    else if (!(content = format_content(tk, NULL, 0)))
        e = ENOMEM;
    else if (write_content(tk, content, err) < 0)
        e = -1;
    else if (rename(tmp, tk->path) < 0)
        e = errno;
    if (e) {
        tk->fd = -1;
        free(tk->content);
        tk->content = NULL;
        unlink(tmp);
        if (e < 0)
            return -1;
        return ls_fail(err, LS_ERR_SYSTEM, e, "cannot register wait file %s: %s", tk->path,
                       strerror(e));
    }
    tk->fd = LS_STEAL_FD(fd);
    return 0;
}

int ls_wait_reserve(struct ls_wait_ticket *tk, const struct ls_plan *target, struct ls_error *err)
{
    char *content = format_content(tk, target, tk->seq + 1);
    if (!content)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory writing wait file");
    if (tk->content && same_reservation(tk->content, content)) {
        free(content);
        return 0;
    }
    tk->seq++;
    return write_content(tk, content, err);
}

/* Whether holding `acquired` keeps everything tk reserved (or tk reserved nothing). */
static bool reservation_held(const struct ls_wait_ticket *tk, const struct ls_plan *acquired)
{
    if (!tk->content)
        return false;
    _cleanup_free_ char *none = format_content(tk, NULL, 0);
    _cleanup_free_ char *held = format_content(tk, acquired, 0);
    return none && held &&
           (same_reservation(tk->content, none) || same_reservation(tk->content, held));
}

void ls_wait_unregister_acquired(struct ls_wait_ticket *tk, const struct ls_plan *acquired)
{
    char tail[64], done[PATH_MAX];
    int tl = snprintf(tail, sizeof(tail), "-wait-%020llu-%d.lock", tk->ticket, (int)tk->pid);
    size_t pl = strlen(tk->path);
    if (tk->fd >= 0 && tl > 0 && pl > (size_t)tl && !strcmp(tk->path + pl - (size_t)tl, tail) &&
        reservation_held(tk, acquired) &&
        snprintf(done, sizeof(done), "%.*s-waitdone-%s", (int)(pl - (size_t)tl), tk->path,
                 tail + 6) < (int)sizeof(done) &&
        rename(tk->path, done) == 0)
        snprintf(tk->path, sizeof(tk->path), "%s", done);
    ls_wait_unregister(tk);
}

void ls_wait_unregister(struct ls_wait_ticket *tk)
{
    if (tk->fd >= 0) {
        unlink(tk->path);
        ls_lock_release(tk->fd);
    }
    tk->fd = -1;
    free(tk->content);
    tk->content = NULL;
}

#include "qmp.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "planner/clock.h"

void ls_qmp_close(struct ls_qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    free(q->buf);
    *q = (struct ls_qmp)LS_QMP_INIT;
}

static int try_connect(const char *path, int *fd_out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *fd_out = fd;
    return 0;
}

/* The next complete line (one QMP message), parsed; NULL with err on EOF/timeout/garbage. */
static json_object *read_message(struct ls_qmp *q, long long deadline_ms, struct ls_error *err)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            *nl = '\0';
            json_object *o = json_tokener_parse(q->buf);
            size_t used = (size_t)(nl - q->buf) + 1;
            memmove(q->buf, q->buf + used, q->len - used);
            q->len -= used;
            if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                ls_fail(err, LS_ERR_SYSTEM, EPROTO, "QMP sent something that is not a JSON object");
                return NULL;
            }
            return o;
        }
        long long left = deadline_ms - ls_mono_ms();
        if (left <= 0) {
            ls_fail(err, LS_ERR_SYSTEM, ETIMEDOUT, "QMP did not answer in time");
            return NULL;
        }
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno != EINTR) {
            ls_fail(err, LS_ERR_SYSTEM, errno, "waiting for QMP: %s", strerror(errno));
            return NULL;
        }
        if (r <= 0)
            continue;
        if (q->cap - q->len < 4096) {
            size_t cap = q->cap ? q->cap * 2 : 8192;
            if (cap > (64u << 20)) {
                ls_fail(err, LS_ERR_SYSTEM, EMSGSIZE, "QMP message larger than 64 MiB");
                return NULL;
            }
            char *nb = realloc(q->buf, cap);
            if (!nb) {
                ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
                return NULL;
            }
            q->buf = nb;
            q->cap = cap;
        }
        ssize_t n = read(q->fd, q->buf + q->len, q->cap - q->len - 1);
        if (n == 0) {
            ls_fail(err, LS_ERR_SYSTEM, ECONNRESET, "qemu closed the QMP connection");
            return NULL;
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            ls_fail(err, LS_ERR_SYSTEM, errno, "reading QMP: %s", strerror(errno));
            return NULL;
        }
        q->len += (size_t)n;
    }
}

/* Send a command and return its "return" member's owner (the whole reply), skipping events. */
static json_object *command(struct ls_qmp *q, const char *cmd, long long deadline_ms,
                            json_object **ret, struct ls_error *err)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "{\"execute\": \"%s\"}\n", cmd);
    for (int off = 0; off < n;) {
        ssize_t w = send(q->fd, line + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            ls_fail(err, LS_ERR_SYSTEM, errno, "sending %s to QMP: %s", cmd, strerror(errno));
            return NULL;
        }
        off += (int)w;
    }
    for (;;) {
        json_object *o = read_message(q, deadline_ms, err);
        if (!o) {
            ls_error_prefix(err, "%s", cmd);
            return NULL;
        }
        json_object *e;
        if (json_object_object_get_ex(o, "return", ret))
            return o;
        if (json_object_object_get_ex(o, "error", &e)) {
            json_object *desc = NULL;
            json_object_object_get_ex(e, "desc", &desc);
            ls_fail(err, LS_ERR_SYSTEM, EPROTO, "QMP %s failed: %s", cmd,
                    desc ? json_object_get_string(desc) : json_object_to_json_string(e));
            json_object_put(o);
            return NULL;
        }
        json_object_put(o); /* an event */
    }
}

int ls_qmp_open(struct ls_qmp *q, const char *path, long long deadline_ms, bool (*alive)(void *ctx),
                void *ctx, struct ls_error *err)
{
    *q = (struct ls_qmp)LS_QMP_INIT;
    for (;;) {
        if (try_connect(path, &q->fd) == 0)
            break;
        int e = errno;
        if (e != ENOENT && e != ECONNREFUSED)
            return ls_fail(err, LS_ERR_SYSTEM, e, "connecting to QMP at %s: %s", path, strerror(e));
        if (alive && !alive(ctx))
            return ls_fail(err, LS_ERR_SYSTEM, ESRCH,
                           "qemu exited before its QMP socket %s answered", path);
        if (ls_mono_ms() >= deadline_ms)
            return ls_fail(err, LS_ERR_SYSTEM, ETIMEDOUT,
                           "qemu did not open its QMP socket %s in time", path);
        ls_sleep_ms(20);
    }
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0) {
        int e = errno;
        ls_qmp_close(q);
        return ls_fail(err, LS_ERR_SYSTEM, e, "QMP socket %s: cannot tell which process serves it",
                       path);
    }
    q->peer_pid = cred.pid;
    json_object *greeting = read_message(q, deadline_ms, err), *ret;
    if (!greeting || !json_object_object_get_ex(greeting, "QMP", &ret)) {
        if (greeting)
            ls_fail(err, LS_ERR_SYSTEM, EPROTO, "no QMP greeting");
        json_object_put(greeting);
        ls_qmp_close(q);
        return ls_error_prefix(err, "QMP socket %s", path);
    }
    json_object_put(greeting);
    json_object *reply = command(q, "qmp_capabilities", deadline_ms, &ret, err);
    if (!reply) {
        ls_qmp_close(q);
        return ls_error_prefix(err, "QMP socket %s", path);
    }
    json_object_put(reply);
    return 0;
}

static int by_index(const void *a, const void *b)
{
    const struct ls_qmp_vcpu *x = a, *y = b;
    return (x->cpu_index > y->cpu_index) - (x->cpu_index < y->cpu_index);
}

/* The "return" array of query-cpus-fast: [{cpu-index, thread-id, props, qom-path, target}]. */
static int vcpus_of(json_object *arr, struct ls_qmp_vcpu **out, size_t *n, struct ls_error *err)
{
    *out = NULL;
    *n = 0;
    if (!json_object_is_type(arr, json_type_array))
        return ls_fail(err, LS_ERR_SYSTEM, EPROTO, "query-cpus-fast did not return an array");
    size_t len = json_object_array_length(arr);
    struct ls_qmp_vcpu *v = calloc(len ? len : 1, sizeof(*v));
    if (!v)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        json_object *c = json_object_array_get_idx(arr, i), *idx, *tid;
        if (!json_object_object_get_ex(c, "cpu-index", &idx) ||
            !json_object_object_get_ex(c, "thread-id", &tid) ||
            !json_object_is_type(idx, json_type_int) || !json_object_is_type(tid, json_type_int) ||
            json_object_get_int64(idx) < 0 || json_object_get_int64(tid) <= 0) {
            free(v);
            return ls_fail(err, LS_ERR_SYSTEM, EPROTO,
                           "query-cpus-fast entry %zu has no cpu-index/thread-id", i);
        }
        v[i].cpu_index = (unsigned)json_object_get_int64(idx);
        v[i].thread_id = (long)json_object_get_int64(tid);
    }
    qsort(v, len, sizeof(*v), by_index);
    *out = v;
    *n = len;
    return 0;
}

int ls_qmp_query_vcpus(struct ls_qmp *q, long long deadline_ms, struct ls_qmp_vcpu **out, size_t *n,
                       struct ls_error *err)
{
    json_object *ret, *reply = command(q, "query-cpus-fast", deadline_ms, &ret, err);
    if (!reply)
        return -1;
    int rc = vcpus_of(ret, out, n, err);
    json_object_put(reply);
    return rc;
}

int ls_qmp_parse_vcpus(const char *json, struct ls_qmp_vcpu **out, size_t *n, struct ls_error *err)
{
    json_object *o = json_tokener_parse(json), *ret;
    if (!o || !json_object_object_get_ex(o, "return", &ret)) {
        json_object_put(o);
        return ls_fail(err, LS_ERR_SYSTEM, EPROTO, "not a QMP reply");
    }
    int rc = vcpus_of(ret, out, n, err);
    json_object_put(o);
    return rc;
}

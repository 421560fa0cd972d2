#include "waitview.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "planner/duration.h"
#include "supervisor/cli/cli.h"
#include "planner/clock.h"

/* 5s, 4m05s, 1h02m: short enough for a status line. */
static void fmt_duration(long long ms, char *buf, size_t size)
{
    long long s = ms / 1000;
    if (s < 60)
        snprintf(buf, size, "%llds", s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
    else
        snprintf(buf, size, "%lldh%02lldm", s / 3600, s / 60 % 60);
}

void ls_waitview_init(struct ls_waitview *v, FILE *out, long long timeout_ms)
{
    memset(v, 0, sizeof(*v));
    v->out = out;
    v->tty = isatty(fileno(out)) == 1;
    v->timeout_ms = timeout_ms;
    v->start_ms = ls_mono_ms();
    v->interval_ms = v->tty ? 1000 : 60000;
    const char *env = getenv("LLCSLICE_WAIT_REPORT_INTERVAL");
    long long ms;
    struct ls_error e = {0};
    if (env && *env && ls_duration_parse(env, NULL, &ms, &e) == 0 && ms > 0)
        v->interval_ms = ms;
    else if (env && *env)
        ls_warn("LLCSLICE_WAIT_REPORT_INTERVAL '%s' is not a duration above zero (e.g. 30s, "
                "5m); reporting every %llds",
                env, v->interval_ms / 1000);
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->cond, NULL);
}

/* One status text: "waited 5m02s of 30m, waiting for: WHO". Called with the lock held. */
static void status(const struct ls_waitview *v, char *buf, size_t size)
{
    char el[32], lim[48] = "";
    fmt_duration(ls_mono_ms() - v->start_ms, el, sizeof(el));
    if (v->timeout_ms >= 0) {
        char t[32];
        fmt_duration(v->timeout_ms, t, sizeof(t));
        snprintf(lim, sizeof(lim), " of %s", t);
    }
    snprintf(buf, size, "llcslice: waited %s%s, waiting for: %s", el, lim, v->who ? v->who : "?");
}

static void draw(struct ls_waitview *v)
{
    char line[2048];
    status(v, line, sizeof(line));
    if (v->tty) { /* cut to the width so \r redraws one line, never a wrapped pair */
        struct winsize ws;
        if (ioctl(fileno(v->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
            strlen(line) >= ws.ws_col)
            line[ws.ws_col - 1] = '\0';
        fprintf(v->out, "\r%s\033[K", line);
        v->drawn = true;
    } else {
        fprintf(v->out, "%s\n", line);
    }
    fflush(v->out);
}

static void *reporter(void *arg)
{
    struct ls_waitview *v = arg;
    pthread_mutex_lock(&v->lock);
    while (!v->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += v->interval_ms / 1000;
        until.tv_nsec += (v->interval_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        int rc = 0;
        while (!v->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&v->cond, &v->lock, &until);
        if (!v->stop)
            draw(v);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

void ls_waitview_who(const char *who, void *ctx)
{
    struct ls_waitview *v = ctx;
    pthread_mutex_lock(&v->lock);
    free(v->who);
    v->who = strdup(who);
    draw(v); /* whom we wait for changed: say so now */
    if (!v->started) {
        /* The main thread keeps every signal (Ctrl-C stops the wait there). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        v->started = pthread_create(&v->thread, NULL, reporter, v) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&v->lock);
}

void ls_waitview_end(struct ls_waitview *v, bool got)
{
    pthread_mutex_lock(&v->lock);
    v->stop = true;
    pthread_cond_signal(&v->cond);
    pthread_mutex_unlock(&v->lock);
    if (v->started)
        pthread_join(v->thread, NULL);
    if (v->drawn) { /* the status line becomes the record of the wait */
        char el[32];
        fmt_duration(ls_mono_ms() - v->start_ms, el, sizeof(el));
        fprintf(v->out, "\r\033[Kllcslice: %s after waiting %s\n",
                got ? "reserved" : "stopped waiting", el);
        fflush(v->out);
    }
    free(v->who);
    v->who = NULL;
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->cond);
}

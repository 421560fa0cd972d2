/* Waiting for a reservation, visibly: the wait loop reports whom it waits for (on_wait); a
 * reporter thread turns that into a status line updated in place on a terminal ("waited 5m02s
 * of 30m, waiting for: ..."), else a line when that changes and one a minute. Kept out of the wait
 * loop itself so how the loop wakes up (timers, inotify) does not matter here. */
#ifndef LLCSLICE_WAITVIEW_H
#define LLCSLICE_WAITVIEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

struct ls_waitview {
    FILE *out;
    bool tty;
    long long timeout_ms; /* -1 forever */
    long long start_ms;   /* monotonic */
    long long interval_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, stop, drawn;
    char *who; /* last report; NULL before the first */
};

/* Prepare (no thread yet: it starts at the first report, so an instant reservation prints
 * nothing). interval: 1 s on a terminal, else 60 s or LLCSLICE_WAIT_REPORT_INTERVAL. */
void ls_waitview_init(struct ls_waitview *v, FILE *out, long long timeout_ms);
/* on_wait hook of ls_plan_acquire_wait: ctx is the ls_waitview. */
void ls_waitview_who(const char *who, void *ctx);
/* Stop the reporter; on a terminal the status line is replaced by one final line. */
void ls_waitview_end(struct ls_waitview *v, bool got);

#endif

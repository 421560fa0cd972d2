/* What the slot runner shows (slots_view.c): a live table or one line per change, --tail,
 * the summary table and the JSON summary, all read from the job model. */
#ifndef LLCSLICE_SLOTS_VIEW_H
#define LLCSLICE_SLOTS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "slots_job.h"

/* Progress on the runner's output: a live table on a terminal, else one line per change. */
struct ls_slots_view {
    FILE *out;
    bool table;
    bool tail;
    size_t drawn; /* table lines on screen */
    unsigned cols;
    const char *prefix_fmt;
};
void ls_slots_view_init(struct ls_slots_view *v, FILE *out, bool tail, size_t njobs);
/* A job changed state: one line (line mode); the table redraws on the next tick. */
void ls_slots_view_changed(struct ls_slots_view *v, const struct ls_sj *sj, uint64_t now_ms);
/* Redraw the live table (no-op in line mode). */
void ls_slots_view_draw(struct ls_slots_view *v, const struct ls_sj *sj, size_t n, uint64_t now_ms);
/* --tail: copy what the job's log gained, each line as "[JOB] line"; final flushes a last
 * line without a newline. */
void ls_slots_view_tail(struct ls_slots_view *v, struct ls_sj *sj, bool final);
void ls_slots_view_summary(struct ls_slots_view *v, const struct ls_sj *sj, size_t n,
                           const char *log_dir);
void ls_slots_view_json(FILE *out, const struct ls_slots *s, const struct ls_sj *sj, size_t n,
                        const char *log_dir, int exit_code);

#endif

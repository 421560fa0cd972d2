/* One parser of /proc/PID/mountinfo lines (proc(5)), for the lock dir's device (mountinfo.c)
 * and the cgroup hierarchies (cgroup/detect.c). */
#ifndef LLCSLICE_MOUNTINFO_H
#define LLCSLICE_MOUNTINFO_H

#include <stdbool.h>

/* id parent major:minor root mountpoint options [optional...] - fstype source super */
struct ls_mountinfo_entry {
    bool numbers_ok; /* id, parent and major:minor are decimal numbers */
    unsigned id, parent, major, minor;
    char *root, *point;            /* \ooo escapes decoded */
    char *fstype, *source, *super; /* after "-" (fstype decoded); NULL when absent */
};

/* Split one line (no newline) in place into e, pointing into line. False when it has fewer
 * than six fields or no "-" separator after them. */
bool ls_mountinfo_parse_line(char *line, struct ls_mountinfo_entry *e);

#endif

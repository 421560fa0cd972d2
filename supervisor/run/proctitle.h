/* The process title other tools see (/proc/PID/cmdline, so `llcslice locks`, ps, top): a slot
 * job's supervisor says which job it holds CPUs for ("llcslice slots FILE: JOB"). */
#ifndef LLCSLICE_PROCTITLE_H
#define LLCSLICE_PROCTITLE_H

/* Remember argv's memory (main, before anything reads environ): the title is written over
 * argv and, when longer, the environment strings after it (moved to the heap first). */
void ls_proctitle_init(int argc, char **argv);
/* Set the title, cut to the room argv and the environment had; comm (15 bytes) gets
 * "ls:" and the end of the title. No-op before ls_proctitle_init. */
void ls_proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The heap copy of the environment ls_proctitle_init made (NULL before). */
extern char **ls_proctitle_environ;

#endif

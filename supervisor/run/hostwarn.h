/* Exclusive mode is for measurement: say before the job starts when the host will disturb
 * it (no hugepages to back guest memory, more runnable tasks than CPUs outside the slice). */
#ifndef LLCSLICE_HOSTWARN_H
#define LLCSLICE_HOSTWARN_H

#include <stddef.h>
#include <stdint.h>

/* Each returns a malloc'd sentence, or NULL when there is nothing to say (or no memory). */
char *ls_hugepage_warning(uint64_t total_2m, uint64_t free_2m, uint64_t memory_max);
/* running: procs_running from /proc/stat (llcslice itself included), -1 when unknown. */
char *ls_load_warning(long running, size_t online, size_t slice);

#endif

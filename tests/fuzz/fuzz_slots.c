/* libFuzzer: the YAML job-slot loader never crashes, leaks or hangs on any file; a file it
 * accepts is internally consistent (jobs ordered once each after their dependencies, argv
 * NULL-terminated, repeat >= 1). A rejected file has a usage error with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "configs/slots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_slots s;
    struct ls_error err = {0};
    memset(&s, 0, sizeof(s));
    if (ls_slots_load_buffer("/fuzz/slots.yaml", (const char *)data, size, &s, &err) != 0) {
        if (err.category != LS_ERR_USAGE || !err.msg[0])
            abort();
        return 0;
    }
    if (s.njobs == 0)
        abort();
    char *seen = calloc(s.njobs, 1);
    for (size_t k = 0; k < s.njobs; k++) {
        size_t i = s.order[k];
        if (i >= s.njobs || seen[i])
            abort();
        const struct ls_slot_job *job = &s.jobs[i];
        for (size_t a = 0; a < job->nafter; a++)
            if (job->after[a] >= s.njobs || !seen[job->after[a]])
                abort();
        if (!job->name || job->repeat < 1 || job->argc == 0 || !job->argv ||
            job->argv[job->argc] != NULL)
            abort();
        seen[i] = 1;
    }
    free(seen);
    ls_slots_free(&s);
    return 0;
}

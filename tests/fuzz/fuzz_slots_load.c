/* libFuzzer target: any bytes through the slot-file loader and the budget check. A file it
 * accepts is internally consistent (every job ordered once, after its after: jobs; argv
 * NULL-terminated; repeat >= 1); a rejected one has a usage error with a message. Seeds:
 * tests/fuzz/corpus/fuzz_slots_load (tests/data/slots/{good,bad} and configs/examples). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "configs/slots.h"

static void check_order(const struct ls_slots *s)
{
    char *seen = calloc(s->njobs ? s->njobs : 1, 1);
    if (s->njobs == 0 || !seen)
        abort();
    for (size_t k = 0; k < s->njobs; k++) {
        size_t i = s->order[k];
        if (i >= s->njobs || seen[i])
            abort();
        const struct ls_slot_job *job = &s->jobs[i];
        for (size_t a = 0; a < job->nafter; a++)
            if (job->after[a] >= s->njobs || !seen[job->after[a]])
                abort();
        if (!job->name || job->repeat < 1 || job->argc == 0 || !job->argv ||
            job->argv[job->argc] != NULL)
            abort();
        seen[i] = 1;
    }
    free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > LS_SLOTS_MAX_FILE_BYTES)
        return 0;
    struct ls_slots s;
    struct ls_error err = {0};
    if (ls_slots_load_buffer("fuzz.yaml", (const char *)data, size, &s, &err) == 0) {
        check_order(&s);
        ls_slots_check_budgets(&s, 8, 16, 2, &err);
        struct ls_request req;
        for (size_t i = 0; i < s.njobs; i++)
            ls_slot_job_request(&s.jobs[i], 8, &req);
        ls_slots_free(&s);
    } else if (err.category != LS_ERR_USAGE || !err.msg[0]) {
        abort();
    }
    return 0;
}

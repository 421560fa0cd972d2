/* libFuzzer target: any bytes through the slot-file loader and the budget check. Seeds:
 * tests/data/slots/{good,bad} and configs/examples. */
#include <stddef.h>
#include <stdint.h>

#include "configs/slots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > LS_SLOTS_MAX_FILE_BYTES)
        return 0;
    struct ls_slots s;
    struct ls_error err = {0};
    if (ls_slots_load_buffer("fuzz.yaml", (const char *)data, size, &s, &err) == 0) {
        ls_slots_check_budgets(&s, 8, 16, 2, &err);
        struct ls_request req;
        for (size_t i = 0; i < s.njobs; i++)
            ls_slot_job_request(&s.jobs[i], 8, &req);
        ls_slots_free(&s);
    }
    return 0;
}

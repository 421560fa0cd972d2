/* libFuzzer: cpu-list parser must never crash, and what it accepts must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/cpuset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_cpuset s = LS_CPUSET_INIT, t = LS_CPUSET_INIT;
    struct ls_error err = {0};
    if (ls_cpuset_parse_list(&s, (const char *)data, size, "fuzz", &err) == 0) {
        char *text = ls_cpuset_format(&s);
        if (text) {
            if (ls_cpuset_parse_list(&t, text, strlen(text), "fuzz", &err) != 0 ||
                !ls_cpuset_equal(&s, &t))
                abort();
            free(text);
        }
    }
    ls_cpuset_free(&s);
    ls_cpuset_free(&t);
    return 0;
}

/* libFuzzer: duration parsing never crashes or overflows, and accepts only non-negatives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    long long ms;
    struct ls_error err = {0};
    if (ls_duration_parse(text, "fuzz", &ms, &err) == 0 && ms < 0)
        abort();
    free(text);
    return 0;
}

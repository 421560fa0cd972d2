/* libFuzzer: size strings (--memory-max, memory_max:) never crash the parser; an accepted
 * size is at least 1 byte and its plain decimal form parses to the same value. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct ls_error err = {0};
    uint64_t v = 0, again = 0;
    if (ls_size_parse(text, "--memory-max", &v, &err) == 0) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        if (v == 0 || ls_size_parse(buf, "--memory-max", &again, &err) != 0 || again != v)
            abort();
    } else if (err.category != LS_ERR_USAGE || !err.msg[0]) {
        abort();
    }
    free(text);
    return 0;
}

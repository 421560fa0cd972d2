/* libFuzzer: a nodeN/distance row never crashes the parser or reads past its buffer; an
 * accepted row has exactly n values in 1..255 and parses the same once re-printed. The first
 * byte picks n (0..63), the rest is the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = data[0] % 64;
    /* Exact-size copy so ASan catches any read past the end. */
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    unsigned out[64], again[64];
    if (ls_parse_distance_row(text, size - 1, out, n) == 0) {
        char buf[64 * 4 + 2];
        size_t k = 0;
        for (size_t j = 0; j < n; j++) {
            if (out[j] < 1 || out[j] > 255)
                abort();
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, j ? " %u" : "%u", out[j]);
        }
        buf[k++] = '\n';
        if (ls_parse_distance_row(buf, k, again, n) != 0 || memcmp(out, again, n * sizeof(*out)))
            abort();
    }
    free(text);
    return 0;
}

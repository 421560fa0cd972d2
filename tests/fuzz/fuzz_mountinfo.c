/* libFuzzer: mountinfo lookup never crashes or overruns its fstype buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/lockfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static const char *paths[] = {"/", "/tmp", "/mnt/with space/x", "/a/b/c"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        unsigned ma, mi;
        char fs[8];
        if (ls_mountinfo_device(text, paths[i], &ma, &mi, fs, sizeof(fs)) == 0 &&
            strlen(fs) >= sizeof(fs))
            abort();
    }
    free(text);
    return 0;
}

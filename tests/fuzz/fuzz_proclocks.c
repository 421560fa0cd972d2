/* libFuzzer: /proc/locks parsing never crashes; the table is sorted and every entry is
 * found again by its (major, minor, inode). */
#include <stdint.h>
#include <stdlib.h>

#include "planner/lockfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_locktable t;
    struct ls_error err = {0};
    if (ls_locktable_parse(&t, (const char *)data, size, &err) != 0)
        return 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct ls_lock_entry *e = &t.entries[i], *first;
        size_t n = ls_locktable_find(&t, e->major, e->minor, e->inode, &first);
        if (n == 0 || first > e || first + n <= e)
            abort();
        if (i && (t.entries[i - 1].major > e->major ||
                  (t.entries[i - 1].major == e->major && t.entries[i - 1].minor > e->minor)))
            abort();
    }
    ls_locktable_free(&t);
    return 0;
}

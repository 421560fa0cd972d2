/* Flag, then environment, then default for the lock dir and prefix. */
#include "lockopts.h"

#include <stdlib.h>

void ls_lockdir_resolve(const char *dir, const char *prefix, struct ls_lockdir_source *src)
{
    *src = (struct ls_lockdir_source){.dir = dir,
                                      .dir_what = "--lock-dir",
                                      .prefix = prefix,
                                      .prefix_what = "--lock-prefix",
                                      .knob = "--lock-dir / LLCSLICE_LOCK_DIR"};
    if (!dir) {
        src->dir = getenv("LLCSLICE_LOCK_DIR");
        src->dir_what = "LLCSLICE_LOCK_DIR";
        if (!src->dir || !*src->dir) {
            src->dir = "/tmp";
            src->dir_what = "the default lock dir";
        }
    }
    if (!prefix) {
        src->prefix = getenv("LLCSLICE_LOCK_PREFIX");
        src->prefix_what = "LLCSLICE_LOCK_PREFIX";
        if (!src->prefix || !*src->prefix) {
            src->prefix = "llcslice";
            src->prefix_what = "the default lock prefix";
        }
    }
}

int ls_lockdir_open_flags(struct ls_lockdir *ld, const char *dir, const char *prefix,
                          unsigned flags, struct ls_error *err)
{
    struct ls_lockdir_source src;
    ls_lockdir_resolve(dir, prefix, &src);
    return ls_lockdir_check(ld, &src, flags, err);
}

int ls_lockdir_open(struct ls_lockdir *ld, const char *dir, const char *prefix,
                    struct ls_error *err)
{
    return ls_lockdir_open_flags(ld, dir, prefix, 0, err);
}

/* dlopen of libsystemd (see sdbus.h). The library is never closed: bus objects may outlive
 * any one caller. */
#define LS_SDBUS_NO_MACROS
#include "sdbus.h"

#include <dlfcn.h>
#include <stdio.h>

const struct ls_sdbus *ls_sdbus;

const struct ls_sdbus *ls_sdbus_load(char *why, size_t size)
{
    static struct ls_sdbus table;
    if (ls_sdbus)
        return ls_sdbus;
    void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, size, "cannot load libsystemd.so.0 (%s)", e ? e : "?");
        return NULL;
    }
#define LS_SDBUS_LOAD(f)                                                                           \
    if (!(table.f = (__typeof__(table.f))dlsym(h, #f))) {                                          \
        snprintf(why, size, "libsystemd.so.0 lacks %s (too old; systemd 240 or later needed)",     \
                 #f);                                                                              \
        return NULL;                                                                               \
    }
    LS_SDBUS_FUNCS(LS_SDBUS_LOAD)
#undef LS_SDBUS_LOAD
    ls_sdbus = &table;
    return ls_sdbus;
}

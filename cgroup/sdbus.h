/* libsystemd's sd-bus, loaded with dlopen when the systemd cgroup manager is first used: linked
 * in, it and the libraries it pulls (libgcrypt, liblzma, libzstd, liblz4, libcap) cost every
 * start of llcslice, on every host, about a millisecond of dynamic loading. Include this
 * instead of <systemd/sd-bus.h> after it: the sd_bus_* names below then call through the table
 * (only in files that have called ls_sdbus_load successfully). */
#ifndef LLCSLICE_CGROUP_SDBUS_H
#define LLCSLICE_CGROUP_SDBUS_H

#include <stddef.h>
#include <systemd/sd-bus.h>

#define LS_SDBUS_FUNCS(X)                                                                          \
    X(sd_bus_open_user)                                                                            \
    X(sd_bus_open_system)                                                                          \
    X(sd_bus_set_method_call_timeout)                                                              \
    X(sd_bus_get_property_string)                                                                  \
    X(sd_bus_flush_close_unref)                                                                    \
    X(sd_bus_call)                                                                                 \
    X(sd_bus_call_method)                                                                          \
    X(sd_bus_error_free)                                                                           \
    X(sd_bus_error_get_errno)                                                                      \
    X(sd_bus_error_is_set)                                                                         \
    X(sd_bus_match_signal)                                                                         \
    X(sd_bus_slot_unref)                                                                           \
    X(sd_bus_message_new_method_call)                                                              \
    X(sd_bus_message_append)                                                                       \
    X(sd_bus_message_append_array)                                                                 \
    X(sd_bus_message_open_container)                                                               \
    X(sd_bus_message_close_container)                                                              \
    X(sd_bus_message_enter_container)                                                              \
    X(sd_bus_message_read)                                                                         \
    X(sd_bus_message_unref)                                                                        \
    X(sd_bus_process)                                                                              \
    X(sd_bus_wait)

struct ls_sdbus {
#define LS_SDBUS_MEMBER(f) __typeof__(f) *f;
    LS_SDBUS_FUNCS(LS_SDBUS_MEMBER)
#undef LS_SDBUS_MEMBER
};

/* The table, loading libsystemd.so.0 on the first call; NULL with the reason in why when it
 * cannot be loaded (not installed, or too old: a function is missing). */
const struct ls_sdbus *ls_sdbus_load(char *why, size_t size);
extern const struct ls_sdbus *ls_sdbus;

#ifndef LS_SDBUS_NO_MACROS
#define sd_bus_open_user (ls_sdbus->sd_bus_open_user)
#define sd_bus_open_system (ls_sdbus->sd_bus_open_system)
#define sd_bus_set_method_call_timeout (ls_sdbus->sd_bus_set_method_call_timeout)
#define sd_bus_get_property_string (ls_sdbus->sd_bus_get_property_string)
#define sd_bus_flush_close_unref (ls_sdbus->sd_bus_flush_close_unref)
#define sd_bus_call (ls_sdbus->sd_bus_call)
#define sd_bus_call_method (ls_sdbus->sd_bus_call_method)
#define sd_bus_error_free (ls_sdbus->sd_bus_error_free)
#define sd_bus_error_get_errno (ls_sdbus->sd_bus_error_get_errno)
#define sd_bus_error_is_set (ls_sdbus->sd_bus_error_is_set)
#define sd_bus_match_signal (ls_sdbus->sd_bus_match_signal)
#define sd_bus_slot_unref (ls_sdbus->sd_bus_slot_unref)
#define sd_bus_message_new_method_call (ls_sdbus->sd_bus_message_new_method_call)
#define sd_bus_message_append (ls_sdbus->sd_bus_message_append)
#define sd_bus_message_append_array (ls_sdbus->sd_bus_message_append_array)
#define sd_bus_message_open_container (ls_sdbus->sd_bus_message_open_container)
#define sd_bus_message_close_container (ls_sdbus->sd_bus_message_close_container)
#define sd_bus_message_enter_container (ls_sdbus->sd_bus_message_enter_container)
#define sd_bus_message_read (ls_sdbus->sd_bus_message_read)
#define sd_bus_message_unref (ls_sdbus->sd_bus_message_unref)
#define sd_bus_process (ls_sdbus->sd_bus_process)
#define sd_bus_wait (ls_sdbus->sd_bus_wait)
#endif

#endif

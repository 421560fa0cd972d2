/* Minimal streaming JSON writer for --json output (stable keys, see DESIGN.md). */
#ifndef LLCSLICE_JSON_H
#define LLCSLICE_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "planner/cpuset.h"

struct ls_json {
    FILE *out;
    int depth;
    bool need_comma[64];
    bool pretty;
};

void ls_json_init(struct ls_json *j, FILE *out, bool pretty);
void ls_json_obj_begin(struct ls_json *j, const char *key); /* key NULL inside arrays/top */
void ls_json_obj_end(struct ls_json *j);
void ls_json_arr_begin(struct ls_json *j, const char *key);
void ls_json_arr_end(struct ls_json *j);
void ls_json_str(struct ls_json *j, const char *key, const char *val); /* NULL -> null */
void ls_json_int(struct ls_json *j, const char *key, long long val);
void ls_json_uint(struct ls_json *j, const char *key, unsigned long long val);
void ls_json_bool(struct ls_json *j, const char *key, bool val);
void ls_json_null(struct ls_json *j, const char *key);
void ls_json_double(struct ls_json *j, const char *key, double val);
void ls_json_cpuset(struct ls_json *j, const char *key, const ls_cpuset *s); /* [0,1,2] */
void ls_json_finish(struct ls_json *j);                                      /* trailing newline */

#endif

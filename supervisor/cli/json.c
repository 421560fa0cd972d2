#include "json.h"

static void indent(struct ls_json *j)
{
    if (!j->pretty)
        return;
    static const char spaces[] =
        "\n                                                                "
        "                                                                ";
    size_t n = 1 + 2 * (size_t)j->depth;
    fwrite_unlocked(spaces, 1, n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1, j->out);
}

static void put_string(FILE *out, const char *s)
{
    fputc_unlocked('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs_unlocked("\\\"", out);
            break;
        case '\\':
            fputs_unlocked("\\\\", out);
            break;
        case '\n':
            fputs_unlocked("\\n", out);
            break;
        case '\t':
            fputs_unlocked("\\t", out);
            break;
        case '\r':
            fputs_unlocked("\\r", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc_unlocked(*p, out);
        }
    }
    fputc_unlocked('"', out);
}

/* Numbers without printf, and stdio without its per-call locking (one thread writes): topo
 * and locks print thousands of CPU ids. */
static void put_u64(FILE *out, unsigned long long v)
{
    char t[24];
    int n = sizeof(t);
    do
        t[--n] = (char)('0' + v % 10);
    while ((v /= 10));
    fwrite_unlocked(t + n, 1, sizeof(t) - (size_t)n, out);
}

static void put_i64(FILE *out, long long v)
{
    if (v < 0) {
        fputc_unlocked('-', out);
        put_u64(out, 0ull - (unsigned long long)v);
    } else {
        put_u64(out, (unsigned long long)v);
    }
}

static void key(struct ls_json *j, const char *k)
{
    if (j->depth > 0 && j->need_comma[j->depth])
        fputc_unlocked(',', j->out);
    if (j->depth > 0)
        indent(j);
    j->need_comma[j->depth] = true;
    if (k) {
        put_string(j->out, k);
        fputs_unlocked(j->pretty ? ": " : ":", j->out);
    }
}

void ls_json_init(struct ls_json *j, FILE *out, bool pretty)
{
    j->out = out;
    j->depth = 0;
    j->pretty = pretty;
    for (int i = 0; i < 64; i++)
        j->need_comma[i] = false;
}

static void open_(struct ls_json *j, const char *k, char c)
{
    key(j, k);
    fputc_unlocked(c, j->out);
    if (j->depth < 63)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct ls_json *j, char c)
{
    bool had = j->need_comma[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (had)
        indent(j);
    fputc_unlocked(c, j->out);
}

void ls_json_obj_begin(struct ls_json *j, const char *k)
{
    open_(j, k, '{');
}
void ls_json_obj_end(struct ls_json *j)
{
    close_(j, '}');
}
void ls_json_arr_begin(struct ls_json *j, const char *k)
{
    open_(j, k, '[');
}
void ls_json_arr_end(struct ls_json *j)
{
    close_(j, ']');
}

void ls_json_str(struct ls_json *j, const char *k, const char *val)
{
    key(j, k);
    if (val)
        put_string(j->out, val);
    else
        fputs_unlocked("null", j->out);
}

void ls_json_int(struct ls_json *j, const char *k, long long val)
{
    key(j, k);
    put_i64(j->out, val);
}

void ls_json_uint(struct ls_json *j, const char *k, unsigned long long val)
{
    key(j, k);
    put_u64(j->out, val);
}

void ls_json_bool(struct ls_json *j, const char *k, bool val)
{
    key(j, k);
    fputs_unlocked(val ? "true" : "false", j->out);
}

void ls_json_null(struct ls_json *j, const char *k)
{
    key(j, k);
    fputs_unlocked("null", j->out);
}

void ls_json_double(struct ls_json *j, const char *k, double val)
{
    key(j, k);
    fprintf(j->out, "%.6g", val);
}

void ls_json_cpuset(struct ls_json *j, const char *k, const ls_cpuset *s)
{
    key(j, k);
    fputc_unlocked('[', j->out);
    bool first = true;
    LS_CPUSET_FOREACH(c, s)
    {
        if (!first)
            fputc_unlocked(',', j->out);
        put_u64(j->out, (unsigned)c);
        first = false;
    }
    fputc_unlocked(']', j->out);
}

void ls_json_finish(struct ls_json *j)
{
    fputc_unlocked('\n', j->out);
    fflush(j->out);
}

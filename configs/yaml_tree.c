#include "yaml_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "planner/cleanup.h"

#define CORE_TAG "tag:yaml.org,2002:"

struct frame {
    struct ls_ynode *node;
};

struct builder {
    struct ls_ydoc *doc;
    const char *buf;
    size_t len;
    struct frame stack[LS_YAML_MAX_DEPTH + 1];
    size_t depth;
    struct ls_ynode **anchors; /* latest definition last */
    size_t nanchors, capanchors;
    size_t alias_total;
    struct ls_error *err;
};

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    void *p = reallocarray(*arr, n, elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

/* The innermost mapping key whose value is being read, or NULL. A collection is attached
 * to its mapping when it opens, so an open child frame is the last value. */
static const char *current_key(const struct builder *b)
{
    for (size_t i = b->depth; i-- > 0;) {
        const struct ls_ynode *n = b->stack[i].node;
        if (n->kind != LS_Y_MAP)
            continue;
        if (n->nitems % 2 == 1)
            return n->items[n->nitems - 1]->text;
        if (i + 1 < b->depth)
            return n->items[n->nitems - 2]->text;
    }
    return NULL;
}

__attribute__((format(printf, 5, 6))) static int
fail_at(struct builder *b, unsigned line, unsigned col, const char *key, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (key)
        return ls_fail(b->err, LS_ERR_USAGE, 0, "%s:%u:%u: key '%s': %s", b->doc->name, line, col,
                       key, what);
    return ls_fail(b->err, LS_ERR_USAGE, 0, "%s:%u:%u: %s", b->doc->name, line, col, what);
}

static bool is_break(const char *p, const char *end)
{
    return *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'));
}

/* 1-based line and column (in characters, as libyaml counts) of a byte offset. */
static void offset_position(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    const char *end = buf + (off < len ? off : len);
    for (const char *p = buf; p < end; p++) {
        if (is_break(p, buf + len)) {
            l++;
            c = 1;
        } else if (((unsigned char)*p & 0xc0) != 0x80 && *p != '\r') {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Byte at 0-based (line, column in characters), or -1 past the end. */
static int byte_at(const char *buf, size_t len, size_t line, size_t col)
{
    const char *p = buf, *end = buf + len;
    for (size_t l = 0; l < line && p < end; p++)
        if (is_break(p, end))
            l++;
    for (size_t c = 0; p < end; p++) {
        if (((unsigned char)*p & 0xc0) == 0x80)
            continue;
        if (c++ == col)
            return (unsigned char)*p;
    }
    return -1;
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
    const char *key = current_key(b);
    if (p->error == YAML_MEMORY_ERROR)
        return ls_oom(b->err, "reading YAML");
    if (p->error == YAML_READER_ERROR) {
        unsigned line, col;
        offset_position(b->buf, b->len, p->problem_offset, &line, &col);
        const char *problem = p->problem ? p->problem : "unreadable input";
        if (b->len >= 2 && ((unsigned char)b->buf[0] == 0xff || (unsigned char)b->buf[0] == 0xfe) &&
            ((unsigned char)b->buf[1] ^ (unsigned char)b->buf[0]) == 0x01)
            return fail_at(b, 1, 1, NULL, "the file is UTF-16; save it as UTF-8");
        if (strstr(problem, "UTF-8")) {
            unsigned byte =
                p->problem_offset < b->len ? (unsigned char)b->buf[p->problem_offset] : 0;
            return fail_at(b, line, col, key,
                           "not valid UTF-8 (byte 0x%02x: %s); slot files must be UTF-8", byte,
                           problem);
        }
        if (strstr(problem, "control characters"))
            return fail_at(b, line, col, key,
                           "control character 0x%02x is not allowed in a YAML file",
                           (unsigned)p->problem_value);
        return fail_at(b, line, col, key, "%s (U+%04X)", problem, (unsigned)p->problem_value);
    }
    unsigned line = (unsigned)p->problem_mark.line + 1, col = (unsigned)p->problem_mark.column + 1;
    if (byte_at(b->buf, b->len, p->problem_mark.line, p->problem_mark.column) == '\t')
        return fail_at(b, line, col, key,
                       "tab character where YAML expects indentation or a value; indent with "
                       "spaces only");
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->context)
        return fail_at(b, line, col, key, "YAML syntax error: %s (%s at line %zu column %zu)",
                       problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return fail_at(b, line, col, key, "YAML syntax error: %s", problem);
}

static struct ls_ynode *new_node(struct builder *b, enum ls_ykind kind, const yaml_mark_t *m)
{
    struct ls_ydoc *doc = b->doc;
    if (grow((void **)&doc->all, &doc->capall, doc->nall + 1, sizeof(*doc->all)) < 0)
        return NULL;
    struct ls_ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (unsigned)m->line + 1;
    n->col = (unsigned)m->column + 1;
    n->expanded = 1;
    doc->all[doc->nall++] = n;
    return n;
}

static int check_tag(struct builder *b, const yaml_char_t *tag, const yaml_mark_t *m,
                     bool *is_null_tag)
{
    *is_null_tag = false;
    if (!tag || !strcmp((const char *)tag, "!"))
        return 0;
    static const char *const core[] = {"str", "int", "float", "bool", "null", "seq", "map"};
    const char *t = (const char *)tag;
    if (!strncmp(t, CORE_TAG, strlen(CORE_TAG)))
        for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
            if (!strcmp(t + strlen(CORE_TAG), core[i])) {
                *is_null_tag = !strcmp(core[i], "null");
                return 0;
            }
    return fail_at(b, (unsigned)m->line + 1, (unsigned)m->column + 1, current_key(b),
                   "unsupported YAML tag '%s'", t);
}

static int remember_anchor(struct builder *b, struct ls_ynode *n, const yaml_char_t *anchor)
{
    if (!anchor)
        return 0;
    n->anchor = strdup((const char *)anchor);
    if (!n->anchor ||
        grow((void **)&b->anchors, &b->capanchors, b->nanchors + 1, sizeof(*b->anchors)) < 0)
        return ls_oom(b->err, "reading YAML");
    b->anchors[b->nanchors++] = n;
    return 0;
}

/* Attach a finished (or shared, for aliases) node to the open collection or the root. */
static int attach(struct builder *b, struct ls_ynode *n, const yaml_mark_t *m)
{
    if (b->depth == 0) {
        b->doc->root = n;
        return 0;
    }
    struct ls_ynode *parent = b->stack[b->depth - 1].node;
    if (parent->kind == LS_Y_MAP && parent->nitems % 2 == 0) {
        if (n->kind != LS_Y_SCALAR)
            return fail_at(b, (unsigned)m->line + 1, (unsigned)m->column + 1, current_key(b),
                           "a mapping key must be a plain string, not %s", ls_ynode_kind_name(n));
        if (strlen(n->text) != n->len)
            return fail_at(b, (unsigned)m->line + 1, (unsigned)m->column + 1, current_key(b),
                           "a mapping key contains a NUL character");
    }
    if (grow((void **)&parent->items, &parent->cap, parent->nitems + 1, sizeof(*parent->items)) < 0)
        return ls_oom(b->err, "reading YAML");
    parent->items[parent->nitems++] = n;
    return 0;
}

static int open_collection(struct builder *b, enum ls_ykind kind, const yaml_event_t *e,
                           const yaml_char_t *anchor, const yaml_char_t *tag)
{
    bool null_tag;
    if (check_tag(b, tag, &e->start_mark, &null_tag) < 0)
        return -1;
    if (b->depth >= LS_YAML_MAX_DEPTH)
        return fail_at(b, (unsigned)e->start_mark.line + 1, (unsigned)e->start_mark.column + 1,
                       current_key(b), "YAML nested deeper than %d levels", LS_YAML_MAX_DEPTH);
    struct ls_ynode *n = new_node(b, kind, &e->start_mark);
    if (!n)
        return ls_oom(b->err, "reading YAML");
    if (attach(b, n, &e->start_mark) < 0 || remember_anchor(b, n, anchor) < 0)
        return -1;
    b->stack[b->depth++].node = n;
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    const struct ls_ynode *x = *(struct ls_ynode *const *)a, *y = *(struct ls_ynode *const *)b;
    int c = strcmp(x->text, y->text);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* YAML requires unique keys; report the earliest repeat in document order. */
static int check_unique_keys(struct builder *b, const struct ls_ynode *map)
{
    size_t n = ls_ymap_pairs(map);
    if (n < 2)
        return 0;
    _cleanup_free_ struct ls_ynode **keys = calloc(n, sizeof(*keys));
    if (!keys)
        return ls_oom(b->err, "reading YAML");
    for (size_t i = 0; i < n; i++)
        keys[i] = map->items[2 * i];
    qsort(keys, n, sizeof(*keys), cmp_key);
    const struct ls_ynode *dup = NULL, *first = NULL;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(keys[i]->text, keys[i - 1]->text) ||
            (i >= 2 && !strcmp(keys[i]->text, keys[i - 2]->text)))
            continue;
        if (!dup || keys[i]->line < dup->line ||
            (keys[i]->line == dup->line && keys[i]->col < dup->col)) {
            dup = keys[i];
            first = keys[i - 1];
        }
    }
    if (!dup)
        return 0;
    if (dup == first) /* the same aliased key node twice */
        return ls_fail(b->err, LS_ERR_USAGE, 0, "%s:%u:%u: key '%s': duplicate key", b->doc->name,
                       dup->line, dup->col, dup->text);
    return ls_fail(b->err, LS_ERR_USAGE, 0,
                   "%s:%u:%u: key '%s': duplicate key (first at line %u column %u)", b->doc->name,
                   dup->line, dup->col, dup->text, first->line, first->col);
}

static int close_collection(struct builder *b)
{
    struct ls_ynode *n = b->stack[--b->depth].node;
    for (size_t i = 0; i < n->nitems; i++)
        n->expanded = sat_add(n->expanded, n->items[i]->expanded);
    n->complete = true;
    return n->kind == LS_Y_MAP ? check_unique_keys(b, n) : 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *e)
{
    bool null_tag;
    if (check_tag(b, e->data.scalar.tag, &e->start_mark, &null_tag) < 0)
        return -1;
    struct ls_ynode *n = new_node(b, LS_Y_SCALAR, &e->start_mark);
    if (!n)
        return ls_oom(b->err, "reading YAML");
    n->len = e->data.scalar.length;
    n->text = malloc(n->len + 1);
    if (!n->text)
        return ls_oom(b->err, "reading YAML");
    memcpy(n->text, e->data.scalar.value, n->len);
    n->text[n->len] = '\0';
    n->plain = null_tag || (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !e->data.scalar.tag);
    n->complete = true;
    if (attach(b, n, &e->start_mark) < 0)
        return -1;
    return remember_anchor(b, n, e->data.scalar.anchor);
}

static int on_alias(struct builder *b, const yaml_event_t *e)
{
    const char *name = (const char *)e->data.alias.anchor;
    unsigned line = (unsigned)e->start_mark.line + 1, col = (unsigned)e->start_mark.column + 1;
    struct ls_ynode *target = NULL;
    for (size_t i = b->nanchors; i-- > 0;)
        if (!strcmp(b->anchors[i]->anchor, name)) {
            target = b->anchors[i];
            break;
        }
    if (!target)
        return fail_at(b, line, col, current_key(b),
                       "alias '*%s' names no anchor defined before it", name);
    if (!target->complete)
        return fail_at(b, line, col, current_key(b),
                       "alias '*%s' is inside the node it refers to (a recursive structure)", name);
    b->alias_total = sat_add(b->alias_total, target->expanded);
    if (b->alias_total > LS_YAML_MAX_ALIAS_NODES)
        return fail_at(b, line, col, current_key(b),
                       "aliases expand to more than %u nodes (a billion-laughs file?); write "
                       "the values out instead",
                       LS_YAML_MAX_ALIAS_NODES);
    return attach(b, target, &e->start_mark);
}

static int on_event(struct builder *b, const yaml_event_t *e, int *docs)
{
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return fail_at(b, (unsigned)e->start_mark.line + 1, (unsigned)e->start_mark.column + 1,
                           NULL, "a second YAML document starts here; a slot file holds one");
        return 0;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, e);
    case YAML_ALIAS_EVENT:
        return on_alias(b, e);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection(b, LS_Y_SEQ, e, e->data.sequence_start.anchor,
                               e->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return open_collection(b, LS_Y_MAP, e, e->data.mapping_start.anchor,
                               e->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_collection(b);
    default:
        return 0;
    }
}

int ls_ydoc_parse(struct ls_ydoc *doc, const char *name, const char *buf, size_t len,
                  struct ls_error *err)
{
    memset(doc, 0, sizeof(*doc));
    doc->name = name;
    /* With the encoding forced to UTF-8 libyaml keeps a leading BOM as content (YAML 1.2
     * 5.2 allows one); drop it so columns match what an editor shows. */
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
        buf += 3;
        len -= 3;
    }
    struct builder b = {.doc = doc, .buf = buf, .len = len, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return ls_oom(err, "reading YAML");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING); /* no UTF-16 guessing */
    int rc = 0, docs = 0;
    for (bool done = false; !done;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&parser, &e)) {
            rc = parser_error(&b, &parser);
            break;
        }
        done = e.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &e, &docs);
        yaml_event_delete(&e);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&parser);
    free(b.anchors);
    if (rc < 0)
        ls_ydoc_free(doc);
    return rc;
}

void ls_ydoc_free(struct ls_ydoc *doc)
{
    for (size_t i = 0; i < doc->nall; i++) {
        free(doc->all[i]->text);
        free(doc->all[i]->items);
        free(doc->all[i]->anchor);
        free(doc->all[i]);
    }
    free(doc->all);
    doc->all = NULL;
    doc->nall = doc->capall = 0;
    doc->root = NULL;
}

bool ls_ynode_is_null(const struct ls_ynode *n)
{
    if (n->kind != LS_Y_SCALAR || !n->plain)
        return false;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (!strcmp(n->text, nulls[i]))
            return true;
    return false;
}

const char *ls_ynode_kind_name(const struct ls_ynode *n)
{
    switch (n->kind) {
    case LS_Y_SEQ:
        return "a list";
    case LS_Y_MAP:
        return "a mapping";
    case LS_Y_SCALAR:
        break;
    }
    return ls_ynode_is_null(n) ? "null" : "a string";
}

/* One YAML document read through libyaml's event API into a small tree, with the limits a
 * config file needs: UTF-8 only, bounded nesting, bounded alias expansion (billion laughs),
 * unique mapping keys, and errors as "FILE:LINE:COL: ...". */
#ifndef LLCSLICE_YAML_TREE_H
#define LLCSLICE_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "planner/error.h"

#define LS_YAML_MAX_DEPTH 64           /* nested collections */
#define LS_YAML_MAX_ALIAS_NODES 10000u /* nodes all aliases together may expand to */

enum ls_ykind { LS_Y_SCALAR, LS_Y_SEQ, LS_Y_MAP };

struct ls_ynode {
    enum ls_ykind kind;
    unsigned line, col;      /* 1-based start of the node (its anchor or tag, if any) */
    char *text;              /* scalar: NUL-terminated value */
    size_t len;              /* scalar: length; < strlen-able when it holds a NUL */
    bool plain;              /* scalar written unquoted and untagged: may be null */
    struct ls_ynode **items; /* seq: items; map: key, value, key, value... */
    size_t nitems;
    size_t cap;
    size_t expanded; /* nodes a walk of this one visits, aliases expanded (saturates) */
    bool complete;   /* its end event was seen (aliases to open nodes are cycles) */
    char *anchor;
};

struct ls_ydoc {
    const char *name;      /* file name used in messages (not owned) */
    struct ls_ynode *root; /* NULL for an empty document */
    struct ls_ynode **all; /* every node, for freeing (aliases share nodes) */
    size_t nall, capall;
};

/* Parse buf (len bytes) as exactly one YAML document. Errors are LS_ERR_USAGE and read
 * "NAME:LINE:COL: [key 'K': ]what", naming the innermost mapping key being read. */
int ls_ydoc_parse(struct ls_ydoc *doc, const char *name, const char *buf, size_t len,
                  struct ls_error *err);
void ls_ydoc_free(struct ls_ydoc *doc);

static inline size_t ls_ymap_pairs(const struct ls_ynode *n)
{
    return n->nitems / 2;
}

/* True for a plain null scalar: "", "~", "null", "Null", "NULL". */
bool ls_ynode_is_null(const struct ls_ynode *n);
/* "a string", "a list", "a mapping", "null": for "expected X, got Y" messages. */
const char *ls_ynode_kind_name(const struct ls_ynode *n);

#endif

#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configs/suggest.h"
#include "planner/duration.h"
#include "report.h"

void ls_getopt_init(struct ls_getopt *g, const char *cmd, int argc, char **argv,
                    const char *shortopts, const struct option *longopts)
{
    *g = (struct ls_getopt){.cmd = cmd,
                            .argc = argc,
                            .argv = argv,
                            .shortopts = shortopts,
                            .longopts = longopts,
                            .index = -1};
    optind = 0; /* glibc: full reset */
    opterr = 0;
    bool has_json = false;
    for (const struct option *o = longopts; o->name; o++)
        has_json |= !strcmp(o->name, "json");
    ls_json_errors = false;
    for (int i = 1; has_json && i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--json"))
            ls_json_errors = true;
}

static const struct option *find_long(const struct ls_getopt *g, const char *name, size_t len)
{
    for (const struct option *o = g->longopts; o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

int ls_getopt_next(struct ls_getopt *g)
{
    g->index = -1;
    int before = optind ? optind : 1;
    int c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, &g->index);
    if (c == -1)
        return c;
    const char *word = before < g->argc ? g->argv[before] : "";
    g->word = word;
    if (c == '?' || c == ':') {
        g->fail = c;
        return '?';
    }
    if (g->index < 0)
        return c;
    const struct option *o = &g->longopts[g->index];
    bool attached = strchr(word, '=') != NULL;
    if (o->has_arg == optional_argument && !optarg && optind < g->argc) {
        const char *next = g->argv[optind];
        long long ms;
        struct ls_error e = {0};
        /* "-5s" is a negative duration, not options -5 -s: take it so its parser says so */
        bool negative = next[0] == '-' && next[1] >= '0' && next[1] <= '9';
        if (!strcmp(next, "forever") || negative || ls_duration_parse(next, NULL, &ms, &e) == 0)
            optarg = g->argv[optind++];
    } else if (o->has_arg == required_argument && !attached && optarg && optarg[0] == '-' &&
               optarg[1] == '-') {
        const char *name = optarg + 2;
        if (!*name || find_long(g, name, strcspn(name, "="))) {
            g->fail = ':';
            return '?';
        }
    }
    return c;
}

const char *ls_did_you_mean(const char *word, const char *const *words, size_t n, char *buf,
                            size_t size)
{
    size_t len = strlen(word), used = 0, hits = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len; i++) {
        if (strncmp(words[i], word, len))
            continue;
        used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "%s'%s'",
                                 hits ? " or " : "; did you mean ", words[i]);
        hits++;
    }
    if (!hits) {
        const char *best = ls_suggest(word, words, n);
        if (best)
            used = (size_t)snprintf(buf, size, "; did you mean '%s'", best);
        else
            return buf;
    }
    if (used < size)
        snprintf(buf + used, size - used, "?");
    return buf;
}

/* "did you mean" over the long option names (with their dashes) of g's table. */
static const char *suggest_option(const struct ls_getopt *g, const char *word, char *buf,
                                  size_t size)
{
    size_t n = 0;
    for (const struct option *o = g->longopts; o->name; o++)
        n++;
    const char **names = calloc(n + 1, sizeof(*names));
    char *storage = calloc(n + 1, 64);
    buf[0] = '\0';
    if (names && storage) {
        for (size_t i = 0; i < n; i++) {
            snprintf(storage + i * 64, 64, "--%s", g->longopts[i].name);
            names[i] = storage + i * 64;
        }
        char bare[256];
        snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(word, "="), word);
        ls_did_you_mean(bare, names, n, buf, size);
    }
    free(names);
    free(storage);
    return buf;
}

int ls_getopt_error(struct ls_getopt *g)
{
    const char *word = g->word ? g->word : "";
    char hint[512];
    bool is_long = word[0] == '-' && word[1] == '-';
    if (g->fail == ':') {
        const char *name = is_long ? word : word;
        return ls_usage_error(g->cmd, "option '%.*s' needs a value", (int)strcspn(name, "="), name);
    }
    if (!is_long) {
        if (optopt > 0 && optopt < 256)
            return ls_usage_error(g->cmd, "unknown option '-%c'", optopt);
        return ls_usage_error(g->cmd, "unknown option '%s'", word);
    }
    size_t len = strcspn(word + 2, "=");
    const struct option *o = find_long(g, word + 2, len);
    if (!o) { /* glibc also accepts a unique prefix: find the one it matched */
        const struct option *only = NULL;
        size_t hits = 0;
        for (const struct option *p = g->longopts; p->name; p++)
            if (len && !strncmp(p->name, word + 2, len))
                only = p, hits++;
        if (hits == 1)
            o = only;
        else if (hits > 1)
            return ls_usage_error(g->cmd, "option '%.*s' is ambiguous%s", (int)len + 2, word,
                                  suggest_option(g, word, hint, sizeof(hint)));
    }
    if (o && o->has_arg == no_argument && word[2 + len] == '=')
        return ls_usage_error(g->cmd, "option '--%s' takes no value", o->name);
    if (o) /* a required value missing at the end */
        return ls_usage_error(g->cmd, "option '--%s' needs a value", o->name);
    return ls_usage_error(g->cmd, "unknown option '%.*s'%s", (int)len + 2, word,
                          suggest_option(g, word, hint, sizeof(hint)));
}

struct option *ls_options_merge(const struct option *a, const struct option *b)
{
    size_t na = 0, nb = 0;
    while (a[na].name)
        na++;
    while (b[nb].name)
        nb++;
    struct option *out = calloc(na + nb + 1, sizeof(*out));
    if (!out)
        return NULL;
    memcpy(out, a, na * sizeof(*out));
    size_t n = na;
    for (size_t i = 0; i < nb; i++) {
        bool dup = false;
        for (size_t k = 0; k < na && !dup; k++)
            dup = !strcmp(a[k].name, b[i].name);
        if (!dup)
            out[n++] = b[i];
    }
    return out;
}

void ls_ignored_add(char *buf, size_t size, const char *name, int c)
{
    char item[128];
    if (name)
        snprintf(item, sizeof(item), "--%s", name);
    else if (c == '-')
        snprintf(item, sizeof(item), "the command after --");
    else
        snprintf(item, sizeof(item), "-%c", c);
    /* already listed? items are separated by ", " */
    for (const char *p = buf; (p = strstr(p, item)); p++)
        if ((p == buf || p[-1] == ' ') && (p[strlen(item)] == ',' || !p[strlen(item)]))
            return;
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s%s", used ? ", " : "", item);
}

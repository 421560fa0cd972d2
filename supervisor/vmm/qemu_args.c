#include "qemu_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "planner/cleanup.h"
#include "planner/strv.h"

/* qemu accepts -opt and --opt; "-opt=value" is not qemu syntax but is refused the same. */
static bool is_opt(const char *arg, const char *name)
{
    if (arg[0] != '-')
        return false;
    arg += arg[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

static const char *opt_value(char *const *args, size_t i)
{
    const char *eq = strchr(args[i], '=');
    return eq ? eq + 1 : args[i + 1];
}

/* qemu's -m size: [size=]N[suffix][,slots=..,maxmem=..]; unit MiB without suffix. */
static int parse_mem(const char *text, uint64_t *mib, struct ls_error *err)
{
    if (!text)
        return ls_fail(err, LS_ERR_USAGE, EINVAL, "qemu option -m has no value");
    const char *p = text;
    if (!strncmp(p, "size=", 5))
        p += 5;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(p, &end, 10);
    if (end == p || errno || *p == '-')
        goto bad;
    uint64_t shift_mib = 0, div = 1; /* value in MiB = n << shift / div */
    switch (toupper((unsigned char)*end)) {
    case 'B':
        div = 1024 * 1024;
        end++;
        break;
    case 'K':
        div = 1024;
        end++;
        break;
    case 'M':
        end++;
        break;
    case 'G':
        shift_mib = 10;
        end++;
        break;
    case 'T':
        shift_mib = 20;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0' && *end != ',')
        goto bad;
    if (n % div || n > (UINT64_MAX >> 21))
        goto bad;
    *mib = (n / div) << shift_mib;
    if (!*mib)
        goto bad;
    return 0;
bad:
    return ls_fail(err, LS_ERR_USAGE, EINVAL,
                   "qemu option -m %s: llcslice splits the guest memory among the guest NUMA "
                   "nodes and needs a whole number of MiB (e.g. -m 1024 or -m 2G)",
                   text);
}

int ls_qemu_args_scan(char *const *args, const struct ls_perf_topo *perf, struct ls_qemu_scan *out,
                      struct ls_error *err)
{
    out->mem_mib = LS_QEMU_DEFAULT_MEM_MIB;
    out->mem_given = false;
    struct ls_vm_layout shape;
    ls_vm_layout_shape(&shape, perf);
    _cleanup_free_ char *smp = ls_qemu_smp(&shape);
    if (!smp)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    for (size_t i = 0; args[i]; i++) {
        const char *a = args[i];
        if (is_opt(a, "smp"))
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "the qemu arguments set '%s%s%s' but --vmm qemu sets the guest "
                           "topology from --perf (-smp %s): drop -smp from the qemu arguments",
                           a, strchr(a, '=') || !args[i + 1] ? "" : " ",
                           strchr(a, '=') || !args[i + 1] ? "" : args[i + 1], smp);
        if (is_opt(a, "numa"))
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "the qemu arguments set '%s%s%s' but --vmm qemu sets the guest NUMA "
                           "layout from --perf (%u node(s); nodes=N for more): drop -numa from "
                           "the qemu arguments",
                           a, strchr(a, '=') || !args[i + 1] ? "" : " ",
                           strchr(a, '=') || !args[i + 1] ? "" : args[i + 1], perf->nodes);
        if (is_opt(a, "daemonize"))
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "the qemu arguments have -daemonize but --vmm qemu supervises qemu "
                           "as the job (its exit code is the job's): drop -daemonize");
        if (is_opt(a, "m")) {
            if (parse_mem(opt_value(args, i), &out->mem_mib, err) < 0)
                return -1;
            out->mem_given = true;
        }
    }
    return 0;
}

char *ls_qemu_smp(const struct ls_vm_layout *l)
{
    char *s;
    if (asprintf(&s, "%u,sockets=%u,dies=%u,cores=%u,threads=%u", l->nvcpus, l->sockets, l->dies,
                 l->perf.cores, l->perf.threads) < 0)
        return NULL;
    return s;
}

/* Append with a NULL terminator kept after the last element. */
static int push(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int push(char ***v, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ls_strv_vappendf(v, n, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    char **grown = realloc(*v, (*n + 1) * sizeof(**v));
    if (!grown)
        return -1;
    *v = grown;
    (*v)[*n] = NULL;
    return 0;
}

char **ls_qemu_args_build(const struct ls_vm_layout *l, uint64_t mem_mib, bool mem_given,
                          const char *qmp_path, struct ls_error *err)
{
    char **v = NULL;
    size_t n = 0;
    if (ls_vm_mem_check(l, mem_mib, err) < 0)
        return NULL;
    _cleanup_free_ char *smp = ls_qemu_smp(l);
    bool ok = smp && push(&v, &n, "-smp") == 0 && push(&v, &n, "%s", smp) == 0;
    if (ok && l->nnodes && !mem_given)
        ok = push(&v, &n, "-m") == 0 && push(&v, &n, "%lluM", (unsigned long long)mem_mib) == 0;
    for (unsigned g = 0; ok && g < l->nnodes; g++) {
        const struct ls_vm_node *nd = &l->nodes[g];
        ok = push(&v, &n, "-object") == 0 &&
             push(&v, &n,
                  "memory-backend-ram,id=llcslice-mem%u,size=%lluM,host-nodes=%d,policy=bind", g,
                  (unsigned long long)ls_vm_node_mem_mib(l, mem_mib, g), nd->host_node) == 0 &&
             push(&v, &n, "-numa") == 0 &&
             push(&v, &n, "node,nodeid=%u,cpus=%u-%u,memdev=llcslice-mem%u", g, nd->first_vcpu,
                  nd->first_vcpu + nd->nvcpus - 1, g) == 0;
    }
    for (unsigned a = 0; ok && a < l->nnodes; a++)
        for (unsigned b = 0; ok && b < l->nnodes; b++)
            if (a != b)
                ok = push(&v, &n, "-numa") == 0 && push(&v, &n, "dist,src=%u,dst=%u,val=%u", a, b,
                                                        l->dist[a * l->nnodes + b]) == 0;
    if (ok && qmp_path)
        ok = push(&v, &n, "-qmp") == 0 && push(&v, &n, "unix:%s,server=on,wait=off", qmp_path) == 0;
    if (!ok) {
        if (v)
            for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory building the qemu arguments");
        return NULL;
    }
    return v;
}

int ls_qemu_args_print(FILE *out, const struct ls_vm_layout *l, uint64_t mem_mib,
                       struct ls_error *err)
{
    char **v = ls_qemu_args_build(l, mem_mib, false, NULL, err);
    if (!v)
        return -1;
    for (size_t i = 0; v[i]; i++)
        fprintf(out, "%s%s", i ? " " : "", v[i]); /* no shell metacharacters in any of them */
    fputc('\n', out);
    ls_strv_free(v);
    return 0;
}

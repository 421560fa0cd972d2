/* CPU budget: parsing --cpus/--cpu-cap/LLCSLICE_CPU_CAP and resolving it against the
 * allowed set (explicit > env > default 30%, or the seed's no-perf VM rule). */
#include "request.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpuset.h"
#include "quote.h"

/* Valid UTF-8 per RFC 3629 (no overlongs, surrogates or code points above U+10FFFF). */
static bool utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, n;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += n + 1;
    }
    return true;
}

int ls_budget_parse(const char *text, const char *what, size_t *out, struct ls_error *err)
{
    char shown[96];
    ls_quote(text, shown, sizeof(shown));
    if (!text || !*text)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s is empty: give a CPU count >= 1 (a positive decimal integer)", what);
    if (!utf8_valid((const unsigned char *)text))
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s contains non-UTF-8 bytes (%zu bytes): %s. Set a CPU count >= 1 or "
                       "unset it.",
                       what, strlen(text), shown);
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return ls_fail(err, LS_ERR_USAGE, EINVAL,
                           "%s must be a CPU count >= 1 (a positive decimal integer), got %s", what,
                           shown);
        unsigned d = (unsigned)(*p - '0');
        if (n > (LS_MAX_CPUS - 1 - d) / 10)
            return ls_fail(err, LS_ERR_USAGE, ERANGE,
                           "%s = %s is out of range: CPU counts stop at %u", what, shown,
                           LS_MAX_CPUS - 1);
        n = n * 10 + d;
    }
    if (n == 0)
        return ls_fail(err, LS_ERR_USAGE, EINVAL,
                       "%s must be >= 1 CPU (got 0); 0 does not mean \"no cap\": omit it for "
                       "the default (30%% of the allowed CPUs)",
                       what);
    *out = n;
    return 0;
}

size_t ls_default_budget(size_t allowed)
{
    size_t n = (allowed * 30 + 99) / 100;
    return n ? n : 1;
}

size_t ls_vm_budget(size_t allowed, size_t vcpus)
{
    size_t want = vcpus < allowed ? vcpus : allowed;
    size_t def = ls_default_budget(allowed);
    return want > def ? want : def;
}

int ls_budget_resolve(const struct ls_topology *topo, const ls_cpuset *allowed,
                      const struct ls_request *req, struct ls_budget *b, struct ls_error *err)
{
    *b = (struct ls_budget){0};
    ls_cpuset on = LS_CPUSET_INIT;
    if (ls_cpuset_copy(&on, allowed) < 0)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    ls_cpuset_and(&on, &topo->online);
    b->allowed = ls_cpuset_count(&on);
    ls_cpuset_free(&on);
    return ls_request_target(req, b->allowed, &b->target, err);
}

void ls_request_init(struct ls_request *req)
{
    memset(req, 0, sizeof(*req));
    req->mode = LS_MODE_SHARED;
    req->pid = (unsigned)getpid();
}

int ls_request_target(const struct ls_request *req, size_t allowed, size_t *target,
                      struct ls_error *err)
{
    if (req->mode == LS_MODE_EXCLUSIVE && req->has_perf) {
        const struct ls_perf_topo *p = &req->perf;
        *target = (size_t)p->llcs * p->cores * p->threads + 1;
        return 0;
    }
    if (req->cpus) {
        if (req->cpus > allowed)
            return ls_fail(err, LS_ERR_USAGE, ERANGE,
                           "CPU budget %zu exceeds the %zu CPUs this process is allowed on "
                           "(sched_getaffinity / Cpus_allowed_list, or --allowed-cpus). Pick a "
                           "value <= %zu, release the cgroup/taskset constraint restricting "
                           "this process, or omit --cpus to use the auto-sized default (30%% of "
                           "the allowed set; the vCPU count, floored at 30%%, for VMs).",
                           req->cpus, allowed, allowed);
        *target = req->cpus;
        return 0;
    }
    if (allowed == 0)
        return ls_fail(err, LS_ERR_UNSAT, ENOENT, "no allowed CPU is online on this host");
    *target = req->vcpus ? ls_vm_budget(allowed, req->vcpus) : ls_default_budget(allowed);
    return 0;
}

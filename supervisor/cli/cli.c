#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ls_host_opts_from_env(struct ls_host_opts *opts)
{
    if (!opts->fsroot) {
        opts->fsroot = getenv("LLCSLICE_FSROOT");
        opts->fsroot_what = "LLCSLICE_FSROOT";
    } else if (!opts->fsroot_what) {
        opts->fsroot_what = "--fsroot";
    }
    if (!opts->allowed) {
        const char *env = getenv("LLCSLICE_ALLOWED_CPUS");
        if (env && *env) {
            opts->allowed = env;
            opts->allowed_what = "LLCSLICE_ALLOWED_CPUS";
        }
    } else if (!opts->allowed_what) {
        opts->allowed_what = "--allowed-cpus";
    }
}

int ls_host_load(struct ls_host *host, const struct ls_host_opts *opts, struct ls_error *err)
{
    memset(host, 0, sizeof(*host));
    if (ls_root_init(&host->root, opts->fsroot, opts->fsroot_what ? opts->fsroot_what : "--fsroot",
                     err) < 0)
        return -1;
    if (ls_topology_discover(&host->root, &host->topo, err) < 0)
        return -1;
    for (size_t i = 0; i < host->topo.nwarnings; i++)
        ls_warn("%s", host->topo.warnings[i]);
    return ls_allowed_cpus(&host->root, &host->topo, opts->allowed, opts->allowed_what,
                           &host->allowed, err);
}

void ls_host_free(struct ls_host *host)
{
    ls_topology_free(&host->topo);
    ls_cpuset_free(&host->allowed);
}

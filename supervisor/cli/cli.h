/* Subcommands of the llcslice executable and the option handling they share. */
#ifndef LLCSLICE_CLI_H
#define LLCSLICE_CLI_H

#include <stdbool.h>

#include "planner/cpuset.h"
#include "planner/error.h"
#include "planner/sysfs.h"
#include "planner/topology.h"
#include "report.h"

#define LLCSLICE_VERSION "0.1.0"

/* Each returns the process exit code. argv[0] is the subcommand name. */
int ls_cmd_topo(int argc, char **argv);
int ls_cmd_plan(int argc, char **argv);
int ls_cmd_locks(int argc, char **argv);
int ls_cmd_run(int argc, char **argv);
int ls_cmd_slots(int argc, char **argv);
int ls_cmd_sweep(int argc, char **argv);
int ls_cmd_pin(int argc, char **argv);

/* run's option table (getopt_long, NULL-terminated): plan accepts all of it. */
struct option;
const struct option *ls_run_options(void);

/* Options every host-reading command takes. Flag beats environment beats default. */
struct ls_host_opts {
    const char *fsroot;      /* --fsroot / LLCSLICE_FSROOT */
    const char *fsroot_what; /* which of the two, for errors */
    const char *allowed;     /* --allowed-cpus / LLCSLICE_ALLOWED_CPUS */
    const char *allowed_what;
};

/* The host as a command sees it: root, topology, allowed CPUs. */
struct ls_host {
    struct ls_root root;
    struct ls_topology topo;
    ls_cpuset allowed;
};

/* Fill unset fields of opts from the environment. */
void ls_host_opts_from_env(struct ls_host_opts *opts);
int ls_host_load(struct ls_host *host, const struct ls_host_opts *opts, struct ls_error *err);
void ls_host_free(struct ls_host *host);

#endif

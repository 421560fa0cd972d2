/* qemu's command line under --vmm qemu: what llcslice appends to the user's arguments (the
 * guest topology the plan fixes, NUMA memory bound to the planned host nodes, a QMP socket of
 * its own) and the checks that the user's arguments do not already set those. */
#ifndef LLCSLICE_VMM_QEMU_ARGS_H
#define LLCSLICE_VMM_QEMU_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "planner/error.h"
#include "planner/strv.h"
#include "layout.h"

/* qemu's default guest RAM (pc and q35 machines) when no -m is given, MiB. */
#define LS_QEMU_DEFAULT_MEM_MIB 128

struct ls_qemu_scan {
    uint64_t mem_mib; /* from -m (qemu's unit: MiB unless suffixed), or the default */
    bool mem_given;
};

/* Scan the user's qemu arguments (args[0] is the first argument after the program, NULL
 * ends): -smp, -numa and -daemonize (llcslice must keep qemu as its job) are usage errors
 * naming the conflict and what llcslice sets instead (`fixed`, e.g. the -smp value); -m is
 * read for the NUMA split (whole MiB only; qemu's suffixes B/K/M/G/T, no suffix = MiB). */
int ls_qemu_args_scan(char *const *args, const struct ls_perf_topo *perf, struct ls_qemu_scan *out,
                      struct ls_error *err);

/* The -smp value: "N,sockets=S,dies=D,cores=C,threads=T" (one die per virtual LLC: qemu's
 * x86 CPUID describes one L3 per die). Caller frees. */
char *ls_qemu_smp(const struct ls_vm_layout *l);

/* The arguments to append, a NULL-terminated array the caller frees with ls_strv_free:
 * -smp; with guest nodes, -m (when mem_given is false) and per node a memory-backend-ram
 * object (host-nodes=H,policy=bind) plus -numa node/dist; with qmp_path, -qmp
 * unix:PATH,server=on,wait=off. */
char **ls_qemu_args_build(const struct ls_vm_layout *l, uint64_t mem_mib, bool mem_given,
                          const char *qmp_path, struct ls_error *err);

/* `plan --format qemu`: the same arguments, shell-quoted on one line (no -qmp). */
int ls_qemu_args_print(FILE *out, const struct ls_vm_layout *l, uint64_t mem_mib,
                       struct ls_error *err);

/* `plan --format libvirt`: <vcpu>, <cputune> (vcpupin per vCPU, emulatorpin on the service
 * CPU), <cpu> (topology, NUMA cells) and <numatune> (memory and memnode bound to the
 * planned nodes) for a domain XML. mems: the plan's memory nodes. */
int ls_libvirt_print(FILE *out, const struct ls_vm_layout *l, const ls_cpuset *mems,
                     uint64_t mem_mib, struct ls_error *err);

#endif

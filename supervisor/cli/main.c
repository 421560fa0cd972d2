/* llcslice: reserve an LLC/NUMA-aware CPU slice, hold it with flock, run a job inside it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "configs/suggest.h"
#include "cli.h"
#include "supervisor/run/proctitle.h"

static const char usage[] =
    "Usage: llcslice COMMAND [OPTIONS]\n"
    "\n"
    "Reserve a slice of this host's CPUs that respects last-level caches and NUMA nodes,\n"
    "coordinate it with every other llcslice (or ktstr) process through flock(2) lockfiles,\n"
    "and run a job inside a cgroup limited to that slice.\n"
    "\n"
    "Commands:\n"
    "  run [OPTIONS] -- CMD ARGS...   reserve a slice and run CMD inside it\n"
    "  plan [OPTIONS]                 show what run would reserve now (takes no lock)\n"
    "  topo                           the host's CPUs, LLCs and NUMA nodes as planned on\n"
    "  locks                          every lockfile of the prefix and who holds it\n"
    "  slots FILE.yaml                run the job slots a YAML file describes\n"
    "  sweep                          remove orphaned llcslice cgroups\n"
    "  pin --qmp SOCKET               pin a running qemu's threads to the job's --perf plan\n"
    "\n"
    "Run 'llcslice COMMAND --help' for a command's options.\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text\n"
    "  -V, --version  print the version\n"
    "  help COMMAND   the same as 'llcslice COMMAND --help'\n"
    "\n"
    "Environment (options beat it; man llcslice, ENVIRONMENT): LLCSLICE_LOCK_DIR,\n"
    "LLCSLICE_LOCK_PREFIX, LLCSLICE_CPU_CAP, LLCSLICE_ALLOWED_CPUS, LLCSLICE_FSROOT,\n"
    "LLCSLICE_STATE_DIR, LLCSLICE_CGROUP_MANAGER, LLCSLICE_WAIT_REPORT_INTERVAL,\n"
    "LLCSLICE_TRACE_TIMING.\n"
    "\n"
    "Exit codes: the job's own status (128+N for signal N); 64 usage error; 75 resources\n"
    "busy; 77 this host can never satisfy the request; 125 internal or system failure;\n"
    "126/127 command not executable / not found.\n";

/* "unknown command" with the closest of names[0..n) (commands are never abbreviated). */
static int unknown_command(const char *cmd, const char *const *names, size_t n)
{
    char hint[256] = "";
    const char *best = ls_suggest(cmd, names, n);
    if (best)
        snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
    return ls_usage_error(NULL, "unknown command '%s'%s", cmd, hint);
}

/* Started with 0, 1 or 2 closed (`2>&-`, some daemons and CI agents), the first files we open
 * would take those numbers and our warnings would land in a lockfile or a wait file others
 * parse. Fill each closed one with /dev/null before anything else is opened. */
static void standard_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (nfd < 0)
            _exit(125);  /* nowhere safe to write: say nothing rather than corrupt a file */
        if (nfd != fd) { /* cannot happen (lower ones are open by now), but be sure */
            dup2(nfd, fd);
            close(nfd);
        }
    }
}

/* rc, or 125 when rc is 0 but stdout could not be written (a full disk, a closed pipe): a
 * script must not take a truncated plan or JSON document for a whole one. */
static int output_checked(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    if (rc != 0)
        return rc;
    struct ls_error err = {0};
    ls_fail(&err, LS_ERR_SYSTEM, errno, "writing the output failed: %s",
            strerror(errno ? errno : EIO));
    return ls_report(&err);
}

int main(int argc, char **argv)
{
    standard_fds_open();
    ls_proctitle_init(argc, argv); /* before anything keeps a pointer into environ */
    if (argc < 2) {
        fputs(usage, stderr);
        return 64;
    }
    const char *cmd = argv[1];
    /* "help", "help help", "help --help": this text (help is no command of the table) */
    bool help_self =
        !strcmp(cmd, "help") &&
        (argc == 2 || (argc == 3 && (!strcmp(argv[2], "help") || !strcmp(argv[2], "-h") ||
                                     !strcmp(argv[2], "--help"))));
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || help_self) {
        fputs(usage, stdout);
        return output_checked(0);
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("llcslice %s\n", LLCSLICE_VERSION);
        return output_checked(0);
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", ls_cmd_run},     {"plan", ls_cmd_plan},   {"topo", ls_cmd_topo},
        {"locks", ls_cmd_locks}, {"slots", ls_cmd_slots}, {"sweep", ls_cmd_sweep},
        {"pin", ls_cmd_pin},
    };
    const size_t ncmds = sizeof(cmds) / sizeof(cmds[0]);
    const char *names[sizeof(cmds) / sizeof(cmds[0]) + 1];
    for (size_t i = 0; i < ncmds; i++)
        names[i] = cmds[i].name;
    names[ncmds] = "help";
    if (!strcmp(cmd, "help")) { /* help CMD: that command's --help */
        if (argc > 3)
            return ls_usage_error(NULL, "help takes one command; unexpected '%s'", argv[3]);
        cmd = argv[2];
        argc = 3; /* argv becomes: llcslice CMD --help */
        argv[1] = argv[2];
        argv[2] = "--help";
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(cmd, cmds[i].name))
            return output_checked(cmds[i].fn(argc - 1, argv + 1));
    return unknown_command(cmd, names, ncmds + 1);
}

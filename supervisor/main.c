/* llcslice: reserve an LLC/NUMA-aware CPU slice, hold it with flock, run a job inside it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

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
    "\n"
    "Run 'llcslice COMMAND --help' for a command's options.\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text\n"
    "  -V, --version  print the version\n"
    "\n"
    "Exit codes: the job's own status (128+N for signal N); 64 usage error; 75 resources\n"
    "busy; 77 this host can never satisfy the request; 125 internal or system failure;\n"
    "126/127 command not executable / not found.\n";

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

int main(int argc, char **argv)
{
    standard_fds_open();
    if (argc < 2) {
        fputs(usage, stderr);
        return 64;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("llcslice %s\n", LLCSLICE_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", ls_cmd_run},     {"plan", ls_cmd_plan},   {"topo", ls_cmd_topo},
        {"locks", ls_cmd_locks}, {"slots", ls_cmd_slots}, {"sweep", ls_cmd_sweep},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "llcslice: usage error: unknown command '%s' (see 'llcslice --help')\n", cmd);
    return 64;
}

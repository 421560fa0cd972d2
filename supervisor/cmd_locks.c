/* llcslice locks */
#include <stdio.h>

#include "cli.h"

int ls_cmd_locks(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: locks: not implemented yet\n", stderr);
    return 125;
}

/* llcslice topo */
#include <stdio.h>

#include "cli.h"

int ls_cmd_topo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: topo: not implemented yet\n", stderr);
    return 125;
}

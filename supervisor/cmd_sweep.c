/* llcslice sweep */
#include <stdio.h>

#include "cli.h"

int ls_cmd_sweep(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: sweep: not implemented yet\n", stderr);
    return 125;
}

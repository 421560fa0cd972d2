/* llcslice run */
#include <stdio.h>

#include "cli.h"

int ls_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: run: not implemented yet\n", stderr);
    return 125;
}

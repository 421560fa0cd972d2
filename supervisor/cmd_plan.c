/* llcslice plan */
#include <stdio.h>

#include "cli.h"

int ls_cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: plan: not implemented yet\n", stderr);
    return 125;
}

/* llcslice slots */
#include <stdio.h>

#include "cli.h"

int ls_cmd_slots(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("llcslice: slots: not implemented yet\n", stderr);
    return 125;
}

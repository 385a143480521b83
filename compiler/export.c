/* export.c: `netc export` (being written). */
#include "netc.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "netc: 'export' is not available yet\n");
    return EXIT_INTERNAL;
}

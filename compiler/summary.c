/* summary.c: `netc summary` (being written). */
#include "netc.h"

int cmd_summary(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "netc: 'summary' is not available yet\n");
    return EXIT_INTERNAL;
}

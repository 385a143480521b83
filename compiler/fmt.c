/* fmt.c: `netc fmt` (being written). */
#include "netc.h"

int cmd_fmt(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "netc: 'fmt' is not available yet\n");
    return EXIT_INTERNAL;
}

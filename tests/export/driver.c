/* tests/export/driver.c: runs an exported network on CSV rows (a header line,
 * then the features first on each row) read from stdin and prints its outputs
 * with %.9g, one row per line, as `netc predict` does. It also checks that
 * NAME_predict_batch gives bit-for-bit the same outputs as NAME_predict.
 * Build with -DNET=name -DNETU=NAME -DREAL=float|double -DNET_HEADER='"name_infer.h"'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include NET_HEADER

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NIN CAT(NETU, _INPUT_SIZE)
#define NOUT CAT(NETU, _OUTPUT_SIZE)

int main(void)
{
    static char line[1 << 16];
    size_t cap = 1024, rows = 0;
    REAL *x = malloc(cap * NIN * sizeof *x);
    if (!x || !fgets(line, sizeof line, stdin))
        return 2;
    while (fgets(line, sizeof line, stdin)) {
        if (rows == cap) {
            cap *= 2;
            x = realloc(x, cap * NIN * sizeof *x);
            if (!x)
                return 2;
        }
        char *p = line;
        for (int i = 0; i < NIN; i++) {
            char *end;
            /* rounded to float first, as netc predict reads CSV files */
            x[rows * NIN + (size_t)i] = (REAL)(float)strtod(p, &end);
            if (end == p)
                return 3;
            p = end + (*end == ',');
        }
        rows++;
    }
    REAL *y = malloc((rows ? rows : 1) * NOUT * sizeof *y);
    if (!y)
        return 2;
    CAT(NET, _predict_batch)(x, y, (int)rows);
    for (size_t r = 0; r < rows; r++) {
        REAL one[NOUT];
        CAT(NET, _predict)(x + r * NIN, one);
        if (memcmp(one, y + r * NOUT, sizeof one) != 0) {
            fprintf(stderr, "row %zu: predict and predict_batch differ\n", r);
            return 1;
        }
        for (int j = 0; j < NOUT; j++)
            printf("%s%.9g", j ? "," : "", (double)y[r * NOUT + (size_t)j]);
        printf("\n");
    }
    free(x);
    free(y);
    return 0;
}

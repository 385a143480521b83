/* threads_same.c: the generated code gives the same bits on any number of
 * OpenMP threads. Compiled against one generated network (-DNET=prefix
 * -DNETU=PREFIX -DNET_H='"prefix.h"'), once without OpenMP and once with it;
 * for every batch size from 1 to MAXB it prints one line: the batch, a hash of
 * NET_loss_grad's loss and gradient, and a hash of the parameters after STEPS
 * chained NET_sgd_step calls. run.sh compares the lines of the plain build
 * with those of the OpenMP build run on 1 to 4 threads: the threads split a
 * blocked layer's rows in blocks that depend on their count, and each block
 * ends in its own tiles, so any tile whose sums differed from another's shows.
 * On a mismatch the batch size says which walk of the rows to look at. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include NET_H
#include "driver.h"

enum { STEPS = 3, MAXB = 31 };

/* FNV-1a over the bytes of n values. */
static uint64_t hash(uint64_t h, const void *v, size_t bytes)
{
    const unsigned char *b = v;
    for (size_t i = 0; i < bytes; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

int main(void)
{
    static real p[U(_NUM_PARAMS)], g[U(_NUM_PARAMS)];
    static real x[MAXB * U(_INPUT_SIZE)], t[MAXB * U(_OUTPUT_SIZE)];
    real *work = malloc(sizeof(real) * U(_WORK_SIZE)(MAXB));
    if (!work)
        return 1;
    unsigned long long s = 3;
    for (int i = 0; i < MAXB * U(_INPUT_SIZE); i++)
        x[i] = value(&s);
    for (int i = 0; i < MAXB * U(_OUTPUT_SIZE); i++)
        t[i] = value(&s) > 0 ? (real)1 : (real)0;
    for (int n = 1; n <= MAXB; n++) {
        P(_init_params)(p, 5);
        double loss = P(_loss_grad)(g, p, x, t, n, 9, work);
        uint64_t hg = hash(hash(0xcbf29ce484222325ULL, &loss, sizeof loss), g, sizeof g);
        for (int step = 0; step < STEPS; step++) {
            loss = P(_sgd_step)(p, g, x, t, n, (real)0.05, 9, work);
            hg = hash(hg, &loss, sizeof loss);
        }
        printf("batch %d grad %016llx step %016llx\n", n, (unsigned long long)hg,
               (unsigned long long)hash(0xcbf29ce484222325ULL, p, sizeof p));
    }
    free(work);
    return 0;
}

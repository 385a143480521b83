/* sgd_step.c: NET_sgd_step is NET_loss_grad followed by the plain SGD update.
 * Compiled against one generated network (-DNET=prefix -DNETU=PREFIX
 * -DNET_H='"prefix.h"'). From the same parameters, STEPS chained steps at each
 * batch size (1 takes the step's single-sample path, the others the batched
 * one) go once through NET_sgd_step and once through NET_loss_grad and
 * p[k] -= lr * g[k]; the losses and parameters must agree bit for bit after
 * every step (the step's grad is scratch: weight gradients it takes straight
 * into the update are never stored). A step that updated a tensor before the
 * backward pass had finished reading it would differ at the first step. Exit 0
 * and "ok". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include NET_H
#include "driver.h"

enum { STEPS = 6, MAXB = 7 };

static int same(const real *a, const real *b, int n, const char *what, int batch, int step)
{
    for (int k = 0; k < n; k++)
        if (memcmp(&a[k], &b[k], sizeof a[k]) != 0) {
            fprintf(stderr, "batch %d step %d: %s[%d] differs: %.9g vs %.9g\n", batch, step,
                    what, k, (double)a[k], (double)b[k]);
            return 0;
        }
    return 1;
}

int main(void)
{
    static real p1[U(_NUM_PARAMS)], p2[U(_NUM_PARAMS)], g1[U(_NUM_PARAMS)], g2[U(_NUM_PARAMS)];
    static real x[MAXB * U(_INPUT_SIZE)], t[MAXB * U(_OUTPUT_SIZE)];
    real *work = malloc(sizeof(real) * U(_WORK_SIZE)(MAXB));
    if (!work)
        return 1;
    const real lr = (real)0.05;
    const int batches[] = {1, 4, MAXB};
    unsigned long long s = 7;
    int ok = 1;
    for (int bi = 0; bi < 3 && ok; bi++) {
        const int n = batches[bi];
        P(_init_params)(p1, 11);
        memcpy(p2, p1, sizeof p1);
        for (int step = 0; step < STEPS && ok; step++) {
            for (int i = 0; i < n * U(_INPUT_SIZE); i++)
                x[i] = value(&s);
            for (int i = 0; i < n; i++)     /* targets that suit every loss: one-hot 0/1 */
                for (int o = 0; o < U(_OUTPUT_SIZE); o++)
                    t[i * U(_OUTPUT_SIZE) + o] = (real)((i + o + step) % U(_OUTPUT_SIZE) == 0);
            const unsigned long long seed = 100u + (unsigned)step;
            double l1 = P(_loss_grad)(g1, p1, x, t, n, seed, work);
            for (int k = 0; k < U(_NUM_PARAMS); k++)
                p1[k] -= lr * g1[k];
            memset(work, 0xff, sizeof(real) * U(_WORK_SIZE)(n));   /* stale workspace */
            memset(g2, 0xff, sizeof g2);                           /* and stale scratch */
            double l2 = P(_sgd_step)(p2, g2, x, t, n, lr, seed, work);
            if (memcmp(&l1, &l2, sizeof l1) != 0) {
                fprintf(stderr, "batch %d step %d: loss %.17g vs %.17g\n", n, step, l1, l2);
                ok = 0;
            }
            ok = ok && same(p1, p2, U(_NUM_PARAMS), "params", n, step);
        }
    }
    free(work);
    if (!ok)
        return 1;
    printf("ok\n");
    return 0;
}

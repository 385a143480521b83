/* threads.c: generated code is reentrant. Compiled against one generated
 * network (-DNET=prefix -DNET_H='"prefix.h"'): THREADS threads call
 * NET_loss_grad and NET_forward at once, on shared read-only params, inputs and
 * targets and their own workspaces, each on a different slice of samples and
 * dropout seed, and every result must equal, bit for bit, the same call made
 * serially beforehand. Exit 0 and "ok" on success. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include NET_H
#include "driver.h"

enum { THREADS = 4, ROUNDS = 24, BATCH = 5 };

static real params[U(_NUM_PARAMS)];
static real xs[ROUNDS][BATCH * U(_INPUT_SIZE)];
static real ts[ROUNDS][BATCH * U(_OUTPUT_SIZE)];
/* serial results, per round */
static double want_loss[ROUNDS];
static real want_grad[ROUNDS][U(_NUM_PARAMS)];
static real want_y[ROUNDS][BATCH * U(_OUTPUT_SIZE)];
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void one_round(int r, double *loss, real *grad, real *y, real *work)
{
    *loss = P(_loss_grad)(grad, params, xs[r], ts[r], BATCH, 1000ULL + (unsigned)r, work);
    P(_forward)(y, params, xs[r], BATCH, work);
}

static void *worker(void *arg)
{
    int id = (int)(size_t)arg;
    real *work = malloc(sizeof(real) * U(_WORK_SIZE)(BATCH));
    real *grad = malloc(sizeof(real) * U(_NUM_PARAMS));
    real *y = malloc(sizeof(real) * BATCH * U(_OUTPUT_SIZE));
    if (!work || !grad || !y)
        abort();
    for (int k = 0; k < 3 * ROUNDS; k++) {
        int r = (k * 7 + id * 5) % ROUNDS;     /* threads visit rounds in different orders */
        double loss;
        memset(work, 0xff, sizeof(real) * U(_WORK_SIZE)(BATCH));   /* stale workspace */
        one_round(r, &loss, grad, y, work);
        if (memcmp(&loss, &want_loss[r], sizeof loss) != 0 ||
            memcmp(grad, want_grad[r], sizeof want_grad[r]) != 0 ||
            memcmp(y, want_y[r], sizeof want_y[r]) != 0) {
            pthread_mutex_lock(&lock);
            if (failures++ < 5)
                fprintf(stderr, "thread %d round %d: result differs from the serial call\n",
                        id, r);
            pthread_mutex_unlock(&lock);
        }
    }
    free(work);
    free(grad);
    free(y);
    return NULL;
}

int main(void)
{
    unsigned long long s = 42;
    P(_init_params)(params, 7);
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < BATCH * U(_INPUT_SIZE); i++)
            xs[r][i] = value(&s);
        for (int n = 0; n < BATCH; n++)     /* targets that suit every loss: one-hot 0/1 */
            for (int o = 0; o < U(_OUTPUT_SIZE); o++)
                ts[r][n * U(_OUTPUT_SIZE) + o] = (real)((n + o + r) % U(_OUTPUT_SIZE) == 0);
    }
    real *work = malloc(sizeof(real) * U(_WORK_SIZE)(BATCH));
    if (!work)
        return 1;
    for (int r = 0; r < ROUNDS; r++)
        one_round(r, &want_loss[r], want_grad[r], want_y[r], work);
    free(work);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(size_t)i) != 0)
            return 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    if (failures) {
        fprintf(stderr, "%d results differ\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}

/* bench/bench_netc.c: times one netc-generated network (make bench).
 * Compiled once per net and per flag set against the generated NAME.c:
 *   cc FLAGS -DNET=mnist -DNET_UPPER=MNIST -DNET_HEADER='"mnist.h"' -DIMPL='"netc"' \
 *      bench_netc.c mnist.c -lm
 * Usage: bench_netc DATA.bin BATCHES [infer|chain]
 * A training step is NAME_sgd_step on the next BATCH samples: the gradient and
 * the plain SGD update p -= lr * g in one generated call (bit for bit the same
 * as NAME_loss_grad and then the update); inference is NAME_forward on one sample.
 * `chain` times inference calls that each wait for the previous one's output
 * (its first output times 0 added to the next input), so a call's time is the
 * latency of its chain of dependent operations; independent calls (`infer`)
 * can overlap in the CPU, as a training step's forward pass cannot.
 * Built with -fopenmp and run on 2 threads it also times `netc-split`: the
 * caller splits each batch over the two threads (split_steps). With BENCH_FTZ
 * set it reports as `netc-ftz`: the caller has set the x86 flags that flush
 * denormal results and operands to zero (FTZ, DAZ), which the generated code
 * never touches, to show what denormals cost a run. */
#include "bench_common.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include NET_HEADER

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(suffix) CAT(NET, suffix)
#define K(suffix) CAT(NET_UPPER, suffix)

typedef FN(_real) real;

typedef struct {
    BenchData d;
    int batch;
    long pos;
    real *params, *grad, *work, *y;
    real *grad2, *work2; /* the second thread's, for split_steps */
    float lr;
    double loss;
} Ctx;

static void train_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos + c->batch > c->d.n) c->pos = 0;
        c->loss = FN(_sgd_step)(c->params, c->grad, c->d.x + c->pos * c->d.in,
                                c->d.t + c->pos * c->d.out, c->batch, c->lr, 0, c->work);
        c->pos += c->batch;
    }
}

#ifdef _OPENMP
/* Two threads without help from the generated code: the caller splits the
 * batch in two, each thread computes the mean gradient of its half into its
 * own buffer (the entry points are reentrant), and the update combines them. */
static void split_steps(void *vc, long steps)
{
    Ctx *c = vc;
    const long np = K(_NUM_PARAMS);
    const int n0 = c->batch / 2, n1 = c->batch - n0;
    const real w0 = (real)n0 / (real)c->batch, w1 = (real)n1 / (real)c->batch;
    for (long s = 0; s < steps; s++) {
        if (c->pos + c->batch > c->d.n) c->pos = 0;
        const long pos = c->pos;
#pragma omp parallel num_threads(2)
        {
            const int t = omp_get_thread_num();
            const long at = pos + (t ? n0 : 0);
            double l = FN(_loss_grad)(t ? c->grad2 : c->grad, c->params, c->d.x + at * c->d.in,
                                      c->d.t + at * c->d.out, t ? n1 : n0, 0,
                                      t ? c->work2 : c->work);
            if (t == 0) c->loss = l;
#pragma omp barrier
            real *restrict p = c->params;
            const real *restrict g0 = c->grad, *restrict g1 = c->grad2;
            const real lr = c->lr;
#pragma omp for simd
            for (long k = 0; k < np; k++) p[k] -= lr * (w0 * g0[k] + w1 * g1[k]);
        }
        c->pos += c->batch;
    }
}
#endif

static void infer_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos >= c->d.n) c->pos = 0;
        FN(_forward)(c->y, c->params, c->d.x + c->pos * c->d.in, 1, c->work);
        c->pos++;
    }
}

/* Inference calls in a dependency chain: the next input is x + 0 * y[0]
 * (the same values for any finite y: without -ffast-math the compiler keeps
 * the product), so no call starts before the last one ends. */
static void chain_steps(void *vc, long steps)
{
    Ctx *c = vc;
    real x[K(_INPUT_SIZE)];
    for (long s = 0; s < steps; s++) {
        if (c->pos >= c->d.n) c->pos = 0;
        const real *xd = c->d.x + c->pos * c->d.in, dep = (real)0 * c->y[0];
        for (int k = 0; k < K(_INPUT_SIZE); k++) x[k] = xd[k] + dep;
        FN(_forward)(c->y, c->params, x, 1, c->work);
        c->pos++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_netc DATA.bin BATCHES [infer|chain]\n");
        return 2;
    }
    const char *impl = IMPL;
    if (getenv("BENCH_FTZ")) {
#if defined(__SSE__)
        _mm_setcsr(_mm_getcsr() | 0x8040);     /* FTZ (bit 15) and DAZ (bit 6) */
        impl = "netc-ftz";
#else
        fprintf(stderr, "bench_netc: BENCH_FTZ needs x86 SSE\n");
        return 1;
#endif
    }
    Ctx c;
    memset(&c, 0, sizeof c);
    c.d = bench_load(argv[1]);
    if (c.d.in != K(_INPUT_SIZE) || c.d.out != K(_OUTPUT_SIZE)) {
        fprintf(stderr, "bench_netc: %s does not fit this net\n", argv[1]);
        return 1;
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    int batches[8], nb = bench_batches(argv[2], batches, 8), maxb = 1;
    for (int k = 0; k < nb; k++) if (batches[k] > maxb) maxb = batches[k];
    c.params = bench_alloc(sizeof(real) * K(_NUM_PARAMS));
    c.grad = bench_alloc(sizeof(real) * K(_NUM_PARAMS));
    c.work = bench_alloc(sizeof(real) * (size_t)K(_WORK_SIZE(maxb)));
    c.y = bench_alloc(sizeof(real) * K(_OUTPUT_SIZE));
    c.grad2 = bench_alloc(sizeof(real) * K(_NUM_PARAMS));
    c.work2 = bench_alloc(sizeof(real) * (size_t)K(_WORK_SIZE(maxb)));
    c.lr = (float)bench_env("BENCH_LR", 0.01);
    const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    char net[64];
    snprintf(net, sizeof net, "%.*s", (int)strcspn(name, "."), name);
    if (argc > 3 && (strcmp(argv[3], "infer") == 0 || strcmp(argv[3], "chain") == 0)) {
        FN(_init_params)(c.params, 1);
        memset(c.y, 0, sizeof(real) * K(_OUTPUT_SIZE));   /* chain's first 0 * y[0] */
        bench_run(IMPL, net, argv[3], 1, threads,
                  strcmp(argv[3], "chain") == 0 ? chain_steps : infer_steps, &c);
        return 0;
    }
    for (int k = 0; k < nb; k++) {
        FN(_init_params)(c.params, 1);
        c.batch = batches[k];
        c.pos = 0;
        bench_run(impl, net, "train", c.batch, threads, train_steps, &c);
        printf("LOSS impl=%s net=%s batch=%d loss=%.6g\n", impl, net, c.batch, c.loss);
        if (!isfinite(c.loss)) fprintf(stderr, "bench_netc: %s b%d: loss %g\n", net, c.batch, c.loss);
#ifdef _OPENMP
        if (threads == 2 && c.batch >= 2 && !getenv("BENCH_NO_SPLIT")) {
            FN(_init_params)(c.params, 1);
            c.pos = 0;
            bench_run("netc-split", net, "train", c.batch, 2, split_steps, &c);
            printf("LOSS impl=netc-split net=%s batch=%d loss=%.6g\n", net, c.batch, c.loss);
            if (!isfinite(c.loss)) fprintf(stderr, "bench_netc: split %s b%d: loss %g\n", net, c.batch, c.loss);
        }
#endif
    }
    return 0;
}

/* bench/bench_common.h: shared by the C drivers of `make bench` (bench/run.sh).
 *
 * - the five benchmark nets (sizes, activations, loss), as in bench/specs/;
 * - the synthetic data set, read from the file bench/gen_data.c wrote (the
 *   same bytes feed netc, FANN, OpenBLAS, the hand-written loops and PyTorch);
 * - the timing protocol: calibrate a step count so one repeat lasts about
 *   BENCH_TIME seconds (default 0.2), then BENCH_REPS repeats (default 5) and
 *   one `RESULT` line with the median, min and max.
 *
 * RESULT lines (parsed by bench/report.py):
 *   RESULT impl=I net=N mode=train batch=B threads=T med=X min=X max=X   (samples/s)
 *   RESULT impl=I net=N mode=infer batch=1 threads=T med=X min=X max=X   (ns per sample)
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every buffer a driver takes, freed at exit (bench_free_all), so a driver
 * run under LeakSanitizer (tests/bench in `make test SANITIZE=1`) reports
 * real leaks only. Drivers allocate a few dozen buffers at start-up. */
enum { BENCH_MAX_BUFS = 256 };
static void *bench_bufs[BENCH_MAX_BUFS];
static int bench_nbufs;

static void bench_free_all(void)
{
    while (bench_nbufs > 0)
        free(bench_bufs[--bench_nbufs]);
}

/* Every driver's buffers start on a 64-byte cache line (PyTorch's own
 * allocator does the same), so no implementation pays for loads that straddle
 * two lines: netc's generated header asks for this alignment (NAME_ALIGNMENT). */
static inline void *bench_alloc(size_t bytes)
{
    void *p = NULL;
    if (bench_nbufs == BENCH_MAX_BUFS || posix_memalign(&p, 64, bytes ? bytes : 1) != 0) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    if (bench_nbufs == 0)
        atexit(bench_free_all);
    bench_bufs[bench_nbufs++] = p;
    return p;
}

enum { ACT_SIGMOID, ACT_TANH, ACT_RELU };
enum { OUT_SIGMOID_MSE, OUT_SOFTMAX_CE };

typedef struct {
    const char *name;
    int nlayers;   /* dense layers */
    int sizes[4];  /* input, then each layer's units */
    int act;       /* hidden activation */
    int out;       /* output activation and loss */
} BenchNet;

static const BenchNet bench_nets[] = {
    {"xor", 2, {2, 2, 1}, ACT_SIGMOID, OUT_SIGMOID_MSE},
    {"iris", 2, {4, 16, 3}, ACT_TANH, OUT_SOFTMAX_CE},
    {"digits", 2, {64, 32, 10}, ACT_RELU, OUT_SOFTMAX_CE},
    {"mnist", 2, {784, 128, 10}, ACT_RELU, OUT_SOFTMAX_CE},
    {"wide", 3, {784, 512, 512, 10}, ACT_RELU, OUT_SOFTMAX_CE},
};

static inline const BenchNet *bench_net(const char *name)
{
    for (size_t k = 0; k < sizeof bench_nets / sizeof bench_nets[0]; k++)
        if (strcmp(bench_nets[k].name, name) == 0) return &bench_nets[k];
    fprintf(stderr, "bench: unknown net '%s'\n", name);
    exit(2);
}

static inline long bench_num_params(const BenchNet *net)
{
    long p = 0;
    for (int l = 0; l < net->nlayers; l++)
        p += (long)net->sizes[l + 1] * (net->sizes[l] + 1);
    return p;
}

/* The data set: x[n][in] in [0, 1), t[n][out] (one-hot, or 0/1 for xor). */
typedef struct {
    int n, in, out;
    float *x, *t;
    int *label;
} BenchData;

static inline BenchData bench_load(const char *path)
{
    BenchData d;
    int32_t hdr[3];
    FILE *f = fopen(path, "rb");
    if (!f || fread(hdr, sizeof hdr, 1, f) != 1) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(1);
    }
    d.n = hdr[0], d.in = hdr[1], d.out = hdr[2];
    d.x = bench_alloc(sizeof(float) * (size_t)d.n * (size_t)d.in);
    d.t = bench_alloc(sizeof(float) * (size_t)d.n * (size_t)d.out);
    d.label = bench_alloc(sizeof(int) * (size_t)d.n);
    if (fread(d.x, sizeof(float), (size_t)d.n * d.in, f) != (size_t)d.n * d.in ||
        fread(d.t, sizeof(float), (size_t)d.n * d.out, f) != (size_t)d.n * d.out ||
        fread(d.label, sizeof(int), (size_t)d.n, f) != (size_t)d.n) {
        fprintf(stderr, "bench: %s is truncated\n", path);
        exit(1);
    }
    fclose(f);
    return d;
}

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double bench_env(const char *name, double dflt)
{
    const char *s = getenv(name);
    return s && *s ? atof(s) : dflt;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A step function: runs `steps` training steps (or inference calls) from
 * position *pos in the data set; the unit of work is one batch. */
typedef void (*BenchStep)(void *ctx, long steps);

/* Calibrates, repeats and prints one RESULT line. For mode "train" the figure
 * is samples/s (batch samples per step); for "infer" and "chain" it is ns per call. */
static inline void bench_run(const char *impl, const char *net, const char *mode, int batch,
                             int threads, BenchStep step, void *ctx)
{
    const double target = bench_env("BENCH_TIME", 0.2);
    int reps = (int)bench_env("BENCH_REPS", 5);
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64;
    /* Warm up and calibrate: double until a run takes 1/8 of the target. */
    long steps = 1;
    for (;;) {
        double t0 = bench_now();
        step(ctx, steps);
        double dt = bench_now() - t0;
        if (dt > target / 8 || steps > (1L << 40)) {
            steps = (long)((double)steps * target / (dt > 1e-9 ? dt : 1e-9)) + 1;
            break;
        }
        steps *= 2;
    }
    double v[64];
    int infer = strcmp(mode, "infer") == 0 || strcmp(mode, "chain") == 0;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        step(ctx, steps);
        double dt = bench_now() - t0;
        v[r] = infer ? dt * 1e9 / (double)steps : (double)steps * batch / dt;
    }
    qsort(v, (size_t)reps, sizeof v[0], bench_cmp);
    double med = reps % 2 ? v[reps / 2] : 0.5 * (v[reps / 2 - 1] + v[reps / 2]);
    printf("RESULT impl=%s net=%s mode=%s batch=%d threads=%d med=%.6g min=%.6g max=%.6g "
           "reps=%d steps=%ld\n",
           impl, net, mode, batch, threads, med, v[0], v[reps - 1], reps, steps);
    fflush(stdout);
}

/* Parses "1,32,128" into b[], returns the count. */
static inline int bench_batches(const char *s, int *b, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1) break;
        b[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

#endif

/* bench/peak.c: FP32 FMA throughput probe for `make bench`.
 * Each thread runs NACC independent FMA chains (acc = acc * m + a) so the
 * FMA units never wait on their 4-cycle latency; 256-bit (AVX2+FMA) and, when
 * the CPU has it, 512-bit (AVX-512F). Threads 1 and 2 (OpenMP, one chain set
 * per thread; the figure is the total). Build: cc -O2 -fopenmp peak.c.
 * Prints: PEAK isa=avx2|avx512 threads=T med=GFLOP/s min=... max=... */
#include "bench_common.h"
#include <immintrin.h>
#include <omp.h>

#define NACC 12

__attribute__((target("avx2,fma"))) static float run256(long iters)
{
    __m256 acc[NACC];
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-6f);
    for (int k = 0; k < NACC; k++) acc[k] = _mm256_set1_ps((float)k);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int k = 0; k < NACC; k++) acc[k] = _mm256_fmadd_ps(acc[k], m, a);
    }
    __m256 s = acc[0];
    for (int k = 1; k < NACC; k++) s = _mm256_add_ps(s, acc[k]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

__attribute__((target("avx512f"))) static float run512(long iters)
{
    __m512 acc[NACC];
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);
    for (int k = 0; k < NACC; k++) acc[k] = _mm512_set1_ps((float)k);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int k = 0; k < NACC; k++) acc[k] = _mm512_fmadd_ps(acc[k], m, a);
    }
    __m512 s = acc[0];
    for (int k = 1; k < NACC; k++) s = _mm512_add_ps(s, acc[k]);
    return _mm512_reduce_add_ps(s);
}

static volatile float sink;

/* Seconds for `iters` iterations on each of `threads` threads. */
static double timed(int wide, long iters, int threads)
{
    double t0 = bench_now();
#pragma omp parallel num_threads(threads)
    {
        float r = wide ? run512(iters) : run256(iters);
#pragma omp critical
        sink += r;
    }
    return bench_now() - t0;
}

static void probe(int wide, int threads)
{
    const double target = bench_env("BENCH_TIME", 0.2);
    int reps = (int)bench_env("BENCH_REPS", 5);
    reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
    /* Calibrated on one thread: with two, the start-up of the parallel region
     * can dominate a short run on a busy machine. */
    long iters = 1000;
    for (;;) {
        double dt = timed(wide, iters, 1);
        if (dt > target / 8) {
            iters = (long)((double)iters * target / dt) + 1;
            break;
        }
        iters *= 2;
    }
    double v[64];
    const double flops = 2.0 * (wide ? 16 : 8) * NACC * (double)iters * threads;
    for (int r = 0; r < reps; r++) v[r] = flops / timed(wide, iters, threads) * 1e-9;
    qsort(v, (size_t)reps, sizeof v[0], bench_cmp);
    double med = reps % 2 ? v[reps / 2] : 0.5 * (v[reps / 2 - 1] + v[reps / 2]);
    printf("PEAK isa=%s threads=%d med=%.4g min=%.4g max=%.4g\n", wide ? "avx512" : "avx2",
           threads, med, v[0], v[reps - 1]);
    fflush(stdout);
}

int main(void)
{
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f");
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "peak: no AVX2+FMA on this CPU\n");
        return 1;
    }
    for (int threads = 1; threads <= 2; threads++) {
        probe(0, threads);
        if (has512) probe(1, threads);
    }
    return 0;
}

/* test_rng.c: the runtime RNG gives the reference xoshiro256** stream, and its
 * uniform, normal, bounded and shuffle helpers have the right distributions. */
#include <stdlib.h>

#include "check.h"
#include "netrt.h"

/* First outputs of splitmix64-seeded xoshiro256**, from an independent
 * Python implementation of the reference algorithms. */
static void test_reference_stream(void)
{
    NetrtRng r;
    netrt_rng_seed(&r, 0);
    CHECK(netrt_rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
    CHECK(netrt_rng_next(&r) == 0xbf6e1f784956452aULL);
    CHECK(netrt_rng_next(&r) == 0x1a5f849d4933e6e0ULL);
    netrt_rng_seed(&r, 42);
    CHECK(netrt_rng_next(&r) == 0x15780b2e0c2ec716ULL);
    CHECK(netrt_rng_next(&r) == 0x6104d9866d113a7eULL);
    CHECK(netrt_rng_next(&r) == 0xae17533239e499a1ULL);
}

static void test_uniform_and_normal(void)
{
    NetrtRng r;
    double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0, lo = 1, hi = 0;
    const int n = 200000;
    netrt_rng_seed(&r, 123);
    for (int i = 0; i < n; i++) {
        double u = netrt_rng_uniform(&r), z = netrt_rng_normal(&r);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
        sum2 += u * u;
        nsum += z;
        nsum2 += z * z;
    }
    CHECK(lo >= 0.0 && hi < 1.0);
    CHECK_NEAR(sum / n, 0.5, 0.005);
    CHECK_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
    CHECK_NEAR(nsum / n, 0.0, 0.01);
    CHECK_NEAR(nsum2 / n, 1.0, 0.02);
}

/* Chi-square over 7 buckets; 7 does not divide 2^64, so a modulo-biased
 * generator would still pass this, but an off-by-one in the range would not. */
static void test_below(void)
{
    NetrtRng r;
    int counts[7] = { 0 };
    const int n = 70000;
    double chi2 = 0;
    netrt_rng_seed(&r, 9);
    for (int i = 0; i < n; i++) {
        uint64_t v = netrt_rng_below(&r, 7);
        if (v >= 7) {
            CHECK(v < 7);
            return;
        }
        counts[v]++;
    }
    for (int k = 0; k < 7; k++)
        chi2 += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
    CHECK(chi2 < 22.5);     /* p = 0.001 at 6 degrees of freedom */
    CHECK(netrt_rng_below(&r, 1) == 0);
    CHECK(netrt_rng_below(&r, 0) == 0);
    /* A bound just above 2^63 rejects about half the raw draws; results stay in range. */
    uint64_t big = (1ULL << 63) + 1;
    int upper = 0, in_range = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = netrt_rng_below(&r, big);
        in_range += v < big;
        upper += v >= (1ULL << 62);
    }
    CHECK_EQ_INT(in_range, 1000);
    CHECK(upper > 430 && upper < 570);  /* half of [0, 2^63] lies above 2^62 */
}

static void test_shuffle(void)
{
    NetrtRng a, b;
    int x[50], y[50], seen[50] = { 0 }, moved = 0;
    for (int i = 0; i < 50; i++)
        x[i] = y[i] = i;
    netrt_rng_seed(&a, 5);
    netrt_rng_seed(&b, 5);
    netrt_shuffle(&a, x, 50);
    netrt_shuffle(&b, y, 50);
    for (int i = 0; i < 50; i++) {
        CHECK_EQ_INT(x[i], y[i]);
        seen[x[i]]++;
        moved += x[i] != i;
    }
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(seen[i], 1);
    CHECK(moved > 40);
}

int main(void)
{
    test_reference_stream();
    test_uniform_and_normal();
    test_below();
    test_shuffle();
    return check_summary("test_rng");
}

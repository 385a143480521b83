/* rng.c: the runtime's only source of randomness. xoshiro256** seeded through
 * splitmix64, so a seed gives the same stream on every platform and libc. */
#include <math.h>

#include "netrt.h"

/* splitmix64: spreads one 64-bit seed over the four state words. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void netrt_rng_seed(NetrtRng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t netrt_rng_next(NetrtRng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double netrt_rng_uniform(NetrtRng *r)
{
    return (double)(netrt_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Marsaglia's polar method. Each call draws fresh pairs and discards the second
 * value, so the stream position depends only on the number of calls made. */
double netrt_rng_normal(NetrtRng *r)
{
    double u, v, s;
    do {
        u = 2.0 * netrt_rng_uniform(r) - 1.0;
        v = 2.0 * netrt_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

/* Lemire's multiply-and-reject, with the 128-bit product built from 32-bit
 * halves (C99 has no portable 128-bit integer). */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
    uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffu) + (p2 & 0xffffffffu);
    *lo = (mid << 32) | (p0 & 0xffffffffu);
    *hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

uint64_t netrt_rng_below(NetrtRng *r, uint64_t n)
{
    uint64_t hi, lo;
    if (n == 0)
        return 0;
    mul64(netrt_rng_next(r), n, &hi, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;   /* 2^64 mod n */
        while (lo < threshold)
            mul64(netrt_rng_next(r), n, &hi, &lo);
    }
    return hi;
}

void netrt_shuffle(NetrtRng *r, int *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)netrt_rng_below(r, (uint64_t)i + 1);
        int tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
    }
}

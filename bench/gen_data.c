/* bench/gen_data.c: the synthetic data set of `make bench` for one net.
 * Usage: gen_data NET N OUT.bin
 * File: int32 n, in, out; float32 x[n][in] uniform in [0, 1); float32 t[n][out];
 * int32 label[n]. Classes are drawn uniformly (one-hot t); xor's target is the
 * XOR of its two inputs thresholded at 0.5. splitmix64, seed fixed: every run
 * and every implementation sees the same bytes. */
#include "bench_common.h"

static uint64_t state = 12345;

static double next_uniform(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_data NET N OUT.bin\n");
        return 2;
    }
    const BenchNet *net = bench_net(argv[1]);
    int32_t hdr[3] = {atoi(argv[2]), net->sizes[0], net->sizes[net->nlayers]};
    int n = hdr[0], in = hdr[1], out = hdr[2];
    float *x = bench_alloc(sizeof(float) * (size_t)n * in);
    float *t = bench_alloc(sizeof(float) * (size_t)n * out);
    int32_t *label = bench_alloc(sizeof(int32_t) * (size_t)n);
    memset(t, 0, sizeof(float) * (size_t)n * out);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < in; j++) x[(size_t)i * in + j] = (float)next_uniform();
        if (out == 1) {
            label[i] = (x[(size_t)i * in] > 0.5f) != (x[(size_t)i * in + 1] > 0.5f);
            t[i] = (float)label[i];
        } else {
            label[i] = (int32_t)(next_uniform() * out);
            t[(size_t)i * out + label[i]] = 1.0f;
        }
    }
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(hdr, sizeof hdr, 1, f) != 1 ||
        fwrite(x, sizeof(float), (size_t)n * in, f) != (size_t)n * in ||
        fwrite(t, sizeof(float), (size_t)n * out, f) != (size_t)n * out ||
        fwrite(label, sizeof(int32_t), (size_t)n, f) != (size_t)n || fclose(f) != 0) {
        fprintf(stderr, "gen_data: cannot write %s\n", argv[3]);
        return 1;
    }
    return 0;
}

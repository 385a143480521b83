/* bench/bench_blas.c: a straightforward C trainer on OpenBLAS (make bench):
 * per layer, three cblas_sgemm calls (forward Z = X W^T, weight gradient
 * dW = dZ^T X, input gradient dX = dZ W, the last skipped for the first layer),
 * plain loops for bias, activations and loss, and cblas_saxpy for p -= lr * g.
 * Usage: bench_blas NET DATA.bin BATCHES THREADS [IMPL]   (IMPL names the RESULT lines)
 * Prints the kernel OpenBLAS chose (openblas_get_corename) as a CORE line. */
#include "bench_common.h"
#include <cblas.h>

/* Declared by OpenBLAS's cblas.h; repeated in case another cblas.h is found. */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
char *openblas_get_config(void);

typedef struct {
    const BenchNet *net;
    BenchData d;
    int batch;
    long pos;
    float *p, *g; /* all parameters and gradients, one block each (one saxpy) */
    long np;
    float *w[3], *b[3], *gw[3], *gb[3];
    float *a[4], *dz[3], *da;
    float lr, loss;
} Ctx;

static void forward(Ctx *c, const float *x, int B)
{
    const BenchNet *net = c->net;
    c->a[0] = (float *)x;
    for (int l = 0; l < net->nlayers; l++) {
        const int in = net->sizes[l], out = net->sizes[l + 1];
        float *Y = c->a[l + 1];
        for (int n = 0; n < B; n++) memcpy(Y + (size_t)n * out, c->b[l], sizeof(float) * out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, c->a[l], in,
                    c->w[l], in, 1.0f, Y, out);
        if (l < net->nlayers - 1 || net->out == OUT_SIGMOID_MSE) {
            int kind = l < net->nlayers - 1 ? net->act : ACT_SIGMOID;
            for (int k = 0; k < B * out; k++) {
                float z = Y[k];
                Y[k] = kind == ACT_SIGMOID ? 1.0f / (1.0f + expf(-z))
                       : kind == ACT_TANH  ? tanhf(z)
                                           : (z > 0.0f ? z : 0.0f);
            }
        } else {
            for (int n = 0; n < B; n++) {
                float *y = Y + (size_t)n * out, m = y[0], s = 0.0f;
                for (int o = 1; o < out; o++) m = y[o] > m ? y[o] : m;
                for (int o = 0; o < out; o++) s += (y[o] = expf(y[o] - m));
                for (int o = 0; o < out; o++) y[o] /= s;
            }
        }
    }
}

static void train_step(Ctx *c, const float *x, const float *t, int B)
{
    const BenchNet *net = c->net;
    const int L = net->nlayers, out = net->sizes[L];
    forward(c, x, B);
    const float *Y = c->a[L];
    float loss = 0.0f;
    for (int k = 0; k < B * out; k++) {
        if (net->out == OUT_SIGMOID_MSE) {
            float e = Y[k] - t[k];
            loss += 0.5f * e * e;
            c->dz[L - 1][k] = e * Y[k] * (1.0f - Y[k]) / (float)(B * out);
        } else {
            if (t[k] > 0.0f) loss -= t[k] * logf(Y[k] + 1e-30f);
            c->dz[L - 1][k] = (Y[k] - t[k]) / (float)B;
        }
    }
    c->loss = loss / (float)B;
    for (int l = L - 1; l >= 0; l--) {
        const int in = net->sizes[l], o_n = net->sizes[l + 1];
        const float *D = c->dz[l];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o_n, in, B, 1.0f, D, o_n, c->a[l],
                    in, 0.0f, c->gw[l], in);
        for (int o = 0; o < o_n; o++) c->gb[l][o] = 0.0f;
        for (int n = 0; n < B; n++)
            for (int o = 0; o < o_n; o++) c->gb[l][o] += D[(size_t)n * o_n + o];
        if (l > 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, o_n, 1.0f, D, o_n,
                        c->w[l], in, 0.0f, c->da, in);
            const float *A = c->a[l];
            float *Dp = c->dz[l - 1];
            for (int k = 0; k < B * in; k++) {
                const float y = A[k];
                Dp[k] = c->da[k] * (net->act == ACT_SIGMOID ? y * (1.0f - y)
                                    : net->act == ACT_TANH  ? 1.0f - y * y
                                                            : (y > 0.0f ? 1.0f : 0.0f));
            }
        }
    }
    cblas_saxpy((int)c->np, -c->lr, c->g, 1, c->p, 1);
}

static void train_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos + c->batch > c->d.n) c->pos = 0;
        train_step(c, c->d.x + c->pos * c->d.in, c->d.t + c->pos * c->d.out, c->batch);
        c->pos += c->batch;
    }
}

static void init(Ctx *c)
{
    uint64_t st = 7;
    for (int l = 0; l < c->net->nlayers; l++) {
        const int in = c->net->sizes[l], out = c->net->sizes[l + 1];
        const float a = sqrtf(6.0f / (float)(in + out));
        for (int k = 0; k < in * out; k++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            c->w[l][k] = a * (2.0f * (float)(st >> 40) / 16777216.0f - 1.0f);
        }
        for (int k = 0; k < out; k++) c->b[l][k] = 0.0f;
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_blas NET DATA.bin BATCHES THREADS\n");
        return 2;
    }
    Ctx c;
    memset(&c, 0, sizeof c);
    c.net = bench_net(argv[1]);
    c.d = bench_load(argv[2]);
    c.lr = (float)bench_env("BENCH_LR", 0.01);
    int threads = atoi(argv[4]);
    const char *impl = argc > 5 ? argv[5] : "openblas";
    openblas_set_num_threads(threads);
    printf("CORE %s corename=%s config=\"%s\"\n", impl, openblas_get_corename(),
           openblas_get_config());
    int batches[8], nb = bench_batches(argv[3], batches, 8), maxb = 1, maxw = 1;
    for (int k = 0; k < nb; k++) maxb = batches[k] > maxb ? batches[k] : maxb;
    c.np = bench_num_params(c.net);
    c.p = bench_alloc(sizeof(float) * (size_t)c.np);
    c.g = bench_alloc(sizeof(float) * (size_t)c.np);
    long off = 0;
    for (int l = 0; l < c.net->nlayers; l++) {
        const int in = c.net->sizes[l], out = c.net->sizes[l + 1];
        c.w[l] = c.p + off, c.gw[l] = c.g + off, off += (long)in * out;
        c.b[l] = c.p + off, c.gb[l] = c.g + off, off += out;
        c.a[l + 1] = bench_alloc(sizeof(float) * (size_t)maxb * out);
        c.dz[l] = bench_alloc(sizeof(float) * (size_t)maxb * out);
        maxw = in > maxw ? in : maxw;
    }
    c.da = bench_alloc(sizeof(float) * (size_t)maxb * maxw);
    for (int k = 0; k < nb; k++) {
        init(&c);
        c.batch = batches[k];
        c.pos = 0;
        bench_run(impl, argv[1], "train", c.batch, threads, train_steps, &c);
        printf("LOSS impl=%s net=%s batch=%d loss=%.6g\n", impl, argv[1], c.batch, (double)c.loss);
        if (!isfinite(c.loss)) fprintf(stderr, "bench_blas: %s b%d: loss %g\n", argv[1], c.batch, (double)c.loss);
    }
    return 0;
}

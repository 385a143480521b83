/* bench/bench_hand.c: the reference point of `make bench`: a trainer written
 * the straightforward way, plain loops over runtime sizes, compiled with
 * -O3 -march=native -ffast-math (so the compiler may reorder the sums).
 * Usage: bench_hand NET DATA.bin BATCHES [infer]
 * Step: forward, softmax+CE (or sigmoid+MSE for xor) gradient, backward
 * (no input gradient for the first layer), then p -= lr * g. */
#include "bench_common.h"

typedef struct {
    const BenchNet *net;
    BenchData d;
    int batch;
    long pos;
    float *w[3], *b[3], *gw[3], *gb[3];
    float *a[4];  /* a[0] = input (points into the data), a[l+1] = layer l's output */
    float *dz[3]; /* gradient of layer l's pre-activation */
    float *da;    /* scratch gradient of a layer's output */
    float lr, loss;
} Ctx;

static float act(int kind, float z)
{
    switch (kind) {
    case ACT_SIGMOID: return 1.0f / (1.0f + expf(-z));
    case ACT_TANH: return tanhf(z);
    default: return z > 0.0f ? z : 0.0f;
    }
}

/* Derivative from the activation's output y. */
static float act_d(int kind, float y)
{
    switch (kind) {
    case ACT_SIGMOID: return y * (1.0f - y);
    case ACT_TANH: return 1.0f - y * y;
    default: return y > 0.0f ? 1.0f : 0.0f;
    }
}

static void forward(Ctx *c, const float *x, int B)
{
    const BenchNet *net = c->net;
    c->a[0] = (float *)x;
    for (int l = 0; l < net->nlayers; l++) {
        const int in = net->sizes[l], out = net->sizes[l + 1];
        const float *X = c->a[l], *W = c->w[l], *bias = c->b[l];
        float *Y = c->a[l + 1];
        for (int n = 0; n < B; n++)
            for (int o = 0; o < out; o++) {
                float s = bias[o];
                for (int i = 0; i < in; i++) s += X[n * in + i] * W[o * in + i];
                Y[n * out + o] = s;
            }
        if (l < net->nlayers - 1) {
            for (int k = 0; k < B * out; k++) Y[k] = act(net->act, Y[k]);
        } else if (net->out == OUT_SIGMOID_MSE) {
            for (int k = 0; k < B * out; k++) Y[k] = act(ACT_SIGMOID, Y[k]);
        } else {
            for (int n = 0; n < B; n++) {
                float *y = Y + n * out, m = y[0], s = 0.0f;
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
        const float *X = c->a[l], *D = c->dz[l], *W = c->w[l];
        float *gW = c->gw[l], *gb = c->gb[l];
        for (int o = 0; o < o_n; o++) {
            float s = 0.0f;
            for (int n = 0; n < B; n++) s += D[n * o_n + o];
            gb[o] = s;
            for (int i = 0; i < in; i++) gW[o * in + i] = 0.0f;
            for (int n = 0; n < B; n++) {
                const float g = D[n * o_n + o];
                for (int i = 0; i < in; i++) gW[o * in + i] += g * X[n * in + i];
            }
        }
        if (l > 0) {
            float *dA = c->da, *Dp = c->dz[l - 1];
            for (int n = 0; n < B; n++) {
                for (int i = 0; i < in; i++) dA[n * in + i] = 0.0f;
                for (int o = 0; o < o_n; o++) {
                    const float g = D[n * o_n + o];
                    for (int i = 0; i < in; i++) dA[n * in + i] += g * W[o * in + i];
                }
            }
            for (int k = 0; k < B * in; k++) Dp[k] = dA[k] * act_d(net->act, X[k]);
        }
    }
    for (int l = 0; l < L; l++) {
        const int np = net->sizes[l] * net->sizes[l + 1];
        for (int k = 0; k < np; k++) c->w[l][k] -= c->lr * c->gw[l][k];
        for (int k = 0; k < net->sizes[l + 1]; k++) c->b[l][k] -= c->lr * c->gb[l][k];
    }
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

static void infer_steps(void *vc, long steps)
{
    Ctx *c = vc;
    for (long s = 0; s < steps; s++) {
        if (c->pos >= c->d.n) c->pos = 0;
        forward(c, c->d.x + c->pos * c->d.in, 1);
        c->pos++;
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
    if (argc < 4) {
        fprintf(stderr, "usage: bench_hand NET DATA.bin BATCHES [infer]\n");
        return 2;
    }
    Ctx c;
    memset(&c, 0, sizeof c);
    c.net = bench_net(argv[1]);
    c.d = bench_load(argv[2]);
    c.lr = (float)bench_env("BENCH_LR", 0.01);
    int batches[8], nb = bench_batches(argv[3], batches, 8), maxb = 1, maxw = 1;
    for (int k = 0; k < nb; k++) maxb = batches[k] > maxb ? batches[k] : maxb;
    for (int l = 0; l < c.net->nlayers; l++) {
        const int in = c.net->sizes[l], out = c.net->sizes[l + 1];
        c.w[l] = bench_alloc(sizeof(float) * (size_t)in * out);
        c.gw[l] = bench_alloc(sizeof(float) * (size_t)in * out);
        c.b[l] = bench_alloc(sizeof(float) * (size_t)out);
        c.gb[l] = bench_alloc(sizeof(float) * (size_t)out);
        c.a[l + 1] = bench_alloc(sizeof(float) * (size_t)maxb * out);
        c.dz[l] = bench_alloc(sizeof(float) * (size_t)maxb * out);
        maxw = in > maxw ? in : maxw;
    }
    c.da = bench_alloc(sizeof(float) * (size_t)maxb * maxw);
    if (argc > 4 && strcmp(argv[4], "infer") == 0) {
        init(&c);
        bench_run("hand", argv[1], "infer", 1, 1, infer_steps, &c);
        return 0;
    }
    for (int k = 0; k < nb; k++) {
        init(&c);
        c.batch = batches[k];
        c.pos = 0;
        bench_run("hand", argv[1], "train", c.batch, 1, train_steps, &c);
        printf("LOSS impl=hand net=%s batch=%d loss=%.6g\n", argv[1], c.batch, (double)c.loss);
        if (!isfinite(c.loss)) fprintf(stderr, "bench_hand: %s b%d: loss %g\n", argv[1], c.batch, (double)c.loss);
    }
    return 0;
}

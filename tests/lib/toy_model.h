/* toy_model.h: hand-written NetrtModel descriptors standing in for generated
 * code, so runtime tests need no compiler. toy_logistic: y = sigmoid(w.x + b)
 * with mean binary cross-entropy, 2 inputs, 1 output, in double (toy_logistic)
 * or float (toy_logistic_f32). toy_linear: y = W x + b with mse, 2 -> 2.
 * toy_mlp: a 3-5-3 classifier with tanh or relu and dropout, like generated code. */
#ifndef TEST_TOY_MODEL_H
#define TEST_TOY_MODEL_H

#include <math.h>
#include <string.h>

#include "netrt.h"

/* Set non-zero to corrupt the analytic gradient of w[1] (gradcheck must fail). */
static double toy_grad_bug;

static inline double toy_ld(const void *v, size_t i, int rs)
{
    return rs == 8 ? ((const double *)v)[i] : ((const float *)v)[i];
}

static inline void toy_st(void *v, size_t i, int rs, double value)
{
    if (rs == 8)
        ((double *)v)[i] = value;
    else
        ((float *)v)[i] = (float)value;
}

/* ---- logistic regression: params [w0, w1, b] ---- */
static inline void toy_logistic_init_rs(void *params, unsigned long long seed, int rs)
{
    NetrtRng r;
    netrt_rng_seed(&r, seed);
    toy_st(params, 0, rs, netrt_rng_uniform(&r) - 0.5);
    toy_st(params, 1, rs, netrt_rng_uniform(&r) - 0.5);
    toy_st(params, 2, rs, 0.0);
}

static inline double toy_logistic_z(const void *p, const void *x, int i, int rs)
{
    return toy_ld(p, 0, rs) * toy_ld(x, 2 * i, rs) + toy_ld(p, 1, rs) * toy_ld(x, 2 * i + 1, rs)
           + toy_ld(p, 2, rs);
}

static inline double toy_logistic_loss_rs(void *y, const void *p, const void *x, const void *t,
                                          int n, double *grad3, int rs)
{
    double loss = 0;
    if (grad3)
        grad3[0] = grad3[1] = grad3[2] = 0;
    for (int i = 0; i < n; i++) {
        double z = toy_logistic_z(p, x, i, rs), ti = toy_ld(t, i, rs);
        double py = 1 / (1 + exp(-z));
        /* log(1 + e^z) - t z, written stably */
        loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - ti * z;
        if (y)
            toy_st(y, i, rs, py);
        if (grad3) {
            grad3[0] += (py - ti) * toy_ld(x, 2 * i, rs) / n;
            grad3[1] += (py - ti) * toy_ld(x, 2 * i + 1, rs) / n;
            grad3[2] += (py - ti) / n;
        }
    }
    return loss / n;
}

static void toy_logistic_init(void *params, unsigned long long seed)
{
    toy_logistic_init_rs(params, seed, 8);
}

static void toy_logistic_forward(void *y, const void *params, const void *x, int n, void *work)
{
    (void)work;
    for (int i = 0; i < n; i++) {
        double z = toy_logistic_z(params, x, i, 8);
        ((double *)y)[i] = 1 / (1 + exp(-z));
    }
}

static double toy_logistic_loss(void *y, const void *params, const void *x, const void *t, int n,
                                int train, unsigned long long dropout_seed, void *work)
{
    (void)train, (void)dropout_seed, (void)work;
    return toy_logistic_loss_rs(y, params, x, t, n, NULL, 8);
}

static double toy_logistic_loss_grad(void *grad, const void *params, const void *x,
                                     const void *t, int n, unsigned long long dropout_seed,
                                     void *work)
{
    double g[3], loss = toy_logistic_loss_rs(NULL, params, x, t, n, g, 8);
    (void)dropout_seed, (void)work;
    g[1] *= 1 + toy_grad_bug;
    memcpy(grad, g, sizeof g);
    return loss;
}

static const NetrtParamInfo toy_logistic_params[] = {
    { .name = "lr.w", .offset = 0, .size = 2, .rows = 1, .cols = 2, .fan_in = 2, .fan_out = 1,
      .init = NETRT_INIT_XAVIER, .is_weight = 1 },
    { .name = "lr.b", .offset = 2, .size = 1, .rows = 1, .cols = 1, .fan_in = 2, .fan_out = 1,
      .init = NETRT_INIT_ZEROS, .is_weight = 0 },
};

static const NetrtModel toy_logistic = {
    .name = "toy", .spec_path = "tests/lib/toy_model.h", .real_size = 8,
    .num_params = 3, .input_size = 2, .output_size = 1, .work_per_sample = 1,
    .num_param_tensors = 2, .params = toy_logistic_params,
    .loss = "bce", .target = NETRT_TARGET_BINARY, .classification = 1,
    .layout_hash = 0x70790123456789abULL,
    .train = { .optim = { .kind = NETRT_OPT_SGD, .lr = 0.5, .momentum = 0.0 }, .batch = 4, .epochs = 200,
               .seed = 1 },
    .init_params = toy_logistic_init, .forward = toy_logistic_forward,
    .loss_fn = toy_logistic_loss, .loss_grad = toy_logistic_loss_grad,
};

/* The same network in float. */
static void toy_logistic_init_f32(void *params, unsigned long long seed)
{
    toy_logistic_init_rs(params, seed, 4);
}

static void toy_logistic_forward_f32(void *y, const void *params, const void *x, int n,
                                     void *work)
{
    (void)work;
    for (int i = 0; i < n; i++)
        ((float *)y)[i] = (float)(1 / (1 + exp(-toy_logistic_z(params, x, i, 4))));
}

static double toy_logistic_loss_f32(void *y, const void *params, const void *x, const void *t,
                                    int n, int train, unsigned long long dropout_seed, void *work)
{
    (void)train, (void)dropout_seed, (void)work;
    return toy_logistic_loss_rs(y, params, x, t, n, NULL, 4);
}

static double toy_logistic_loss_grad_f32(void *grad, const void *params, const void *x,
                                         const void *t, int n, unsigned long long dropout_seed,
                                         void *work)
{
    double g[3], loss = toy_logistic_loss_rs(NULL, params, x, t, n, g, 4);
    (void)dropout_seed, (void)work;
    for (int i = 0; i < 3; i++)
        ((float *)grad)[i] = (float)g[i];
    return loss;
}

static const NetrtModel toy_logistic_f32 = {
    .name = "toy32", .spec_path = "tests/lib/toy_model.h", .real_size = 4,
    .num_params = 3, .input_size = 2, .output_size = 1, .work_per_sample = 1,
    .num_param_tensors = 2, .params = toy_logistic_params,
    .loss = "bce", .target = NETRT_TARGET_BINARY, .classification = 1,
    .layout_hash = 0x70790123456789abULL,
    .train = { .optim = { .kind = NETRT_OPT_SGD, .lr = 0.5, .momentum = 0.9 }, .batch = 2, .epochs = 100,
               .seed = 7 },
    .init_params = toy_logistic_init_f32, .forward = toy_logistic_forward_f32,
    .loss_fn = toy_logistic_loss_f32, .loss_grad = toy_logistic_loss_grad_f32,
};

/* ---- linear regression 2 -> 2 with mse: params W[2][2] row-major, then b[2] ---- */
static inline double toy_linear_out(const double *p, const double *x, int i, int o)
{
    return p[2 * o] * x[2 * i] + p[2 * o + 1] * x[2 * i + 1] + p[4 + o];
}

static void toy_linear_init(void *params, unsigned long long seed)
{
    NetrtRng r;
    netrt_rng_seed(&r, seed);
    for (int i = 0; i < 6; i++)
        ((double *)params)[i] = i < 4 ? netrt_rng_uniform(&r) - 0.5 : 0.0;
}

static void toy_linear_forward(void *y, const void *params, const void *x, int n, void *work)
{
    (void)work;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < 2; o++)
            ((double *)y)[2 * i + o] = toy_linear_out(params, x, i, o);
}

/* Loss: mean over all n * 2 output elements of (y - t)^2. */
static double toy_linear_loss_grad_impl(void *y, double *grad, const double *p, const double *x,
                                        const double *t, int n)
{
    double loss = 0;
    if (grad)
        memset(grad, 0, 6 * sizeof(double));
    for (int i = 0; i < n; i++) {
        for (int o = 0; o < 2; o++) {
            double yo = toy_linear_out(p, x, i, o), d = yo - t[2 * i + o];
            loss += d * d / (2.0 * n);
            if (y)
                ((double *)y)[2 * i + o] = yo;
            if (grad) {
                grad[2 * o] += 2 * d * x[2 * i] / (2.0 * n);
                grad[2 * o + 1] += 2 * d * x[2 * i + 1] / (2.0 * n);
                grad[4 + o] += 2 * d / (2.0 * n);
            }
        }
    }
    return loss;
}

static double toy_linear_loss(void *y, const void *params, const void *x, const void *t, int n,
                              int train, unsigned long long dropout_seed, void *work)
{
    (void)train, (void)dropout_seed, (void)work;
    return toy_linear_loss_grad_impl(y, NULL, params, x, t, n);
}

static double toy_linear_loss_grad(void *grad, const void *params, const void *x, const void *t,
                                   int n, unsigned long long dropout_seed, void *work)
{
    (void)dropout_seed, (void)work;
    return toy_linear_loss_grad_impl(NULL, grad, params, x, t, n);
}

static const NetrtParamInfo toy_linear_params[] = {
    { .name = "fc.w", .offset = 0, .size = 4, .rows = 2, .cols = 2, .fan_in = 2, .fan_out = 2,
      .init = NETRT_INIT_XAVIER, .is_weight = 1 },
    { .name = "fc.b", .offset = 4, .size = 2, .rows = 2, .cols = 1, .fan_in = 2, .fan_out = 2,
      .init = NETRT_INIT_ZEROS, .is_weight = 0 },
};

static const NetrtModel toy_linear = {
    .name = "lin", .spec_path = "tests/lib/toy_model.h", .real_size = 8,
    .num_params = 6, .input_size = 2, .output_size = 2, .work_per_sample = 1,
    .num_param_tensors = 2, .params = toy_linear_params,
    .loss = "mse", .target = NETRT_TARGET_REAL, .classification = 0,
    .layout_hash = 0x11aa22bb33cc44ddULL,
    .train = { .optim = { .kind = NETRT_OPT_SGD, .lr = 0.1, .momentum = 0.9 }, .batch = 4, .epochs = 300,
               .seed = 3 },
    .init_params = toy_linear_init, .forward = toy_linear_forward,
    .loss_fn = toy_linear_loss, .loss_grad = toy_linear_loss_grad,
};

/* ---- toy_mlp: 3 -> 5 (tanh or relu, inverted dropout) -> 3, softmax + cross-entropy ----
 * params: W1[5][3] at 0, b1[5] at 15, W2[3][5] at 20, b2[3] at 35 (38 in all). */
static int toy_mlp_relu;            /* 0: tanh hidden layer, 1: relu */
static double toy_mlp_drop;         /* dropout probability on the hidden layer when training */

static inline double toy_mlp_sample(double *y, double *g, const double *p, const double *x,
                                    const double *t, int n, int train, NetrtRng *r)
{
    double z1[5], h[5], mask[5], z2[3], mx, sum = 0, loss;
    for (int o = 0; o < 5; o++) {
        z1[o] = p[15 + o] + p[o * 3] * x[0] + p[o * 3 + 1] * x[1] + p[o * 3 + 2] * x[2];
        double a = toy_mlp_relu ? (z1[o] > 0 ? z1[o] : 0) : tanh(z1[o]);
        mask[o] = 1;
        if (train && toy_mlp_drop > 0)
            mask[o] = netrt_rng_uniform(r) < toy_mlp_drop ? 0 : 1 / (1 - toy_mlp_drop);
        h[o] = a * mask[o];
    }
    for (int k = 0; k < 3; k++) {
        z2[k] = p[35 + k];
        for (int o = 0; o < 5; o++)
            z2[k] += p[20 + k * 5 + o] * h[o];
    }
    mx = fmax(z2[0], fmax(z2[1], z2[2]));
    for (int k = 0; k < 3; k++)
        sum += exp(z2[k] - mx);
    loss = 0;
    for (int k = 0; k < 3; k++)
        loss -= t[k] * (z2[k] - mx - log(sum));
    if (y)
        for (int k = 0; k < 3; k++)
            y[k] = exp(z2[k] - mx) / sum;
    if (!g)
        return loss;
    for (int k = 0; k < 3; k++) {
        double dz2 = (exp(z2[k] - mx) / sum - t[k]) / n;
        g[35 + k] += dz2;
        for (int o = 0; o < 5; o++)
            g[20 + k * 5 + o] += dz2 * h[o];
    }
    for (int o = 0; o < 5; o++) {
        double dh = 0, dz1;
        for (int k = 0; k < 3; k++)
            dh += p[20 + k * 5 + o] * (exp(z2[k] - mx) / sum - t[k]) / n;
        dz1 = dh * mask[o] * (toy_mlp_relu ? (z1[o] > 0) : 1 - tanh(z1[o]) * tanh(z1[o]));
        g[15 + o] += dz1;
        for (int i = 0; i < 3; i++)
            g[o * 3 + i] += dz1 * x[i];
    }
    return loss;
}

static double toy_mlp_run(double *y, double *g, const double *p, const double *x,
                          const double *t, int n, int train, unsigned long long seed)
{
    NetrtRng r;
    double loss = 0;
    netrt_rng_seed(&r, seed);
    if (g)
        memset(g, 0, 38 * sizeof(double));
    for (int s = 0; s < n; s++)
        loss += toy_mlp_sample(y ? y + 3 * s : NULL, g, p, x + 3 * s, t ? t + 3 * s : NULL, n,
                               train, &r);
    return loss / n;
}

static void toy_mlp_init(void *params, unsigned long long seed)
{
    NetrtRng r;
    netrt_rng_seed(&r, seed);
    for (int i = 0; i < 38; i++)
        ((double *)params)[i] = (i < 15 || (i >= 20 && i < 35)) ? netrt_rng_uniform(&r) - 0.5 : 0;
}

static void toy_mlp_forward(void *y, const void *params, const void *x, int n, void *work)
{
    static const double zero_t[3] = { 0, 0, 0 };
    (void)work;
    for (int s = 0; s < n; s++)
        toy_mlp_sample((double *)y + 3 * s, NULL, params, (const double *)x + 3 * s, zero_t, n,
                       0, NULL);
}

static double toy_mlp_loss(void *y, const void *params, const void *x, const void *t, int n,
                           int train, unsigned long long dropout_seed, void *work)
{
    (void)work;
    return toy_mlp_run(y, NULL, params, x, t, n, train, dropout_seed);
}

static double toy_mlp_loss_grad(void *grad, const void *params, const void *x, const void *t,
                                int n, unsigned long long dropout_seed, void *work)
{
    (void)work;
    return toy_mlp_run(NULL, grad, params, x, t, n, 1, dropout_seed);
}

static const NetrtParamInfo toy_mlp_params[] = {
    { .name = "h.w", .offset = 0, .size = 15, .rows = 5, .cols = 3, .fan_in = 3, .fan_out = 5,
      .init = NETRT_INIT_XAVIER, .is_weight = 1 },
    { .name = "h.b", .offset = 15, .size = 5, .rows = 5, .cols = 1, .fan_in = 3, .fan_out = 5,
      .init = NETRT_INIT_ZEROS },
    { .name = "out.w", .offset = 20, .size = 15, .rows = 3, .cols = 5, .fan_in = 5, .fan_out = 3,
      .init = NETRT_INIT_XAVIER, .is_weight = 1 },
    { .name = "out.b", .offset = 35, .size = 3, .rows = 3, .cols = 1, .fan_in = 5, .fan_out = 3,
      .init = NETRT_INIT_ZEROS },
};

static const NetrtModel toy_mlp = {
    .name = "mlp", .spec_path = "tests/lib/toy_model.h", .real_size = 8,
    .num_params = 38, .input_size = 3, .output_size = 3, .work_per_sample = 1,
    .num_param_tensors = 4, .params = toy_mlp_params,
    .loss = "cross_entropy", .target = NETRT_TARGET_ONEHOT, .classification = 1,
    .has_dropout = 1, .layout_hash = 0x6d6c700000000001ULL,
    .train = { .optim = { .kind = NETRT_OPT_SGD, .lr = 0.1, .momentum = 0.9 }, .batch = 8, .epochs = 50,
               .seed = 1 },
    .init_params = toy_mlp_init, .forward = toy_mlp_forward,
    .loss_fn = toy_mlp_loss, .loss_grad = toy_mlp_loss_grad,
};

#endif

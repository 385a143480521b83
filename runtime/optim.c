/* optim.c: the first-order optimizers (SGD, Nesterov, Adagrad, RMSprop, Adadelta,
 * Adam, AdamW) in torch.optim 1.13's exact operation order, gradient clipping and
 * the optimizer's checkpoint state. One flat loop per real type per parameter
 * tensor; weight decay reaches weights only. Formulas: docs/optimizers.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "internal.h"
#include "netrt.h"
#include "optim_impl.h"

/* The update loops below are compiled once per ISA (NETRT_WIDEST, internal.h):
 * libnetrt is built once for any x86-64 machine, yet Adam's sqrt and divisions
 * run 16 floats at a time where they can. Each copy does the same IEEE
 * operations in the same order, so the results are identical to the bit
 * (tests/unit/test_optim.c checks them against the formulas one value at a
 * time): nothing may fuse a multiply and an add, which gcc's -std=c99 already
 * rules out and clang is told here. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static const char *const optim_names[] = {
    "sgd", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "lbfgs", NULL
};

int netrt_optim_parse(const char *name, NetrtOptimKind *kind)
{
    for (int i = 0; optim_names[i]; i++) {
        if (strcmp(name, optim_names[i]) == 0) {
            *kind = (NetrtOptimKind)i;
            return 0;
        }
    }
    return -1;
}

const char *netrt_optim_name(NetrtOptimKind kind)
{
    if ((int)kind < 0 || kind > NETRT_OPT_LBFGS)
        return "?";
    return optim_names[kind];
}

/* PyTorch's defaults for each optimizer (SGD has none for lr; 0.01 is netc's). */
void netrt_optim_defaults(NetrtOptimConfig *c, NetrtOptimKind kind)
{
    static const double lr[] = { 0.01, 0.01, 0.01, 0.01, 1.0, 0.001, 0.001, 1.0 };
    static const double eps[] = { 0, 0, 1e-10, 1e-8, 1e-6, 1e-8, 1e-8, 0 };
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->lr = lr[kind];
    c->momentum = kind == NETRT_OPT_NESTEROV ? 0.9 : 0.0;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->rho = kind == NETRT_OPT_ADADELTA ? 0.9 : kind == NETRT_OPT_RMSPROP ? 0.99 : 0.0;
    c->eps = eps[kind];
    c->weight_decay = kind == NETRT_OPT_ADAMW ? 0.01 : 0.0;
    c->history = 10;
    c->tol_grad = 1e-7;
    c->tol_change = 1e-9;
    c->schedule = NETRT_SCHED_CONSTANT;
    c->step_size = 10;
    c->gamma = 0.1;
    c->power = 0.5;
    c->lr_min = 0.0;
    c->clip_norm = 0.0;
}

/* How many per-parameter state arrays a configuration needs. */
static int state_count(const NetrtOptimConfig *c)
{
    switch (c->kind) {
    case NETRT_OPT_SGD:
    case NETRT_OPT_NESTEROV: return c->momentum != 0.0 ? 1 : 0;
    case NETRT_OPT_ADAGRAD: return 1;
    case NETRT_OPT_RMSPROP: return c->momentum > 0.0 ? 2 : 1;
    case NETRT_OPT_ADADELTA:
    case NETRT_OPT_ADAM:
    case NETRT_OPT_ADAMW: return 2;
    case NETRT_OPT_LBFGS: return 0;
    }
    return 0;
}

int netrt_optim_init(NetrtOptimizer *o, const NetrtModel *m, const NetrtOptimConfig *c)
{
    memset(o, 0, sizeof *o);
    o->cfg = *c;
    o->m = m;
    int n = state_count(c);
    for (int i = 0; i < n; i++) {
        /* Every state starts at zero, as torch's (SGD's first buffer = g equals 0*mu + g). */
        o->state[i] = NETRT_CALLOC(m->num_params ? m->num_params : 1, (size_t)m->real_size);
        if (!o->state[i]) {
            netrt_optim_free(o);
            return -1;
        }
    }
    if (c->kind == NETRT_OPT_LBFGS) {
        o->lbfgs = netrt_lbfgs_alloc(m, c->history);
        if (!o->lbfgs) {
            netrt_optim_free(o);
            return -1;
        }
    }
    return 0;
}

void netrt_optim_free(NetrtOptimizer *o)
{
    for (int i = 0; i < 3; i++) {
        free(o->state[i]);
        o->state[i] = NULL;
    }
    netrt_lbfgs_free(o->lbfgs);
    o->lbfgs = NULL;
}

/* ---- the update kernels: scalars computed once per step ---- */

typedef struct {
    double lr, wd;              /* wd: 0 for biases */
    double mu, rho, eps;
    double b1, b2, step_size, bc2_sqrt; /* adam: step_size = lr / (1 - b1^t) */
    int nesterov, decoupled;
} Hyper;

/* SGD: g' = g + wd p; v = mu v + g'; p -= lr (nesterov ? g' + mu v : v).
 * Branches sit outside the loops so each loop vectorizes; g + 0 p is g. */
NETRT_WIDEST
static void sgd_f64(double *restrict p, const double *restrict g, double *restrict v, size_t n,
                    const Hyper *h)
{
    const double lr = h->lr, wd = h->wd, mu = h->mu;
    if (!v) {
        for (size_t i = 0; i < n; i++)
            p[i] = p[i] - lr * (g[i] + wd * p[i]);
    } else if (!h->nesterov) {
        for (size_t i = 0; i < n; i++) {
            v[i] = v[i] * mu + (g[i] + wd * p[i]);
            p[i] = p[i] - lr * v[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            double d = g[i] + wd * p[i];
            v[i] = v[i] * mu + d;
            p[i] = p[i] - lr * (d + mu * v[i]);
        }
    }
}

NETRT_WIDEST
static void sgd_f32(float *restrict p, const float *restrict g, float *restrict v, size_t n,
                    const Hyper *h)
{
    const float lr = (float)h->lr, wd = (float)h->wd, mu = (float)h->mu;
    if (!v) {
        for (size_t i = 0; i < n; i++)
            p[i] = p[i] - lr * (g[i] + wd * p[i]);
    } else if (!h->nesterov) {
        for (size_t i = 0; i < n; i++) {
            v[i] = v[i] * mu + (g[i] + wd * p[i]);
            p[i] = p[i] - lr * v[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float d = g[i] + wd * p[i];
            v[i] = v[i] * mu + d;
            p[i] = p[i] - lr * (d + mu * v[i]);
        }
    }
}

/* Adagrad: s += g'^2; p -= lr g' / (sqrt(s) + eps). */
NETRT_WIDEST
static void adagrad_f64(double *restrict p, const double *restrict g, double *restrict s, size_t n,
                        const Hyper *h)
{
    const double lr = h->lr, wd = h->wd, eps = h->eps;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + wd * p[i];
        s[i] = s[i] + d * d;
        p[i] = p[i] - lr * (d / (sqrt(s[i]) + eps));
    }
}

NETRT_WIDEST
static void adagrad_f32(float *restrict p, const float *restrict g, float *restrict s, size_t n,
                        const Hyper *h)
{
    const float lr = (float)h->lr, wd = (float)h->wd, eps = (float)h->eps;
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + wd * p[i];
        s[i] = s[i] + d * d;
        p[i] = p[i] - lr * (d / (sqrtf(s[i]) + eps));
    }
}

/* RMSprop: a = rho a + (1 - rho) g'^2; with momentum b = mu b + g' / (sqrt(a) + eps),
 * p -= lr b; without, p -= lr g' / (sqrt(a) + eps). */
NETRT_WIDEST
static void rmsprop_f64(double *restrict p, const double *restrict g, double *restrict a,
                        double *restrict b, size_t n, const Hyper *h)
{
    const double lr = h->lr, wd = h->wd, rho = h->rho, c = 1.0 - h->rho, eps = h->eps;
    const double mu = h->mu;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + wd * p[i];
        a[i] = a[i] * rho + c * d * d;
        if (b) {
            b[i] = b[i] * mu + d / (sqrt(a[i]) + eps);
            p[i] = p[i] - lr * b[i];
        } else {
            p[i] = p[i] - lr * (d / (sqrt(a[i]) + eps));
        }
    }
}

NETRT_WIDEST
static void rmsprop_f32(float *restrict p, const float *restrict g, float *restrict a,
                        float *restrict b, size_t n, const Hyper *h)
{
    const float lr = (float)h->lr, wd = (float)h->wd, rho = (float)h->rho;
    const float c = (float)(1.0 - h->rho), eps = (float)h->eps, mu = (float)h->mu;
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + wd * p[i];
        a[i] = a[i] * rho + c * d * d;
        if (b) {
            b[i] = b[i] * mu + d / (sqrtf(a[i]) + eps);
            p[i] = p[i] - lr * b[i];
        } else {
            p[i] = p[i] - lr * (d / (sqrtf(a[i]) + eps));
        }
    }
}

/* Adadelta: a = rho a + (1 - rho) g'^2; dx = sqrt(u + eps) / sqrt(a + eps) g';
 * u = rho u + (1 - rho) dx^2; p -= lr dx. */
NETRT_WIDEST
static void adadelta_f64(double *restrict p, const double *restrict g, double *restrict a,
                         double *restrict u, size_t n, const Hyper *h)
{
    const double lr = h->lr, wd = h->wd, rho = h->rho, c = 1.0 - h->rho, eps = h->eps;
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + wd * p[i];
        a[i] = a[i] * rho + c * d * d;
        double dx = sqrt(u[i] + eps) / sqrt(a[i] + eps) * d;
        u[i] = u[i] * rho + c * dx * dx;
        p[i] = p[i] - lr * dx;
    }
}

NETRT_WIDEST
static void adadelta_f32(float *restrict p, const float *restrict g, float *restrict a,
                         float *restrict u, size_t n, const Hyper *h)
{
    const float lr = (float)h->lr, wd = (float)h->wd, rho = (float)h->rho;
    const float c = (float)(1.0 - h->rho), eps = (float)h->eps;
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + wd * p[i];
        a[i] = a[i] * rho + c * d * d;
        float dx = sqrtf(u[i] + eps) / sqrtf(a[i] + eps) * d;
        u[i] = u[i] * rho + c * dx * dx;
        p[i] = p[i] - lr * dx;
    }
}

/* Adam: m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
 * p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * AdamW first decays p *= 1 - lr wd and leaves g unchanged. */
NETRT_WIDEST
static void adam_f64(double *restrict p, const double *restrict g, double *restrict m,
                     double *restrict v, size_t n, const Hyper *h)
{
    const double wd = h->decoupled ? 0.0 : h->wd, b1 = h->b1, b2 = h->b2;
    const double c1 = 1.0 - h->b1, c2 = 1.0 - h->b2, eps = h->eps;
    const double ss = h->step_size, bc2s = h->bc2_sqrt;
    const double keep = h->decoupled ? 1.0 - h->lr * h->wd : 1.0;    /* p 1 = p */
    for (size_t i = 0; i < n; i++) {
        p[i] = p[i] * keep;
        double d = g[i] + wd * p[i];
        m[i] = m[i] * b1 + c1 * d;
        v[i] = v[i] * b2 + c2 * d * d;
        p[i] = p[i] - ss * (m[i] / (sqrt(v[i]) / bc2s + eps));
    }
}

NETRT_WIDEST
static void adam_f32(float *restrict p, const float *restrict g, float *restrict m,
                     float *restrict v, size_t n, const Hyper *h)
{
    const float wd = h->decoupled ? 0.0f : (float)h->wd, b1 = (float)h->b1, b2 = (float)h->b2;
    const float c1 = (float)(1.0 - h->b1), c2 = (float)(1.0 - h->b2), eps = (float)h->eps;
    const float ss = (float)h->step_size, bc2s = (float)h->bc2_sqrt;
    const float keep = h->decoupled ? (float)(1.0 - h->lr * h->wd) : 1.0f;
    for (size_t i = 0; i < n; i++) {
        p[i] = p[i] * keep;
        float d = g[i] + wd * p[i];
        m[i] = m[i] * b1 + c1 * d;
        v[i] = v[i] * b2 + c2 * d * d;
        p[i] = p[i] - ss * (m[i] / (sqrtf(v[i]) / bc2s + eps));
    }
}

/* The kernel for o's kind over elements [off, off + n) in double. */
static void update_f64(const NetrtOptimizer *o, double *p, const double *g, size_t off,
                       size_t n, const Hyper *h)
{
    double *s0 = o->state[0] ? (double *)o->state[0] + off : NULL;
    double *s1 = o->state[1] ? (double *)o->state[1] + off : NULL;
    p += off;
    g += off;
    switch (o->cfg.kind) {
    case NETRT_OPT_SGD:
    case NETRT_OPT_NESTEROV: sgd_f64(p, g, s0, n, h); break;
    case NETRT_OPT_ADAGRAD: adagrad_f64(p, g, s0, n, h); break;
    case NETRT_OPT_RMSPROP: rmsprop_f64(p, g, s0, s1, n, h); break;
    case NETRT_OPT_ADADELTA: adadelta_f64(p, g, s0, s1, n, h); break;
    case NETRT_OPT_ADAM:
    case NETRT_OPT_ADAMW: adam_f64(p, g, s0, s1, n, h); break;
    case NETRT_OPT_LBFGS: break;
    }
}

static void update_f32(const NetrtOptimizer *o, float *p, const float *g, size_t off,
                       size_t n, const Hyper *h)
{
    float *s0 = o->state[0] ? (float *)o->state[0] + off : NULL;
    float *s1 = o->state[1] ? (float *)o->state[1] + off : NULL;
    p += off;
    g += off;
    switch (o->cfg.kind) {
    case NETRT_OPT_SGD:
    case NETRT_OPT_NESTEROV: sgd_f32(p, g, s0, n, h); break;
    case NETRT_OPT_ADAGRAD: adagrad_f32(p, g, s0, n, h); break;
    case NETRT_OPT_RMSPROP: rmsprop_f32(p, g, s0, s1, n, h); break;
    case NETRT_OPT_ADADELTA: adadelta_f32(p, g, s0, s1, n, h); break;
    case NETRT_OPT_ADAM:
    case NETRT_OPT_ADAMW: adam_f32(p, g, s0, s1, n, h); break;
    case NETRT_OPT_LBFGS: break;
    }
}

static Hyper hyper_for(const NetrtOptimizer *o, double lr)
{
    const NetrtOptimConfig *c = &o->cfg;
    Hyper h = { .lr = lr, .mu = c->momentum, .rho = c->rho, .eps = c->eps,
                .b1 = c->beta1, .b2 = c->beta2,
                .nesterov = c->kind == NETRT_OPT_NESTEROV,
                .decoupled = c->kind == NETRT_OPT_ADAMW };
    /* torch: bias corrections as Python floats, beta ** step */
    h.step_size = lr / (1.0 - pow(c->beta1, (double)o->t));
    h.bc2_sqrt = sqrt(1.0 - pow(c->beta2, (double)o->t));
    return h;
}

/* One update over each parameter tensor: weights get weight_decay, biases none
 * (torch with two parameter groups). A descriptor without a tensor table is
 * treated as one weight tensor. */
void netrt_optim_step(NetrtOptimizer *o, void *params, const void *grad, double lr)
{
    const NetrtModel *m = o->m;
    if (o->cfg.kind == NETRT_OPT_LBFGS)
        return;
    o->t++;
    Hyper h = hyper_for(o, lr);
    int ntensors = m->num_param_tensors > 0 && m->params ? m->num_param_tensors : 1;
    for (int k = 0; k < ntensors; k++) {
        const NetrtParamInfo *pi = m->num_param_tensors > 0 && m->params ? &m->params[k] : NULL;
        size_t off = pi ? pi->offset : 0, n = pi ? pi->size : m->num_params;
        h.wd = !pi || pi->is_weight ? o->cfg.weight_decay : 0.0;
        if (m->real_size == 8)
            update_f64(o, params, grad, off, n, &h);
        else
            update_f32(o, params, grad, off, n, &h);
    }
}

/* torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when below 1. */
double netrt_clip_gradient(const NetrtModel *m, void *grad, double max_norm)
{
    double sum = 0.0;
    size_t n = m->num_params;
    if (m->real_size == 8) {
        const double *g = grad;
        for (size_t i = 0; i < n; i++)
            sum += g[i] * g[i];
    } else {
        const float *g = grad;
        for (size_t i = 0; i < n; i++)
            sum += (double)g[i] * g[i];
    }
    double norm = sqrt(sum);
    if (max_norm <= 0.0)
        return norm;
    double coef = max_norm / (norm + 1e-6);
    if (!(coef < 1.0))
        return norm;
    if (m->real_size == 8) {
        double *g = grad;
        for (size_t i = 0; i < n; i++)
            g[i] = g[i] * coef;
    } else {
        float *g = grad, c = (float)coef;
        for (size_t i = 0; i < n; i++)
            g[i] = g[i] * c;
    }
    return norm;
}

/* ---- checkpoint state: a header, the state arrays, then L-BFGS's own part ---- */

typedef struct {
    char magic[8];              /* "netrtopt" */
    uint32_t kind, real_size, nstate, pad;
    uint64_t num_params;
    int64_t t;
    uint64_t lbfgs_bytes;
} StateHeader;

static size_t lbfgs_bytes(const NetrtOptimizer *o)
{
    return o->lbfgs ? netrt_lbfgs_state_size(o->lbfgs) : 0;
}

size_t netrt_optim_state_size(const NetrtOptimizer *o)
{
    size_t arrays = (size_t)state_count(&o->cfg) * o->m->num_params * (size_t)o->m->real_size;
    return sizeof(StateHeader) + arrays + lbfgs_bytes(o);
}

void netrt_optim_state_save(const NetrtOptimizer *o, void *buf)
{
    StateHeader h = { .kind = (uint32_t)o->cfg.kind, .real_size = (uint32_t)o->m->real_size,
                      .nstate = (uint32_t)state_count(&o->cfg),
                      .num_params = o->m->num_params, .t = o->t,
                      .lbfgs_bytes = lbfgs_bytes(o) };
    memcpy(h.magic, "netrtopt", 8);
    unsigned char *out = buf;
    memcpy(out, &h, sizeof h);
    out += sizeof h;
    size_t bytes = o->m->num_params * (size_t)o->m->real_size;
    for (uint32_t i = 0; i < h.nstate; i++, out += bytes)
        memcpy(out, o->state[i], bytes);
    if (o->lbfgs)
        netrt_lbfgs_state_save(o->lbfgs, out);
}

/* Refuses state from another optimizer, precision, model size or configuration. */
int netrt_optim_state_load(NetrtOptimizer *o, const void *buf, size_t size)
{
    StateHeader h;
    if (size < sizeof h) {
        netrt_error(NULL, "optimizer state is truncated (%zu bytes)", size);
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, "netrtopt", 8) != 0 || h.kind != (uint32_t)o->cfg.kind ||
        h.real_size != (uint32_t)o->m->real_size || h.num_params != o->m->num_params ||
        h.nstate != (uint32_t)state_count(&o->cfg) || h.lbfgs_bytes != lbfgs_bytes(o) ||
        size != netrt_optim_state_size(o)) {
        netrt_error(NULL, "optimizer state does not match the optimizer '%s' of this run",
                    netrt_optim_name(o->cfg.kind));
        return -1;
    }
    const unsigned char *in = (const unsigned char *)buf + sizeof h;
    size_t bytes = o->m->num_params * (size_t)o->m->real_size;
    for (uint32_t i = 0; i < h.nstate; i++, in += bytes)
        memcpy(o->state[i], in, bytes);
    o->t = h.t;
    if (o->lbfgs)
        return netrt_lbfgs_state_load(o->lbfgs, in);
    return 0;
}

/* ---- the old SGD-only interface ---- */

int netrt_sgd_init(NetrtSgd *opt, const NetrtModel *m, double lr, double momentum)
{
    opt->lr = lr;
    opt->momentum = momentum;
    opt->velocity = NULL;
    if (momentum == 0.0)
        return 0;
    /* v starts at 0, so the first step gives v = g, as torch.optim.SGD does. */
    opt->velocity = NETRT_CALLOC(m->num_params, (size_t)m->real_size);
    return opt->velocity ? 0 : -1;
}

void netrt_sgd_step(NetrtSgd *opt, const NetrtModel *m, void *params, const void *grad)
{
    Hyper h = { .lr = opt->lr, .mu = opt->momentum };
    if (m->real_size == 8)
        sgd_f64(params, grad, opt->velocity, m->num_params, &h);
    else
        sgd_f32(params, grad, opt->velocity, m->num_params, &h);
}

void netrt_sgd_free(NetrtSgd *opt)
{
    free(opt->velocity);
    opt->velocity = NULL;
}

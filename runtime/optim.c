/* optim.c: mini-batch SGD with classical momentum in PyTorch's form, one flat
 * loop per real type over the whole parameter vector. */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"

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

static void step_f32(float *p, float *v, const float *g, size_t n, float lr, float mu)
{
    if (!v) {
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * g[i];
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] + g[i];
        p[i] -= lr * v[i];
    }
}

static void step_f64(double *p, double *v, const double *g, size_t n, double lr, double mu)
{
    if (!v) {
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * g[i];
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] + g[i];
        p[i] -= lr * v[i];
    }
}

void netrt_sgd_step(NetrtSgd *opt, const NetrtModel *m, void *params, const void *grad)
{
    if (m->real_size == 8)
        step_f64(params, opt->velocity, grad, m->num_params, opt->lr, opt->momentum);
    else
        step_f32(params, opt->velocity, grad, m->num_params, (float)opt->lr,
                 (float)opt->momentum);
}

void netrt_sgd_free(NetrtSgd *opt)
{
    free(opt->velocity);
    opt->velocity = NULL;
}

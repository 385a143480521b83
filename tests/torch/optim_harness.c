/* optim_harness.c: runs libnetrt's optimizers on a generated double-precision
 * network for optim_check.py, which repeats the run with torch.optim.
 * Built by tests/torch/run.sh with -DMODEL=NAME_model against the generated
 * NAME.c/NAME_netrt.c and libnetrt.a.
 *
 * usage: optim_harness DATA STEPS BATCH OPTIMIZER [key=value ...]
 *   DATA: "rows inputs outputs" then one row per line: inputs, encoded targets.
 *   Keys: every NetrtOptimConfig field by its spec name (lr, momentum, beta1,
 *   beta2, rho, eps, weight_decay, history, every, gamma, clip) and schedule=KIND.
 * Output, all values %.17g: `init P...`, then per update `step S LR NORM LOSS P...`
 * (first-order: mini-batch S of BATCH rows in order, wrapping; NORM is the
 * gradient norm before clipping) or `iter S RC LOSS P...` (lbfgs, full batch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt.h"

extern const NetrtModel MODEL;

typedef struct {
    int rows, nin, nout;
    double *x, *t;
    double *work;
} Data;

static int read_data(Data *d, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%d %d %d", &d->rows, &d->nin, &d->nout) != 3)
        return -1;
    d->x = malloc(sizeof(double) * (size_t)d->rows * (size_t)d->nin);
    d->t = malloc(sizeof(double) * (size_t)d->rows * (size_t)d->nout);
    d->work = malloc(sizeof(double) * (size_t)d->rows * MODEL.work_per_sample);
    for (int r = 0; r < d->rows; r++) {
        for (int i = 0; i < d->nin; i++)
            if (fscanf(f, "%lf", &d->x[(size_t)r * (size_t)d->nin + (size_t)i]) != 1)
                return -1;
        for (int k = 0; k < d->nout; k++)
            if (fscanf(f, "%lf", &d->t[(size_t)r * (size_t)d->nout + (size_t)k]) != 1)
                return -1;
    }
    fclose(f);
    return (size_t)d->nin == MODEL.input_size && (size_t)d->nout == MODEL.output_size ? 0 : -1;
}

/* key=value onto the config; returns -1 for an unknown key. */
static int set_key(NetrtOptimConfig *c, const char *kv)
{
    static const struct { const char *key; size_t off; } keys[] = {
        { "lr", offsetof(NetrtOptimConfig, lr) },
        { "momentum", offsetof(NetrtOptimConfig, momentum) },
        { "beta1", offsetof(NetrtOptimConfig, beta1) },
        { "beta2", offsetof(NetrtOptimConfig, beta2) },
        { "rho", offsetof(NetrtOptimConfig, rho) },
        { "eps", offsetof(NetrtOptimConfig, eps) },
        { "weight_decay", offsetof(NetrtOptimConfig, weight_decay) },
        { "gamma", offsetof(NetrtOptimConfig, gamma) },
        { "clip", offsetof(NetrtOptimConfig, clip_norm) },
    };
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    size_t klen = (size_t)(eq - kv);
    const char *val = eq + 1;
    if (klen == 8 && strncmp(kv, "schedule", 8) == 0)
        return netrt_schedule_parse(val, &c->schedule);
    if (klen == 5 && strncmp(kv, "every", 5) == 0) {
        c->step_size = atoi(val);
        return 0;
    }
    if (klen == 7 && strncmp(kv, "history", 7) == 0) {
        c->history = atoi(val);
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strlen(keys[i].key) == klen && strncmp(kv, keys[i].key, klen) == 0) {
            *(double *)((char *)c + keys[i].off) = strtod(val, NULL);
            return 0;
        }
    }
    return -1;
}

static void print_params(const double *p)
{
    for (size_t i = 0; i < MODEL.num_params; i++)
        printf(" %.17g", p[i]);
    printf("\n");
}

static double full_batch(void *ctx, const void *params, void *grad)
{
    Data *d = ctx;
    return MODEL.loss_grad(grad, params, d->x, d->t, d->rows, 0, d->work);
}

static void run_first_order(NetrtOptimizer *o, Data *d, double *p, double *g, int steps,
                            int batch)
{
    int per_epoch = d->rows / batch;
    int epochs = (steps + per_epoch - 1) / per_epoch;
    for (int s = 0; s < steps; s++) {
        int start = (s % per_epoch) * batch;
        double loss = MODEL.loss_grad(g, p, d->x + (size_t)start * (size_t)d->nin,
                                      d->t + (size_t)start * (size_t)d->nout, batch, 0, d->work);
        double lr = netrt_schedule_lr(&o->cfg, s / per_epoch, epochs, o->t + 1);
        double norm = netrt_clip_gradient(&MODEL, g, o->cfg.clip_norm);
        netrt_optim_step(o, p, g, lr);
        printf("step %d %.17g %.17g %.17g", s, lr, norm, loss);
        print_params(p);
    }
}

static void run_lbfgs(NetrtOptimizer *o, Data *d, double *p, int steps)
{
    for (int s = 0; s < steps; s++) {
        double loss = 0;
        int rc = netrt_lbfgs_iterate(o, p, full_batch, d, &loss);
        printf("iter %d %d %.17g", s, rc, loss);
        print_params(p);
        if (rc != 0)
            break;
    }
}

int main(int argc, char **argv)
{
    Data d;
    NetrtOptimConfig c;
    NetrtOptimKind kind;
    if (argc < 5 || read_data(&d, argv[1]) != 0 || netrt_optim_parse(argv[4], &kind) != 0) {
        fprintf(stderr, "usage: optim_harness DATA STEPS BATCH OPTIMIZER [key=value ...]\n");
        return 2;
    }
    netrt_optim_defaults(&c, kind);
    for (int i = 5; i < argc; i++) {
        if (set_key(&c, argv[i]) != 0) {
            fprintf(stderr, "optim_harness: bad option '%s'\n", argv[i]);
            return 2;
        }
    }
    double *p = malloc(sizeof(double) * MODEL.num_params);
    double *g = malloc(sizeof(double) * MODEL.num_params);
    MODEL.init_params(p, 7);
    printf("init");
    print_params(p);
    NetrtOptimizer o;
    if (netrt_optim_init(&o, &MODEL, &c) != 0)
        return 1;
    if (kind == NETRT_OPT_LBFGS)
        run_lbfgs(&o, &d, p, atoi(argv[2]));
    else
        run_first_order(&o, &d, p, g, atoi(argv[2]), atoi(argv[3]));
    netrt_optim_free(&o);
    free(p);
    free(g);
    free(d.x);
    free(d.t);
    free(d.work);
    return 0;
}

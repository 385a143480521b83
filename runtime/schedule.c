/* schedule.c: the learning rate of each update (constant, step decay, inverse
 * scaling, cosine annealing); the training loop asks once per update. */
#include <math.h>
#include <string.h>

#include "netrt.h"

static const double PI = 3.14159265358979323846;

static const char *const schedule_names[] = {
    "constant", "step", "invscaling", "cosine", NULL
};

int netrt_schedule_parse(const char *name, NetrtScheduleKind *kind)
{
    for (int i = 0; schedule_names[i]; i++) {
        if (strcmp(name, schedule_names[i]) == 0) {
            *kind = (NetrtScheduleKind)i;
            return 0;
        }
    }
    return -1;
}

const char *netrt_schedule_name(NetrtScheduleKind kind)
{
    if ((int)kind < 0 || kind > NETRT_SCHED_COSINE)
        return "?";
    return schedule_names[kind];
}

/* lr * gamma^floor(epoch / step_size), multiplied out one decay at a time as
 * torch's StepLR does, so the rates agree to the last bit. */
static double step_lr(const NetrtOptimConfig *c, int epoch)
{
    double lr = c->lr;
    int decays = c->step_size > 0 ? epoch / c->step_size : 0;
    for (int i = 0; i < decays; i++)
        lr = lr * c->gamma;
    return lr;
}

double netrt_schedule_lr(const NetrtOptimConfig *c, int epoch, int epochs, long long t)
{
    switch (c->schedule) {
    case NETRT_SCHED_CONSTANT:
        return c->lr;
    case NETRT_SCHED_STEP:
        return step_lr(c, epoch < 0 ? 0 : epoch);
    case NETRT_SCHED_INVSCALING:
        /* scikit-learn's SGD: eta0 / t^power_t, t = 1 for the first update */
        return c->lr / pow((double)(t < 1 ? 1 : t), c->power);
    case NETRT_SCHED_COSINE: {
        double frac = epochs > 0 ? (double)epoch / epochs : 0.0;
        if (frac > 1.0)
            frac = 1.0;
        return c->lr_min + (c->lr - c->lr_min) * (1.0 + cos(PI * frac)) / 2.0;
    }
    }
    return c->lr;
}

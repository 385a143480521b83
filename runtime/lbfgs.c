/* lbfgs.c: L-BFGS with a strong Wolfe line search (full batch). Placeholder
 * until the implementation lands: iterate reports failure. */
#include <stdlib.h>

#include "checked.h"
#include "netrt.h"
#include "optim_impl.h"

typedef struct {
    int history;
} Lbfgs;

void *netrt_lbfgs_alloc(const NetrtModel *m, int history)
{
    (void)m;
    Lbfgs *lb = NETRT_CALLOC(1, sizeof *lb);
    if (lb)
        lb->history = history;
    return lb;
}

void netrt_lbfgs_free(void *lb)
{
    free(lb);
}

size_t netrt_lbfgs_state_size(const void *lb)
{
    (void)lb;
    return 0;
}

void netrt_lbfgs_state_save(const void *lb, void *buf)
{
    (void)lb;
    (void)buf;
}

int netrt_lbfgs_state_load(void *lb, const void *buf)
{
    (void)lb;
    (void)buf;
    return 0;
}

int netrt_lbfgs_iterate(NetrtOptimizer *o, void *params, NetrtLossGradEval eval, void *ctx,
                        double *loss)
{
    (void)o;
    (void)params;
    (void)eval;
    (void)ctx;
    (void)loss;
    netrt_error(NULL, "lbfgs is not implemented yet");
    return -1;
}

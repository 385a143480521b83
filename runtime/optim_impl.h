/* optim_impl.h: what optim.c needs from lbfgs.c (internal, not installed).
 * The L-BFGS history is opaque to optim.c; it only sizes, saves and loads it. */
#ifndef NETRT_OPTIM_IMPL_H
#define NETRT_OPTIM_IMPL_H

#include <stddef.h>

#include "netrt.h"

void *netrt_lbfgs_alloc(const NetrtModel *m, int history);
void netrt_lbfgs_free(void *lb);
size_t netrt_lbfgs_state_size(const void *lb);
void netrt_lbfgs_state_save(const void *lb, void *buf);
int netrt_lbfgs_state_load(void *lb, const void *buf);

#endif

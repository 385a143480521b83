/* tensor.c: element access for the model's real type (float or double), for
 * code that is not on a hot path; hot loops are written per type instead. */
#include "netrt.h"

double netrt_get(const NetrtModel *m, const void *v, size_t i)
{
    if (m->real_size == 8)
        return ((const double *)v)[i];
    return ((const float *)v)[i];
}

void netrt_set(const NetrtModel *m, void *v, size_t i, double value)
{
    if (m->real_size == 8)
        ((double *)v)[i] = value;
    else
        ((float *)v)[i] = (float)value;
}

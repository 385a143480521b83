/* scale.c: input feature scaling. Fitted on the training set by the trainer,
 * stored in the weights file, and applied to every data set the weights see. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "netrt.h"

int netrt_scale_parse(const char *name, NetrtScale *kind)
{
    if (!name || strcmp(name, "none") == 0)
        *kind = NETRT_SCALE_NONE;
    else if (strcmp(name, "standard") == 0)
        *kind = NETRT_SCALE_STANDARD;
    else
        return -1;
    return 0;
}

int netrt_scaler_fit(NetrtScaler *s, NetrtScale kind, const NetrtDataset *ds)
{
    int nf = ds->num_features;
    memset(s, 0, sizeof *s);
    if (kind == NETRT_SCALE_NONE)
        return 0;
    s->mean = NETRT_CALLOC((size_t)nf, sizeof(double));
    s->std = NETRT_CALLOC((size_t)nf, sizeof(double));
    if (!s->mean || !s->std) {
        netrt_scaler_free(s);
        return -1;
    }
    s->kind = kind;
    s->n = nf;
    for (int j = 0; j < nf; j++) {
        double mean = 0, var = 0;
        for (int r = 0; r < ds->rows; r++)
            mean += ds->x[(size_t)r * nf + j];
        mean /= ds->rows;
        for (int r = 0; r < ds->rows; r++) {
            double d = ds->x[(size_t)r * nf + j] - mean;
            var += d * d;
        }
        var /= ds->rows;
        s->mean[j] = mean;
        s->std[j] = var > 0 ? sqrt(var) : 1.0;  /* a constant feature stays put, centred */
    }
    return 0;
}

void netrt_scaler_apply(const NetrtScaler *s, NetrtDataset *ds)
{
    if (s->kind == NETRT_SCALE_NONE)
        return;
    for (int r = 0; r < ds->rows; r++) {
        for (int j = 0; j < s->n; j++) {
            size_t i = (size_t)r * (size_t)s->n + (size_t)j;
            ds->x[i] = (float)((ds->x[i] - s->mean[j]) / s->std[j]);
            if (ds->x64)
                ds->x64[i] = (ds->x64[i] - s->mean[j]) / s->std[j];
        }
    }
}

void netrt_scaler_free(NetrtScaler *s)
{
    free(s->mean);
    free(s->std);
    memset(s, 0, sizeof *s);
}

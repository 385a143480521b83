/* scale.c: input feature scaling, x' = (x - mean) / std per feature: standard
 * (mean and population std) or minmax (mean = min, std = max - min). Fitted on
 * the training set by the trainer, stored in the weights file, and applied to
 * every data set the weights see. */
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
    else if (strcmp(name, "minmax") == 0)
        *kind = NETRT_SCALE_MINMAX;
    else
        return -1;
    return 0;
}

const char *netrt_scale_name(NetrtScale kind)
{
    switch (kind) {
    case NETRT_SCALE_NONE: return "none";
    case NETRT_SCALE_STANDARD: return "standard";
    case NETRT_SCALE_MINMAX: return "minmax";
    }
    return "?";
}

/* Feature j's min and max over the rows. */
static void fit_minmax(double *lo, double *range, const NetrtDataset *ds, int j)
{
    size_t nf = (size_t)ds->num_features;
    float mn = ds->x[j], mx = ds->x[j];
    for (int r = 1; r < ds->rows; r++) {
        float v = ds->x[(size_t)r * nf + (size_t)j];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    *lo = mn;
    *range = mx > mn ? (double)mx - (double)mn : 1.0;  /* a constant feature maps to 0 */
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
        if (kind == NETRT_SCALE_MINMAX) {
            fit_minmax(&s->mean[j], &s->std[j], ds, j);
            continue;
        }
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

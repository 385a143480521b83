/* fuzz_data.h: what the data-reader fuzz targets (fuzz_csv.c, fuzz_idx.c)
 * check of every data set a reader accepts. */
#ifndef NETC_FUZZ_DATA_H
#define NETC_FUZZ_DATA_H

#include "netrt.h"

#include <math.h>
#include <stdlib.h>

/* What an accepted data set must satisfy, whatever the bytes were. */
static void check_loaded(const NetrtDataset *ds, const NetrtModel *m)
{
    size_t nx = (size_t)ds->rows * m->input_size, nt = (size_t)ds->rows * (size_t)ds->num_targets;
    if (ds->rows < 1 || ds->num_features != (int)m->input_size)
        abort();
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(ds->x[i]))
            abort();
    for (size_t i = 0; i < nt; i++)
        if (!isfinite(ds->t[i]))
            abort();
    for (int r = 0; ds->label && r < ds->rows; r++)
        if (ds->label[r] < 0 || ds->label[r] >= ds->num_classes)
            abort();
}

#endif

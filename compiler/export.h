/* export.h: `netc export`, an inference-only build of a trained network with
 * its weights baked in. export.c reads the spec, the weights file and the data
 * sets; quant.c quantizes dense layers to int8 and runs the exported model's
 * arithmetic in-process (calibration and the accuracy report); emit_infer.c
 * writes NAME_infer.h, NAME_infer.c (code) and NAME_weights.c (data only),
 * reusing the training emitter's forward kernels. */
#ifndef NETC_EXPORT_H
#define NETC_EXPORT_H

#include <stdint.h>

#include "emit.h"
#include "netrt.h"

typedef enum { XP_FLOAT, XP_DOUBLE, XP_INT8 } ExportPrecision;

/* One dense layer in int8: weights symmetric per output row, the input
 * asymmetric per tensor (scale and zero point from calibration), int32 sums:
 *   q[i] = clamp(round(x[i] / sx + zp), -128, 127)
 *   z[o] = (float)(bq[o] + sum_i wq[o][i] * q[i]) * scale[o]
 * where scale[o] = sw[o] * sx and bq folds in the bias and -zp * sum_i wq[o][i]. */
typedef struct {
    int rows, cols;
    int8_t *w;              /* [rows][cols], in [-127, 127] */
    int32_t *b;             /* [rows] */
    float *scale;           /* [rows] */
    float inv_sx;           /* 1 / sx */
    float zp;               /* an integer in [-128, 127] */
    double lo, hi;          /* the calibrated input range */
} QuantLayer;

typedef struct {
    const IrGraph *g;
    ExportPrecision prec;
    const double *params;       /* the weights file's values, g->num_params */
    const NetrtScaler *scale;   /* input scaling stored with the weights (kind NONE if none) */
    QuantLayer **quant;         /* int8: per forward instruction (IR_LINEAR only), else NULL */
} ExportModel;

/* ---- quant.c ---- */

/* The exported model's arithmetic, in-process: one sample of raw (unscaled)
 * features in, outputs out. Dense layers run quantized when m->quant is set. */
typedef struct Runner Runner;
Runner *runner_new(const ExportModel *m);
void runner_free(Runner *r);
void runner_predict(Runner *r, const float *x, double *y);

/* Calibrates every dense layer's input range on ds (raw features) with the
 * float model, then quantizes weights and biases. Returns 0, or -1 after
 * printing why (a layer too wide for int32 sums). */
int quant_build(ExportModel *m, const NetrtDataset *ds, Arena *a);

/* Metrics of the model on a labelled data set, as `netc eval` computes them. */
typedef struct {
    double accuracy;        /* classification; NAN otherwise */
    double mse;
    int rows;
} ExportMetrics;
void export_evaluate(const ExportModel *m, const NetrtModel *desc, const NetrtDataset *ds,
                     ExportMetrics *out);

/* ---- emit_infer.c ---- */

typedef struct {
    char *header, *source, *weights;    /* malloc'd: NAME_infer.h, NAME_infer.c, NAME_weights.c */
    size_t stack_bytes;                 /* NAME_predict's arrays */
    size_t data_bytes;                  /* NAME_weights.c's arrays */
    char libm[256];                     /* math functions the code calls, space-separated */
} ExportFiles;

void emit_infer(const ExportModel *m, const EmitOptions *o, const char *weights_path,
                ExportFiles *out);
void export_files_free(ExportFiles *f);

/* `netc build --single-header`: NAME.h and NAME.c joined in the stb style. */
char *emit_single_header(const char *base, const char *header, const char *source);

#endif
